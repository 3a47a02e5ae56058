"""Raw explanations: explainers given transformations, featurization pipelines as models."""

import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import skrub
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelBinarizer, OneHotEncoder, StandardScaler

from explain import (
    Explanation,
    KernelExplainer,
    LinearExplainer,
    MimicExplainer,
    PFIExplainer,
    TabularExplainer,
    TreeExplainer,
    load_explanation,
    save_explanation,
)
from explain.models import LGBMExplainableModel
from featurization import AutoFeaturizer, FeatureMap, feature_map_from
from tests._synthetic import RAW_INFORMATIVE, make_mixed_table

NUMERIC = ["income", "noise_num"]
CATEGORICAL = ["region", "segment", "noise_cat"]


def column_transformer(one_hot: OneHotEncoder | None = None) -> ColumnTransformer:
    encoder = one_hot or OneHotEncoder(drop="first", handle_unknown="ignore")
    return ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), CATEGORICAL),
    ], sparse_threshold=0.0)


def lgbm() -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(n_estimators=60, num_leaves=15, verbose=-1, n_jobs=1, random_state=0)


@pytest.fixture(scope="module")
def table() -> tuple[pd.DataFrame, np.ndarray]:
    return make_mixed_table("binary", n_rows=800)


def check_raw(explanation: Explanation, raw_columns: list[str], output: np.ndarray) -> None:
    """Exactly the raw columns; raw locals add up to the output; raw == mapped engineered."""
    assert explanation.is_raw and list(explanation.features) == raw_columns
    engineered = explanation.engineered_explanation
    assert engineered is not None and engineered.is_engineered
    np.testing.assert_allclose(explanation.local_values,
                               explanation.feature_map.map_values(engineered.local_values), atol=1e-12)
    total = explanation.local_values.sum(axis=2) + np.asarray(explanation.expected_values_)[:, None]
    np.testing.assert_allclose(total[-1], output, atol=1e-6)
    np.testing.assert_array_equal(explanation.expected_values_, engineered.expected_values_)
    np.testing.assert_allclose(
        explanation.global_values,
        np.abs(explanation.local_values).mean(axis=1).mean(axis=0), atol=1e-12,
    )


# ---------------------------------------------------------------- featurization forms
@pytest.mark.parametrize("one_hot", [
    OneHotEncoder(drop="first", handle_unknown="ignore"),
    OneHotEncoder(min_frequency=150, handle_unknown="infrequent_if_exist"),
], ids=["drop_first", "infrequent"])
def test_column_transformer_tree(table, one_hot):
    X, y = table
    ct = column_transformer(one_hot).fit(X)
    model = lgbm().fit(ct.transform(X), y)
    explanation = TreeExplainer(model, X, transformations=ct).explain_local(X.iloc[:50])
    check_raw(explanation, list(X.columns), model.predict(ct.transform(X.iloc[:50]), raw_score=True))
    assert explanation.global_values[list(X.columns).index("comment")] == 0.0  # dropped column


def test_list_of_tuples_linear(table):
    X, y = table
    tuples = [
        (["income"], [SimpleImputer().fit(X[["income"]]),
                      StandardScaler().fit(SimpleImputer().fit_transform(X[["income"]]))]),
        ("region", LabelBinarizer().fit(X["region"])),
        (["segment"], [SimpleImputer(strategy="constant", fill_value="a").fit(X[["segment"]]),
                       OneHotEncoder().fit(X[["segment"]].fillna("a").to_numpy())]),
        (["noise_num"], None),
    ]
    engineered = np.column_stack([
        StandardScaler().fit_transform(SimpleImputer().fit_transform(X[["income"]])),
        LabelBinarizer().fit_transform(X["region"]),
        OneHotEncoder(sparse_output=False).fit_transform(X[["segment"]].fillna("a")),
        X[["noise_num"]].to_numpy(),
    ])
    model = LogisticRegression(max_iter=2000).fit(engineered, y)
    explanation = LinearExplainer(model, X, transformations=tuples).explain_local(X.iloc[:40])
    check_raw(explanation, list(X.columns), model.decision_function(engineered[:40]))
    assert_informative_first(explanation)


def test_pipeline_model_is_explained_natively_by_tree_shap(table):
    X, y = table
    pipeline = make_pipeline(column_transformer(), lgbm()).fit(X, y)
    explainer = TabularExplainer(pipeline, X)
    assert explainer.method == "shap.tree"
    explanation = explainer.explain_local(X.iloc[:30])
    margin = pipeline[-1].predict(pipeline[:-1].transform(X.iloc[:30]), raw_score=True)
    check_raw(explanation, list(X.columns), margin)


def test_table_vectorizer(table):
    X, y = table
    vectorizer = skrub.TableVectorizer().fit(X)
    model = lgbm().fit(vectorizer.transform(X), y)
    explanation = TabularExplainer(model, X, transformations=vectorizer).explain_local(X.iloc[:30])
    check_raw(explanation, list(X.columns), model.predict(vectorizer.transform(X.iloc[:30]),
                                                          raw_score=True))
    assert_informative_first(explanation)


def test_auto_featurizer_pipeline(table):
    X, y = table
    pipeline = make_pipeline(AutoFeaturizer(text_components=5), StandardScaler(),
                             LogisticRegression(max_iter=2000))
    pipeline.fit(X, y)
    explanation = TabularExplainer(pipeline, X).explain_global(X.iloc[:60])
    assert explanation.method == "shap.linear"
    check_raw(explanation, list(X.columns),
              pipeline[-1].decision_function(pipeline[:-1].transform(X.iloc[:60])))
    assert_informative_first(explanation)


# ---------------------------------------------------------------- ground truth per explainer
def assert_informative_first(explanation: Explanation) -> None:
    assert set(explanation.get_ranked_global_names()[:3]) == set(RAW_INFORMATIVE), (
        explanation.get_feature_importance_dict()
    )


@pytest.fixture(scope="module")
def fitted(table):
    X, y = table
    ct = column_transformer().fit(X)
    return X, y, ct, ct.transform(X)


@pytest.mark.parametrize("kind", ["tree", "linear", "kernel", "mimic"])
def test_informative_raw_columns_rank_first(fitted, kind):
    X, y, ct, Xe = fitted
    if kind == "tree":
        explainer = TreeExplainer(lgbm().fit(Xe, y), X, transformations=ct)
    elif kind == "linear":
        explainer = LinearExplainer(LogisticRegression(max_iter=2000).fit(Xe, y), X, transformations=ct)
    elif kind == "kernel":
        model = KNeighborsClassifier(25).fit(Xe, y)
        explainer = KernelExplainer(model, X.iloc[:100], transformations=ct)
    else:
        model = KNeighborsClassifier(25).fit(Xe, y)
        explainer = MimicExplainer(model, X, LGBMExplainableModel, transformations=ct)
    rows = X.iloc[:24] if kind == "kernel" else X.iloc[:300]
    explanation = explainer.explain_global(rows)
    assert explanation.is_raw
    assert_informative_first(explanation)


def test_regression_pipeline_raw(fitted):
    X, _, _ct, _Xe = fitted
    _, y = make_mixed_table("regression", n_rows=800)
    pipeline = make_pipeline(column_transformer(), Ridge()).fit(X, y)
    explanation = TabularExplainer(pipeline, X).explain_local(X.iloc[:25])
    assert np.shape(explanation.local_importance_values) == (25, len(X.columns))
    check_raw(explanation, list(X.columns), pipeline.predict(X.iloc[:25]))


# ---------------------------------------------------------------- streaming, PFI, persistence
def test_global_only_raw_equals_mean_abs_raw_local(fitted):
    X, y, ct, Xe = fitted
    explainer = TreeExplainer(lgbm().fit(Xe, y), X, transformations=ct)
    full = explainer.explain_global(X.iloc[:200])
    streamed = explainer.explain_global(X.iloc[:200], include_local=False, batch_size=33)
    assert streamed.local_values is None and streamed.engineered_explanation.local_values is None
    np.testing.assert_allclose(streamed.global_values, full.global_values, atol=1e-12)
    np.testing.assert_allclose(streamed.engineered_explanation.global_values,
                               full.engineered_explanation.global_values, atol=1e-12)
    summed = full.feature_map.map_values(full.engineered_explanation.global_values)
    assert not np.allclose(summed, full.global_values)  # raw global is not the sum of engineered


def test_pfi_permutes_raw_columns(fitted):
    X, y, ct, _Xe = fitted
    pipeline = make_pipeline(column_transformer(), lgbm()).fit(X, y)
    explanation = PFIExplainer(pipeline, n_repeats=3).explain_global(X, true_labels=y)
    assert explanation.is_raw and list(explanation.features) == list(X.columns)
    assert_informative_first(explanation)
    engineered = explanation.engineered_explanation
    assert list(engineered.features) == list(ct.get_feature_names_out())


def test_raw_explanation_round_trip_keeps_engineered_and_map(fitted, tmp_path):
    X, y, ct, Xe = fitted
    explanation = TreeExplainer(lgbm().fit(Xe, y), X, transformations=ct).explain_local(X.iloc[:5])
    loaded = load_explanation(save_explanation(explanation, tmp_path / "raw.npz"))
    assert loaded.is_raw and loaded.feature_map == explanation.feature_map
    np.testing.assert_array_equal(loaded.local_values, explanation.local_values)
    np.testing.assert_array_equal(loaded.engineered_explanation.local_values,
                                  explanation.engineered_explanation.local_values)
    assert loaded.engineered_explanation.features == explanation.engineered_explanation.features


# ---------------------------------------------------------------- get_raw_explanation
def test_get_raw_explanation_from_feature_map_and_matrix(fitted):
    X, y, ct, Xe = fitted
    engineered = TreeExplainer(lgbm().fit(Xe, y), Xe).explain_local(Xe[:20])
    fmap = feature_map_from(ct)
    raw = engineered.get_raw_explanation(fmap)
    assert raw.features == fmap.raw_feature_names and raw.engineered_explanation is engineered
    matrix_raw = engineered.get_raw_explanation([fmap.to_matrix().toarray()],
                                                raw_feature_names=list(X.columns))
    np.testing.assert_allclose(matrix_raw.local_values, raw.local_values)
    two_steps = engineered.get_raw_explanation([FeatureMap.identity(fmap.raw_feature_names), fmap])
    np.testing.assert_allclose(two_steps.local_values, raw.local_values)
    with pytest.raises(ValueError, match="already raw"):
        raw.get_raw_explanation(fmap)


def test_get_raw_explanation_refuses_global_only_and_wrong_size(fitted):
    _X, y, ct, Xe = fitted
    explainer = TreeExplainer(lgbm().fit(Xe, y), Xe)
    with pytest.raises(TypeError, match="global-only explanation cannot be mapped"):
        explainer.explain_global(Xe[:20], include_local=False).get_raw_explanation(feature_map_from(ct))
    with pytest.raises(ValueError, match="engineered features but the explanation has"):
        explainer.explain_local(Xe[:3]).get_raw_explanation(FeatureMap.identity(["a", "b"]))


def test_feature_map_as_transformations_takes_engineered_data(fitted):
    X, y, ct, Xe = fitted
    model = lgbm().fit(Xe, y)
    explanation = TreeExplainer(model, Xe, transformations=feature_map_from(ct)).explain_local(Xe[:10])
    assert explanation.is_raw and list(explanation.features) == list(X.columns)


def test_sparse_engineered_data_stays_sparse(fitted):
    X, y, _, _ = fitted
    ct = ColumnTransformer([("cat", OneHotEncoder(), CATEGORICAL)], sparse_threshold=1.0).fit(X)
    Xe = ct.transform(X)
    assert sp.issparse(Xe)
    model = LogisticRegression(max_iter=2000).fit(Xe, y)
    explainer = LinearExplainer(model, X, transformations=ct)
    assert sp.issparse(explainer.initialization_examples_)
    explanation = explainer.explain_local(X.iloc[:10])
    check_raw(explanation, list(X.columns), model.decision_function(Xe[:10]))


# ---------------------------------------------------------------- errors
def test_multi_input_transformer_is_refused_with_the_option_named(fitted):
    X, y, _, _ = fitted
    ct = ColumnTransformer([("pca", make_pipeline(SimpleImputer(), PCA(2)), NUMERIC)]).fit(X)
    model = LogisticRegression().fit(ct.transform(X), y)
    with pytest.raises(ValueError, match=r"PCA turns 2 input columns.*allow_all_transformations=True"):
        LinearExplainer(model, X, transformations=ct)
    explanation = LinearExplainer(model, X, transformations=ct,
                                  allow_all_transformations=True).explain_local(X.iloc[:5])
    np.testing.assert_allclose(explanation.local_values[:, :, 0], explanation.local_values[:, :, 3])


def test_raw_column_errors_name_the_columns(fitted):
    X, y, ct, Xe = fitted
    explainer = TreeExplainer(lgbm().fit(Xe, y), X, transformations=ct)
    with pytest.raises(ValueError, match="missing: 'income'; unknown: 'salary'"):
        explainer.explain_local(X.rename(columns={"income": "salary"}).iloc[:3])
    with pytest.raises(ValueError, match="has 3 columns but the explainer was set up with 7 raw columns"):
        explainer.explain_local(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="is empty"):
        explainer.explain_local(X.iloc[:0])
    reordered = explainer.explain_local(X.iloc[:4][list(reversed(X.columns))])
    np.testing.assert_allclose(reordered.local_values, explainer.explain_local(X.iloc[:4]).local_values)


def test_transformations_that_fail_are_reported(fitted, monkeypatch):
    X, y, ct, Xe = fitted
    explainer = TreeExplainer(lgbm().fit(Xe, y), X, transformations=ct)

    def fail(data):
        raise ValueError("cannot featurize")

    monkeypatch.setattr(explainer.raw_input_.steps[0], "transform", fail)
    with pytest.raises(ValueError, match="transformations failed on evaluation_examples: ValueError: cannot"):
        explainer.explain_local(X.iloc[:3])


def test_numeric_raw_columns_given_as_text(fitted):
    """Text in a column that held numbers is refused naming it (a featurizer could turn it into
    NaN); numbers written as text are read as the numbers; infinity is refused."""
    X, y, ct, Xe = fitted
    explainer = TreeExplainer(lgbm().fit(Xe, y), X, transformations=ct)
    bad = X.iloc[:3].copy()
    bad["income"] = ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"held numbers at set-up hold other values: 'income' \(e.g. 'a'\)"):
        explainer.explain_local(bad)
    as_text = X.iloc[:5].astype({"income": str})
    assert as_text["income"].dtype != np.float64
    np.testing.assert_allclose(explainer.explain_local(as_text).local_values,
                               explainer.explain_local(X.iloc[:5]).local_values, atol=1e-12)
    infinite = X.iloc[:3].copy()
    infinite["noise_num"] = [1.0, np.inf, 2.0]
    with pytest.raises(ValueError, match="evaluation_examples contains infinite values in 'noise_num'"):
        explainer.explain_local(infinite)


def test_model_with_other_feature_count_is_refused(fitted):
    X, y, ct, Xe = fitted
    model = lgbm().fit(Xe[:, :5], y)
    with pytest.raises(ValueError, match="model was fitted on 5 features but the data has 9 columns"):
        TreeExplainer(model, X, transformations=ct)


def test_pipeline_fitted_on_an_array_gets_an_array_without_warnings():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] > 0).astype(int)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explanation = TabularExplainer(pipeline, X).explain_local(X[:5])
    assert explanation.is_raw and explanation.method == "shap.linear"


def test_wide_raw_rows_are_checked_in_well_under_a_second() -> None:
    """Validating raw rows reads columns in blocks (no per-column Series, no quadratic scans):
    interpret-community's test of 19,999 raw columns spent most of its set-up here."""
    import time

    from sklearn.preprocessing import StandardScaler

    from explain._raw_input import RawInput

    X = np.random.default_rng(0).normal(size=(200, 5000))
    raw = RawInput([StandardScaler().fit(X)], X, None, False, "Test")
    start = time.perf_counter()
    raw.check(X, "evaluation_examples")
    assert time.perf_counter() - start < 1.0
    X[3, 4000] = np.inf
    with pytest.raises(ValueError, match="infinite values in 'x4000'"):
        raw.check(X, "evaluation_examples")

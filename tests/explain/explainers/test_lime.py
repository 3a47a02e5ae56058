"""LIMEExplainer: ground truth, the local linear fit, raw mapping, determinism and its errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import ExplanationValueError, LIMEExplainer, load_explanation, save_explanation
from tests._synthetic import assert_informative_first, make_ground_truth


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_true_features_rank_first(task: str) -> None:
    X, y = make_ground_truth(task, n_rows=400)
    forest = RandomForestRegressor if task == "regression" else RandomForestClassifier
    model = forest(n_estimators=50, random_state=0, n_jobs=1).fit(X, y)
    explanation = LIMEExplainer(model, X, num_samples=2000).explain_global(X.iloc[:80])
    assert explanation.method == "lime"
    assert_informative_first(explanation.get_ranked_global_names())
    n_outputs = 1 if task == "regression" else len(np.unique(y))
    assert explanation.local_values is not None
    assert explanation.local_values.shape == (n_outputs if task != "binary" else 2, 80, X.shape[1])
    assert explanation.output_space == ("raw" if task == "regression" else "probability")


def test_signs_follow_a_linear_model() -> None:
    """For y = 3 f0 - 2 f1, a row high in f0 gains from being in f0's bin; one low in f1 too."""
    X, _ = make_ground_truth("regression", n_rows=500)
    y = 3 * X["f0"] - 2 * X["f1"]
    model = LinearRegression().fit(X, y)
    rows = X[(X["f0"] > 1.0) & (X["f1"] < -1.0)].iloc[:10]
    values = LIMEExplainer(model, X).explain_local(rows).local_importance_values
    values = np.asarray(values)
    assert (values[:, 0] > 0).all() and (values[:, 1] > 0).all()
    assert np.abs(values[:, 2:]).max() < 0.1 * np.abs(values[:, :2]).min()


def test_fidelity_reports_the_local_fit_and_does_not_claim_additivity() -> None:
    X, y = make_ground_truth("binary", n_rows=300)
    model = LogisticRegression().fit(X, y)
    explanation = LIMEExplainer(model, X).explain_local(X.iloc[:20])
    summary = explanation.fidelity.summary()
    assert "weighted R²" in summary and "do not add up" in summary
    assert "exact Shapley" not in summary and explanation.fidelity.exact is None


def test_same_seed_same_values_other_seed_close() -> None:
    X, y = make_ground_truth("regression", n_rows=300)
    model = RandomForestRegressor(n_estimators=30, random_state=0, n_jobs=1).fit(X, y)
    first = LIMEExplainer(model, X, random_state=1).explain_local(X.iloc[:5]).local_importance_values
    again = LIMEExplainer(model, X, random_state=1).explain_local(X.iloc[:5]).local_importance_values
    other = LIMEExplainer(model, X, random_state=2).explain_local(X.iloc[:5]).local_importance_values
    np.testing.assert_array_equal(first, again)
    assert np.corrcoef(np.ravel(first), np.ravel(other))[0, 1] > 0.9


def test_rows_are_explained_independently_of_their_batch() -> None:
    X, y = make_ground_truth("binary", n_rows=300)
    model = RandomForestClassifier(n_estimators=30, random_state=0, n_jobs=1).fit(X, y)
    explainer = LIMEExplainer(model, X)
    together = np.asarray(explainer.explain_local(X.iloc[:70]).local_importance_values)
    alone = np.asarray(explainer.explain_local(X.iloc[[65]]).local_importance_values)
    np.testing.assert_allclose(together[:, 65:66], alone, atol=1e-12)


def test_categorical_features_and_raw_mapping_through_a_pipeline() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.normal(40, 10, 400), "noise": rng.normal(size=400),
                          "region": rng.choice(["north", "south", "east"], 400)})
    y = np.where((frame["region"] == "south") ^ (frame["age"] > 45), "yes", "no")
    featurizer = ColumnTransformer([("num", StandardScaler(), ["age", "noise"]),
                                    ("cat", OneHotEncoder(), ["region"])]).fit(frame)
    engineered = featurizer.transform(frame)
    model = RandomForestClassifier(n_estimators=50, random_state=0, n_jobs=1).fit(engineered, y)
    explainer = LIMEExplainer(model, frame, transformations=featurizer,
                              categorical_features=[2, 3, 4])
    explanation = explainer.explain_global(frame.iloc[:40])
    assert explanation.is_raw and explanation.features == ("age", "noise", "region")
    assert explanation.get_ranked_global_names()[-1] == "noise"
    engineered_values = explanation.engineered_explanation.local_values
    np.testing.assert_allclose(explanation.local_values.sum(axis=2), engineered_values.sum(axis=2))
    pipeline = make_pipeline(featurizer, model)
    natively = LIMEExplainer(pipeline, frame).explain_global(frame.iloc[:40])
    assert natively.is_raw and natively.get_ranked_global_names()[-1] == "noise"


def test_explain_subset_and_save_load(tmp_path) -> None:
    X, y = make_ground_truth("regression", n_rows=300)
    model = RandomForestRegressor(n_estimators=30, random_state=0, n_jobs=1).fit(X, y)
    full = LIMEExplainer(model, X).explain_local(X.iloc[:5])
    subset = LIMEExplainer(model, X, explain_subset=["f1", "f0"]).explain_local(X.iloc[:5])
    assert subset.features == ("f1", "f0")
    np.testing.assert_allclose(subset.local_values[0], full.local_values[0][:, [1, 0]])
    loaded = load_explanation(save_explanation(full, tmp_path / "lime.npz"))
    np.testing.assert_array_equal(loaded.local_values, full.local_values)
    assert loaded.method == "lime"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"num_samples": 0}, "num_samples must be a positive integer"),
    ({"nclusters": -1}, "nclusters must be a positive integer"),
    ({"kernel_width": 0.0}, "kernel_width must be positive"),
    ({"alpha": -1.0}, "alpha must be >= 0"),
    ({"categorical_features": ["nosuch"]}, "categorical_features names unknown feature 'nosuch'"),
])
def test_bad_arguments_are_named(kwargs: dict, message: str) -> None:
    X, y = make_ground_truth("regression", n_rows=100)
    model = LinearRegression().fit(X, y)
    with pytest.raises(ExplanationValueError, match=message):
        LIMEExplainer(model, X, **kwargs)


def test_evaluation_columns_are_checked() -> None:
    X, y = make_ground_truth("regression", n_rows=100)
    explainer = LIMEExplainer(LinearRegression().fit(X, y), X)
    with pytest.raises(ExplanationValueError, match="f7"):
        explainer.explain_local(X.drop(columns=["f7"]).iloc[:3])


def test_classes_with_a_predict_only_classifier_or_function_name_interpret_communitys_reason() -> None:
    """interpret-community's wording is kept in the errors, after this library's own."""
    from sklearn.svm import SVC

    X, y = make_ground_truth("multiclass", n_rows=90)
    svc = SVC().fit(X, y)  # no predict_proba
    classes = ["a", "b", "c"]
    with pytest.raises(ValueError, match="Classes is specified but model does not define predict_proba, "
                                         "only predict: explaining a classifier here needs predict_proba"):
        LIMEExplainer(svc, X, classes=classes)
    with pytest.raises(ValueError, match="needs predict_proba") as refused:
        LIMEExplainer(svc, X)
    assert "Classes is specified" not in str(refused.value)
    with pytest.raises(ValueError, match=r"classes given for a regression model\. Classes is specified but "
                                         r"function was predict, not predict_proba"):
        LIMEExplainer(svc.predict, X, is_function=True, classes=classes)
    with pytest.raises(ValueError, match=r"classes given for a regression model\.$"):
        LIMEExplainer(LinearRegression().fit(X, X["f0"]), X, classes=classes)


def test_wide_data_fits_by_batched_matrix_products_in_bounded_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """500 features: the local fits are batched BLAS products (about 9 s before, under 1 s
    now), and rows are fitted in blocks whose arrays stay near _BLOCK_BYTES."""
    import time

    from explain.explainers import _lime

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 500)) * (rng.random((300, 500)) < 0.05)
    model = LinearRegression().fit(X, X[:, :40] @ rng.normal(size=40))
    explainer = LIMEExplainer(model, X)
    start = time.perf_counter()
    together = explainer.explain_local(X[:4]).local_values
    assert time.perf_counter() - start < 4.0
    monkeypatch.setattr(_lime, "_BLOCK_BYTES", 1)  # one row a block: the same values
    np.testing.assert_allclose(explainer.explain_local(X[:4]).local_values, together, rtol=0, atol=1e-10)

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import Explanation, ExplanationTypeError, ExplanationValueError, TabularExplainer
from explain.dashboard import Cohort
from explain.dashboard._data import DERIVED_COLUMNS, DashboardData
from explain.dashboard._performance import cohort_metrics
from tests._synthetic import make_ground_truth

N_EVAL = 80
ALL = Cohort("All data")


def _lgbm(task: str):
    X, y = make_ground_truth(task, n_rows=300, seed=1)
    model = LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1).fit(X, y)
    X_eval, y_eval = X.iloc[-N_EVAL:].reset_index(drop=True), y[-N_EVAL:]
    explanation = TabularExplainer(model, X.iloc[:50]).explain_global(X_eval)
    return model, explanation, X_eval, y_eval


@pytest.fixture(scope="module")
def binary():
    """(model, explanation, X_eval, y_eval) of a LightGBM classifier with labels "no"/"yes"."""
    return _lgbm("binary")


@pytest.fixture(scope="module")
def multiclass():
    return _lgbm("multiclass")


@pytest.fixture(scope="module")
def regression():
    X, y = make_ground_truth("regression", n_rows=200, seed=2)
    model = LinearRegression().fit(X, y)
    X_eval, y_eval = X.iloc[-N_EVAL:].reset_index(drop=True), y[-N_EVAL:]
    return model, TabularExplainer(model, X.iloc[:50]).explain_global(X_eval), X_eval, y_eval


def mixed_frame(n_rows: int = 150, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"age": rng.normal(40, 10, n_rows), "income": rng.normal(50, 10, n_rows),
                      "city": rng.choice(["oslo", "paris", "rome"], n_rows)})
    y = np.where(X["age"] + 8 * (X["city"] == "rome") + rng.normal(0, 5, n_rows) > 43, "old", "young")
    return X, y


@pytest.fixture(scope="module")
def pipeline():
    """A featurization + logistic regression pipeline and its raw explanation."""
    X, y = mixed_frame()
    featurize = ColumnTransformer([("num", StandardScaler(), ["age", "income"]),
                                   ("cat", OneHotEncoder(), ["city"])])
    model = make_pipeline(featurize, LogisticRegression()).fit(X, y)
    X_eval, y_eval = X.iloc[-60:].reset_index(drop=True), y[-60:]
    return model, TabularExplainer(model, X.iloc[:50]).explain_global(X_eval), X_eval, y_eval


# -- validation ---------------------------------------------------------------------------------


class NoPredict:
    def fit(self, X, y):
        return self


class Broken:
    classes_ = np.array(["no", "yes"])

    def predict(self, X):
        raise RuntimeError("boom: the model is broken")

    def predict_proba(self, X):
        raise RuntimeError("boom: the model is broken")


def test_explanation_of_the_right_type_is_required(binary):
    _, _, X_eval, _ = binary
    with pytest.raises(ExplanationTypeError, match=r"explanation must be an explain\.Explanation, got dict"):
        DashboardData({"method": "shap.tree"}, dataset=X_eval)
    with pytest.raises(TypeError, match="got DataFrame"):
        DashboardData(X_eval, dataset=X_eval)


def test_model_without_predict_is_refused(binary):
    _, explanation, X_eval, _ = binary
    with pytest.raises(ExplanationTypeError, match="model must have a predict method, got NoPredict"):
        DashboardData(explanation, NoPredict(), X_eval)


def test_model_whose_predict_fails_is_reported_with_its_error(binary, regression):
    _, explanation, X_eval, y_eval = binary
    with pytest.raises(ExplanationValueError,
                       match="the model failed to predict the dataset: RuntimeError: boom: the model is "):
        DashboardData(explanation, Broken(), X_eval, y_eval)
    _, reg_explanation, X_reg, _ = regression
    with pytest.raises(ExplanationValueError, match="failed to predict the dataset: RuntimeError: boom"):
        DashboardData(reg_explanation, Broken(), X_reg)


@pytest.mark.parametrize(("change", "message"), [
    (lambda X, y: {"dataset": X.iloc[:-1]},
     r"local importances have shape \(2, 80, 8\) \(outputs, rows, features\) but dataset has 79 rows"),
    (lambda X, y: {"dataset": pd.concat([X, X.iloc[:3]])}, r"but dataset has 83 rows"),
    (lambda X, y: {"dataset": X, "features": ["a", "b"]}, r"features has 2 names but dataset has 8 columns"),
    (lambda X, y: {"dataset": X.to_numpy(), "features": list("abc")},
     r"features has 3 names but dataset has 8 columns"),
    (lambda X, y: {"dataset": None, "features": ["a"]},
     r"features has 1 names but the explanation has 8 features"),
    (lambda X, y: {"dataset": X.drop(columns="f7")},
     r"dataset has 7 columns but the explanation has 8 features"),
    (lambda X, y: {"dataset": X.assign(extra=1.0)},
     r"dataset has 9 columns but the explanation has 8 features"),
    (lambda X, y: {"dataset": X.rename(columns={"f0": "age", "f3": "height"})},
     r"dataset lacks 2 of the explanation's features: 'f0', 'f3'"),
    (lambda X, y: {"dataset": X.to_numpy()[:, 0]},
     r"dataset must be 2-D \(rows x columns\), got shape \(80,\)"),
    (lambda X, y: {"dataset": X.iloc[:0]}, r"dataset is empty"),
    (lambda X, y: {"dataset": np.empty((0, 8))}, r"dataset is empty"),
    (lambda X, y: {"dataset": X, "true_y": y[:-1]}, r"true_y has shape \(79,\) but there are 80 rows"),
    (lambda X, y: {"dataset": X, "true_y": np.stack([y, y], axis=1)},
     r"true_y has shape \(80, 2\) but there are 80 rows"),
    (lambda X, y: {"dataset": X, "true_y": np.where(np.arange(80) == 7, np.nan, 1.0)},
     r"true_y contains NaN or infinite values"),
    (lambda X, y: {"dataset": X, "classes": ["no", "maybe", "yes"]},
     r"classes has 3 labels but the explanation has 2 classes"),
])
def test_bad_input_is_refused_with_a_message_naming_it(binary, change, message):
    model, explanation, X_eval, y_eval = binary
    kwargs = {"model": model, **change(X_eval, y_eval)}
    with pytest.raises(ExplanationValueError, match=message):
        DashboardData(explanation, **kwargs)


def test_true_y_as_a_column_vector_or_series_is_accepted(binary):
    model, explanation, X_eval, y_eval = binary
    column = DashboardData(explanation, model, X_eval, y_eval.reshape(-1, 1))
    series = DashboardData(explanation, model, X_eval, pd.Series(y_eval, index=np.arange(100, 180)))
    assert column.true_y.tolist() == series.true_y.tolist() == y_eval.tolist()


def test_array_dataset_takes_explanation_feature_names_or_given_ones(binary):
    model, explanation, X_eval, _ = binary
    data = DashboardData(explanation, model, X_eval.to_numpy())
    assert list(data.frame.columns) == list(explanation.features)
    np.testing.assert_allclose(data.proba, model.predict_proba(X_eval))
    renamed = DashboardData(explanation, None, X_eval.to_numpy(), features=explanation.features)
    assert list(renamed.frame.columns) == list(explanation.features)


def test_dataset_with_none_of_the_explanation_features_is_matched_by_position(binary):
    _, explanation, X_eval, _ = binary
    renamed = X_eval.set_axis([f"col{i}" for i in range(8)], axis=1)
    data = DashboardData(explanation, None, renamed)
    space = data.space_names[0]
    assert [data.column_for(space, j) for j in range(8)] == [f"col{i}" for i in range(8)]
    rows = np.array([0, 5, 7])
    np.testing.assert_array_equal(data.feature_values(space, 3, rows), renamed["col3"].to_numpy()[rows])


def test_dataset_with_some_of_the_explanation_features_is_refused(binary):
    model, explanation, X_eval, _ = binary
    renamed = X_eval.set_axis([*X_eval.columns[:6], "other", "another"], axis=1)
    with pytest.raises(ExplanationValueError, match="dataset lacks 2 of the explanation's features"):
        DashboardData(explanation, model, renamed)


# -- derived columns and predictions ----------------------------------------------------------


def test_classifier_columns_and_predictions_come_from_the_model(binary):
    model, explanation, X_eval, y_eval = binary
    data = DashboardData(explanation, model, X_eval, y_eval)
    assert data.n_rows == N_EVAL and data.task == "classification"
    assert data.classes == ("no", "yes") and data.prediction_source == "model"
    assert list(data.columns) == [*explanation.features, "index", "true_y", "predicted_y", "error",
                                  "probability"]
    assert set(DERIVED_COLUMNS) <= set(data.columns)
    assert data.columns["index"].tolist() == list(range(N_EVAL))
    assert data.columns["true_y"].tolist() == y_eval.tolist()
    predicted = model.predict(X_eval)
    assert data.columns["predicted_y"].tolist() == predicted.tolist()
    np.testing.assert_array_equal(data.proba, model.predict_proba(X_eval))
    np.testing.assert_array_equal(data.columns["probability"], model.predict_proba(X_eval)[:, 1])
    assert data.columns["error"].tolist() == (predicted != y_eval).astype(int).tolist()
    assert 0 < data.columns["error"].sum() < N_EVAL  # both right and wrong rows exist
    np.testing.assert_array_equal(data.columns["f3"], X_eval["f3"].to_numpy())
    assert data.value_label() == "predicted probability"


def test_dataset_index_is_reset_to_positions(binary):
    model, explanation, X_eval, y_eval = binary
    shifted = X_eval.set_axis(np.arange(500, 500 + N_EVAL))
    data = DashboardData(explanation, model, shifted, y_eval)
    assert data.frame.index.tolist() == list(range(N_EVAL))
    assert data.columns["predicted_y"].tolist() == model.predict(X_eval).tolist()


def test_multiclass_has_no_probability_column(multiclass):
    model, explanation, X_eval, y_eval = multiclass
    data = DashboardData(explanation, model, X_eval, y_eval)
    assert "probability" not in data.columns and data.proba.shape == (N_EVAL, 3)
    assert data.columns["predicted_y"].tolist() == model.predict(X_eval).tolist()
    assert data.columns["error"].tolist() == (model.predict(X_eval) != y_eval).astype(int).tolist()


def test_regression_error_is_prediction_minus_truth(regression):
    model, explanation, X_eval, y_eval = regression
    data = DashboardData(explanation, model, X_eval, y_eval)
    assert data.classes is None and data.proba is None
    assert "probability" not in data.columns
    np.testing.assert_allclose(data.columns["predicted_y"], model.predict(X_eval))
    np.testing.assert_allclose(data.columns["error"], model.predict(X_eval) - y_eval)
    assert data.value_label() == "predicted value"


def test_without_labels_there_is_no_error_column(binary):
    model, explanation, X_eval, _ = binary
    data = DashboardData(explanation, model, X_eval)
    assert "true_y" not in data.columns and "error" not in data.columns
    assert "predicted_y" in data.columns and data.true_y is None


def test_float_class_labels_keep_their_values(binary):
    _, _, X_eval, _ = binary
    y = (X_eval["f0"] > 0).to_numpy(dtype=np.float64)
    model = LGBMClassifier(n_estimators=10, n_jobs=1, verbose=-1, min_child_samples=5).fit(X_eval, y)
    explanation = TabularExplainer(model, X_eval.iloc[:40]).explain_global(X_eval)
    data = DashboardData(explanation, model, X_eval, y)
    predicted = model.predict(X_eval)
    assert data.columns["error"].tolist() == (predicted != y).astype(int).tolist()
    assert cohort_metrics(data.true_y, data.predicted_y, data.proba, data.task, data.classes)["accuracy"] == \
        pytest.approx(np.mean(predicted == y))


@pytest.fixture(scope="module")
def walkthrough():
    """interpret-community's walkthrough set-up: integer labels, class names in ``classes=``."""
    from sklearn.datasets import load_breast_cancer

    cancer = load_breast_cancer()
    X = pd.DataFrame(StandardScaler().fit_transform(cancer.data), columns=cancer.feature_names)
    order = np.random.default_rng(0).permutation(len(X))
    train, test = order[:400], order[400:500]
    model = LogisticRegression(max_iter=1000).fit(X.iloc[train], cancer.target[train])
    X_test, y_test = X.iloc[test].reset_index(drop=True), cancer.target[test]
    explainer = TabularExplainer(model, X.iloc[train[:50]], classes=cancer.target_names)
    explanation = explainer.explain_global(X_test)
    return model, explanation, X_test, y_test, cancer.target_names


@pytest.mark.parametrize("with_model", [True, False], ids=["model", "reconstructed"])
def test_integer_labels_with_class_names_show_the_models_performance(walkthrough, with_model):
    """Integer true labels are the model's own labels, named by position: metrics are the
    model's (they used to read 0 with no ROC AUC) and rows show the class names on both sides
    (they used to read "true: 0 · predicted: malignant")."""
    from sklearn import metrics

    model, explanation, X_test, y_test, names = walkthrough
    data = DashboardData(explanation, model if with_model else None, X_test, y_test)
    found = cohort_metrics(data.true_y, data.predicted_y, data.proba, data.task, data.classes)
    predicted = model.predict(X_test)
    assert found["accuracy"] > 0.9
    assert found["accuracy"] == pytest.approx(metrics.accuracy_score(y_test, predicted))
    assert found["F1"] == pytest.approx(metrics.f1_score(y_test, predicted))
    assert found["ROC AUC"] == pytest.approx(metrics.roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))
    assert data.true_y.tolist() == names[y_test].tolist()
    assert data.predicted_y.tolist() == names[predicted].tolist()
    assert data.columns["error"].tolist() == (predicted != y_test).astype(int).tolist()
    assert data.mask(Cohort("benign", "true_y == 'benign'")).sum() == (y_test == 1).sum()


def test_class_names_as_true_labels_match_too(walkthrough):
    model, explanation, X_test, y_test, names = walkthrough
    by_name = DashboardData(explanation, model, X_test, names[y_test])
    by_code = DashboardData(explanation, model, X_test, y_test)
    np.testing.assert_array_equal(by_name.true_codes, by_code.true_codes)
    assert by_name.true_y.tolist() == by_code.true_y.tolist()


def test_true_labels_from_polars_and_pyarrow(walkthrough):
    import polars as pl
    import pyarrow as pa

    model, explanation, X_test, y_test, names = walkthrough
    reference = DashboardData(explanation, model, X_test, y_test).true_y.tolist()
    for labels in (pl.Series(y_test), pa.array(names[y_test]), pa.chunked_array([y_test])):
        assert DashboardData(explanation, model, X_test, labels).true_y.tolist() == reference


def test_polars_and_pyarrow_datasets_keep_their_column_names(walkthrough):
    """They used to be read by position under the explanation's names."""
    import polars as pl
    import pyarrow as pa

    model, explanation, X_test, y_test, _ = walkthrough
    reference = DashboardData(explanation, model, X_test, y_test)
    for dataset in (pl.from_pandas(X_test), pa.Table.from_pandas(X_test, preserve_index=False)):
        data = DashboardData(explanation, model, dataset, y_test)
        np.testing.assert_array_equal(data.frame.to_numpy(), X_test.to_numpy())
        np.testing.assert_array_equal(data.proba, reference.proba)
    renamed = pl.from_pandas(X_test.rename(columns={X_test.columns[0]: "zz"}))
    with pytest.raises(ExplanationValueError, match=r"dataset lacks 1 of the explanation's features: 'mean"):
        DashboardData(explanation, model, renamed, y_test)


def test_true_labels_that_match_no_class_are_refused(walkthrough):
    model, explanation, X_test, y_test, _ = walkthrough
    with pytest.raises(ExplanationValueError,
                       match=r"ExplanationDashboard: true_y does not match the classes\. "
                             r"Labels found: 'no', 'yes'; .*classes: 'malignant', 'benign'"):
        DashboardData(explanation, model, X_test, np.where(y_test == 1, "yes", "no"))
    with pytest.raises(ExplanationValueError, match=r"true_y does not match the classes\. Labels found: 5, "):
        DashboardData(explanation, model, X_test, y_test + 5)


# -- predictions reconstructed from the explanation ------------------------------------------


@pytest.mark.parametrize("name", ["binary", "multiclass"])
def test_tree_explanation_reconstructs_the_model_probabilities(name, request):
    model, explanation, X_eval, y_eval = request.getfixturevalue(name)
    data = DashboardData(explanation, dataset=X_eval, true_y=y_eval)
    assert "explanation" in data.prediction_source
    np.testing.assert_allclose(data.proba, model.predict_proba(X_eval), atol=1e-6)
    assert data.predicted_y.tolist() == model.predict(X_eval).tolist()
    assert data.columns["error"].tolist() == (model.predict(X_eval) != y_eval).astype(int).tolist()


def test_linear_explanations_reconstruct_predictions_without_a_model(regression, pipeline):
    model, explanation, X_eval, _ = regression
    data = DashboardData(explanation)  # neither model nor dataset
    assert data.n_rows == N_EVAL and data.frame is None
    assert "expected value + sum of local importances" in data.prediction_source
    np.testing.assert_allclose(data.predicted_y, model.predict(X_eval), atol=1e-6)
    assert list(data.columns) == ["index", "predicted_y"]
    model, explanation, X_eval, _ = pipeline
    data = DashboardData(explanation, dataset=X_eval)
    np.testing.assert_allclose(data.proba, model.predict_proba(X_eval), atol=1e-6)
    assert data.predicted_y.tolist() == model.predict(X_eval).tolist()


def test_non_additive_or_global_explanations_give_no_predictions(binary):
    _, explanation, X_eval, y_eval = binary
    rng = np.random.default_rng(0)
    surrogate = Explanation.from_local(rng.normal(size=(2, N_EVAL, 8)), np.zeros(2), method="mimic.lightgbm",
                                       model_task="classification", features=explanation.features,
                                       classes=("no", "yes"), output_space="log_odds")
    data = DashboardData(surrogate, dataset=X_eval, true_y=y_eval)
    assert data.predicted_y is None and data.proba is None and data.prediction_source is None
    assert "predicted_y" not in data.columns and "error" not in data.columns
    global_only = Explanation(method="shap.tree", model_task="classification", features=explanation.features,
                              global_values=explanation.global_values)
    assert DashboardData(global_only, dataset=X_eval).prediction_source is None


# -- importance ------------------------------------------------------------------------------


def test_importance_of_all_data_is_the_explanations_own(binary):
    model, explanation, X_eval, y_eval = binary
    data = DashboardData(explanation, model, X_eval, y_eval)
    np.testing.assert_array_equal(data.importance("engineered", ALL, None), explanation.global_values)
    for k in range(2):
        np.testing.assert_array_equal(data.importance("engineered", ALL, k), explanation.per_class_values[k])
    # a filter that keeps every row is the whole data set too
    np.testing.assert_array_equal(data.importance("engineered", Cohort("all", "index >= 0"), None),
                                  explanation.global_values)


def test_importance_of_a_cohort_is_mean_absolute_local_value_of_its_rows(multiclass):
    model, explanation, X_eval, y_eval = multiclass
    data = DashboardData(explanation, model, X_eval, y_eval)
    cohort = Cohort("high f0", "f0 > 0.3 and true_y != c")
    rows = np.flatnonzero((X_eval["f0"] > 0.3).to_numpy() & (y_eval != "c"))
    assert 0 < rows.size < N_EVAL
    local = explanation.local_values
    per_class = [np.abs(local[k, rows, :]).mean(axis=0) for k in range(3)]
    np.testing.assert_allclose(data.importance("engineered", cohort, None), np.mean(per_class, axis=0))
    for k in range(3):
        np.testing.assert_allclose(data.importance("engineered", cohort, k), per_class[k])
    assert not np.allclose(data.importance("engineered", cohort, None), explanation.global_values)
    empty = data.importance("engineered", Cohort("none", "f0 > 100"), None)
    np.testing.assert_array_equal(empty, np.zeros(8))


def test_importance_of_a_cohort_of_a_global_only_explanation_is_none(binary):
    model, _, X_eval, y_eval = binary
    explanation = TabularExplainer(model, X_eval.iloc[:40]).explain_global(X_eval, include_local=False)
    assert explanation.local_values is None
    data = DashboardData(explanation, model, X_eval, y_eval)
    assert not data.has_local and data.n_rows == N_EVAL
    assert data.importance("engineered", Cohort("young", "f0 < 0"), None) is None
    np.testing.assert_array_equal(data.importance("engineered", ALL, None), explanation.global_values)
    np.testing.assert_array_equal(data.importance("engineered", ALL, 1), explanation.per_class_values[1])


def test_importance_in_both_spaces_of_a_pipeline(pipeline):
    model, explanation, X_eval, y_eval = pipeline
    data = DashboardData(explanation, model, X_eval, y_eval)
    assert data.space_names == ["raw", "engineered"]
    cohort = Cohort("rome", "city == rome")
    rows = np.flatnonzero(X_eval["city"].to_numpy() == "rome")
    for space, expl in (("raw", explanation), ("engineered", explanation.engineered_explanation)):
        expected = np.mean([np.abs(expl.local_values[k, rows]).mean(axis=0) for k in range(2)], axis=0)
        np.testing.assert_allclose(data.importance(space, cohort, None), expected)
        np.testing.assert_array_equal(data.importance(space, ALL, None), expl.global_values)


def test_mask_uses_dataset_and_derived_columns(binary):
    model, explanation, X_eval, y_eval = binary
    data = DashboardData(explanation, model, X_eval, y_eval)
    mask = data.mask(Cohort("wrong and sure", "error == 1 or probability > 0.9"))
    proba = model.predict_proba(X_eval)[:, 1]
    assert mask.tolist() == ((model.predict(X_eval) != y_eval) | (proba > 0.9)).tolist()
    assert data.mask(Cohort("a", "predicted_y == yes and index < 10")).tolist() == \
        ((model.predict(X_eval) == "yes") & (np.arange(N_EVAL) < 10)).tolist()


# -- sampling and feature values --------------------------------------------------------------


def test_sample_is_sorted_without_replacement_and_bounded(binary):
    model, explanation, X_eval, _ = binary
    data = DashboardData(explanation, model, X_eval)
    mask = np.zeros(N_EVAL, dtype=bool)
    mask[::2] = True
    rows = data.sample(mask, 15)
    assert rows.size == 15 and np.all(np.diff(rows) > 0) and mask[rows].all()
    assert data.sample(mask, 15).tolist() == rows.tolist()  # seeded
    assert data.sample(mask, 15, random_state=1).tolist() != rows.tolist()
    assert data.sample(mask, 40).tolist() == np.flatnonzero(mask).tolist()
    assert data.sample(mask, 1000).tolist() == np.flatnonzero(mask).tolist()
    assert data.sample(np.zeros(N_EVAL, dtype=bool), 5).size == 0


def test_feature_values_in_raw_and_engineered_space_of_a_pipeline(pipeline):
    model, explanation, X_eval, _ = pipeline
    data = DashboardData(explanation, model, X_eval)
    rows = np.array([0, 4, 9, 31, 59])
    assert data.feature_values("raw", 2, rows).tolist() == X_eval["city"].to_numpy()[rows].tolist()
    np.testing.assert_array_equal(data.feature_values("raw", 0, rows), X_eval["age"].to_numpy()[rows])
    engineered = model[:-1].transform(X_eval.iloc[rows])
    engineered = engineered.toarray() if hasattr(engineered, "toarray") else engineered
    names = explanation.engineered_explanation.features
    assert engineered.shape[1] == len(names) == 5
    for j in range(len(names)):
        np.testing.assert_allclose(data.feature_values("engineered", j, rows), engineered[:, j])
    assert set(data.feature_values("engineered", names.index("cat__city_rome"), rows)) <= {0.0, 1.0}


def test_feature_values_unknown_without_a_dataset_or_pipeline(pipeline, binary):
    model, explanation, X_eval, _ = pipeline
    assert DashboardData(explanation, dataset=None).feature_values("raw", 0, np.arange(3)) is None
    no_model = DashboardData(explanation, dataset=X_eval)
    assert no_model.feature_values("engineered", 0, np.arange(3)) is None
    np.testing.assert_array_equal(no_model.feature_values("raw", 1, np.arange(3)),
                                  X_eval["income"].to_numpy()[:3])
    model, explanation, X_eval, _ = binary
    data = DashboardData(explanation, model, X_eval)
    assert data.space_names == ["engineered"]
    np.testing.assert_array_equal(data.feature_values("engineered", 5, np.array([1, 2])),
                                  X_eval["f5"].to_numpy()[[1, 2]])

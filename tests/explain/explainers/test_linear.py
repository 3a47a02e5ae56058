"""Tests of LinearExplainer: ground truth, the closed form, additivity, inputs and errors."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from lightgbm import LGBMClassifier
from sklearn.base import is_regressor
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.svm import SVC, LinearSVC

from explain import ExplanationTypeError, LinearExplainer, TabularExplainer
from explain.explainers import has_native_margin
from tests._synthetic import INFORMATIVE, assert_informative_first, make_ground_truth

TASKS = ("regression", "binary", "multiclass")


def _estimator(kind: str) -> Any:
    return {
        "ridge": Ridge(alpha=1.0),
        "logistic": LogisticRegression(max_iter=500),
        "sgd": SGDClassifier(random_state=0),
        "linear_svc": LinearSVC(random_state=0),
        "discriminant": LinearDiscriminantAnalysis(),
        "shrunk_discriminant": LinearDiscriminantAnalysis(solver="lsqr", shrinkage=0.1),
    }[kind]


@functools.cache
def _fitted(kind: str, task: str) -> tuple[Any, pd.DataFrame]:
    X, y = make_ground_truth(task)
    return _estimator(kind).fit(X, y), X


def _default_kind(task: str) -> str:
    return "ridge" if task == "regression" else "logistic"


def _documented_output(model: Any, X: Any) -> np.ndarray:
    """``predict`` of regressors, ``decision_function`` of classifiers: (n_outputs, n_rows)."""
    output = model.predict(X) if is_regressor(model) else model.decision_function(X)
    return np.asarray(output, dtype=np.float64).reshape(X.shape[0], -1).T


def _assert_additive(explanation: Any, output: np.ndarray, tolerance: float = 1e-6) -> None:
    local = explanation.local_values
    expected = np.asarray(explanation.expected_values_)
    if local.shape[0] == 2 and output.shape[0] == 1:
        # binary: one decision function shown as two classes, values [-v, v], expected [-e, e]
        np.testing.assert_array_equal(local[0], -local[1])
        np.testing.assert_array_equal(expected[0], -expected[1])
        local, expected = local[1:], expected[1:]
    residual = local.sum(axis=2) + expected[:, None] - output
    assert np.max(np.abs(residual)) < tolerance
    assert explanation.fidelity.additivity_error < tolerance
    assert explanation.fidelity.exact is True


# ---------------------------------------------------------------------- ground truth


@pytest.mark.parametrize("task", TASKS)
def test_ground_truth_features_rank_first(task: str) -> None:
    model, X = _fitted(_default_kind(task), task)
    explanation = LinearExplainer(model, X).explain_global(X.iloc[:200])
    assert explanation.method == "shap.linear"
    assert_informative_first(explanation.get_ranked_global_names())


# ---------------------------------------------------------------------- additivity

ADDITIVITY_CASES = [
    ("ridge", "regression", "raw"),
    ("logistic", "binary", "log_odds"),
    ("logistic", "multiclass", "log_odds"),
    ("sgd", "binary", "margin"),
    ("sgd", "multiclass", "margin"),
    ("linear_svc", "binary", "margin"),
    ("linear_svc", "multiclass", "margin"),
]


@pytest.mark.parametrize(("kind", "task", "space"), ADDITIVITY_CASES)
def test_local_values_add_up_to_decision_function(kind: str, task: str, space: str) -> None:
    model, X = _fitted(kind, task)
    rows = X.iloc[300:400]
    explanation = LinearExplainer(model, X.iloc[:300]).explain_local(rows)
    assert explanation.output_space == space
    _assert_additive(explanation, _documented_output(model, rows))


@pytest.mark.parametrize("task", TASKS)
def test_values_are_the_closed_form_of_independent_features(task: str) -> None:
    model, X = _fitted(_default_kind(task), task)
    background, rows = X.iloc[:50].to_numpy(), X.iloc[100:120].to_numpy()
    explanation = LinearExplainer(model, X.iloc[:50]).explain_local(X.iloc[100:120])
    coef = np.atleast_2d(model.coef_)
    mean = background.mean(axis=0)
    values = coef[:, None, :] * (rows - mean)[None]
    expected = coef @ mean + np.atleast_1d(model.intercept_)
    if task == "binary":
        values, expected = np.concatenate([-values, values]), np.concatenate([-expected, expected])
    np.testing.assert_allclose(explanation.local_values, values, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(explanation.expected_values_, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("task", TASKS)
def test_values_match_shap_linear_explainer(task: str) -> None:
    import shap

    model, X = _fitted(_default_kind(task), task)
    background, rows = X.iloc[:50], X.iloc[100:130]
    reference = shap.LinearExplainer(model, background)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = np.asarray(reference.shap_values(rows), dtype=np.float64)
    raw = raw[None] if raw.ndim == 2 else raw.transpose(2, 0, 1)
    explanation = LinearExplainer(model, background).explain_local(rows)
    k = raw.shape[0]  # shap gives the positive class only for binary models
    np.testing.assert_allclose(explanation.local_values[-k:], raw, rtol=0, atol=1e-10)
    np.testing.assert_allclose(explanation.expected_values_[-k:],
                               np.atleast_1d(reference.expected_value), rtol=0, atol=1e-10)


# ---------------------------------------------------------------------- shapes and classes


def test_binary_logistic_regression_has_two_string_classes() -> None:
    model, X = _fitted("logistic", "binary")
    explanation = LinearExplainer(model, X).explain_local(X.iloc[:12])
    assert explanation.classes == ("no", "yes")
    assert explanation.local_values.shape == (2, 12, 8)
    assert explanation.per_class_values_.shape == (2, 8)
    expected = explanation.expected_values
    assert isinstance(expected, list) and expected[0] == -expected[1]


def test_regression_shapes() -> None:
    model, X = _fitted("ridge", "regression")
    explanation = LinearExplainer(model, X).explain_local(X.iloc[:12])
    assert np.shape(explanation.local_importance_values) == (12, 8)
    assert isinstance(explanation.expected_values, list) and len(explanation.expected_values) == 1
    assert explanation.classes is None and explanation.per_class_values is None
    assert len(explanation.get_ranked_global_names(top_k=3)) == 3
    assert np.shape(explanation.get_ranked_local_names(top_k=3)) == (12, 3)


def test_classes_argument_overrides_model_classes() -> None:
    model, X = _fitted("logistic", "multiclass")
    explanation = LinearExplainer(model, X, classes=["x", "y", "z"]).explain_local(X.iloc[:3])
    assert explanation.classes == ("x", "y", "z")


# ---------------------------------------------------------------------- inputs


@pytest.mark.parametrize("task", TASKS)
def test_sparse_csr_input_matches_dense(task: str) -> None:
    X, y = make_ground_truth(task, n_rows=300)
    dense = np.where(np.abs(X.to_numpy()) < 0.7, 0.0, X.to_numpy())
    model = _estimator(_default_kind(task)).fit(dense, y)
    sparse = sp.csr_matrix(dense)
    from_sparse = LinearExplainer(model, sparse).explain_local(sparse[:40])
    from_dense = LinearExplainer(model, dense).explain_local(dense[:40])
    np.testing.assert_allclose(from_sparse.local_values, from_dense.local_values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(from_sparse.expected_values_, from_dense.expected_values_,
                               rtol=0, atol=1e-12)
    assert from_sparse.features == tuple(f"x{i}" for i in range(8))
    _assert_additive(from_sparse, _documented_output(model, dense[:40]))


def test_dataframe_columns_become_features_and_are_aligned_by_name() -> None:
    X, y = make_ground_truth("multiclass", n_rows=300)
    model = LogisticRegression(max_iter=500).fit(X.to_numpy(), y)  # the model knows no names
    explainer = LinearExplainer(model, X)
    ordered = explainer.explain_local(X.iloc[:10])
    shuffled = explainer.explain_local(X.iloc[:10, ::-1])
    assert ordered.features == tuple(X.columns)
    np.testing.assert_array_equal(shuffled.local_values, ordered.local_values)


@pytest.mark.filterwarnings("error::UserWarning")
def test_numpy_rows_for_a_frame_fitted_model_raise_no_feature_name_warning() -> None:
    model, X = _fitted("logistic", "binary")
    explainer = LinearExplainer(model, X)
    from_numpy = explainer.explain_local(X.to_numpy()[:10])
    np.testing.assert_array_equal(from_numpy.local_values, explainer.explain_local(X.iloc[:10]).local_values)


@pytest.mark.filterwarnings("error::UserWarning")
def test_sparse_rows_for_a_frame_fitted_model_raise_no_feature_name_warning() -> None:
    model, X = _fitted("logistic", "binary")
    sparse = sp.csr_matrix(X.to_numpy())
    explanation = LinearExplainer(model, sparse).explain_local(sparse[:5])
    np.testing.assert_allclose(explanation.local_values,
                               LinearExplainer(model, X).explain_local(X.iloc[:5]).local_values,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("subset", [["f1", "f6"], [1, 6]], ids=["names", "indices"])
def test_explain_subset_reports_only_those_features(subset: list[Any]) -> None:
    model, X = _fitted("logistic", "multiclass")
    full = LinearExplainer(model, X).explain_local(X.iloc[:10])
    part = LinearExplainer(model, X, explain_subset=subset).explain_local(X.iloc[:10])
    assert part.features == ("f1", "f6")
    assert part.local_values.shape == (3, 10, 2)
    np.testing.assert_array_equal(part.local_values, full.local_values[:, :, [1, 6]])
    assert part.fidelity.additivity_error < 1e-6
    assert part.get_ranked_global_names()[0] in INFORMATIVE


# ---------------------------------------------------------------------- LinearSVC (no predict_proba)


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_linear_svc_is_explained_in_margin_space(task: str) -> None:
    model, X = _fitted("linear_svc", task)
    assert not hasattr(model, "predict_proba")
    explainer = TabularExplainer(model, X)
    explanation = explainer.explain_local(X.iloc[:30])
    assert explainer.method == explanation.method == "shap.linear"
    assert explanation.model_task == "classification"
    assert explanation.classes == tuple(model.classes_.tolist())
    assert explanation.output_space == "margin"
    _assert_additive(explanation, _documented_output(model, X.iloc[:30]))
    assert_informative_first(explainer.explain_global(X.iloc[:200]).get_ranked_global_names())


def test_linear_svc_with_explicit_classification_task_is_accepted() -> None:
    model, X = _fitted("linear_svc", "binary")
    # LinearExplainer explains the decision function, so no predict_proba is needed
    explanation = LinearExplainer(model, X, model_task="classification").explain_local(X.iloc[:5])
    assert explanation.classes == ("no", "yes")
    assert explanation.output_space == "margin"


# ---------------------------------------------------------------------- linear discriminant analysis


@pytest.mark.parametrize("kind", ["discriminant", "shrunk_discriminant"])
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_linear_discriminant_analysis_is_explained_in_log_odds(kind: str, task: str) -> None:
    model, X = _fitted(kind, task)
    explainer = TabularExplainer(model, X)
    explanation = explainer.explain_local(X.iloc[:30])
    assert explainer.method == "shap.linear"
    # its probabilities are the softmax (two classes: the logistic) of its decision function
    assert explanation.output_space == "log_odds"
    assert has_native_margin(model, X.iloc[:50])
    _assert_additive(explanation, _documented_output(model, X.iloc[:30]))
    assert_informative_first(explainer.explain_global(X.iloc[:200]).get_ranked_global_names())


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize("model_kind", ["lightgbm", "random_forest", "svc"])
def test_non_linear_model_is_refused_with_type_error(model_kind: str) -> None:
    X, y = make_ground_truth("binary", n_rows=100)
    model = {
        "lightgbm": lambda: LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1).fit(X, y),
        "random_forest": lambda: RandomForestRegressor(n_estimators=3, n_jobs=1).fit(X, X["f0"]),
        "svc": lambda: SVC().fit(X, y),
    }[model_kind]()
    with pytest.raises(ExplanationTypeError, match=f"LinearExplainer: {type(model).__name__} is not"):
        LinearExplainer(model, X)


def test_unfitted_linear_model_is_refused() -> None:
    X, _ = make_ground_truth("regression", n_rows=20)
    with pytest.raises(TypeError, match="is not a fitted scikit-learn linear model"):
        LinearExplainer(Ridge(), X)


@pytest.mark.parametrize("where", ["evaluation", "initialization"])
def test_nan_is_refused_for_logistic_regression(where: str) -> None:
    model, X = _fitted("logistic", "binary")
    with_nan = X.iloc[:20].copy()
    with_nan.iloc[3, 4] = np.nan
    with pytest.raises(ValueError, match=r"contains NaN in 'f4'.*does not accept missing values"):
        if where == "evaluation":
            LinearExplainer(model, X).explain_local(with_nan)
        else:
            LinearExplainer(model, with_nan)


def test_initialization_examples_are_required() -> None:
    model, _ = _fitted("ridge", "regression")
    with pytest.raises(ValueError, match="initialization_examples is required"):
        LinearExplainer(model, None)


def test_classes_of_wrong_length_are_refused() -> None:
    model, X = _fitted("logistic", "multiclass")
    with pytest.raises(ValueError, match=r"classes has 2 labels but the model has 3 classes"):
        LinearExplainer(model, X, classes=["a", "b"])


def test_classes_for_a_regressor_are_refused() -> None:
    model, X = _fitted("ridge", "regression")
    with pytest.raises(ValueError, match="classes given for a regression model"):
        LinearExplainer(model, X, classes=["a", "b"])


def test_unknown_model_task_is_refused() -> None:
    model, X = _fitted("ridge", "regression")
    with pytest.raises(ValueError, match="model_task must be one of"):
        LinearExplainer(model, X, model_task="forecasting")


def test_one_vs_rest_of_linear_models_is_explained_per_class_margin() -> None:
    """LogisticRegression(solver="liblinear") fitted one-vs-rest on more than two classes before
    scikit-learn 1.8; OneVsRestClassifier is that model now."""
    from sklearn.multiclass import OneVsRestClassifier

    X, y = make_ground_truth("multiclass", n_rows=150)
    model = OneVsRestClassifier(LogisticRegression(solver="liblinear")).fit(X, y)
    explainer = LinearExplainer(model, X)
    explanation = explainer.explain_local(X.iloc[:20])
    assert explanation.output_space == "margin" and explanation.local_values.shape[0] == len(model.classes_)
    margins = model.decision_function(X.iloc[:20]).T
    np.testing.assert_allclose(explanation.local_values.sum(axis=2) + explanation.expected_values_[:, None],
                               margins, atol=1e-9)
    assert TabularExplainer(model, X).explainer.method == "shap.linear"

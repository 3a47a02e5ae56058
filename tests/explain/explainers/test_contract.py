"""The contract every SHAP explainer keeps, run once per (explainer, model, task).

Each case fits a small model on the ground-truth data, explains a few rows and checks the
result type, shapes and names, additivity in the documented output space, the aggregation of
local values into global ones, global-only batching, column alignment and the save/load round
trip. Then the data-validation errors are checked once per explainer.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from xgboost import XGBClassifier

from explain import (
    Explanation,
    Fidelity,
    KernelExplainer,
    LinearExplainer,
    TabularExplainer,
    TreeExplainer,
    load_explanation,
    save_explanation,
)
from tests._synthetic import make_ground_truth

Output = Callable[[Any, pd.DataFrame], Any]


@dataclasses.dataclass(frozen=True)
class Case:
    """One explainer on one small model.

    ``make`` builds the explainer from the fitted model and the initialization rows;
    ``output`` is the model output the local values must add up to, in ``output_space``.
    """

    name: str
    make: Callable[[Any, pd.DataFrame], Any]
    build: Callable[[], Any]
    task: str
    output: Output
    method: str
    output_space: str
    atol: float = 1e-6


def _raw_score(model: Any, X: pd.DataFrame) -> Any:
    return model.predict(X, raw_score=True)


def _margin(model: Any, X: pd.DataFrame) -> Any:
    return model.predict(X, output_margin=True)


def _decision(model: Any, X: pd.DataFrame) -> Any:
    return model.decision_function(X)


def _proba(model: Any, X: pd.DataFrame) -> Any:
    return model.predict_proba(X)


def _predict(model: Any, X: pd.DataFrame) -> Any:
    return model.predict(X)


def _predict_numpy(model: Any, X: pd.DataFrame) -> Any:
    return model.predict(X.to_numpy())


def _function_explainer(model: Any, init: pd.DataFrame) -> TabularExplainer:
    return TabularExplainer(model.predict, init, is_function=True, model_task="regression")


CASES = [
    Case("tree-lightgbm-binary", TreeExplainer,
         lambda: LGBMClassifier(n_estimators=20, verbose=-1, n_jobs=1), "binary", _raw_score,
         "shap.tree", "log_odds"),
    Case("tree-random_forest-regression", TreeExplainer,
         lambda: RandomForestRegressor(n_estimators=10, max_depth=5, n_jobs=1, random_state=0),
         "regression", _predict, "shap.tree", "raw"),
    Case("tree-random_forest-multiclass", TreeExplainer,
         lambda: RandomForestClassifier(n_estimators=10, max_depth=5, n_jobs=1, random_state=0),
         "multiclass", _proba, "shap.tree", "probability"),
    # XGBoost computes in float32: additivity holds to ~1e-6 relative, not 1e-6 absolute
    Case("tree-xgboost-multiclass", TreeExplainer,
         lambda: XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1), "multiclass", _margin,
         "shap.tree", "log_odds", atol=1e-5),
    Case("linear-logistic-binary", LinearExplainer, lambda: LogisticRegression(), "binary", _decision,
         "shap.linear", "log_odds"),
    Case("linear-logistic-multiclass", LinearExplainer, lambda: LogisticRegression(), "multiclass",
         _decision, "shap.linear", "log_odds"),
    Case("linear-ridge-regression", LinearExplainer, lambda: Ridge(), "regression", _predict,
         "shap.linear", "raw"),
    Case("kernel-mlp-binary", KernelExplainer,
         lambda: MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0), "binary", _proba,
         "shap.kernel", "probability"),
    Case("kernel-mlp-regression", KernelExplainer,
         lambda: MLPRegressor(hidden_layer_sizes=(8,), max_iter=300, random_state=0), "regression",
         _predict, "shap.kernel", "raw"),
    Case("kernel-knn-multiclass", KernelExplainer, lambda: KNeighborsClassifier(n_neighbors=10),
         "multiclass", _proba, "shap.kernel", "probability"),
    Case("tabular-lightgbm-regression", TabularExplainer,
         lambda: LGBMRegressor(n_estimators=20, verbose=-1, n_jobs=1), "regression", _predict,
         "shap.tree", "raw"),
    Case("tabular-linear_svc-binary", TabularExplainer, lambda: LinearSVC(), "binary", _decision,
         "shap.linear", "margin"),
    Case("tabular-black_box_pipeline-multiclass", TabularExplainer,
         lambda: make_pipeline(PCA(n_components=8, random_state=0), LogisticRegression()), "multiclass",
         _proba, "shap.kernel", "probability"),
    Case("tabular-scaled_logistic_pipeline-binary", TabularExplainer,
         lambda: make_pipeline(StandardScaler(), LogisticRegression()), "binary", _decision,
         "shap.linear", "log_odds"),
    Case("tabular-function-regression", _function_explainer, lambda: Ridge(), "regression",
         _predict_numpy, "shap.kernel", "raw"),
]


@dataclasses.dataclass(frozen=True)
class Fitted:
    """A case with its fitted model, its explainer and the explanation of ``rows``."""

    case: Case
    model: Any
    X: pd.DataFrame
    rows: pd.DataFrame
    explainer: Any
    explanation: Explanation


def _fit(case: Case) -> tuple[Any, pd.DataFrame]:
    X, y = make_ground_truth(case.task, n_rows=200)
    model = case.build()
    if isinstance(model, XGBClassifier):
        y = np.unique(y, return_inverse=True)[1]  # XGBoost takes labels 0..k-1 only
    data = X.to_numpy() if case.make is _function_explainer else X  # functions get numpy rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(data, y), X


@functools.cache
def _fitted(name: str) -> Fitted:
    case = next(c for c in CASES if c.name == name)
    model, X = _fit(case)
    explainer = case.make(model, X.iloc[:12])  # few rows: Kernel SHAP uses them as they are
    rows = X.iloc[100:112]  # not a multiple of the batch size 7 used below
    return Fitted(case, model, X, rows, explainer, explainer.explain_local(rows))


@pytest.fixture(params=[case.name for case in CASES])
def fitted(request: pytest.FixtureRequest) -> Fitted:
    return _fitted(request.param)


def _n_outputs(fitted: Fitted) -> int:
    return {"regression": 1, "binary": 2, "multiclass": 3}[fitted.case.task]


# ---------------------------------------------------------------------- the contract


def test_result_is_an_explanation_of_the_method_and_task(fitted: Fitted) -> None:
    explanation = fitted.explanation
    assert isinstance(explanation, Explanation)
    assert explanation.method == fitted.case.method
    assert explanation.model_task == ("regression" if fitted.case.task == "regression" else "classification")
    assert explanation.output_space == fitted.case.output_space
    assert explanation.num_examples == len(fitted.rows)
    assert isinstance(explanation.fidelity, Fidelity)


def test_shapes_and_feature_names(fitted: Fitted) -> None:
    explanation, n_rows, k = fitted.explanation, len(fitted.rows), _n_outputs(fitted)
    assert explanation.features == tuple(fitted.X.columns)
    assert explanation.global_values.shape == (8,) and len(explanation.global_importance_values) == 8
    assert explanation.local_values.shape == (k, n_rows, 8)
    if fitted.case.task == "regression":
        assert np.shape(explanation.local_importance_values) == (n_rows, 8)
        assert isinstance(explanation.expected_values, list) and len(explanation.expected_values) == 1
        assert explanation.classes is None and explanation.per_class_values is None
    else:
        assert np.shape(explanation.local_importance_values) == (k, n_rows, 8)
        assert isinstance(explanation.expected_values, list) and len(explanation.expected_values) == k
        assert len(explanation.classes) == k
        assert explanation.per_class_values_.shape == (k, 8) and len(explanation.per_class_values) == k
    assert sorted(explanation.get_ranked_global_names()) == sorted(fitted.X.columns)
    assert len(explanation.get_ranked_global_names(top_k=3)) == 3


def test_local_values_add_up_to_model_output(fitted: Fitted) -> None:
    explanation, n_rows = fitted.explanation, len(fitted.rows)
    output = np.asarray(fitted.case.output(fitted.model, fitted.rows), dtype=np.float64)
    output = output.reshape(n_rows, -1).T
    local, expected = explanation.local_values, np.asarray(explanation.expected_values_)
    if local.shape[0] == 2 and output.shape[0] == 1:  # one margin shown as classes [-v, v]
        np.testing.assert_array_equal(local[0], -local[1])
        np.testing.assert_array_equal(expected[0], -expected[1])
        local, expected = local[1:], expected[1:]
    assert local.shape[0] == output.shape[0]
    residual = local.sum(axis=2) + expected[:, None] - output
    assert np.max(np.abs(residual)) < fitted.case.atol
    assert explanation.fidelity.additivity_error < fitted.case.atol


def test_global_is_mean_over_classes_of_mean_absolute_local(fitted: Fitted) -> None:
    explanation = fitted.explanation
    per_class = np.abs(explanation.local_values).mean(axis=1)
    np.testing.assert_allclose(explanation.global_values, per_class.mean(axis=0), rtol=1e-12, atol=0)
    if explanation.is_classification:
        np.testing.assert_allclose(explanation.per_class_values, per_class, rtol=1e-12, atol=0)


def test_explain_global_keeps_the_same_local_values(fitted: Fitted) -> None:
    explanation = fitted.explainer.explain_global(fitted.rows)
    np.testing.assert_allclose(explanation.local_values, fitted.explanation.local_values,
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(explanation.global_values, fitted.explanation.global_values,
                               rtol=0, atol=1e-12)


def test_global_only_in_batches_matches_the_full_explanation(fitted: Fitted) -> None:
    full = fitted.explainer.explain_global(fitted.rows, include_local=True)
    batched = fitted.explainer.explain_global(fitted.rows, include_local=False, batch_size=7)
    assert batched.local_values is None
    assert batched.num_examples == len(fitted.rows)
    np.testing.assert_allclose(batched.global_values, full.global_values, rtol=0, atol=1e-10)
    if full.is_classification:
        np.testing.assert_allclose(batched.per_class_values, full.per_class_values, rtol=0, atol=1e-10)
    np.testing.assert_allclose(batched.expected_values_, full.expected_values_, rtol=0, atol=1e-10)
    assert batched.fidelity.additivity_error < fitted.case.atol
    with pytest.raises(ValueError, match="this explanation is global only"):
        batched.get_ranked_local_names()
    with pytest.raises(ValueError, match="this explanation is global only"):
        _ = batched.local_importance_values


def test_reordered_dataframe_columns_are_aligned_by_name(fitted: Fitted) -> None:
    shuffled = fitted.explainer.explain_local(fitted.rows[list(reversed(fitted.X.columns))])
    assert shuffled.features == fitted.explanation.features
    np.testing.assert_allclose(shuffled.local_values, fitted.explanation.local_values, rtol=0, atol=1e-12)


def _assert_same_data(loaded: Any, original: Any, where: str) -> None:
    """The rows and predictions kept: numbers as float64 arrays (a DataFrame by its values)."""
    assert (loaded is None) == (original is None), where
    if original is None:
        return
    for name in ("init_data", "eval_data", "eval_y_predicted", "eval_y_predicted_proba"):
        left, right = getattr(loaded, name), getattr(original, name)
        assert (left is None) == (right is None), f"{where}.{name}"
        if right is not None:
            np.testing.assert_array_equal(np.asarray(left), np.asarray(right), err_msg=f"{where}.{name}")


def _assert_same(loaded: Any, original: Any, where: str) -> None:
    if isinstance(original, np.ndarray) or isinstance(loaded, np.ndarray):
        assert loaded is not None and original is not None, where
        assert loaded.dtype == original.dtype, where
        np.testing.assert_array_equal(loaded, original, err_msg=where)
    elif isinstance(original, Explanation):
        assert isinstance(loaded, Explanation), where
        for field in dataclasses.fields(original):
            if field.name == "datasets":
                _assert_same_data(loaded.datasets, original.datasets, f"{where}.datasets")
                continue
            _assert_same(getattr(loaded, field.name), getattr(original, field.name), f"{where}.{field.name}")
    elif isinstance(original, Fidelity):
        assert loaded.scalars() == original.scalars(), where
        assert sorted(loaded.arrays()) == sorted(original.arrays()), where
        for name, array in original.arrays().items():
            _assert_same(loaded.arrays()[name], array, f"{where}.{name}")
    elif hasattr(original, "to_dict"):  # a FeatureMap
        assert loaded.to_dict() == original.to_dict(), where
    else:
        assert loaded == original, where
        assert type(loaded) is type(original), where


def test_save_load_round_trip_is_exact(fitted: Fitted, tmp_path: Path) -> None:
    path = save_explanation(fitted.explanation, tmp_path / "explanation.npz")
    loaded = load_explanation(path)
    _assert_same(loaded, fitted.explanation, "explanation")
    assert loaded.expected_values == fitted.explanation.expected_values
    assert loaded.get_ranked_global_names() == fitted.explanation.get_ranked_global_names()
    global_only = fitted.explainer.explain_global(fitted.rows, include_local=False)
    _assert_same(load_explanation(save_explanation(global_only, tmp_path / "global.npz")), global_only,
                 "global_only")


# ---------------------------------------------------------------------- validation errors

ERROR_KINDS = ["tree", "linear", "kernel", "tabular"]


@functools.cache
def _error_model(kind: str) -> tuple[Any, pd.DataFrame]:
    X, y = make_ground_truth("binary", n_rows=100)
    model = {
        "tree": lambda: LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1),
        "linear": LogisticRegression,
        "kernel": lambda: KNeighborsClassifier(n_neighbors=5),
        "tabular": lambda: RandomForestClassifier(n_estimators=3, n_jobs=1, random_state=0),
    }[kind]()
    return model.fit(X, y), X


def _make(kind: str, **kwargs: Any) -> Any:
    model, X = _error_model(kind)
    factory = {"tree": TreeExplainer, "linear": LinearExplainer, "kernel": KernelExplainer,
               "tabular": TabularExplainer}[kind]
    return factory(model, X.iloc[:20], **kwargs)


@pytest.mark.parametrize("kind", ERROR_KINDS)
def test_wrong_number_of_columns_is_refused(kind: str) -> None:
    _, X = _error_model(kind)
    with pytest.raises(ValueError, match="evaluation_examples has 7 columns but the explainer was set up "
                                         "with 8 features"):
        _make(kind).explain_local(X.to_numpy()[:3, :7])


@pytest.mark.parametrize("kind", ERROR_KINDS)
def test_unknown_and_missing_columns_are_named(kind: str) -> None:
    _, X = _error_model(kind)
    renamed = X.iloc[:3].rename(columns={"f3": "zz", "f5": "yy"})
    with pytest.raises(ValueError, match="missing: 'f3', 'f5'; unknown: 'zz', 'yy'"):
        _make(kind).explain_local(renamed)


@pytest.mark.parametrize("kind", ERROR_KINDS)
def test_features_of_the_wrong_length_are_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="features has 3 names but the data has 8 columns"):
        _make(kind, features=["a", "b", "c"])


@pytest.mark.parametrize("kind", ERROR_KINDS)
@pytest.mark.parametrize("where", ["evaluation", "initialization"])
def test_infinite_values_are_refused(kind: str, where: str) -> None:
    model, X = _error_model(kind)
    rows = X.iloc[:5].copy()
    rows.iloc[2, 4] = -np.inf
    with pytest.raises(ValueError, match="contains infinite values in 'f4'"):
        if where == "evaluation":
            _make(kind).explain_local(rows)
        else:
            type(_make(kind))(model, rows)


@pytest.mark.parametrize("kind", ERROR_KINDS)
def test_empty_frame_is_refused(kind: str) -> None:
    _, X = _error_model(kind)
    with pytest.raises(ValueError, match=r"evaluation_examples is empty \(shape \(0, 8\)\)"):
        _make(kind).explain_local(X.iloc[:0])


@pytest.mark.parametrize("kind", ["tree", "linear", "kernel"])
def test_one_dimensional_input_is_refused(kind: str) -> None:
    _, X = _error_model(kind)
    with pytest.raises(ValueError, match="must be 2-D"):
        _make(kind).explain_local(X.to_numpy()[0])


def test_tabular_explains_a_one_dimensional_row_as_one_row() -> None:
    """As interpret-community's TabularExplainer, a 1-D vector is one row."""
    _, X = _error_model("tabular")
    explainer = _make("tabular")
    one = explainer.explain_local(X.to_numpy()[0])
    np.testing.assert_array_equal(one.local_values, explainer.explain_local(X.iloc[:1]).local_values)
    assert explainer.explain_local(X.iloc[0]).num_examples == 1  # a Series too


@pytest.mark.parametrize("kind", ERROR_KINDS)
def test_non_numeric_column_is_refused_by_name(kind: str) -> None:
    _, X = _error_model(kind)
    rows = X.iloc[:3].assign(f6=["low", "mid", "high"])
    with pytest.raises(TypeError, match="non-numeric columns 'f6'"):
        _make(kind).explain_local(rows)


@pytest.mark.parametrize("kind", ERROR_KINDS)
def test_unknown_explain_subset_name_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="explain_subset names unknown feature 'nope'"):
        _make(kind, explain_subset=["f0", "nope"])


@pytest.mark.parametrize("kind", ERROR_KINDS)
@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True])
def test_bad_batch_size_is_refused(kind: str, batch_size: Any) -> None:
    _, X = _error_model(kind)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        _make(kind).explain_global(X.iloc[:3], include_local=False, batch_size=batch_size)

"""Tests of TreeExplainer: ground truth, additivity, agreement with shap, inputs and subsets."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.base import is_regressor
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import Ridge
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier, XGBRegressor

from explain import ExplanationValueError, TreeExplainer
from explain.explainers._tree import is_tree_model
from tests._synthetic import INFORMATIVE, assert_informative_first, make_ground_truth

TASKS = ("regression", "binary", "multiclass")
FAMILIES = ("lightgbm", "xgboost", "random_forest", "hist_gradient_boosting")
N_EVAL = 200


def _estimator(family: str, task: str) -> Any:
    regression = task == "regression"
    if family == "lightgbm":
        return (LGBMRegressor if regression else LGBMClassifier)(
            n_estimators=30, verbose=-1, n_jobs=1, random_state=0)
    if family == "xgboost":
        return (XGBRegressor if regression else XGBClassifier)(
            n_estimators=30, max_depth=3, n_jobs=1, random_state=0)
    if family == "random_forest":
        return (RandomForestRegressor if regression else RandomForestClassifier)(
            n_estimators=20, max_depth=6, n_jobs=1, random_state=0)
    if family == "hist_gradient_boosting":
        return (HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier)(
            max_iter=30, random_state=0)
    if family == "gradient_boosting":
        return (GradientBoostingRegressor if regression else GradientBoostingClassifier)(
            n_estimators=30, max_depth=2, random_state=0)
    if family == "decision_tree":
        return DecisionTreeClassifier(max_depth=5, random_state=0)
    raise ValueError(family)


@functools.cache
def _fitted(family: str, task: str) -> tuple[Any, pd.DataFrame, tuple[str, ...] | None]:
    """(model fitted on the ground-truth frame, X, string class labels or None)."""
    X, y = make_ground_truth(task)
    labels = None if task == "regression" else tuple(np.unique(y).tolist())
    target = y
    if family == "xgboost" and labels is not None:
        target = np.searchsorted(labels, y)  # XGBoost takes labels 0..k-1 only
    return _estimator(family, task).fit(X, target), X, labels


def _explainer(family: str, task: str, **kwargs: Any) -> TreeExplainer:
    model, X, labels = _fitted(family, task)
    if family == "xgboost" and labels is not None:
        kwargs.setdefault("classes", list(labels))  # give the string labels back
    return TreeExplainer(model, X, **kwargs)


def _documented_output(model: Any, X: pd.DataFrame) -> np.ndarray:
    """The model output TreeSHAP values add up to, shape (n_outputs, n_rows)."""
    if is_regressor(model):
        output = model.predict(X)
    elif isinstance(model, LGBMClassifier):
        output = model.predict(X, raw_score=True)
    elif isinstance(model, XGBClassifier):
        output = model.predict(X, output_margin=True)
    elif isinstance(model, RandomForestClassifier | DecisionTreeClassifier):
        output = model.predict_proba(X)
    else:
        output = model.decision_function(X)
    return np.asarray(output, dtype=np.float64).reshape(len(X), -1).T


def _tolerance(family: str, output: np.ndarray) -> float:
    # XGBoost computes contributions and margins in float32 (relative rounding ~1e-7 per term),
    # so 1e-6 absolute is out of reach once margins reach a few units: scale the tolerance by
    # the size of the output instead. Every other family is exact to float64 rounding.
    if family == "xgboost":
        return 1e-6 * max(1.0, float(np.abs(output).max()))
    return 1e-6


def _shap_values(model: Any, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """shap.TreeExplainer values as (n_outputs, n_rows, n_features) and expected (n_outputs,)."""
    import shap

    explainer = shap.TreeExplainer(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = explainer.shap_values(X)
    if isinstance(raw, list):
        values = np.stack([np.asarray(v, dtype=np.float64) for v in raw])
    else:
        array = np.asarray(raw, dtype=np.float64)
        values = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return values, np.atleast_1d(np.asarray(explainer.expected_value, dtype=np.float64))


# ---------------------------------------------------------------------- ground truth


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("family", FAMILIES)
def test_ground_truth_features_rank_first(family: str, task: str) -> None:
    _, X, _ = _fitted(family, task)
    explanation = _explainer(family, task).explain_global(X.iloc[:N_EVAL])
    assert explanation.method == "shap.tree"
    assert_informative_first(explanation.get_ranked_global_names())


# ---------------------------------------------------------------------- additivity

ADDITIVITY_CASES = [
    *[(family, task) for family in FAMILIES for task in TASKS],
    ("gradient_boosting", "binary"),
    ("gradient_boosting", "regression"),
    ("decision_tree", "multiclass"),
]


def _expected_space(family: str, task: str) -> str:
    if task == "regression":
        return "raw"
    return "probability" if family in ("random_forest", "decision_tree") else "log_odds"


@pytest.mark.parametrize(("family", "task"), ADDITIVITY_CASES)
def test_local_values_add_up_to_documented_output(family: str, task: str) -> None:
    model, X, _ = _fitted(family, task)
    rows = X.iloc[:N_EVAL]
    explanation = _explainer(family, task).explain_local(rows)
    output = _documented_output(model, rows)
    tolerance = _tolerance(family, output)
    local = explanation.local_values
    expected = np.asarray(explanation.expected_values_)
    assert explanation.output_space == _expected_space(family, task)
    if task == "binary" and output.shape[0] == 1:
        # one log-odds output, shown as two classes with values [-v, v] and expected [-e, e]
        np.testing.assert_array_equal(local[0], -local[1])
        np.testing.assert_array_equal(expected[0], -expected[1])
        local, expected = local[1:], expected[1:]
    assert local.shape[0] == output.shape[0]
    residual = local.sum(axis=2) + expected[:, None] - output
    assert np.max(np.abs(residual)) < tolerance
    assert explanation.fidelity.additivity_error < tolerance
    assert explanation.fidelity.exact is True


# ---------------------------------------------------------------------- agreement with shap

SHAP_CASES = [
    *[(family, task) for family in ("lightgbm", "xgboost") for task in TASKS],
    ("random_forest", "binary"),
    ("random_forest", "multiclass"),
    ("random_forest", "regression"),
]


@pytest.mark.parametrize(("family", "task"), SHAP_CASES)
def test_values_match_shap_tree_explainer(family: str, task: str) -> None:
    model, X, _ = _fitted(family, task)
    rows = X.iloc[:100]
    explanation = _explainer(family, task).explain_local(rows)
    reference, reference_expected = _shap_values(model, rows)
    ours, ours_expected = explanation.local_values, np.asarray(explanation.expected_values_)
    if ours.shape[0] == 2 and reference.shape[0] == 1:  # binary boosting: shap gives class 1
        np.testing.assert_allclose(ours[0], -reference[0], rtol=0, atol=1e-6)
        ours, ours_expected = ours[1:], ours_expected[1:]
    assert ours.shape == reference.shape
    # shap calls the same native contribution code for LightGBM/XGBoost, so no float32 slack
    # is needed here, even for XGBoost.
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours_expected, reference_expected, rtol=0, atol=1e-6)


# ---------------------------------------------------------------------- shapes


def test_multiclass_shapes_and_ranked_getters() -> None:
    _, X, _ = _fitted("lightgbm", "multiclass")
    explanation = _explainer("lightgbm", "multiclass").explain_local(X.iloc[:20])
    assert explanation.local_values.shape == (3, 20, 8)
    assert explanation.classes == ("a", "b", "c")
    expected = explanation.expected_values
    assert isinstance(expected, list) and len(expected) == 3
    assert all(isinstance(v, float) for v in expected)
    assert explanation.per_class_values_.shape == (3, 8)
    assert explanation.global_values.shape == (8,)
    assert explanation.num_examples == 20 and explanation.num_features == 8
    assert explanation.features == tuple(f"f{i}" for i in range(8))
    assert len(explanation.get_ranked_global_names()) == 8
    assert len(explanation.get_ranked_global_names(top_k=3)) == 3
    values = explanation.get_ranked_global_values(top_k=5)
    assert len(values) == 5 and values == sorted(values, reverse=True)
    assert list(explanation.get_feature_importance_dict(top_k=4)) == \
        explanation.get_ranked_global_names(top_k=4)
    per_class = explanation.get_ranked_per_class_names(top_k=2)
    assert len(per_class) == 3 and all(len(names) == 2 for names in per_class)
    assert np.shape(explanation.get_ranked_per_class_values(top_k=2)) == (3, 2)
    local = explanation.get_ranked_local_names(top_k=4)
    assert np.shape(local) == (3, 20, 4)
    assert np.shape(explanation.get_ranked_local_values()) == (3, 20, 8)


def test_regression_shapes_and_ranked_getters() -> None:
    _, X, _ = _fitted("random_forest", "regression")
    explanation = _explainer("random_forest", "regression").explain_local(X.iloc[:15])
    assert np.shape(explanation.local_importance_values) == (15, 8)
    assert isinstance(explanation.expected_values, list) and len(explanation.expected_values) == 1
    assert explanation.classes is None
    assert explanation.per_class_values is None
    assert np.shape(explanation.get_ranked_local_names(top_k=2)) == (15, 2)
    assert np.shape(explanation.get_ranked_local_values(top_k=3)) == (15, 3)
    with pytest.raises(ValueError, match="per-class importances exist only for classification"):
        explanation.get_ranked_per_class_names()


@pytest.mark.parametrize("family", FAMILIES)
def test_binary_explanation_has_the_models_string_classes(family: str) -> None:
    _, X, _ = _fitted(family, "binary")
    explanation = _explainer(family, "binary").explain_local(X.iloc[:10])
    assert explanation.classes == ("no", "yes")
    assert explanation.local_values.shape == (2, 10, 8)
    assert len(explanation.expected_values) == 2


def test_classes_argument_overrides_model_classes() -> None:
    model, X, _ = _fitted("lightgbm", "binary")
    explanation = TreeExplainer(model, X, classes=["negative", "positive"]).explain_local(X.iloc[:5])
    assert explanation.classes == ("negative", "positive")


# ---------------------------------------------------------------------- inputs


def test_numpy_input_gets_default_names_and_frame_gives_column_names() -> None:
    X, y = make_ground_truth("regression", n_rows=300)
    model = LGBMRegressor(n_estimators=20, verbose=-1, n_jobs=1).fit(X.to_numpy(), y)
    from_numpy = TreeExplainer(model, X.to_numpy()).explain_local(X.to_numpy()[:10])
    from_frame = TreeExplainer(model, X).explain_local(X.iloc[:10])
    assert from_numpy.features == tuple(f"x{i}" for i in range(8))
    assert from_frame.features == tuple(X.columns)
    np.testing.assert_array_equal(from_numpy.local_values, from_frame.local_values)


@pytest.mark.parametrize("family", FAMILIES)
def test_reordered_dataframe_columns_are_aligned_by_name(family: str) -> None:
    _, X, _ = _fitted(family, "multiclass")
    explainer = _explainer(family, "multiclass")
    rows = X.iloc[:10]
    ordered = explainer.explain_local(rows)
    shuffled = explainer.explain_local(rows[list(reversed(X.columns))])
    assert shuffled.features == ordered.features
    np.testing.assert_array_equal(shuffled.local_values, ordered.local_values)


@pytest.mark.filterwarnings("error::UserWarning")
def test_numpy_rows_for_a_frame_fitted_sklearn_model() -> None:
    # the model checks feature names; the explainer must give it a frame without warnings
    model, X, _ = _fitted("random_forest", "binary")
    explainer = TreeExplainer(model, X)
    from_numpy = explainer.explain_local(X.to_numpy()[:10])
    from_frame = explainer.explain_local(X.iloc[:10])
    np.testing.assert_array_equal(from_numpy.local_values, from_frame.local_values)
    assert from_numpy.features == tuple(X.columns)


@pytest.mark.parametrize("task", TASKS)
def test_sparse_csr_input_matches_dense_for_lightgbm(task: str) -> None:
    X, y = make_ground_truth(task, n_rows=300)
    dense = np.where(np.abs(X.to_numpy()) < 0.7, 0.0, X.to_numpy())
    sparse = sp.csr_matrix(dense)
    model = (LGBMRegressor if task == "regression" else LGBMClassifier)(
        n_estimators=20, verbose=-1, n_jobs=1).fit(sparse, y)
    from_sparse = TreeExplainer(model, sparse).explain_local(sparse[:30])
    from_dense = TreeExplainer(model, dense).explain_local(dense[:30])
    np.testing.assert_allclose(from_sparse.local_values, from_dense.local_values, rtol=0, atol=1e-12)
    output = _documented_output(model, pd.DataFrame(dense[:30]))
    local, expected = from_sparse.local_values, np.asarray(from_sparse.expected_values_)
    if task == "binary":
        local, expected = local[1:], expected[1:]
    assert np.max(np.abs(local.sum(axis=2) + expected[:, None] - output)) < 1e-6
    assert from_sparse.fidelity.additivity_error < 1e-6


def test_features_argument_renames_features() -> None:
    model, X, _ = _fitted("lightgbm", "regression")
    names = [f"feature_{i}" for i in range(8)]
    explanation = TreeExplainer(model, X, features=names).explain_local(X.iloc[:5])
    assert explanation.features == tuple(names)


def test_initialization_examples_are_optional() -> None:
    model, X, _ = _fitted("random_forest", "regression")
    explanation = TreeExplainer(model).explain_local(X.iloc[:5])
    assert explanation.features == tuple(X.columns)  # from the model's feature_names_in_
    assert explanation.fidelity.additivity_error < 1e-6


@pytest.mark.parametrize("family", ["lightgbm", "xgboost", "hist_gradient_boosting"])
def test_nan_is_accepted_by_models_that_handle_missing_values(family: str) -> None:
    model, X, _ = _fitted(family, "binary")
    rows = X.iloc[:30].copy()
    rows.iloc[::3, 1] = np.nan
    rows.iloc[::4, 5] = np.nan
    explanation = _explainer(family, "binary").explain_local(rows)
    output = _documented_output(model, rows)
    local = explanation.local_values[1:]
    residual = local.sum(axis=2) + explanation.expected_values[1] - output
    assert np.max(np.abs(residual)) < _tolerance(family, output)
    assert np.all(np.isfinite(explanation.local_values))


@pytest.mark.parametrize("family", ["lightgbm", "xgboost"])
def test_boosters_fitted_on_frames_align_columns_without_initialization_examples(family: str) -> None:
    model, X, labels = _fitted(family, "binary")
    explainer = TreeExplainer(model, classes=list(labels))
    rows = X.iloc[:10]
    reference = _explainer(family, "binary").explain_local(rows)
    shuffled = explainer.explain_local(rows[list(reversed(X.columns))])
    assert shuffled.features == tuple(X.columns)
    np.testing.assert_allclose(shuffled.local_values, reference.local_values, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------- explain_subset


@pytest.mark.parametrize("subset", [["f2", "f0", "f5"], [2, 0, 5]], ids=["names", "indices"])
def test_explain_subset_reports_only_those_features(subset: list[Any]) -> None:
    _, X, _ = _fitted("lightgbm", "multiclass")
    rows = X.iloc[:20]
    full = _explainer("lightgbm", "multiclass").explain_local(rows)
    part = _explainer("lightgbm", "multiclass", explain_subset=subset).explain_local(rows)
    assert part.features == ("f2", "f0", "f5")
    assert part.local_values.shape == (3, 20, 3)
    assert part.per_class_values_.shape == (3, 3)
    np.testing.assert_array_equal(part.local_values, full.local_values[:, :, [2, 0, 5]])
    np.testing.assert_array_equal(part.expected_values_, full.expected_values_)
    # additivity is checked on the full decomposition, so it still holds
    assert part.fidelity.additivity_error < 1e-6
    assert set(part.get_ranked_global_names(top_k=2)) <= set(INFORMATIVE)


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize("n_jobs", [0, True, 1.5])
def test_n_jobs_must_be_a_nonzero_integer(n_jobs: Any) -> None:
    model, X, _ = _fitted("lightgbm", "regression")
    with pytest.raises(ExplanationValueError, match="n_jobs must be a non-zero integer"):
        TreeExplainer(model, X, n_jobs=n_jobs)


def test_initialization_examples_with_other_number_of_columns_are_refused() -> None:
    X, y = make_ground_truth("regression", n_rows=100)
    on_numpy = RandomForestRegressor(n_estimators=5, n_jobs=1, random_state=0).fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match="fitted on 8 features but the data has 7 columns"):
        TreeExplainer(on_numpy, X.to_numpy()[:, :7])
    on_frame, X, _ = _fitted("random_forest", "regression")
    with pytest.raises(ValueError, match=r"initialization_examples has 7 columns .* with 8 features"):
        TreeExplainer(on_frame, X.to_numpy()[:, :7])


@pytest.mark.parametrize("kind", ["ridge", "svc", "multiclass_gradient_boosting"])
def test_tree_explainer_refuses_a_non_tree_model_with_type_error(kind: str) -> None:
    task = {"ridge": "regression", "svc": "binary", "multiclass_gradient_boosting": "multiclass"}[kind]
    X, y = make_ground_truth(task, n_rows=100)
    model = {
        "ridge": Ridge,
        "svc": SVC,
        # shap's tree explainer supports GradientBoostingClassifier for two classes only
        "multiclass_gradient_boosting": lambda: GradientBoostingClassifier(n_estimators=5),
    }[kind]().fit(X, y)
    assert not is_tree_model(model)
    with pytest.raises(TypeError, match=f"TreeExplainer: {type(model).__name__} is not a supported tree"):
        TreeExplainer(model, X)


# ---------------------------------------------------------------------- shap output formats


@pytest.mark.parametrize(
    "raw",
    [
        [np.ones((4, 3)), 2 * np.ones((4, 3))],                  # list per class (shap < 0.45)
        np.stack([np.ones((4, 3)), 2 * np.ones((4, 3))], axis=2),  # (rows, features, classes)
    ],
    ids=["list", "3d"],
)
def test_shap_output_formats_are_normalized_to_classes_rows_features(raw: Any) -> None:
    from explain.explainers._tree import _normalize_shap_output

    values = _normalize_shap_output(raw, 4)
    assert values.shape == (2, 4, 3)
    np.testing.assert_array_equal(values[1], 2 * np.ones((4, 3)))
    assert _normalize_shap_output(np.ones((4, 3)), 4).shape == (1, 4, 3)


def test_transformations_without_initialization_rows_read_the_raw_columns_when_explaining() -> None:
    """As interpret-community's TreeExplainer(model, transformations=...): no rows at set-up."""
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import StandardScaler

    X, y = make_ground_truth("regression", n_rows=300)
    columns = list(X.columns)
    featurizer = ColumnTransformer([("scaled", StandardScaler(), columns[:2]),
                                    ("kept", "passthrough", columns[2:])]).fit(X)
    model = LGBMRegressor(n_estimators=30, n_jobs=1, verbose=-1).fit(featurizer.transform(X), y)
    deferred = TreeExplainer(model, transformations=featurizer, features=columns)
    assert deferred.raw_input_ is None
    rows = X.iloc[:20]
    explanation = deferred.explain_local(rows)
    given = TreeExplainer(model, X, transformations=featurizer, features=columns).explain_local(rows)
    assert explanation.is_raw and explanation.features == columns
    np.testing.assert_allclose(explanation.local_values, given.local_values, atol=1e-12)
    np.testing.assert_allclose(deferred.explain_global(X.iloc[20:40]).global_values,
                               TreeExplainer(model, X, transformations=featurizer).explain_global(
                                   X.iloc[20:40]).global_values, atol=1e-12)

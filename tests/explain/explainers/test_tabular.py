"""Tests of TabularExplainer: explainer selection, option forwarding, pipelines and functions."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.decomposition import PCA
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression, Ridge, SGDClassifier
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from xgboost import XGBClassifier, XGBRegressor

from explain import (
    KernelExplainer,
    LinearExplainer,
    ModelCallError,
    TabularExplainer,
    TreeExplainer,
)
from explain.explainers import choose_explainer
from tests._synthetic import assert_informative_first, make_ground_truth

Builder = Callable[[], Any]

TREE, LINEAR, KERNEL = "shap.tree", "shap.linear", "shap.kernel"
EXPLAINER_OF = {TREE: TreeExplainer, LINEAR: LinearExplainer, KERNEL: KernelExplainer}

SELECTION_CASES: list[tuple[str, Builder, str, str]] = [
    ("LGBMClassifier", lambda: LGBMClassifier(n_estimators=10, verbose=-1, n_jobs=1), "binary", TREE),
    ("LGBMRegressor", lambda: LGBMRegressor(n_estimators=10, verbose=-1, n_jobs=1), "regression", TREE),
    ("XGBClassifier", lambda: XGBClassifier(n_estimators=10, n_jobs=1), "multiclass", TREE),
    ("XGBRegressor", lambda: XGBRegressor(n_estimators=10, n_jobs=1), "regression", TREE),
    ("RandomForestClassifier", lambda: RandomForestClassifier(n_estimators=5, n_jobs=1, random_state=0),
     "multiclass", TREE),
    ("RandomForestRegressor", lambda: RandomForestRegressor(n_estimators=5, n_jobs=1, random_state=0),
     "regression", TREE),
    ("ExtraTreesClassifier", lambda: ExtraTreesClassifier(n_estimators=5, n_jobs=1, random_state=0),
     "binary", TREE),
    ("ExtraTreesRegressor", lambda: ExtraTreesRegressor(n_estimators=5, n_jobs=1, random_state=0),
     "regression", TREE),
    ("HistGradientBoostingClassifier", lambda: HistGradientBoostingClassifier(max_iter=10), "binary", TREE),
    ("HistGradientBoostingRegressor", lambda: HistGradientBoostingRegressor(max_iter=10), "regression",
     TREE),
    ("DecisionTreeClassifier", lambda: DecisionTreeClassifier(max_depth=4), "multiclass", TREE),
    ("DecisionTreeRegressor", lambda: DecisionTreeRegressor(max_depth=4), "regression", TREE),
    ("GradientBoostingClassifier-binary", lambda: GradientBoostingClassifier(n_estimators=10), "binary",
     TREE),
    ("GradientBoostingRegressor", lambda: GradientBoostingRegressor(n_estimators=10), "regression", TREE),
    ("LogisticRegression", lambda: LogisticRegression(), "multiclass", LINEAR),
    ("Ridge", lambda: Ridge(), "regression", LINEAR),
    ("LinearRegression", lambda: LinearRegression(), "regression", LINEAR),
    ("Lasso", lambda: Lasso(alpha=0.01), "regression", LINEAR),
    ("SGDClassifier", lambda: SGDClassifier(random_state=0), "binary", LINEAR),
    ("LinearSVC", lambda: LinearSVC(), "binary", LINEAR),
    ("SVC", lambda: SVC(probability=True, random_state=0), "binary", KERNEL),
    ("SVR", lambda: SVR(), "regression", KERNEL),
    ("KNeighborsClassifier", lambda: KNeighborsClassifier(), "multiclass", KERNEL),
    ("KNeighborsRegressor", lambda: KNeighborsRegressor(), "regression", KERNEL),
    ("MLPClassifier", lambda: MLPClassifier(hidden_layer_sizes=(8,), max_iter=200, random_state=0),
     "binary", KERNEL),
    # a pipeline whose featurization cannot be traced to raw columns is a black box
    ("Pipeline-PCA-LogisticRegression", lambda: _black_box_pipeline(), "multiclass", KERNEL),
    ("Pipeline-StandardScaler-KNN", lambda: make_pipeline(StandardScaler(), KNeighborsClassifier()),
     "multiclass", KERNEL),
    # a traceable featurization leaves the choice to the final estimator
    ("Pipeline-StandardScaler-LogisticRegression",
     lambda: make_pipeline(StandardScaler(), LogisticRegression()), "binary", LINEAR),
    ("GradientBoostingClassifier-multiclass", lambda: GradientBoostingClassifier(n_estimators=10),
     "multiclass", KERNEL),
]


def _black_box_pipeline() -> Pipeline:
    """PCA mixes every input into every output, so the pipeline is explained as a whole."""
    return make_pipeline(PCA(n_components=8, random_state=0), LogisticRegression())


def _fit(builder: Builder, task: str, n_rows: int = 120) -> tuple[Any, pd.DataFrame]:
    X, y = make_ground_truth(task, n_rows=n_rows)
    model = builder()
    if isinstance(model, XGBClassifier):
        y = np.unique(y, return_inverse=True)[1]  # XGBoost takes labels 0..k-1 only
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # SVC(probability=True), scikit-learn 1.9
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y), X


@functools.cache
def _pipeline(task: str) -> tuple[Any, pd.DataFrame]:
    return _fit(_black_box_pipeline, task, n_rows=300)


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize(("builder", "task", "method"), [case[1:] for case in SELECTION_CASES],
                         ids=[case[0] for case in SELECTION_CASES])
def test_explainer_is_chosen_by_model_type(builder: Builder, task: str, method: str) -> None:
    model, X = _fit(builder, task)
    explainer = TabularExplainer(model, X.iloc[:10])
    assert type(explainer.explainer) is EXPLAINER_OF[method]
    assert choose_explainer(model) is EXPLAINER_OF[method]
    assert explainer.method == method
    explanation = explainer.explain_local(X.iloc[:3])
    assert explanation.method == method
    assert explanation.model_task == ("regression" if task == "regression" else "classification")
    if not isinstance(model, Pipeline):  # a pipeline may be reported by its final estimator
        assert explanation.model_type == type(model).__name__
    # XGBoost works in float32 (see test_tree.py), the others are exact to float64 rounding
    assert explanation.fidelity.additivity_error < 1e-5


def test_functions_always_go_to_kernel_shap() -> None:
    model, _ = _fit(lambda: LGBMRegressor(n_estimators=5, verbose=-1, n_jobs=1), "regression")
    assert choose_explainer(model) is TreeExplainer
    assert choose_explainer(model.predict, is_function=True) is KernelExplainer
    assert choose_explainer(model, is_function=True) is KernelExplainer


# ---------------------------------------------------------------------- pipelines and functions


PIPELINE_CASES = [
    ("pca_logistic", "binary"),
    ("pca_logistic", "multiclass"),
    ("scaler_svc", "binary"),
]


@pytest.mark.parametrize(("kind", "task"), PIPELINE_CASES)
def test_pipeline_is_explained_by_kernel_shap_in_probability_space(kind: str, task: str) -> None:
    if kind == "pca_logistic":
        model, X = _pipeline(task)
    else:
        model, X = _fit(lambda: make_pipeline(StandardScaler(), SVC(probability=True, random_state=0)),
                        task, n_rows=300)
    explainer = TabularExplainer(model, X)
    explanation = explainer.explain_global(X.iloc[:30])
    assert explainer.method == explanation.method == KERNEL
    assert explanation.output_space == "probability"
    assert explanation.classes == tuple(model.classes_.tolist())
    assert explanation.features == tuple(X.columns)
    residual = explanation.local_values.sum(axis=2) + np.asarray(explanation.expected_values_)[:, None] \
        - model.predict_proba(X.iloc[:30]).T
    assert np.max(np.abs(residual)) < 1e-6
    assert explanation.fidelity.additivity_error < 1e-6
    assert_informative_first(explanation.get_ranked_global_names())


def test_regression_function_with_declared_task() -> None:
    X, y = make_ground_truth("regression", n_rows=200)
    model = Ridge().fit(X.to_numpy(), y)  # the function is given numpy rows
    explainer = TabularExplainer(model.predict, X.iloc[:10], is_function=True, model_task="regression")
    explanation = explainer.explain_local(X.iloc[:20])
    assert explainer.method == KERNEL and explanation.model_task == "regression"
    assert explanation.local_values.shape == (1, 20, 8)
    assert explanation.model_type == "predict"
    residual = explanation.local_values[0].sum(axis=1) + explanation.expected_values_[0] \
        - model.predict(X.iloc[:20].to_numpy())
    assert np.max(np.abs(residual)) < 1e-6
    assert_informative_first(explanation.get_ranked_global_names())


def test_probability_function_with_declared_task_and_classes() -> None:
    model, X = _pipeline("multiclass")

    def probabilities(Z: np.ndarray) -> np.ndarray:
        return model.predict_proba(pd.DataFrame(Z, columns=X.columns))

    explainer = TabularExplainer(probabilities, X.iloc[:10], is_function=True,
                                 model_task="classification", classes=["a", "b", "c"])
    explanation = explainer.explain_local(X.iloc[:5])
    assert explanation.model_task == "classification"
    assert explanation.classes == ("a", "b", "c")
    assert explanation.local_values.shape == (3, 5, 8)
    assert explanation.fidelity.additivity_error < 1e-6


# ---------------------------------------------------------------------- options


def test_kernel_options_are_dropped_for_tree_and_linear_explainers() -> None:
    tree, X = _fit(lambda: LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1), "binary")
    linear, _ = _fit(lambda: LogisticRegression(), "binary")
    options = {"nsamples": 100, "nclusters": 5, "random_state": 3, "is_function": False}
    assert TabularExplainer(tree, X, n_jobs=1, **options).method == TREE
    assert TabularExplainer(linear, X, n_jobs=2, **options).method == LINEAR


def test_kernel_options_and_n_jobs_reach_kernel() -> None:
    model, X = _pipeline("binary")
    explainer = TabularExplainer(model, X, nsamples=100, nclusters=5, random_state=3, n_jobs=2)
    kernel = explainer.explainer
    assert isinstance(kernel, KernelExplainer)
    assert (kernel.nsamples, kernel.nclusters, kernel.random_state) == (100, 5, 3)
    assert kernel.n_jobs == 2  # chunks of rows explained two at a time
    assert kernel.background_.shape == (5, 8)
    explanation = explainer.explain_local(X.iloc[:4])
    assert explanation.fidelity.exact is False  # 100 < 2**8 - 2 coalitions: sampled
    assert explanation.fidelity.max_standard_error > 0


def test_features_and_explain_subset_pass_through() -> None:
    model, X = _fit(lambda: RandomForestRegressor(n_estimators=5, n_jobs=1, random_state=0), "regression")
    names = [f"c{i}" for i in range(8)]
    explainer = TabularExplainer(model, X, features=names, explain_subset=["c0", 3])
    assert explainer.features == tuple(names)
    explanation = explainer.explain_local(X.iloc[:5])
    assert explanation.features == ("c0", "c3")
    assert explanation.local_values.shape == (1, 5, 2)


# ---------------------------------------------------------------------- missing values

NAN_CASES: list[tuple[str, Builder, bool]] = [
    ("LGBMClassifier", lambda: LGBMClassifier(n_estimators=10, verbose=-1, n_jobs=1), True),
    ("HistGradientBoostingClassifier", lambda: HistGradientBoostingClassifier(max_iter=10), True),
    ("imputing Pipeline", lambda: make_pipeline(SimpleImputer(), LogisticRegression()), True),
    ("LogisticRegression", lambda: LogisticRegression(), False),
    ("SVC", lambda: SVC(probability=True, random_state=0), False),
]


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize(("builder", "accepted"), [case[1:] for case in NAN_CASES],
                         ids=[case[0] for case in NAN_CASES])
def test_nan_in_evaluation_rows_depends_on_the_model(builder: Builder, accepted: bool) -> None:
    model, X = _fit(builder, "binary")
    rows = X.iloc[:4].copy()
    rows.iloc[0, 1] = np.nan
    explainer = TabularExplainer(model, X.iloc[:10])
    if accepted:
        explanation = explainer.explain_local(rows)
        assert np.all(np.isfinite(explanation.local_values))
        assert explanation.fidelity.additivity_error < 1e-6
    else:
        with pytest.raises(ValueError, match="contains NaN in 'f1', and the model does not accept"):
            explainer.explain_local(rows)


def test_pipeline_failing_on_nan_gives_model_call_error() -> None:
    # pipelines are handed NaN (a step may impute); if none does, the model's error is translated
    model, X = _pipeline("binary")
    rows = X.iloc[:3].copy()
    rows.iloc[1, 0] = np.nan
    with pytest.raises(ModelCallError, match="the model Pipeline raised ValueError"):
        TabularExplainer(model, X.iloc[:10]).explain_local(rows)

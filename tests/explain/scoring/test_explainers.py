"""Tests of the scoring explainers: the fitted explainer's values, additivity, predictions, raw
features, input schema, errors and ``from_run``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from explain import (
    ExplanationTypeError,
    ExplanationValueError,
    KernelExplainer,
    LinearExplainer,
    MimicExplainer,
    ModelCallError,
    TabularExplainer,
    TreeExplainer,
)
from explain._fidelity import Fidelity
from explain.models import LGBMExplainableModel, LinearExplainableModel
from explain.scoring import (
    KernelScoringExplainer,
    LinearScoringExplainer,
    RunExplainer,
    Scored,
    ScoringExplainer,
    TreeScoringExplainer,
)
from featurization import FeatureMap
from tests._synthetic import make_ground_truth
from tests.explain.scoring._support import forbid_fitting

ATOL = 1e-10
N_EVAL = 12


# ---------------------------------------------------------------------------------------- cases
@dataclass(frozen=True)
class Case:
    """A fitted explainer, the scoring explainer class that serves it, and how to check it."""

    explainer: Any
    scoring_class: type[ScoringExplainer]
    method: str
    model: Any  # the model predictions come from
    X: pd.DataFrame  # evaluation rows
    output: Callable[[pd.DataFrame], np.ndarray]  # the output the values add up to, (k, n)
    task: str
    additivity_atol: float = 1e-8


def _outputs(raw: Any) -> np.ndarray:
    """Model output as (n_outputs, n_rows); a single margin becomes two symmetric outputs."""
    array = np.asarray(raw, dtype=np.float64)
    if array.ndim == 1:
        return np.stack([-array, array])
    return array.T


def _regression_output(raw: Any) -> np.ndarray:
    return np.asarray(raw, dtype=np.float64).reshape(1, -1)


def _data(task: str, n_features: int = 5, n_rows: int = 240) -> tuple[pd.DataFrame, np.ndarray]:
    return make_ground_truth(task, n_rows=n_rows, n_features=n_features, seed=1)


def _lightgbm(task: str) -> Case:
    X, y = _data(task)
    regression = task == "regression"
    model = (LGBMRegressor if regression else LGBMClassifier)(
        n_estimators=20, num_leaves=8, verbose=-1, n_jobs=1, random_state=0).fit(X, y)

    def output(rows: pd.DataFrame) -> np.ndarray:
        raw = model.booster_.predict(rows, raw_score=True)
        return _regression_output(raw) if regression else _outputs(raw)

    return Case(TreeExplainer(model, X), TreeScoringExplainer, "shap.tree", model, X.iloc[-N_EVAL:],
                output, task)


def _xgboost(task: str) -> Case:
    xgboost = pytest.importorskip("xgboost")
    X, y = _data(task)
    regression = task == "regression"
    if regression:
        model = xgboost.XGBRegressor(n_estimators=20, max_depth=3, n_jobs=1, random_state=0).fit(X, y)
    else:
        target = np.searchsorted(np.unique(y), y)  # XGBoost takes labels 0..k-1 only
        model = xgboost.XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1, random_state=0).fit(X, target)

    def output(rows: pd.DataFrame) -> np.ndarray:
        margin = model.predict(rows, output_margin=True)
        return _regression_output(margin) if regression else _outputs(margin)

    # XGBoost computes in float32
    return Case(TreeExplainer(model, X), TreeScoringExplainer, "shap.tree", model, X.iloc[-N_EVAL:],
                output, task, additivity_atol=1e-5)


def _random_forest(task: str) -> Case:
    X, y = _data(task)
    regression = task == "regression"
    model = (RandomForestRegressor if regression else RandomForestClassifier)(
        n_estimators=10, max_depth=4, n_jobs=1, random_state=0).fit(X, y)

    def output(rows: pd.DataFrame) -> np.ndarray:  # probability space for forests
        if regression:
            return _regression_output(model.predict(rows))
        return model.predict_proba(rows).T

    explainer = TreeExplainer(model, X)
    return Case(explainer, TreeScoringExplainer, "shap.tree", model, X.iloc[-N_EVAL:], output, task)


def _linear(task: str) -> Case:
    X, y = _data(task)
    regression = task == "regression"
    model = Ridge(alpha=1.0).fit(X, y) if regression else LogisticRegression(max_iter=500).fit(X, y)

    def output(rows: pd.DataFrame) -> np.ndarray:  # decision function: log-odds, or prediction
        if regression:
            return _regression_output(model.predict(rows))
        return _outputs(model.decision_function(rows))

    return Case(LinearExplainer(model, X), LinearScoringExplainer, "shap.linear", model,
                X.iloc[-N_EVAL:], output, task)


def _kernel(task: str) -> Case:
    X, y = _data(task, n_features=4, n_rows=160)
    regression = task == "regression"
    model = (KNeighborsRegressor if regression else KNeighborsClassifier)(n_neighbors=7).fit(X, y)

    def output(rows: pd.DataFrame) -> np.ndarray:  # probability space for classifiers
        if regression:
            return _regression_output(model.predict(rows))
        return model.predict_proba(rows).T

    # 30 background rows are kept as they are; 4 features: every coalition is enumerated (exact)
    explainer = KernelExplainer(model, X.iloc[:30])
    return Case(explainer, KernelScoringExplainer, "shap.kernel", model, X.iloc[-N_EVAL:], output, task)


def _mimic(task: str) -> Case:
    X, y = _data(task)
    model = KNeighborsClassifier(n_neighbors=7).fit(X, y)
    explainer = MimicExplainer(model, X, LGBMExplainableModel,
                               explainable_model_args={"n_estimators": 30})
    surrogate = explainer.surrogate_.model_

    def output(rows: pd.DataFrame) -> np.ndarray:  # the surrogate's raw score (log-odds)
        return _outputs(surrogate.booster_.predict(rows.to_numpy(), raw_score=True))

    return Case(explainer, TreeScoringExplainer, "mimic.tree", model, X.iloc[-N_EVAL:], output, task)


BUILDERS: dict[str, Callable[[str], Case]] = {
    "lightgbm": _lightgbm, "xgboost": _xgboost, "random_forest": _random_forest,
    "linear": _linear, "kernel": _kernel, "mimic": _mimic,
}
CASES = [
    "lightgbm-binary", "lightgbm-multiclass", "lightgbm-regression",
    "xgboost-binary", "xgboost-multiclass", "xgboost-regression",
    "random_forest-binary", "random_forest-multiclass", "random_forest-regression",
    "linear-binary", "linear-multiclass", "linear-regression",
    "kernel-multiclass", "kernel-regression",
    "mimic-binary", "mimic-multiclass",
]


@functools.cache
def _case(name: str) -> Case:
    family, task = name.split("-")
    return BUILDERS[family](task)


@functools.cache
def _scoring(name: str) -> ScoringExplainer:
    case = _case(name)
    return case.scoring_class(case.explainer)


# ------------------------------------------------------------------- values, output, predictions
@pytest.mark.parametrize("name", CASES)
def test_explain_equals_the_explainers_local_values(name: str) -> None:
    case, scoring = _case(name), _scoring(name)
    values = scoring.explain(case.X)
    expected = case.explainer.explain_local(case.X).local_importance_values
    assert values.shape == np.shape(expected)
    n_features = case.X.shape[1]
    if case.task == "regression":
        assert values.shape == (N_EVAL, n_features)
    else:
        assert values.shape == (len(scoring.classes_), N_EVAL, n_features)
    np.testing.assert_allclose(values, expected, rtol=0, atol=ATOL)
    for row in range(N_EVAL):  # row for row: a one-row call gives the same values
        single = scoring.explain(case.X.iloc[[row]])
        np.testing.assert_allclose(single, np.take(values, [row], axis=-2), rtol=0, atol=ATOL)


@pytest.mark.parametrize("name", CASES)
def test_values_and_expected_values_add_up_to_the_model_output(name: str) -> None:
    case, scoring = _case(name), _scoring(name)
    values, expected = scoring.explain_with_expected(case.X)
    output = case.output(case.X)
    assert values.shape[:2] == output.shape
    assert expected.shape == (output.shape[0],)
    np.testing.assert_allclose(values.sum(axis=2) + expected[:, None], output, rtol=0,
                               atol=case.additivity_atol)
    explanation = case.explainer.explain_local(case.X)
    np.testing.assert_allclose(expected, np.atleast_1d(explanation.expected_values), rtol=0, atol=ATOL)


@pytest.mark.parametrize("name", CASES)
def test_predict_and_predict_proba_equal_the_models(name: str) -> None:
    case, scoring = _case(name), _scoring(name)
    np.testing.assert_array_equal(scoring.predict(case.X), case.model.predict(case.X))
    if case.task == "regression":
        with pytest.raises(ExplanationTypeError, match=r"predict_proba: the model is a regressor"):
            scoring.predict_proba(case.X)
    else:
        np.testing.assert_allclose(scoring.predict_proba(case.X), case.model.predict_proba(case.X),
                                   rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_score_returns_predictions_probabilities_and_values_in_one_call(name: str) -> None:
    case, scoring = _case(name), _scoring(name)
    scored = scoring.score(case.X)
    assert isinstance(scored, Scored)
    assert scored.raw is False
    assert list(scored.predictions) == list(case.model.predict(case.X))
    values, expected = scoring.explain_with_expected(case.X)
    assert scored.values is not None and scored.expected is not None
    np.testing.assert_allclose(scored.values, values, rtol=0, atol=ATOL)
    np.testing.assert_allclose(scored.expected, expected, rtol=0, atol=ATOL)
    if case.task == "regression":
        assert scored.probabilities is None
    else:
        assert scored.probabilities is not None
        np.testing.assert_allclose(scored.probabilities, case.model.predict_proba(case.X), rtol=0, atol=1e-12)

    without = scoring.score(case.X, explain=False)
    assert without.values is None and without.expected is None and without.raw is False
    assert list(without.predictions) == list(scored.predictions)


@pytest.mark.parametrize("name", CASES)
def test_for_explainer_picks_the_matching_scoring_explainer(name: str) -> None:
    case, scoring = _case(name), _scoring(name)
    chosen = ScoringExplainer.for_explainer(case.explainer)
    assert type(chosen) is case.scoring_class
    assert chosen.method == scoring.method == case.method
    assert chosen.model_task_ == case.explainer.model_task
    assert chosen.output_space_ == case.explainer.output_space_
    assert chosen.features_ == tuple(case.X.columns) == chosen.input_columns_
    assert chosen.raw_features_ is None and chosen.output_features() == chosen.features_
    assert chosen.input_schema_ == {c: "number" for c in case.X.columns}
    assert repr(chosen).startswith(f"{case.scoring_class.__name__}(")


def test_a_tabular_explainer_is_unwrapped() -> None:
    X, y = _data("regression")
    model = Ridge().fit(X, y)
    facade = TabularExplainer(model, X)
    scoring = LinearScoringExplainer(facade)
    assert scoring.explainer_ is facade.explainer
    np.testing.assert_allclose(scoring.explain(X.iloc[:5]),
                               facade.explain_local(X.iloc[:5]).local_importance_values, rtol=0, atol=ATOL)


def test_explain_subset_is_kept_on_engineered_values() -> None:
    X, y = _data("binary")
    model = LGBMClassifier(n_estimators=10, verbose=-1, n_jobs=1, random_state=0).fit(X, y)
    explainer = TreeExplainer(model, X, explain_subset=["f2", "f0"])
    scoring = TreeScoringExplainer(explainer)
    values = scoring.explain(X.iloc[:6])
    assert values.shape == (2, 6, 2)
    assert scoring.output_features() == ("f2", "f0")
    np.testing.assert_allclose(values, explainer.explain_local(X.iloc[:6]).local_importance_values,
                               rtol=0, atol=ATOL)


# --------------------------------------------------------------------------- raw vs engineered
MIXED_KINDS = {"income": "number", "age": "integer", "region": "string", "member": "boolean"}


@functools.cache
def _mixed() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    n = 300
    X = pd.DataFrame({
        "income": rng.normal(50.0, 10.0, n),
        "age": rng.integers(18, 80, n),
        "region": rng.choice(["north", "south", "east"], n),
        "member": rng.random(n) < 0.5,
    })
    score = 0.1 * (X["income"] - 50) + 1.5 * (X["region"] == "south") + X["member"] - 0.02 * (X["age"] - 50)
    return X, np.where(score + 0.3 * rng.normal(size=n) > 0.7, "yes", "no")


def _featurizer() -> ColumnTransformer:
    return ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["region"]),
                              ("num", StandardScaler(), ["income", "age", "member"])])


@functools.cache
def _mixed_pipeline(estimator: str = "lightgbm") -> Pipeline:
    X, y = _mixed()
    final: Any = {
        "lightgbm": lambda: LGBMClassifier(n_estimators=20, num_leaves=8, verbose=-1, n_jobs=1,
                                           random_state=0),
        "linear": lambda: LogisticRegression(max_iter=500),
        "knn": lambda: KNeighborsClassifier(n_neighbors=9),
    }[estimator]()
    return Pipeline([("prep", _featurizer()), ("model", final)]).fit(X, y)


@functools.cache
def _pipeline_scoring() -> tuple[TabularExplainer, ScoringExplainer]:
    X, _ = _mixed()
    facade = TabularExplainer(_mixed_pipeline(), X.iloc[:100])
    return facade, ScoringExplainer.for_explainer(facade)


def test_pipeline_gets_a_tree_scoring_explainer_with_raw_and_engineered_features() -> None:
    facade, scoring = _pipeline_scoring()
    X, _ = _mixed()
    assert isinstance(facade.explainer, TreeExplainer)
    assert type(scoring) is TreeScoringExplainer
    assert scoring.input_columns_ == tuple(X.columns)
    assert scoring.raw_features_ == tuple(X.columns)
    assert scoring.output_features() == scoring.output_features(get_raw=True) == tuple(X.columns)
    engineered = scoring.output_features(get_raw=False)
    assert engineered == scoring.features_ == facade.explainer.features_
    assert len(engineered) == 6 and "cat__region_south" in engineered
    assert scoring.model_ is _mixed_pipeline()


def test_pipeline_explain_returns_raw_values_by_default() -> None:
    facade, scoring = _pipeline_scoring()
    rows = _mixed()[0].iloc[200:215]
    explanation = facade.explain_local(rows)
    raw = scoring.explain(rows)
    assert raw.shape == (2, 15, 4)
    np.testing.assert_allclose(raw, explanation.local_importance_values, rtol=0, atol=ATOL)
    np.testing.assert_allclose(scoring.explain(rows, get_raw=True), raw, rtol=0, atol=ATOL)
    assert explanation.features == scoring.output_features()


def test_pipeline_explain_get_raw_false_returns_engineered_values() -> None:
    facade, scoring = _pipeline_scoring()
    rows = _mixed()[0].iloc[200:215]
    engineered = scoring.explain(rows, get_raw=False)
    reference = facade.explain_local(rows).engineered_explanation
    assert engineered.shape == (2, 15, 6)
    np.testing.assert_allclose(engineered, reference.local_importance_values, rtol=0, atol=ATOL)
    assert tuple(reference.features) == scoring.output_features(get_raw=False)


def test_pipeline_raw_row_sums_equal_engineered_row_sums_and_add_up_to_the_raw_score() -> None:
    _, scoring = _pipeline_scoring()
    rows = _mixed()[0].iloc[200:215]
    raw, raw_expected = scoring.explain_with_expected(rows)
    engineered, engineered_expected = scoring.explain_with_expected(rows, get_raw=False)
    np.testing.assert_allclose(raw.sum(axis=2), engineered.sum(axis=2), rtol=0, atol=1e-10)
    np.testing.assert_array_equal(raw_expected, engineered_expected)
    pipeline = _mixed_pipeline()
    score = pipeline[-1].booster_.predict(pipeline[:-1].transform(rows), raw_score=True)
    np.testing.assert_allclose(raw.sum(axis=2) + raw_expected[:, None], _outputs(score), rtol=0, atol=1e-6)


def test_pipeline_score_predict_and_proba_take_raw_rows() -> None:
    _, scoring = _pipeline_scoring()
    rows = _mixed()[0].iloc[200:215]
    pipeline = _mixed_pipeline()
    scored = scoring.score(rows)
    assert scored.raw is True
    assert scored.values is not None and scored.values.shape == (2, 15, 4)
    assert list(scored.predictions) == list(pipeline.predict(rows))
    np.testing.assert_allclose(scored.probabilities, pipeline.predict_proba(rows), rtol=0, atol=1e-12)
    engineered = scoring.score(rows, get_raw=False)
    assert engineered.raw is False and engineered.values is not None and engineered.values.shape == (2, 15, 6)
    np.testing.assert_array_equal(scoring.predict(rows), pipeline.predict(rows))
    np.testing.assert_allclose(scoring.predict_proba(rows), pipeline.predict_proba(rows), rtol=0, atol=1e-12)


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_sparse_featurized_rows_give_the_explainers_values(task: str) -> None:
    X, y = _mixed()
    if task == "multiclass":
        y = np.where(X["region"] == "east", "c", y)
    # LightGBM gets CSR rows and returns its contributions as sparse blocks
    featurizer = ColumnTransformer([("cat", OneHotEncoder(), ["region"]),
                                    ("num", StandardScaler(), ["income"])], sparse_threshold=1.0)
    pipeline = Pipeline([("prep", featurizer), ("model", LGBMClassifier(
        n_estimators=10, verbose=-1, n_jobs=1, random_state=0))]).fit(X[["income", "region"]], y)
    rows = X[["income", "region"]].iloc[200:208]
    assert pipeline[:-1].transform(rows).format == "csr"
    facade = TabularExplainer(pipeline, X[["income", "region"]].iloc[:100])
    scoring = ScoringExplainer.for_explainer(facade)
    explanation = facade.explain_local(rows)
    np.testing.assert_allclose(scoring.explain(rows), explanation.local_importance_values, rtol=0, atol=ATOL)
    np.testing.assert_allclose(scoring.explain(rows, get_raw=False),
                               explanation.engineered_explanation.local_importance_values, rtol=0, atol=ATOL)


def test_a_classifier_without_predict_proba_scores_labels_only() -> None:
    X, y = _data("binary")
    model = LinearSVC(random_state=0).fit(X, y)
    scoring = LinearScoringExplainer(LinearExplainer(model, X))
    assert scoring.output_space_ == "margin"
    rows = X.iloc[:10]
    scored = scoring.score(rows)
    assert scored.probabilities is None
    np.testing.assert_array_equal(scored.predictions, model.predict(rows))
    assert scored.values is not None and scored.expected is not None
    np.testing.assert_allclose(scored.values.sum(axis=2) + scored.expected[:, None],
                               _outputs(model.decision_function(rows)), rtol=0, atol=1e-8)
    with pytest.raises(ModelCallError, match=r"LinearSVC has no predict_proba"):
        scoring.predict_proba(rows)


def test_pipeline_input_schema_has_each_kind() -> None:
    _, scoring = _pipeline_scoring()
    assert scoring.input_schema_ == MIXED_KINDS


def test_initialization_examples_override_the_input_schema() -> None:
    facade, _ = _pipeline_scoring()
    X, _ = _mixed()
    scoring = TreeScoringExplainer(facade, initialization_examples=X.astype({"age": float, "member": int}))
    assert scoring.input_schema_ == {**MIXED_KINDS, "age": "number", "member": "integer"}
    as_array = TreeScoringExplainer(facade, initialization_examples=X.to_numpy())  # no column types
    assert as_array.input_schema_ == {c: "number" for c in X.columns}


def test_input_schema_defaults_to_number_without_initialization_examples() -> None:
    X = pd.DataFrame({"count": np.arange(60) % 7, "flag": np.arange(60) % 3 == 0,
                      "x": np.linspace(-1, 1, 60)})
    y = X["count"] + 2 * X["flag"] + X["x"]
    model = LGBMRegressor(n_estimators=5, min_child_samples=5, verbose=-1, n_jobs=1).fit(X, y)
    assert TreeScoringExplainer(TreeExplainer(model)).input_schema_ == {
        "count": "number", "flag": "number", "x": "number"}
    scoring = TreeScoringExplainer(TreeExplainer(model, X))
    assert scoring.input_schema_ == {"count": "integer", "flag": "boolean", "x": "number"}


def test_get_raw_true_without_a_feature_map_is_refused() -> None:
    case, scoring = _case("lightgbm-binary"), _scoring("lightgbm-binary")
    message = r"TreeScoringExplainer\.explain: get_raw=True needs transformations or feature_maps"
    with pytest.raises(ExplanationValueError, match=message):
        scoring.explain(case.X, get_raw=True)
    with pytest.raises(ExplanationValueError, match=message):
        scoring.explain_with_expected(case.X, get_raw=True)
    with pytest.raises(ExplanationValueError, match=message):
        scoring.score(case.X, get_raw=True)
    with pytest.raises(ExplanationValueError, match=message):
        scoring.output_features(get_raw=True)
    assert scoring.output_features(get_raw=False) == tuple(case.X.columns)
    assert scoring.score(case.X, explain=False, get_raw=True).raw is False  # nothing explained


def test_feature_maps_give_raw_values_for_an_explainer_without_one() -> None:
    case = _case("lightgbm-regression")
    fmap = FeatureMap(["a", "b"], list(case.X.columns),
                      np.array([[1, 1, 0, 0, 0], [0, 0, 1, 1, 1]], dtype=float))
    scoring = TreeScoringExplainer(case.explainer, feature_maps=fmap)
    assert scoring.raw_features_ == ("a", "b") == scoring.output_features()
    raw = scoring.explain(case.X)
    engineered = scoring.explain(case.X, get_raw=False)
    assert raw.shape == (N_EVAL, 2)
    np.testing.assert_allclose(raw[:, 0], engineered[:, :2].sum(axis=1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(raw[:, 1], engineered[:, 2:].sum(axis=1), rtol=0, atol=1e-12)
    as_array = TreeScoringExplainer(case.explainer, feature_maps=fmap.to_matrix())
    np.testing.assert_allclose(as_array.explain(case.X), raw, rtol=0, atol=1e-12)


def test_feature_maps_of_the_wrong_size_are_refused() -> None:
    case = _case("lightgbm-regression")
    fmap = FeatureMap(["a"], ["f0", "f1", "f2"], np.ones((1, 3)))
    with pytest.raises(ExplanationValueError,
                       match=r"TreeScoringExplainer: feature_maps has 3 engineered features but the "
                             r"explainer has 5"):
        TreeScoringExplainer(case.explainer, feature_maps=fmap)


def test_feature_maps_array_of_the_wrong_shape_raises_an_explanation_error() -> None:
    case = _case("lightgbm-regression")
    with pytest.raises(ExplanationValueError, match=r"feature_maps|engineered"):
        TreeScoringExplainer(case.explainer, feature_maps=np.ones((2, 3)))


def test_raw_values_with_explain_subset_equal_the_explainers() -> None:
    X, _ = _mixed()
    facade = TabularExplainer(_mixed_pipeline(), X.iloc[:100], explain_subset=[0, 3])
    scoring = ScoringExplainer.for_explainer(facade)
    rows = X.iloc[200:205]
    expected = facade.explain_local(rows).local_importance_values
    np.testing.assert_allclose(scoring.explain(rows), expected, rtol=0, atol=ATOL)


# ----------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("scoring_class", "name", "message"), [
    (LinearScoringExplainer, "lightgbm-binary",
     r"LinearScoringExplainer: needs a fitted LinearExplainer, got TreeExplainer"),
    (TreeScoringExplainer, "linear-binary",
     r"TreeScoringExplainer: needs a fitted TreeExplainer, MimicExplainer, got LinearExplainer"),
    (KernelScoringExplainer, "mimic-binary",
     r"KernelScoringExplainer: needs a fitted KernelExplainer, got MimicExplainer"),
    (TreeScoringExplainer, "kernel-regression",
     r"TreeScoringExplainer: needs a fitted TreeExplainer, MimicExplainer, got KernelExplainer"),
])
def test_a_subclass_refuses_another_explainer_type(scoring_class: type, name: str, message: str) -> None:
    with pytest.raises(ExplanationTypeError, match=message):
        scoring_class(_case(name).explainer)


def test_a_subclass_refuses_a_wrapped_explainer_of_another_type() -> None:
    X, y = _data("regression")
    facade = TabularExplainer(Ridge().fit(X, y), X)
    with pytest.raises(ExplanationTypeError, match=r"TreeScoringExplainer: .*got LinearExplainer"):
        TreeScoringExplainer(facade)


def test_for_explainer_refuses_what_it_cannot_serve() -> None:
    with pytest.raises(ExplanationTypeError, match=r"for_explainer: no scoring explainer for dict"):
        ScoringExplainer.for_explainer({})
    with pytest.raises(ExplanationTypeError, match=r"needs a fitted .*, got Ridge"):
        TreeScoringExplainer(Ridge())


def test_tree_scoring_explainer_refuses_a_mimic_with_a_linear_surrogate() -> None:
    X, y = _data("binary")
    model = KNeighborsClassifier().fit(X, y)
    mimic = MimicExplainer(model, X, LinearExplainableModel)
    with pytest.raises(ExplanationTypeError, match=r"surrogate is 'linear', not a tree"):
        TreeScoringExplainer(mimic)
    with pytest.raises(ExplanationTypeError, match=r"surrogate is 'linear'"):
        ScoringExplainer.for_explainer(mimic)


@pytest.mark.parametrize("name", ["lightgbm-binary", "linear-regression", "kernel-multiclass"])
@pytest.mark.parametrize("method", ["explain", "explain_with_expected", "score", "predict"])
def test_wrong_columns_are_refused_naming_the_column(name: str, method: str) -> None:
    case, scoring = _case(name), _scoring(name)
    renamed = case.X.rename(columns={"f2": "zz"})
    with pytest.raises(ExplanationValueError, match=r"missing: 'f2'; unknown: 'zz'"):
        getattr(scoring, method)(renamed)
    with pytest.raises(ExplanationValueError, match=r"missing: 'f3'"):
        getattr(scoring, method)(case.X.drop(columns="f3"))


def test_wrong_number_of_columns_in_an_array_is_refused() -> None:
    case, scoring = _case("lightgbm-regression"), _scoring("lightgbm-regression")
    with pytest.raises(ExplanationValueError, match=r"has 4 columns but the explainer was set up with 5"):
        scoring.explain(case.X.to_numpy()[:, :4])


def test_columns_in_another_order_are_aligned_by_name() -> None:
    case, scoring = _case("lightgbm-binary"), _scoring("lightgbm-binary")
    shuffled = case.X[list(reversed(case.X.columns))]
    np.testing.assert_allclose(scoring.explain(shuffled), scoring.explain(case.X), rtol=0, atol=0)


def test_wrong_raw_columns_are_refused_naming_the_column() -> None:
    _, scoring = _pipeline_scoring()
    rows = _mixed()[0].iloc[:5]
    with pytest.raises(ExplanationValueError, match=r"missing: 'region'; unknown: 'area'"):
        scoring.explain(rows.rename(columns={"region": "area"}))
    with pytest.raises(ExplanationValueError, match=r"missing: 'member'"):
        scoring.score(rows.drop(columns="member"))


def _thresholded() -> tuple[ScoringExplainer, Any, pd.DataFrame]:
    X, y = _data("binary", n_features=4, n_rows=200)
    model = FixedThresholdClassifier(LogisticRegression(), threshold=0.2).fit(X, y)
    scoring = ScoringExplainer.for_explainer(TabularExplainer(model, X.iloc[:30]))
    assert type(scoring) is KernelScoringExplainer
    return scoring, model, X.iloc[:40]


def _relabelled() -> tuple[ScoringExplainer, Any, pd.DataFrame]:
    X, y = _data("binary")
    labels = (y == "yes").astype(int)
    model = LGBMClassifier(n_estimators=10, verbose=-1, n_jobs=1, random_state=0).fit(X, labels)
    return TreeScoringExplainer(TreeExplainer(model, X, classes=["no", "yes"])), model, X.iloc[:40]


@pytest.mark.parametrize("make", [_thresholded, _relabelled], ids=["thresholded", "classes-given"])
def test_score_predictions_equal_predict(make: Callable[[], tuple[ScoringExplainer, Any, pd.DataFrame]]
                                         ) -> None:
    """The model's own predict, its labels named by ``classes_`` (0/1 -> "no"/"yes" when
    classes were given), in ``predict`` and ``score`` alike."""
    scoring, model, rows = make()
    expected = np.asarray(scoring.classes_)[np.searchsorted(model.classes_, model.predict(rows))]
    assert set(expected) <= set(scoring.classes_)
    np.testing.assert_array_equal(scoring.predict(rows), expected)  # predict is right
    assert list(scoring.score(rows, explain=False).predictions) == list(expected)


# ---------------------------------------------------------------------------------------- from_run
class FakeRun:
    """What ``from_run`` reads of a run: the explainer stored with it."""

    def __init__(self, stored: RunExplainer) -> None:
        self.stored = stored

    def get_explainer(self) -> RunExplainer:
        return self.stored


def _stored_explainer(estimator: str, X: pd.DataFrame, pipeline: Pipeline) -> Any:
    if estimator == "knn":
        return MimicExplainer(pipeline, X.iloc[:250], LGBMExplainableModel, random_state=0,
                              explainable_model_args={"n_estimators": 30})
    return TabularExplainer(pipeline, X.iloc[:250])


@pytest.mark.parametrize(("estimator", "scoring_class", "method"), [
    ("lightgbm", TreeScoringExplainer, "shap.tree"),
    ("linear", LinearScoringExplainer, "shap.linear"),
    ("knn", TreeScoringExplainer, "mimic.tree"),
])
def test_from_run_serves_the_stored_explainer_without_fitting(
        estimator: str, scoring_class: type, method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    X, _ = _mixed()
    pipeline = _mixed_pipeline(estimator)
    explainer = _stored_explainer(estimator, X, pipeline)
    fidelity = Fidelity(exact=True, additivity_error=1e-15, explained_rows="30 held-out rows")
    forbid_fitting(monkeypatch)
    scoring = ScoringExplainer.from_run(FakeRun(RunExplainer(explainer, pipeline, fidelity=fidelity)))
    assert type(scoring) is scoring_class and scoring.method == method
    assert scoring.explainer_ is getattr(explainer, "explainer", explainer)
    assert scoring.fidelity_ is fidelity
    assert scoring.fidelity_line == "exact SHAP values of the model (additivity error 1e-15)"
    assert scoring.model_ is pipeline
    assert scoring.input_columns_ == tuple(X.columns) == scoring.raw_features_
    assert scoring.input_schema_ == MIXED_KINDS
    rows = X.iloc[:10]
    np.testing.assert_array_equal(scoring.predict(rows), pipeline.predict(rows))
    np.testing.assert_allclose(scoring.predict_proba(rows), pipeline.predict_proba(rows), rtol=0, atol=1e-12)
    offline = explainer.explain_local(rows)
    raw, expected = scoring.explain_with_expected(rows)
    engineered, _ = scoring.explain_with_expected(rows, get_raw=False)
    np.testing.assert_allclose(raw, offline.local_values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(engineered, offline.engineered_explanation.local_values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(expected, offline.expected_values_, rtol=0, atol=1e-12)


def test_from_run_refuses_a_run_whose_explainer_is_not_a_run_explainer() -> None:
    class OddRun:
        def get_explainer(self) -> Any:
            return "explainer.joblib"

    with pytest.raises(ExplanationTypeError,
                       match=r"run.get_explainer\(\) must return a RunExplainer, got str"):
        ScoringExplainer.from_run(OddRun())


def test_from_run_takes_the_surrogates_fidelity_when_none_was_recorded() -> None:
    X, _ = _mixed()
    pipeline = _mixed_pipeline("knn")
    explainer = _stored_explainer("knn", X, pipeline)
    scoring = ScoringExplainer.from_run(FakeRun(RunExplainer(explainer, pipeline)))
    line = scoring.fidelity_line
    assert line.startswith("SHAP values of a LightGBM surrogate, not of the model: it agrees with the "
                           "model at accuracy "), line

"""Azure AutoML's explanation helpers: ``retrieve_model_explanation`` and ``explain_model``.

Checks the tuple ``(shap_values, expected_values, overall_summary, overall_imp,
per_class_summary, per_class_imp)`` of the three searches' models: shapes, ranking, raw
columns vs engineered features, ``top_k``, and that local values add up to the model output
(the final estimator's for tree and linear models, the surrogate's for a mimic explanation).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline

from automl import AutoMLRun, ChildRun, explain_model, retrieve_model_explanation
from automl._explanations import explain_model_rows
from automl._finalize import BACKGROUND_ROWS, EXPLAIN_ROWS, EXPLAINED_ROWS, HOLDOUT
from automl._folds import explanation_holdout
from explain import Explanation, ExplanationClient, MimicExplainer
from explain.models import LGBMExplainableModel
from tests.automl.test_search import shared_search

TOLERANCE = 1e-6
# final estimators without an exact explainer: explained through a LightGBM surrogate
MIMICKED = {"KNeighborsClassifier", "KNeighborsRegressor"}


@pytest.fixture(scope="module", params=["binary", "multiclass", "regression"])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AutoMLRun:
    return shared_search(tmp_path_factory, request.param)


def best_explanation(run: AutoMLRun) -> Explanation:
    return ExplanationClient.from_run(run.best_child()).download_model_explanation(
        comment="best model", raw=True)


def explained_rows(run: AutoMLRun) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The background and the rows the search explained its best model on (see _finalize): the
    held-out slice, and a sample of the rows the model was fitted on."""
    X, y = run.training_data()
    stored = run.store.latest_object(run.study, run.best_child().number, EXPLAINED_ROWS)
    held_out = run.store.latest_object(run.study, "experiment", HOLDOUT)
    np.testing.assert_array_equal(held_out, explanation_holdout(y, run.task, 0))
    pd.testing.assert_frame_equal(stored["X"], X.iloc[held_out])
    assert len(stored["X"]) <= EXPLAIN_ROWS
    fitted = X.drop(index=X.index[held_out])
    return fitted.sample(min(BACKGROUND_ROWS, len(fitted)), random_state=0), stored["X"]


def blend_output(model: Pipeline, rows: pd.DataFrame) -> np.ndarray:
    """A weighted ensemble's own output (outputs, rows): its margins, or its prediction."""
    ensemble, features = model[-1], model[:-1].transform(rows)
    if ensemble.task == "regression":
        return np.asarray(ensemble.predict(features), dtype=np.float64)[None, :]
    margin = np.asarray(ensemble.decision_function(features), dtype=np.float64)
    return np.vstack([-margin, margin]) if margin.ndim == 1 else margin.T


def check_blend(explanation: Explanation, output: np.ndarray) -> None:
    """Exact when every member has an exact explainer; else the surrogates' share is stated."""
    assert explanation.method == "blend"
    error = np.abs(explanation.local_values.sum(axis=2) + explanation.expected_values_[:, None] - output)
    if explanation.fidelity.exact:
        assert error.max() < TOLERANCE, error.max()
        assert "exact SHAP values of the model" in explanation.fidelity.summary()
    else:
        assert 0 < explanation.fidelity.surrogate_share < 1
        assert explanation.fidelity.model_additivity_error == pytest.approx(error.max())
        assert "from surrogates" in explanation.fidelity.summary()


def model_output(model: Pipeline, rows: pd.DataFrame, space: str) -> np.ndarray:
    """The final estimator's output on the featurized rows in ``space``, shape (n_outputs, n_rows)."""
    features = model[:-1].transform(rows)
    estimator = model[-1]
    if space == "probability":
        output = estimator.predict_proba(features)
    elif hasattr(estimator, "booster_"):  # LightGBM: the raw score (log-odds or prediction)
        output = estimator.booster_.predict(features, raw_score=True)
    elif space in ("log_odds", "margin"):
        output = estimator.decision_function(features)
    else:
        output = estimator.predict(features)
    output = np.asarray(output, dtype=np.float64).reshape(len(rows), -1).T
    # binary: one log-odds output, class 0 explained by its negation
    return np.vstack([-output, output]) if is_classifier(estimator) and output.shape[0] == 1 else output


def mimic(model: Pipeline, background: pd.DataFrame, rows: pd.DataFrame) -> tuple[Explanation, np.ndarray]:
    """The mimic explanation the library builds (same settings), and its surrogate's output."""
    explainer = MimicExplainer(model, background, LGBMExplainableModel,
                               explainable_model_args={"n_estimators": 200}, random_state=0)
    explanation = explainer.explain_global(rows)
    raw_score = explainer.surrogate_.model_.booster_.predict(model[:-1].transform(rows), raw_score=True)
    output = np.asarray(raw_score, dtype=np.float64).reshape(len(rows), -1).T
    if explanation.is_classification and output.shape[0] == 1:
        output = np.vstack([-output, output])
    return explanation, output


def assert_adds_up(local: np.ndarray, expected: Any, output: np.ndarray, float32: bool = False) -> None:
    local = local if local.ndim == 3 else local[None]
    base = np.atleast_1d(np.asarray(expected, dtype=np.float64))
    # XGBoost predicts and explains in float32 (relative precision 1.2e-7): outputs of a few
    # hundred are only good to ~1e-4, so its tolerance is relative to the output's size
    atol = 1e-5 * max(1.0, float(np.abs(output).max())) if float32 else TOLERANCE
    np.testing.assert_allclose(local.sum(axis=2) + base[:, None], output, rtol=0, atol=atol)


def check_tuple(result: tuple[Any, ...], task: str, n_classes: int, n_rows: int,
                features: list[str]) -> None:
    """Shapes and ranking of an Azure AutoML explanation tuple."""
    shap_values, expected, overall_summary, overall_imp, per_class_summary, per_class_imp = result
    n_features = len(features)
    assert sorted(overall_imp) == sorted(features)
    assert overall_summary == sorted(overall_summary, reverse=True)
    if task == "classification":
        assert shap_values.shape == (n_classes, n_rows, n_features)
        assert isinstance(expected, list) and len(expected) == n_classes
        per_class = np.abs(shap_values).mean(axis=1)
        assert len(per_class_summary) == len(per_class_imp) == n_classes
        for k in range(n_classes):
            assert per_class_summary[k] == sorted(per_class_summary[k], reverse=True)
            importance = dict(zip(features, per_class[k], strict=True))
            np.testing.assert_allclose(per_class_summary[k], [importance[f] for f in per_class_imp[k]])
        overall = per_class.mean(axis=0)
    else:
        assert shap_values.shape == (n_rows, n_features)
        assert isinstance(expected, list) and len(expected) == 1  # [v], as interpret-community returns
        assert per_class_summary is None and per_class_imp is None
        overall = np.abs(shap_values).mean(axis=0)
    # overall_summary[i] is the importance of overall_imp[i]: the mean |local value|
    importance = dict(zip(features, overall, strict=True))
    np.testing.assert_allclose(overall_summary, [importance[f] for f in overall_imp], rtol=1e-9)


def features_of(run: AutoMLRun, raw: bool) -> list[str]:
    X, _ = run.training_data()
    return list(X.columns) if raw else list(run.get_output()[1][0].get_feature_names_out())


# ---------------------------------------------------------------------- retrieve_model_explanation
@pytest.mark.parametrize("raw", [True, False])
def test_retrieved_explanation_tuple(run: AutoMLRun, raw: bool) -> None:
    _, y = run.training_data()
    n_classes = len(np.unique(y)) if run.task == "classification" else 1
    result = retrieve_model_explanation(run, raw=raw)
    shap_values = result[0]
    features = features_of(run, raw)
    # the tuple's features are in the explanation's order: the raw columns / featurizer outputs
    explanation = best_explanation(run)
    explanation = explanation if raw else explanation.engineered_explanation
    assert list(explanation.features) == features
    np.testing.assert_array_equal(shap_values, explanation.local_importance_values)
    check_tuple(result, run.task, n_classes, len(explained_rows(run)[1]), features)


def test_raw_explanations_have_every_raw_column_dropped_ones_at_zero(run: AutoMLRun) -> None:
    explanation = best_explanation(run)
    X, _ = run.training_data()
    assert explanation.is_raw and list(explanation.features) == list(X.columns)
    featurizer = run.get_output()[1][0]
    for column in featurizer.dropped_:  # the binary table's customer_id: ID-like
        i = explanation.features.index(column)
        assert explanation.global_values[i] == 0 and not explanation.local_values[:, :, i].any()
    assert list(featurizer.dropped_) == (["customer_id"] if run.experiment_name == "binary" else [])


def test_top_k_keeps_the_most_important_features(run: AutoMLRun) -> None:
    full = retrieve_model_explanation(run, raw=True)
    top = retrieve_model_explanation(run, raw=True, top_k=3)
    assert top[3] == full[3][:3] and top[2] == full[2][:3]
    assert top[0].shape == (*full[0].shape[:-1], 3)
    assert top[1] == full[1]
    if run.task == "classification":
        assert all(len(names) == 3 for names in top[5])


def test_raw_local_values_add_up_to_the_model_output(run: AutoMLRun) -> None:
    explanation = best_explanation(run)
    engineered = explanation.engineered_explanation
    # mapping to raw columns moves values between features, never changes a row's sum
    np.testing.assert_allclose(explanation.local_values.sum(axis=2),
                               engineered.local_values.sum(axis=2), atol=1e-9)
    assert explanation.expected_values == engineered.expected_values
    background, rows = explained_rows(run)
    model = run.get_output()[1]
    assert explanation.fidelity.explained_rows == f"{len(rows):,} held-out rows (not used to fit the model)"
    if type(model[-1]).__name__ == "WeightedEnsemble":
        check_blend(explanation, blend_output(model, rows))
        check_blend(engineered, blend_output(model, rows))
        return
    if type(model[-1]).__name__ in MIMICKED:
        assert explanation.method == "mimic.lightgbm"
        rebuilt, output = mimic(model, background, rows)
        np.testing.assert_allclose(rebuilt.local_values, explanation.local_values, atol=1e-9)
        assert explanation.fidelity.surrogate_score > 0.8
        assert explanation.fidelity.surrogate_metric == ("accuracy" if run.task == "classification" else "r2")
        assert "exact" not in explanation.fidelity.summary()
    else:
        assert explanation.method in ("shap.tree", "shap.linear")
        output = model_output(model, rows, explanation.output_space)
    assert_adds_up(explanation.local_values, explanation.expected_values_, output)
    assert explanation.fidelity.additivity_error < TOLERANCE


def test_a_child_run_has_its_own_cheap_explanation(run: AutoMLRun) -> None:
    # any completed run but the best (which one wins depends on the installed libraries' versions)
    best = run.best_child()
    child = next(c for c in run.get_children()
                 if c.status == "Completed" and c.estimator != "Ensemble" and c.id != best.id)
    shap_values, _, _, overall_imp, _, _ = retrieve_model_explanation(child, raw=True)
    X, _ = run.training_data()
    assert sorted(overall_imp) == sorted(X.columns)
    # rows of the last fold: 1 to 100, as many as cost about a tenth of the run's fitting time
    assert 1 <= shap_values.shape[-2] <= min(100, len(X) // 3)


# ---------------------------------------------------------------------- explain_model
def families(run: AutoMLRun) -> list[ChildRun]:
    """The first completed run of every estimator family, and the ensemble."""
    first: dict[str, ChildRun] = {}
    for child in run.get_children():
        if child.status == "Completed":
            first.setdefault(child.estimator, child)
    return list(first.values())


def test_explain_model_of_every_family(run: AutoMLRun) -> None:
    X, y = run.training_data()
    X_train, X_test = X.iloc[::2], X.iloc[1::2].iloc[:40]
    n_classes = len(np.unique(y)) if run.task == "classification" else 1
    checked = set()
    for child in families(run):
        model = child.get_model()
        name = type(model[-1]).__name__
        if name == "WeightedEnsemble":
            check_blend(explain_model_rows(model, X_train, X_test), blend_output(model, X_test))
            checked.add(name)
            continue
        if name in MIMICKED:
            _, output = mimic(model, X_train, X_test)
        else:
            output = model_output(model, X_test, _space(model[-1], run.task))
        for raw in (True, False):
            result = explain_model(model, X_train, X_test, raw=raw)
            check_tuple(result, run.task, n_classes, len(X_test), features_of(run, raw))
            assert_adds_up(result[0], result[1], output, float32=name.startswith("XGB"))
        checked.add(name)
    assert len(checked) == 4 and "WeightedEnsemble" in checked


def _space(estimator: Any, task: str) -> str:
    """The output space the exact explainers use for this estimator."""
    if task == "regression":
        return "raw"
    return "probability" if type(estimator).__name__ == "RandomForestClassifier" else "log_odds"


def test_explain_model_takes_arrays_with_feature_names(tmp_path_factory: pytest.TempPathFactory) -> None:
    run = shared_search(tmp_path_factory, "regression")
    X, _ = run.training_data()
    model = run.get_output()[1]
    from_frames = explain_model(model, X.iloc[:200], X.iloc[200:240], raw=True, top_k=4)
    from_arrays = explain_model(model, X.iloc[:200].to_numpy(), X.iloc[200:240].to_numpy(),
                                features=list(X.columns), raw=True, top_k=4)
    assert from_arrays[3] == from_frames[3] and len(from_arrays[3]) == 4
    np.testing.assert_allclose(from_arrays[0], from_frames[0])


def test_sdk_v1_signatures(tmp_path_factory: pytest.TempPathFactory, tmp_path: Any) -> None:
    """Azure SDK v1: explain_model(fitted_model, X_train, X_test, best_run, features, y_train) and
    retrieve_model_explanation(child_run); best_run stores the explanation with that run."""
    from explain import DirectoryRun

    run = shared_search(tmp_path_factory, "regression")
    X, y = run.training_data()
    model = run.get_output()[1]
    store = DirectoryRun(tmp_path / "best_run")
    result = explain_model(model, X.iloc[:200], X.iloc[200:220], store, None, y[:200], raw=True)
    stored = ExplanationClient.from_run(store).download_model_explanation(comment="explain_model", raw=True)
    assert stored.get_ranked_global_names() == result[3]
    np.testing.assert_allclose(stored.local_values[0], result[0])
    assert retrieve_model_explanation(child_run=run.best_child(), raw=True)[3] == \
        retrieve_model_explanation(run, raw=True)[3]

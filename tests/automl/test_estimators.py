"""Estimator families: each samples valid hyperparameters and builds a one-thread estimator."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import optuna
import pytest
from sklearn.base import clone, is_classifier
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from automl import estimator_names
from automl._estimators import DEFAULT_ORDER, ESTIMATORS, get_estimator
from automl._trial import build_tail
from tests._synthetic import make_ground_truth

CASES = [(name, task) for name, spec in ESTIMATORS.items() for task in spec.tasks]


@pytest.fixture(scope="module")
def tiny() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """60 rows of each task; classification labels are strings."""
    X, y = make_ground_truth("multiclass", n_rows=60, n_features=4)
    X_reg, y_reg = make_ground_truth("regression", n_rows=60, n_features=4)
    return {"classification": (X.to_numpy(), y), "regression": (X_reg.to_numpy(), y_reg)}


def test_estimator_names() -> None:
    assert estimator_names("classification") == [
        "LogisticRegression", "LinearDiscriminantAnalysis", "LightGBM", "RandomForest", "ExtremeRandomTrees",
        "HistGradientBoosting", "SGD", "KNN", "XGBoost"]
    assert estimator_names("regression") == [
        "ElasticNet", "LightGBM", "RandomForest", "ExtremeRandomTrees", "HistGradientBoosting",
        "SGD", "KNN", "XGBoost"]
    assert set(DEFAULT_ORDER) <= set(ESTIMATORS)


def test_unavailable_families_are_hidden_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = get_estimator("XGBoost")
    monkeypatch.setitem(ESTIMATORS, "XGBoost", type(spec)(
        spec.name, spec.tasks, spec.scaled, spec.space, spec.defaults, spec.build, available=lambda: False))
    assert "XGBoost" not in estimator_names("classification")
    assert "XGBoost" in estimator_names("classification", include_unavailable=True)


@pytest.mark.parametrize(("name", "task"), CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_sampled_estimators_fit_tiny_data(name: str, task: str, seed: int,
                                          tiny: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    spec = get_estimator(name)
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed)).ask()
    params = spec.suggest(trial, task)
    assert trial.params == spec.prefixed(params)  # names prefixed in the trial, plain for the model
    estimator = spec.build(params, task, 0)
    assert is_classifier(estimator) is (task == "classification")
    settings = estimator.get_params()
    assert {k: settings[k] for k in params} == params
    if "n_jobs" in settings:  # None: one job, outside a joblib parallel context
        assert settings["n_jobs"] in (None, 1)
    X, y = tiny[task]
    tail = build_tail(spec, params, task, 0).fit(X, y)
    if spec.scaled:
        assert isinstance(tail, Pipeline) and isinstance(tail[0], StandardScaler)
    predictions = tail.predict(X)
    assert predictions.shape == (60,)
    if task == "classification":
        assert set(predictions) <= {"a", "b", "c"} and list(tail.classes_) == ["a", "b", "c"]
        np.testing.assert_allclose(tail.predict_proba(X).sum(axis=1), 1.0, rtol=1e-6)
    else:
        assert np.isfinite(predictions).all()


@pytest.mark.parametrize("name", DEFAULT_ORDER)
def test_defaults_are_a_point_of_the_space(name: str) -> None:
    spec = get_estimator(name)
    task = spec.tasks[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FixedTrial warns about values out of the range
        params = spec.suggest(optuna.trial.FixedTrial(spec.prefixed(spec.defaults)), task)
    assert params == spec.defaults


def test_scaled_families() -> None:
    scaled = {name for name, spec in ESTIMATORS.items() if spec.scaled}
    assert scaled == {"LogisticRegression", "LinearDiscriminantAnalysis", "ElasticNet", "SGD", "KNN"}
    tail = build_tail(get_estimator("LightGBM"), get_estimator("LightGBM").defaults, "regression", 0)
    assert not isinstance(tail, Pipeline)


def test_random_state_reaches_the_model() -> None:
    spec = get_estimator("RandomForest")
    assert spec.build(spec.defaults, "classification", 7).random_state == 7
    assert type(spec.build(spec.defaults, "regression", None)).__name__ == "RandomForestRegressor"


# ---------------------------------------------------------------------- XGBoost with any labels
@pytest.fixture(scope="module")
def xgb_classifier() -> type:
    pytest.importorskip("xgboost")
    from automl._xgboost import LabelEncodedXGBClassifier

    return LabelEncodedXGBClassifier


def test_xgboost_takes_string_labels(xgb_classifier: type,
                                     tiny: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    X, y = tiny["classification"]
    spec = get_estimator("XGBoost")
    model = spec.build(spec.defaults, "classification", 0)
    assert isinstance(model, xgb_classifier) and is_classifier(model)
    model.fit(X, y)
    assert list(model.classes_) == ["a", "b", "c"]
    proba = model.predict_proba(X)
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    assert np.mean(model.predict(X) == y) > 0.9
    assert model.n_classes_ == 3


def test_xgboost_binary_labels_and_cloning(xgb_classifier: type) -> None:
    X, y = make_ground_truth("binary", n_rows=90, n_features=4)
    model = xgb_classifier(n_estimators=20, max_depth=2, n_jobs=1, random_state=0)
    copy = clone(model)
    assert copy.get_params()["n_estimators"] == 20 and not hasattr(copy, "label_encoder_")
    scores = cross_val_score(copy, X, y, cv=3)
    assert scores.mean() > 0.7
    model.fit(X, y)
    assert list(model.classes_) == ["no", "yes"] and model.predict_proba(X).shape == (90, 2)
    assert set(model.predict(X)) == {"no", "yes"}


def test_xgboost_margins_are_xgboosts_own(xgb_classifier: type,
                                          tiny: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """``predict(output_margin=True)`` gives XGBoost's raw margins (the ensemble and the
    explanations combine members in that space), not labels or an error."""
    import xgboost

    from explain.explainers._margins import classifier_margins, has_native_margin

    X, y = make_ground_truth("binary", n_rows=90, n_features=4)
    model = xgb_classifier(n_estimators=20, max_depth=2, n_jobs=1, random_state=0).fit(X, y)
    plain = xgboost.XGBClassifier(n_estimators=20, max_depth=2, n_jobs=1, random_state=0)
    plain.fit(X, (y == "yes").astype(int))
    np.testing.assert_allclose(model.predict(X, output_margin=True), plain.predict(X, output_margin=True))
    assert has_native_margin(model, X[:5])
    log_odds = classifier_margins(model, X)
    np.testing.assert_allclose(1 / (1 + np.exp(-(log_odds[:, 1] - log_odds[:, 0]))),
                               model.predict_proba(X)[:, 1], rtol=1e-5)
    X3, y3 = tiny["classification"]
    three = xgb_classifier(n_estimators=10, max_depth=2, n_jobs=1, random_state=0).fit(X3, y3)
    assert three.predict(X3, output_margin=True).shape == (len(y3), 3)


@pytest.mark.parametrize(("name", "task"), CASES)
def test_every_family_completes_a_trial_of_a_search(name: str, task: str, tmp_path: Path) -> None:
    """Each family runs through a real search (folds, out-of-fold margins, the run's
    explanation) and completes: a family whose trials all fail would only show as a weaker
    leaderboard."""
    from automl import AutoML, AutoMLConfig

    if not ESTIMATORS[name].available():
        pytest.skip(f"{name} is not installed")
    X, y = make_ground_truth("binary" if task == "classification" else "regression", n_rows=120,
                             n_features=4)
    config = AutoMLConfig(task, X=X, y=y, allowed_models=[name], iterations=1, n_cross_validations=2,
                          ensemble=False, n_jobs=1, random_state=0, storage=f"sqlite:///{tmp_path}/runs.db",
                          experiment_name="one", verbosity=40)
    children = AutoML(config).fit().get_children()
    assert [(c.estimator, c.status, c.error) for c in children] == [(name, "Completed", None)]

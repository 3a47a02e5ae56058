"""The search end to end: best run and model, children, leaderboard, ensemble, failures, limits.

The three searches with explanations (binary, multiclass, regression) are shared with
``test_runs``, ``test_compat`` and ``test_client`` through :func:`shared_search`, which runs
each of them once per test session, also when pytest-xdist spreads the modules over workers.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_wine

import automl._search
from automl import AutoML, AutoMLConfig, AutoMLRun, ChildRun, RunNotFoundError, SearchError
from automl._callbacks import EarlyStopping, search_trials_done
from automl._estimators import DEFAULT_ORDER, ESTIMATORS, get_estimator
from automl._folds import explanation_holdout
from automl._metrics import get_metric
from automl._refit import fit_tail
from explain import ExplanationClient
from featurization import AutoFeaturizer
from tests._synthetic import make_ground_truth, make_mixed_table

QUIET: dict[str, Any] = {"n_cross_validations": 3, "random_state": 0, "verbosity": logging.WARNING}
STATUSES = {"Completed", "Failed", "Pruned", "Running"}


def binary_table() -> pd.DataFrame:
    """The mixed table (NaN in numbers and categories, dates, text), an ID column, string label."""
    X, y = make_mixed_table("binary", n_rows=300)
    X["customer_id"] = np.arange(1000, 1300)  # ID-like: the featurizer drops it
    return X.assign(churn=y)


def wine() -> tuple[pd.DataFrame, np.ndarray]:
    data = load_wine(as_frame=True)
    return data.data, np.asarray(data.target_names)[data.target]


def nan_table() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_ground_truth("binary", n_rows=150, n_features=5)
    X.loc[::7, "f3"] = np.nan
    return X, y


SEARCHES: dict[str, Callable[[], dict[str, Any]]] = {
    "binary": lambda: {"task": "classification", "training_data": binary_table(),
                       "label_column_name": "churn", "iterations": 6, "primary_metric": "AUC_weighted",
                       "allowed_models": ["LogisticRegression", "LightGBM", "KNN"]},
    "multiclass": lambda: {"task": "classification", "X": wine()[0], "y": wine()[1], "iterations": 6,
                           "allowed_models": ["LogisticRegression", "LightGBM", "RandomForest"]},
    "regression": lambda: {"task": "regression", "X": load_diabetes(as_frame=True).data,
                           "y": load_diabetes().target, "iterations": 6,
                           "allowed_models": ["ElasticNet", "LightGBM", "XGBoost"]},
    # LogisticRegression cannot take the NaN that featurization="off" leaves; LightGBM can
    "nan_off": lambda: {"task": "classification", "X": nan_table()[0], "y": nan_table()[1],
                        "iterations": 4, "featurization": "off", "ensemble": False,
                        "allowed_models": ["LogisticRegression", "LightGBM"]},
}


def shared_search(tmp_path_factory: pytest.TempPathFactory, kind: str) -> AutoMLRun:
    """The search ``kind`` of :data:`SEARCHES`, run once per session and read back after.

    Under pytest-xdist the workers share the parent of their temporary folders; a file lock
    lets the first one search while the others wait, then load the stored experiment.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder = root / "automl-searches" / kind
    folder.mkdir(parents=True, exist_ok=True)
    storage = f"sqlite:///{folder}/runs.db"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if (folder / "done").exists():
            return AutoMLRun.load(kind, storage)
        config = AutoMLConfig(**SEARCHES[kind](), **QUIET, storage=storage, experiment_name=kind)
        run = AutoML(config).fit()
        (folder / "done").touch()
        return run


def small_config(tmp_path: Any, X: pd.DataFrame | None = None, y: np.ndarray | None = None,
                 **kwargs: Any) -> AutoMLConfig:
    """A cheap search, by default on 150 rows of synthetic data: no explanations, no ensemble."""
    if X is None:
        X, y = make_ground_truth("binary", n_rows=150, n_features=5)
    settings = {"iterations": 3, "allowed_models": ["LogisticRegression", "LightGBM"],
                "model_explainability": False, "explain_runs": False, "ensemble": False,
                **QUIET, **kwargs}
    return AutoMLConfig("classification", X=X, y=y, storage=f"sqlite:///{tmp_path}/runs.db",
                        **settings)


@pytest.fixture(scope="module", params=["binary", "multiclass", "regression"])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AutoMLRun:
    return shared_search(tmp_path_factory, request.param)


@pytest.fixture(scope="module")
def nan_run(tmp_path_factory: pytest.TempPathFactory) -> AutoMLRun:
    return shared_search(tmp_path_factory, "nan_off")


def sign(run: AutoMLRun) -> float:
    return 1.0 if get_metric(run.primary_metric, run.task).greater_is_better else -1.0


# ---------------------------------------------------------------------- searches with explanations
def test_get_output_is_the_best_completed_run_with_a_model_taking_raw_rows(run: AutoMLRun) -> None:
    best, model = run.get_output()
    assert isinstance(best, ChildRun) and best.status == "Completed"
    scores = [c.score for c in run.get_children() if c.status == "Completed"]
    assert best.score == (max(scores) if sign(run) > 0 else min(scores))
    X, y = run.training_data()
    predictions = model.predict(X.head(25))
    assert predictions.shape == (25,)
    if run.task == "classification":
        assert set(predictions) <= set(np.unique(y))
        assert np.mean(model.predict(X) == y) > 0.8
        np.testing.assert_allclose(model.predict_proba(X.head(25)).sum(axis=1), 1.0)
    else:
        assert np.corrcoef(model.predict(X), y)[0, 1] > 0.5


def test_children_are_in_trial_order_with_known_statuses(run: AutoMLRun) -> None:
    children = run.get_children()
    assert [c.number for c in children] == list(range(len(children)))
    assert [c.id for c in children] == [f"{run.experiment_name}_{c.number}" for c in children]
    assert {c.status for c in children} <= STATUSES
    trials = [c for c in children if c.estimator != "Ensemble"]
    assert len(trials) == run.settings["iterations"] == 6
    assert {c.estimator for c in trials} <= set(run.settings["models"])
    # each family's plain defaults once, in a fixed order; the cheap families' first (those of
    # forests and k-nearest neighbours after the first boosted portfolio points)
    defaults = [c.estimator for c in trials if c.trial.user_attrs.get("default")]
    assert defaults == [m for m in DEFAULT_ORDER if m in run.settings["models"]]
    assert [c.estimator for c in trials[:2]] == defaults[:2]


def test_completed_children_have_metrics_params_and_a_run_explanation(run: AutoMLRun) -> None:
    for child in run.get_children():
        if child.status != "Completed" or child.estimator == "Ensemble":
            continue
        metrics = child.metrics
        assert metrics[run.primary_metric] == child.score
        expected = {"accuracy", "AUC_weighted", "log_loss"} if run.task == "classification" \
            else {"r2_score", "normalized_root_mean_squared_error", "spearman_correlation"}
        assert expected <= set(metrics)
        assert metrics["fit_seconds"] > 0 and metrics["explain_seconds"] > 0
        assert set(child.params) == set(get_estimator(child.estimator).defaults)
        stored = ExplanationClient.from_run(child).list_model_explanations(comment="run")
        assert len(stored) == 1 and stored[0]["raw"] and stored[0]["engineered"], child


def test_a_run_explanation_builds_one_explainer_and_sizes_its_rows(tmp_path: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """One explainer per run: it explains a row, a second to time a row, then as many rows (at
    most 100) as a tenth of the run's fitting time allows."""
    built: list[int] = []
    real = automl._search.engineered_explainer

    def spy(*args: Any, **kwargs: Any) -> Any:
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(automl._search, "engineered_explainer", spy)
    run = AutoML(small_config(tmp_path, iterations=2, explain_runs=True)).fit()
    completed = [c for c in run.get_children() if c.status == "Completed"]
    assert len(built) == len(completed) == 2
    for child in completed:
        explanation = ExplanationClient.from_run(child).download_model_explanation(comment="run", raw=False)
        assert 1 <= explanation.num_examples <= 100
        # what the budget's reserve for the best model's explanation is estimated from
        attrs = child.trial.user_attrs
        assert 0 < attrs["explain_setup_seconds"] <= attrs["explain_seconds"]
        assert 0 <= attrs["explain_row_seconds"] <= attrs["explain_seconds"]


def test_leaderboard_lists_every_run_best_first(run: AutoMLRun) -> None:
    board = run.leaderboard()
    metric = run.primary_metric
    assert sorted(board["run"]) == sorted(c.id for c in run.get_children())
    assert {"estimator", "status", metric, "error"} <= set(board.columns)
    scores = board[metric].dropna().to_numpy()
    assert np.all(np.diff(sign(run) * scores) <= 0)
    assert board["run"][0] == run.best_child().id
    # runs without a score (failed, pruned) come last
    assert board[metric].isna().to_numpy().tolist() == sorted(board[metric].isna())


def test_the_ensemble_is_a_final_run_of_completed_members(run: AutoMLRun) -> None:
    ensembles = [c for c in run.get_children() if c.estimator == "Ensemble"]
    # Greedy selection keeps an ensemble only when it beats its best member on the out-of-fold
    # predictions, which depends on the installed libraries' versions: at most one.
    assert len(ensembles) <= 1
    if not ensembles:
        pytest.skip("no blend beat the best single run in this search")
    ensemble = ensembles[0]
    assert ensemble.status == "Completed"
    assert ensemble.number == len(run.get_children()) - 1
    members, weights = ensemble.params["members"], ensemble.params["weights"]
    assert len(members) == len(weights) >= 2
    assert np.sum(weights) == pytest.approx(1.0, abs=1e-3) and min(weights) > 0
    assert all(run.get_child(m).status == "Completed" for m in members)
    assert run.primary_metric in ensemble.metrics


def test_the_best_run_has_the_best_model_explanation(run: AutoMLRun) -> None:
    best = run.best_child()
    stored = ExplanationClient.from_run(best).list_model_explanations(comment="best model")
    assert len(stored) == 1
    X, y = run.training_data()
    held_out = explanation_holdout(y, run.task, 0)  # explained on rows the model was not fitted on
    assert stored[0]["num_examples"] == len(held_out) and stored[0]["num_features"] == X.shape[1]
    assert stored[0]["model_task"] == run.task


# ---------------------------------------------------------------------- failures and pruning
def test_failed_trials_record_their_error_and_the_search_goes_on(nan_run: AutoMLRun) -> None:
    children = nan_run.get_children()
    linear = [c for c in children if c.estimator == "LogisticRegression"]
    boosted = [c for c in children if c.estimator == "LightGBM"]
    assert linear and boosted and len(children) == 4
    for child in linear:
        assert child.status == "Failed" and child.score is None
        assert "ValueError" in child.error and "NaN" in child.error
    assert all(c.status == "Completed" and c.error is None for c in boosted)
    assert nan_run.best_child().estimator == "LightGBM"
    board = nan_run.leaderboard()
    assert list(board["status"])[-len(linear):] == ["Failed"] * len(linear)
    assert board["error"].str.contains("NaN").sum() == len(linear)


def test_a_raising_estimator_fails_its_trials_only(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(params: dict[str, Any], task: str, seed: int | None) -> Any:
        raise RuntimeError("cannot build this estimator")

    spec = get_estimator("LogisticRegression")
    monkeypatch.setitem(ESTIMATORS, "LogisticRegression",
                        type(spec)(spec.name, spec.tasks, spec.scaled, spec.space, spec.defaults, broken))
    run = AutoML(small_config(tmp_path, experiment_name="broken")).fit()
    statuses = {(c.estimator, c.status) for c in run.get_children()}
    assert ("LogisticRegression", "Failed") in statuses and ("LightGBM", "Completed") in statuses
    failed = next(c for c in run.get_children() if c.status == "Failed")
    assert failed.error == "RuntimeError: cannot build this estimator"
    assert run.get_output()[0].estimator == "LightGBM"


class _PruneAfterFirstTrial(optuna.pruners.BasePruner):
    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        return trial.number > 0


def test_pruned_trials_record_why(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(optuna.pruners, "MedianPruner", lambda **kwargs: _PruneAfterFirstTrial())
    run = AutoML(small_config(tmp_path, experiment_name="pruned",
                              allowed_models=["LogisticRegression"])).fit()
    first, *pruned = run.get_children()  # one default trial (never pruned), then sampled ones
    assert first.status == "Completed" and len(pruned) == 2
    for child in pruned:
        assert child.status == "Pruned" and child.score is None
        assert child.error.startswith("pruned after fold 1: mean score ")
    assert run.leaderboard()["status"].tolist() == ["Completed", "Pruned", "Pruned"]


def test_default_trials_are_never_pruned(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(optuna.pruners, "MedianPruner", lambda **kwargs: _PruneAfterFirstTrial())
    run = AutoML(small_config(tmp_path, experiment_name="defaults", iterations=2)).fit()
    assert [c.status for c in run.get_children()] == ["Completed", "Completed"]


class _PruneAtTheLastFold(optuna.pruners.BasePruner):
    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        return trial.last_step == 2


def test_a_trial_scored_on_every_fold_is_not_pruned(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(optuna.pruners, "MedianPruner", lambda **kwargs: _PruneAtTheLastFold())
    run = AutoML(small_config(tmp_path, experiment_name="late", iterations=2)).fit()
    assert [c.status for c in run.get_children()] == ["Completed", "Completed"]


# ---------------------------------------------------------------------- data and limits
def test_validation_data_replaces_cross_validation(tmp_path: Any) -> None:
    X, y = make_ground_truth("multiclass", n_rows=240, n_features=4)
    train, valid = X.assign(label=y).iloc[:160], X.assign(label=y).iloc[160:]
    config = AutoMLConfig("classification", training_data=train, label_column_name="label",
                          validation_data=valid, primary_metric="log_loss", iterations=4,
                          allowed_models=["LogisticRegression", "LightGBM"], explain_runs=False,
                          storage=f"sqlite:///{tmp_path}/runs.db", experiment_name="valid",
                          **{**QUIET, "n_cross_validations": 50})  # ignored with validation_data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = AutoML(config).fit()
    assert not [w for w in caught if "sum to one" in str(w.message)]
    best, _ = run.get_output()
    assert best.metrics["log_loss"] == best.score < 0.5
    # a run's score is its model's log loss on the validation rows, the model fitted on the rest
    first = run.get_child(0)
    assert first.estimator == "LogisticRegression"
    featurizer = AutoFeaturizer(random_state=0).fit(train.drop(columns="label"))
    model = fit_tail("LogisticRegression", first.params, "classification", 0,
                     featurizer.transform(train.drop(columns="label")), train["label"].to_numpy())
    proba = model.predict_proba(featurizer.transform(valid.drop(columns="label")))
    log_loss = get_metric("log_loss", "classification").score(valid["label"].to_numpy(), proba,
                                                              np.unique(y))
    assert first.score == pytest.approx(log_loss, rel=1e-9)
    assert run.get_child(0).trial.intermediate_values.keys() == {0}  # one "fold"


def test_iteration_timeout_fails_slow_trials(tmp_path: Any) -> None:
    config = small_config(tmp_path, experiment_name="slow", iteration_timeout_minutes=0.0001,
                          allowed_models=["RandomForest"], iterations=2)
    # a limit too small for any trial is not a successful search with no run
    with pytest.raises(SearchError, match=r"no completed run after 2 trials\. 2 of them ran past "
                                          r"iteration_timeout_minutes=0\.0001: raise it"):
        AutoML(config).fit()
    run = AutoMLRun.load("slow", config.storage)  # the trials are stored, with their errors
    assert [c.status for c in run.get_children()] == ["Failed", "Failed"]
    assert all("iteration_timeout_minutes" in c.error for c in run.get_children())
    with pytest.raises(RunNotFoundError, match="no completed run"):
        run.get_output()


def test_experiment_timeout_bounds_the_whole_fit(tmp_path: Any) -> None:
    config = small_config(tmp_path, experiment_name="timeout", experiment_timeout_minutes=0.25,
                          allowed_models=["RandomForest"], iterations=50)
    start = time.perf_counter()
    run = AutoML(config).fit()
    assert time.perf_counter() - start < 15 + 10  # the budget, plus the promise's 10 s at most
    assert 1 <= len(run.get_children()) < 50 and run.get_output()[0].status == "Completed"


def test_a_fit_past_its_time_is_stopped_inside_its_fold(tmp_path: Any) -> None:
    X, y = make_ground_truth("binary", n_rows=3000, n_features=8)
    config = small_config(tmp_path, X, y, experiment_name="inside", iteration_timeout_minutes=0.5 / 60,
                          allowed_models=["RandomForest"], iterations=2)
    spec = get_estimator("RandomForest")
    big = {**spec.defaults, "n_estimators": 3000}  # a whole fold would take tens of seconds
    import automl._setup
    original = automl._setup._enqueue_defaults

    def enqueue_big_forest(config: Any, study: optuna.Study) -> None:
        study.enqueue_trial({"estimator": "RandomForest", **spec.prefixed(big)}, user_attrs={"default": True})

    automl._setup._enqueue_defaults = enqueue_big_forest  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        with pytest.raises(SearchError):
            AutoML(config).fit()
    finally:
        automl._setup._enqueue_defaults = original  # type: ignore[assignment]
    run = AutoMLRun.load("inside", config.storage)
    first = run.get_children()[0]
    assert first.params["n_estimators"] == 3000
    assert first.error == ("stopped inside fold 1 of 3: the time of iteration_timeout_minutes "
                           "ran out")
    assert time.perf_counter() - start < 15


@pytest.mark.parametrize("early_stopping", [True, False])
def test_early_stopping_ends_a_stalled_search(tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                              early_stopping: bool) -> None:
    monkeypatch.setattr(automl._search, "EarlyStopping", lambda patience: EarlyStopping(patience=1))
    config = small_config(tmp_path, experiment_name="stall", iterations=6,
                          allowed_models=["LogisticRegression"], enable_early_stopping=early_stopping)
    trials = len(AutoML(config).fit().get_children())
    assert trials < 6 if early_stopping else trials == 6


def test_the_ensemble_run_does_not_count_as_an_iteration(tmp_path: Any) -> None:
    X, y = make_ground_truth("regression", n_rows=150, n_features=5)
    y = np.where(y + 2 * np.sin(3 * X["f3"].to_numpy()) > 0, "yes", "no")  # a blend helps here

    def fit(iterations: int) -> list[ChildRun]:
        config = small_config(tmp_path, X, y, experiment_name="resumed", iterations=iterations,
                              ensemble=True, primary_metric="AUC_weighted")
        return AutoML(config).fit().get_children()

    assert [c.estimator for c in fit(2)] == ["LogisticRegression", "LightGBM", "Ensemble"]
    children = fit(3)  # one more search trial, though 3 runs were finished
    assert [c.estimator != "Ensemble" for c in children][:4] == [True, True, False, True]
    assert sum(c.estimator != "Ensemble" for c in children) == 3


class FakeStudy:
    """What EarlyStopping reads from a study: completed trials, the direction; and stop()."""

    def __init__(self, values: list[float], direction: str) -> None:
        self.trials = [optuna.trial.create_trial(value=v) for v in values]
        for number, trial in enumerate(self.trials):
            trial.number = number
        self.direction = optuna.study.StudyDirection[direction.upper()]
        self.stopped = False

    def get_trials(self, deepcopy: bool = True, states: Any = None) -> list[optuna.trial.FrozenTrial]:
        return self.trials

    def stop(self) -> None:
        self.stopped = True


@pytest.mark.parametrize(("values", "direction", "stops"), [
    ([0.5, 0.9, 0.8, 0.8, 0.7], "maximize", True),     # best 3 trials ago
    ([0.5, 0.8, 0.8, 0.9, 0.7], "maximize", False),    # best 1 trial ago
    ([0.9, 0.9, 0.9, 0.9, 0.9], "maximize", True),     # a tie is no improvement
    ([0.5, 0.1, 0.2, 0.3, 0.4], "minimize", True),
    ([0.5, 0.4, 0.3, 0.2, 0.1], "minimize", False),
    ([0.5, 0.4, 0.3], "maximize", False),              # not more than `patience` trials yet
])
def test_early_stopping_callback(values: list[float], direction: str, stops: bool) -> None:
    study = FakeStudy(values, direction)
    EarlyStopping(patience=3)(study, study.trials[-1])  # type: ignore[arg-type]
    assert study.stopped is stops


def test_search_trials_done_counts_neither_the_ensemble_nor_stopped_trials() -> None:
    study = FakeStudy([0.5, 0.6], "maximize")
    study.trials.append(optuna.trial.create_trial(value=0.7, user_attrs={"estimator": "Ensemble"}))
    study.trials.append(optuna.trial.create_trial(state=optuna.trial.TrialState.FAIL,
                                                  user_attrs={"stopped": True, "error": "stopped: killed"}))
    assert search_trials_done(study) == 2  # type: ignore[arg-type]


def test_early_stopping_stops_a_real_study() -> None:
    study = optuna.create_study(direction="maximize")
    study.optimize(lambda trial: 1.0 if trial.number == 2 else 0.0, n_trials=50,
                   callbacks=[EarlyStopping(patience=4)])
    assert len(study.trials) == 7  # best at trial 2, then 4 trials without improvement


# ---------------------------------------------------------------------- time limits inside a trial
def test_a_trial_that_would_overrun_the_experiment_stops_after_a_fold() -> None:
    import time as _time

    from automl._trial import Limits, TrialTimeout, _check_time

    start = _time.perf_counter() - 10.0  # one fold took 10 s; four more would take 40 s
    with pytest.raises(TrialTimeout, match="would run past experiment_timeout_minutes"):
        _check_time(Limits(deadline=_time.perf_counter() + 5.0), start, 1, 5)
    _check_time(Limits(deadline=_time.perf_counter() + 5.0, must_finish=True), start, 1, 5)
    _check_time(Limits(deadline=_time.perf_counter() + 100.0), start, 1, 5)
    with pytest.raises(TrialTimeout, match="would exceed iteration_timeout_minutes"):
        _check_time(Limits(trial_seconds=30.0), start, 1, 5)


def test_every_phase_says_what_it_does_in_the_log(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    config = small_config(tmp_path, experiment_name="phases", model_explainability=True, ensemble=True,
                          experiment_timeout_minutes=1.0, verbosity=logging.INFO)
    with caplog.at_level(logging.INFO, logger="automl"):
        AutoML(config).fit()
    lines = [record.getMessage() for record in caplog.records if record.name == "automl"]
    expected = [r"^primary metric AUC_weighted \(the default", r"^featurizing 150 rows x 5 columns",
                r"^featurized in [\d.]+ s",
                r"^experiment 'phases': 0 of 3 trials done, searching .* s of the budget left\)",
                r"^ensemble selection", r"^refitting the best run", r"^explaining the best run",
                r"^explained the best run .* on \d+ held-out rows", r"^done in [\d.]+ s \(budget 60 s\)"]
    position = 0
    for pattern in expected:  # in this order
        found = next((i for i, line in enumerate(lines[position:], position) if re.search(pattern, line)),
                     None)
        assert found is not None, (pattern, lines)
        position = found + 1


def test_categories_missing_from_a_fold_do_not_warn_but_predict_on_new_data_does(tmp_path: Any) -> None:
    """A category too rare to be in every fold's fitting rows is expected inside the search:
    the search says nothing of it; the model's ``predict`` on new data still warns."""
    from featurization import UnknownCategoryWarning

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=300), "city": rng.choice(["oslo", "rome"], 300)})
    X.loc[7, "city"] = "lima"  # one row: in one fold's validation rows, not in its fitting rows
    y = np.where(X["x"] + rng.normal(size=300) > 0, "yes", "no")
    config = AutoMLConfig("classification", X=X, y=y, iterations=2, n_cross_validations=3,
                          storage=f"sqlite:///{tmp_path}/runs.db", experiment_name="rare", random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = AutoML(config).fit()
    assert not [w for w in caught if issubclass(w.category, UnknownCategoryWarning)]
    _, model = run.get_output()
    with pytest.warns(UnknownCategoryWarning, match="'city'"):
        model.predict(X.iloc[:3].assign(city="paris"))

"""Trials left running by a dead worker are failed with a reason; killed default trials run again."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState

import automl._search
from automl import AutoML, AutoMLConfig
from automl._callbacks import search_trials_done
from automl._setup import open_experiment
from automl._stale import GRACE_SECONDS, fail_stale_trials
from automl._store import ExperimentStore
from tests._synthetic import make_ground_truth


@pytest.fixture(scope="module")
def table() -> tuple[pd.DataFrame, np.ndarray]:
    return make_ground_truth("binary", n_rows=120, n_features=4)


def config(tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray], iterations: int) -> AutoMLConfig:
    X, y = table
    return AutoMLConfig("classification", X=X, y=y, storage=f"sqlite:///{tmp_path}/runs.db",
                        experiment_name="e", iterations=iterations, n_cross_validations=3,
                        allowed_models=["LogisticRegression", "LightGBM"], model_explainability=False,
                        explain_runs=False, ensemble=False, random_state=0, verbosity=logging.WARNING)


def dead_pid() -> int:
    """The id of a process of this machine that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def left_running(study: optuna.Study, host: str, pid: int, heartbeat: float) -> optuna.Trial:
    """A trial as a worker leaves it when it is killed: running, with its worker and last heartbeat."""
    trial = study.ask()
    trial.suggest_categorical("estimator", ["LogisticRegression", "LightGBM"])
    trial.set_user_attr("worker", {"host": host, "pid": pid, "start": None})
    trial.set_user_attr("heartbeat", heartbeat)
    return trial


def test_a_resume_with_nothing_left_to_search_still_fails_a_killed_trial(
        tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray]) -> None:
    cfg = config(tmp_path, table, iterations=2)
    run = AutoML(cfg).fit()
    pid = dead_pid()
    trial = left_running(run.study, socket.gethostname(), pid, time.time())
    run = AutoML(cfg).fit()  # 2 of 2 trials done: nothing to search, yet the killed trial is failed
    child = run.get_child(trial.number)
    assert child.status == "Failed"
    assert child.error == f"stopped: its worker process {pid} on {socket.gethostname()} ended while it " \
                          "ran (killed)"
    assert search_trials_done(run.study) == 2  # the killed trial does not count


def test_workers_elsewhere_are_judged_by_their_heartbeat(tmp_path: Path,
                                                         table: tuple[pd.DataFrame, np.ndarray]) -> None:
    store = ExperimentStore(f"sqlite:///{tmp_path}/runs.db")
    study = open_experiment(config(tmp_path, table, iterations=2), store)
    fresh = left_running(study, "elsewhere", 123, time.time() - 10)
    silent = left_running(study, "elsewhere", 456, time.time() - GRACE_SECONDS - 30)
    assert fail_stale_trials(study) == [silent.number]
    failed = study.trials[silent.number]
    assert failed.state == TrialState.FAIL
    assert failed.user_attrs["error"].startswith("stopped: no heartbeat from its worker (elsewhere, "
                                                 "process 456) for 1")
    assert study.trials[fresh.number].state == TrialState.RUNNING


def test_a_killed_default_trial_is_queued_again_once(tmp_path: Path,
                                                     table: tuple[pd.DataFrame, np.ndarray]) -> None:
    cfg = config(tmp_path, table, iterations=3)
    store = ExperimentStore(cfg.storage)
    study = open_experiment(cfg, store)
    first = study.ask()  # the first queued default, taken by a worker that is then killed
    assert first.user_attrs["default"]
    assert study.trials[first.number].system_attrs["fixed_params"]["estimator"] == "LogisticRegression"
    first.set_user_attr("worker", {"host": socket.gethostname(), "pid": dead_pid(), "start": None})
    run = AutoML(cfg).fit()
    children = run.get_children()
    assert children[0].status == "Failed" and children[0].error.startswith("stopped: its worker process")
    retries = [c for c in children if c.trial.user_attrs.get("retry_of") == 0]
    assert len(retries) == 1 and retries[0].status == "Completed"
    assert retries[0].estimator == "LogisticRegression" and retries[0].trial.user_attrs["default"]
    assert search_trials_done(run.study) == 3 and len(children) == 4
    completed = {c.estimator for c in children if c.status == "Completed"}
    assert completed == {"LogisticRegression", "LightGBM"}


def test_a_retried_default_killed_again_is_not_queued_a_third_time(
        tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray]) -> None:
    cfg = config(tmp_path, table, iterations=2)
    store = ExperimentStore(cfg.storage)
    study = open_experiment(cfg, store)
    killed = study.ask()  # the first default, killed: queued again
    killed.set_user_attr("worker", {"host": socket.gethostname(), "pid": dead_pid(), "start": None})
    assert fail_stale_trials(study) == [killed.number]
    study.tell(study.ask(), 0.9)  # the second default
    retry = study.ask()
    assert retry.user_attrs == {"default": True, "retry_of": killed.number, "estimator": "LogisticRegression"}
    retry.set_user_attr("worker", {"host": socket.gethostname(), "pid": dead_pid(), "start": None})
    assert fail_stale_trials(study) == [retry.number]
    assert not study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
    assert study.trials[retry.number].user_attrs["error"].startswith("stopped: its worker process")


def test_an_interrupted_trial_is_failed_with_the_reason_and_queued_again(
        tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray], monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = config(tmp_path, table, iterations=2)
    evaluate = automl._search.evaluate

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(automl._search, "evaluate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        AutoML(cfg).fit()
    monkeypatch.setattr(automl._search, "evaluate", evaluate)
    run = AutoML(cfg).fit()
    children = run.get_children()
    assert children[0].status == "Failed" and children[0].error == "stopped: interrupted while it ran"
    assert [c.status for c in children[1:]] == ["Completed", "Completed"]
    assert {c.estimator for c in children[1:]} == {"LogisticRegression", "LightGBM"}


def test_a_trial_killed_as_it_was_created_is_failed_at_once(tmp_path: Path,
                                                            table: tuple[pd.DataFrame, np.ndarray]) -> None:
    """A worker killed between creating a trial and recording itself leaves a running trial
    without a worker; the loop creates and records under one experiment lock, so such a trial
    is stale at once (not after the heartbeat grace), and a resume runs its full iterations."""
    cfg = config(tmp_path, table, iterations=3)
    store = ExperimentStore(cfg.storage, cfg.artifact_path)
    study = open_experiment(cfg, store)
    orphan = study.ask()  # what the killed worker committed before it could record itself
    orphan.suggest_categorical("estimator", ["LogisticRegression", "LightGBM"])
    run = AutoML(cfg).fit()
    frozen = run.study.trials[orphan.number]
    assert frozen.state == TrialState.FAIL and frozen.user_attrs["stopped"] is True
    assert frozen.user_attrs["error"] == ("stopped: its worker ended as the trial was created, before it "
                                          "recorded itself (killed)")
    assert search_trials_done(run.study) == 3
    assert all("worker" in t.user_attrs for t in run.study.trials if t.number != orphan.number
               and t.user_attrs.get("estimator") != "Ensemble")

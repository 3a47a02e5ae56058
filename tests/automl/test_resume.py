"""Resuming a search killed with SIGKILL, on the default embedded storage (SQLite)."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from automl import AutoML, AutoMLConfig, AutoMLRun, retrieve_model_explanation
from explain import Explanation, ExplanationClient

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
KILL_AFTER_COMPLETE = 3
RESUMED_ITERATIONS = 7
WORKER_TIMEOUT = 90


def _search_trials(study: optuna.Study, states: tuple[TrialState, ...] | None = None) -> list[FrozenTrial]:
    """The search's trials (not the ensemble run, which ``finalize`` adds as a trial)."""
    return [t for t in study.get_trials(deepcopy=False, states=states)
            if t.user_attrs.get("estimator") != "Ensemble"]


def _wait_for_completed(url: str, name: str, worker: Any, count: int, timeout: float) -> None:
    """Poll the storage until ``count`` trials are complete (the worker created the study before)."""
    storage = optuna.storages.RDBStorage(url, skip_table_creation=True)
    deadline = time.monotonic() + timeout
    while True:
        study = optuna.load_study(study_name=name, storage=storage)
        if len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) >= count:
            return
        assert worker.process.poll() is None, f"the search ended before it was killed\n{worker.output()}"
        assert time.monotonic() < deadline, f"{count} trials not complete in {timeout} s\n{worker.output()}"
        time.sleep(0.2)


def _assert_stored_files(run: AutoMLRun, number: int, n_rows: int) -> None:
    oof = run.store.latest_object(run.study, number, "oof.joblib")
    assert oof is not None and np.asarray(oof).shape == (n_rows, 2), f"run {number}: no usable oof"
    explanation = ExplanationClient.from_run(run.get_child(number)).download_model_explanation(comment="run")
    assert isinstance(explanation, Explanation)


def test_search_killed_with_sigkill_resumes(tmp_path: Path, breast_cancer_frame: pd.DataFrame,
                                            small_search_settings: Any, search_worker: Any) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    worker = search_worker(small_search_settings(url, "resume", iterations=40))
    worker.wait_for_line("trials done", timeout=WORKER_TIMEOUT)  # the study exists from here on
    _wait_for_completed(url, "resume", worker, KILL_AFTER_COMPLETE, timeout=WORKER_TIMEOUT)
    os.kill(worker.process.pid, signal.SIGKILL)
    assert worker.wait(timeout=30) == -signal.SIGKILL

    before = optuna.load_study(study_name="resume", storage=url)  # a view: read what it holds now
    numbers_before = {t.number for t in before.trials if t.state != TrialState.WAITING}  # queued: to run
    completed_before = {t.number: t for t in _search_trials(before, (TrialState.COMPLETE,))}
    finished_before = len(_search_trials(before, FINISHED))
    left_running = [t.number for t in before.get_trials(deepcopy=False, states=(TrialState.RUNNING,))]
    assert len(completed_before) >= KILL_AFTER_COMPLETE
    assert finished_before < RESUMED_ITERATIONS, (
        "the worker ran past the resumed iterations before it was killed")

    settings = small_search_settings(url, "resume", iterations=RESUMED_ITERATIONS)
    config = AutoMLConfig("classification", training_data=breast_cancer_frame, label_column_name="target",
                          verbosity=logging.WARNING, **settings)
    run = AutoML(config).fit()

    # what was complete before the kill is untouched, files included
    for number, old in completed_before.items():
        new = run.study.trials[number]
        assert (new.state, new.value, new.params) == (TrialState.COMPLETE, old.value, old.params), number
        _assert_stored_files(run, number, len(breast_cancer_frame))
    # earlier finished trials count towards iterations; trials left running by the kill do not:
    # the resume fails them at once (their process is gone), saying why
    finished = [t for t in _search_trials(run.study, FINISHED) if not t.user_attrs.get("stopped")]
    assert len(finished) == RESUMED_ITERATIONS, [(t.number, t.state.name) for t in run.study.trials]
    new_numbers = {t.number for t in finished} - numbers_before
    assert len(new_numbers) == RESUMED_ITERATIONS - finished_before
    assert not run.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for number in left_running:
        child = run.get_child(number)
        assert child.status == "Failed", number
        assert child.error.startswith(f"stopped: its worker process {worker.process.pid} on "), child.error
        assert child.error.endswith("ended while it ran (killed)")

    best, model = run.get_output()
    assert run.store.list(run.study, best.number, "model.joblib"), "the best model was not stored"
    X = breast_cancer_frame.drop(columns="target")
    assert (model.predict(X) == breast_cancer_frame["target"]).mean() > 0.9
    assert ExplanationClient.from_run(best).list_model_explanations(comment="best model", raw=True)
    _, _, overall, names, _, _ = retrieve_model_explanation(run, raw=True)
    assert sorted(names) == sorted(X.columns) and len(overall) == X.shape[1]

    # the same search again: nothing left to do
    trials = len(run.study.trials)
    again = AutoML(config).fit()
    assert len(again.study.trials) == trials
    assert again.best_child().number == best.number


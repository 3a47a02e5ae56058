"""Several search workers on one PostgreSQL study, and storages that cannot be reached."""

from __future__ import annotations

import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest
import sqlalchemy
from optuna.trial import TrialState

import automl._store
from automl import AutoML, AutoMLConfig, AutoMLRun, ConfigError
from automl._estimators import get_estimator
from automl._setup import open_experiment
from automl._store import ExperimentStore
from explain import ExplanationClient
from tests.automl._postgres import PostgresServer

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
WORKER_TIMEOUT = 150
# automl's progress callback logs each trial in the process that ran it
_TRIAL_LINE = re.compile(r"^trial (\d+) \S+ \((complete|pruned|fail)\)", re.MULTILINE)


def _trials_run_by(worker: Any) -> set[int]:
    return {int(number) for number, _ in _TRIAL_LINE.findall(worker.stdout.read_text())}


@pytest.mark.postgres
def test_two_workers_share_one_postgres_study(tmp_path: Path, postgres_url: str,
                                              breast_cancer_frame: pd.DataFrame, small_search_settings: Any,
                                              search_worker: Any) -> None:
    artifacts = str(tmp_path / "artifacts")
    settings = small_search_settings(postgres_url, "shared", iterations=10, artifact_path=artifacts,
                                     explain_runs=False)
    go = tmp_path / "go"
    workers = [search_worker(settings, go) for _ in range(2)]
    for worker in workers:  # imported and ready: let both search at once
        worker.wait_for_line("ready", timeout=WORKER_TIMEOUT)
    go.touch()
    codes = [worker.wait(timeout=WORKER_TIMEOUT) for worker in workers]
    assert codes == [0, 0], "\n".join(worker.output() for worker in workers)

    study = optuna.load_study(study_name="shared", storage=postgres_url)
    trials = study.get_trials(deepcopy=False)
    assert sorted(t.number for t in trials) == list(range(len(trials))), "a trial number twice or skipped"
    assert not study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    search = [t for t in trials if t.user_attrs.get("estimator") != "Ensemble"]
    finished = {t.number for t in search if t.state in FINISHED}
    assert len(finished) == len(search) == 10  # not one more: trials are reserved under a lock

    ran = [_trials_run_by(worker) for worker in workers]
    assert ran[0] and ran[1], f"a worker ran no trial: {ran}"
    assert not ran[0] & ran[1], f"trials run by both workers: {sorted(ran[0] & ran[1])}"
    assert ran[0] | ran[1] == finished
    spans = []
    for run_by in ran:
        mine = [trials[n] for n in run_by]
        spans.append((min(t.datetime_start for t in mine if t.datetime_start is not None),
                       max(t.datetime_complete for t in mine if t.datetime_complete is not None)))
    assert max(start for start, _ in spans) < min(end for _, end in spans), f"no overlap: {spans}"

    run = AutoMLRun.load("shared", storage=postgres_url, artifact_path=artifacts)
    _assert_finalized_once(run)
    best, model = run.get_output()
    assert best.status == "Completed"
    X = breast_cancer_frame.drop(columns="target")
    assert (model.predict(X) == breast_cancer_frame["target"]).mean() > 0.9


def _assert_finalized_once(run: AutoMLRun) -> None:
    """One ensemble, one refitted model, one best-model explanation: the workers finalized once."""
    assert len([c for c in run.get_children() if c.estimator == "Ensemble"]) <= 1
    models = run.store.list(run.study, name="model.joblib")
    assert [m["run"] for m in models] == [str(run.best_child().number)], models
    explanations = [c for c in run.store.list(run.study) if c["name"].startswith("explanation")]
    best_model = ExplanationClient.from_run(run.best_child()).list_model_explanations(comment="best model")
    assert len(best_model) == 1, (best_model, explanations)


def test_two_workers_on_one_sqlite_file_run_iterations_trials_and_finalize_once(
        tmp_path: Path, breast_cancer_frame: pd.DataFrame, small_search_settings: Any,
        search_worker: Any) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    settings = small_search_settings(url, "pair", iterations=7, explain_runs=False)
    go = tmp_path / "go"
    workers = [search_worker(settings, go) for _ in range(2)]
    for worker in workers:
        worker.wait_for_line("ready", timeout=WORKER_TIMEOUT)
    go.touch()
    codes = [worker.wait(timeout=WORKER_TIMEOUT) for worker in workers]
    assert codes == [0, 0], "\n".join(worker.output() for worker in workers)
    run = AutoMLRun.load("pair", storage=url)
    search = [c for c in run.get_children() if c.estimator != "Ensemble"]
    assert len(search) == 7 and all(c.status in ("Completed", "Pruned", "Failed") for c in search)
    defaults = [c.estimator for c in search if c.trial.user_attrs.get("default")]
    assert sorted(defaults) == ["LightGBM", "LogisticRegression"]  # queued once, not once per worker
    ran = [_trials_run_by(worker) for worker in workers]
    assert not ran[0] & ran[1] and ran[0] | ran[1] == {c.number for c in search}
    _assert_finalized_once(run)


@pytest.mark.postgres
def test_workers_opening_a_new_database_together(postgres_server: PostgresServer, tmp_path: Path) -> None:
    """Each worker creates Optuna's tables if they are missing; on a new database they race to."""

    def open_store(url: str) -> None:
        store = ExperimentStore(url, str(tmp_path / "artifacts"))
        store.storage.engine.dispose()

    for attempt in range(3):
        url = postgres_server.create_database(f"race_{attempt}_{time.time_ns()}")
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(open_store, [url] * 4))  # re-raises a worker's error


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_postgres_is_a_config_error(tmp_path: Path, breast_cancer_frame: pd.DataFrame,
                                                small_search_settings: Any) -> None:
    port = _closed_port()
    url = f"postgresql+psycopg2://automl:hunter2@127.0.0.1:{port}/automl"
    config = AutoMLConfig("classification", training_data=breast_cancer_frame, label_column_name="target",
                          **small_search_settings(url, "unreachable", 2, artifact_path=str(tmp_path / "a")))
    started = time.perf_counter()
    with pytest.raises(ConfigError, match=rf"cannot open the storage postgresql\+psycopg2://automl:\*\*\*@"
                                          rf"127\.0\.0\.1:{port}/automl: .*Connection refused") as caught:
        AutoML(config).fit()
    assert time.perf_counter() - started < 10
    assert "hunter2" not in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value.__cause__, sqlalchemy.exc.OperationalError)
    with pytest.raises(ConfigError, match="cannot open the storage"):
        AutoMLRun.load("unreachable", storage=url, artifact_path=str(tmp_path / "a"))


def test_postgres_that_never_answers_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A port that accepts connections but never answers (a wrong service, a stuck proxy)."""
    monkeypatch.setattr(automl._store, "CONNECT_TIMEOUT_SECONDS", 1)  # default: 10 s
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"postgresql+psycopg2://automl@127.0.0.1:{listener.getsockname()[1]}/automl"
        started = time.perf_counter()
        with pytest.raises(ConfigError, match=r"cannot open the storage .*timeout"):
            AutoMLRun.load("silent", storage=url, artifact_path=str(tmp_path / "a"))
    assert time.perf_counter() - started < 10


def test_workers_with_one_random_state_draw_different_trials(tmp_path: Path,
                                                              breast_cancer_frame: pd.DataFrame,
                                                              small_search_settings: Any) -> None:
    """Two workers join one experiment with one config (as the distributed setup says to) and each
    asks for a trial in turn; after the enqueued defaults, each random start-up trial should be new."""
    config = AutoMLConfig("classification", training_data=breast_cancer_frame, label_column_name="target",
                          **small_search_settings(f"sqlite:///{tmp_path / 'runs.db'}", "seeds", 16))
    store = ExperimentStore(config.storage, str(tmp_path / "artifacts"))
    workers = [open_experiment(config, store) for _ in range(2)]  # the study as each worker's fit opens it
    drawn = []
    for _ in range(3):
        for study in workers:
            trial = study.ask()
            name = trial.suggest_categorical("estimator", config.models)
            get_estimator(name).suggest(trial, config.task)
            drawn.append(trial.params)
    random_draws = drawn[len(config.models):]  # the defaults are enqueued once, then popped
    repeated = [p for i, p in enumerate(random_draws) if p in random_draws[:i]]
    assert not repeated, f"{len(repeated)} of {len(random_draws)} random start-up trials repeat another"

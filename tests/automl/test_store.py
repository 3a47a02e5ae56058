"""The experiment store: read-only databases and full disks give errors naming the place, and leave
no partial or unrecorded artifact behind."""

from __future__ import annotations

import errno
import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest

import automl
import automl._artifacts
import automl._store
from automl import AutoML, AutoMLConfig, AutoMLRun, StorageError
from automl._store import ExperimentStore
from tests._synthetic import make_ground_truth


@pytest.fixture(scope="module")
def table() -> tuple[pd.DataFrame, np.ndarray]:
    return make_ground_truth("binary", n_rows=90, n_features=3)


def config(storage: str, table: tuple[pd.DataFrame, np.ndarray], **overrides: Any) -> AutoMLConfig:
    X, y = table
    settings = {"experiment_name": "e", "iterations": 2, "n_cross_validations": 3,
                "allowed_models": ["LogisticRegression"], "model_explainability": False,
                "explain_runs": False, "ensemble": False, "random_state": 0, "verbosity": logging.WARNING,
                **overrides}
    return AutoMLConfig("classification", X=X, y=y, storage=storage, **settings)


def files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def recorded(store: ExperimentStore) -> set[str]:
    """Artifact files that some experiment of the storage records."""
    out = set()
    for name in store.experiment_names():
        out |= {item["id"] for item in store.list(store.load_study(name))}
    return out


def test_a_read_only_database_is_read_but_not_searched(tmp_path: Path,
                                                       table: tuple[pd.DataFrame, np.ndarray]) -> None:
    AutoML(config(f"sqlite:///{tmp_path}/runs.db", table)).fit()
    artifacts = str(tmp_path / "artifacts")
    read_only = f"sqlite:///file:{tmp_path}/runs.db?mode=ro&uri=true"
    run = AutoMLRun.load("e", read_only, artifact_path=artifacts)
    assert [c.status for c in run.get_children()] == ["Completed", "Completed"]
    assert run.get_output()[1] is not None
    before = files(tmp_path / "artifacts")
    for name in ("e", "new"):  # resuming, or a new experiment
        with pytest.raises(StorageError, match=rf"AutoML: cannot set up the experiment: the storage "
                                               rf"sqlite:///file:{tmp_path}/runs\.db\?mode=ro&uri=true "
                                               r"failed: attempt to write a readonly database\. The "
                                               r"database is read-only: make it writable"):
            AutoML(config(read_only, table, iterations=3, experiment_name=name,
                          artifact_path=artifacts)).fit()
    assert files(tmp_path / "artifacts") == before
    assert isinstance(StorageError("x"), OSError)


def test_reading_an_experiment_does_not_create_tables(tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a stored experiment skips Optuna's check-and-create of its tables (a scoring
    service's start-up); a database without them (an empty file) still says which experiment
    is missing."""
    AutoML(config(f"sqlite:///{tmp_path}/runs.db", table)).fit()
    skipped: list[bool] = []

    class Spy(optuna.storages.RDBStorage):
        def __init__(self, url: str, **kwargs: Any) -> None:
            skipped.append(bool(kwargs.get("skip_table_creation")))
            super().__init__(url, **kwargs)

    monkeypatch.setattr(optuna.storages, "RDBStorage", Spy)
    run = AutoMLRun.load("e", f"sqlite:///{tmp_path}/runs.db")
    assert skipped == [True] and len(run.get_children()) == 2
    (tmp_path / "empty.db").touch()
    with pytest.raises(automl.RunNotFoundError, match=r"no experiment 'e' in sqlite:///.*empty\.db"):
        AutoMLRun.load("e", f"sqlite:///{tmp_path}/empty.db")


def test_a_full_disk_names_the_artifact_folder_and_leaves_nothing_behind(
        tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray], monkeypatch: pytest.MonkeyPatch) -> None:
    def full_after_a_few_bytes(source: Any, target: Any, *args: Any) -> None:
        target.write(source.read(10))
        raise OSError(errno.ENOSPC, "No space left on device")

    copy = shutil.copyfileobj
    monkeypatch.setattr(automl._artifacts.shutil, "copyfileobj", full_after_a_few_bytes)
    storage = f"sqlite:///{tmp_path}/runs.db"
    with pytest.raises(StorageError, match=rf"cannot store 'training_data.joblib' of the experiment in the "
                                           rf"artifact folder {tmp_path}/artifacts: \[Errno 28\] No space "
                                           r"left on device\. Free space there"):
        AutoML(config(storage, table)).fit()
    assert files(tmp_path / "artifacts") == set()  # no partial file
    monkeypatch.setattr(automl._artifacts.shutil, "copyfileobj", copy)
    run = AutoML(config(storage, table)).fit()  # space again: the same fit completes the set-up
    assert [c.status for c in run.get_children()] == ["Completed", "Completed"]
    assert files(tmp_path / "artifacts") == recorded(run.store)


def test_a_file_stored_but_not_recorded_is_removed(tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    storage = f"sqlite:///{tmp_path}/runs.db"
    run = AutoML(config(storage, table)).fit()
    before = files(tmp_path / "artifacts")

    def refused(*args: Any, **kwargs: Any) -> None:
        raise optuna.exceptions.StorageInternalError("An exception is raised during the commit.")

    monkeypatch.setattr(type(run.store.storage), "set_study_system_attr", refused)
    with pytest.raises(StorageError, match=r"cannot record 'model.joblib' of run 0: the storage "
                                           rf"sqlite:///{tmp_path}/runs\.db failed"):
        run.store.upload_object(run.study, 0, "model.joblib", {"a": 1})
    assert files(tmp_path / "artifacts") == before


def test_a_full_temporary_folder_is_named(tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    run = AutoML(config(f"sqlite:///{tmp_path}/runs.db", table)).fit()

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(automl._store.joblib, "dump", full)
    with pytest.raises(StorageError, match=r"cannot write 'oof.joblib' to the temporary folder .*: "
                                           r"\[Errno 28\] No space left on device\. Free space there or set "
                                           "TMPDIR"):
        run.store.upload_object(run.study, 0, "oof.joblib", np.zeros(3))


def test_an_artifact_folder_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match=rf"cannot create the artifact folder {blocker}/artifacts: "
                                           r"\[Errno 20\] Not a directory"):
        ExperimentStore(f"sqlite:///{tmp_path}/runs.db", str(blocker / "artifacts"))


def test_a_storage_error_mid_search_stops_it_with_the_reason(
        tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray], monkeypatch: pytest.MonkeyPatch) -> None:
    storage = f"sqlite:///{tmp_path}/runs.db"
    upload = ExperimentStore.upload_object

    def no_space_for_predictions(self: ExperimentStore, study: Any, run: Any, name: str, obj: Any) -> str:
        if name == "oof.joblib":
            raise StorageError("AutoML: cannot store 'oof.joblib': [Errno 28] No space left on device.")
        return upload(self, study, run, name, obj)

    monkeypatch.setattr(ExperimentStore, "upload_object", no_space_for_predictions)
    with pytest.raises(StorageError, match="No space left on device"):
        AutoML(config(storage, table, iterations=3)).fit()
    run = AutoMLRun.load("e", storage)
    # the search stopped at once instead of failing every trial: the queued defaults stay queued
    assert [child.status for child in run.get_children() if child.status != "Queued"] == ["Failed"]

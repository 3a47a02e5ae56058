"""Experiments in Optuna's storage and artifact store: no home-made store holds the runs.

The study lives in an Optuna RDB storage (SQLite by default, PostgreSQL for several
workers). Files — fitted models, out-of-fold predictions, explanations, the training data
needed to refit a run — are Optuna artifacts of the study, named ``run-<number>__<name>``
(artifacts are attached to the study rather than to trials because Optuna refuses to update
a finished trial, and models of finished runs are added later).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import joblib
import optuna
import sqlalchemy
from optuna.artifacts import download_artifact, get_all_artifact_meta
from optuna.artifacts import upload_artifact as optuna_upload
from optuna.artifacts.exceptions import ArtifactNotFound

from automl._artifacts import AtomicArtifactStore
from automl._exceptions import ConfigError, RunNotFoundError, StorageError
from automl._lock import file_lock
from automl._urls import sqlite_file, without_password
from featurization._imports import defer_pyplot

__all__ = ["ExperimentStore", "default_artifact_path"]

_NAME = re.compile(r"^run-(?P<run>\d+|experiment)__(?P<name>.+)@(?P<time>\d+)$")
CONNECT_TIMEOUT_SECONDS = 10
_SCHEMA_ATTEMPTS = 4


def default_artifact_path(storage: str) -> str:
    """``artifacts`` beside a SQLite database file, else ``./automl_runs/artifacts``."""
    folder = _sqlite_folder(storage)
    return str(folder / "artifacts") if folder is not None else str(Path("automl_runs") / "artifacts")


def _sqlite_folder(url: str) -> Path | None:
    file = sqlite_file(url)
    return None if file is None else file.parent


def _engine_kwargs(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 60}}
    if url.split("://", 1)[0] in ("postgresql", "postgresql+psycopg2", "postgresql+psycopg") \
            and "connect_timeout" not in url:
        # libpq waits forever for a server that accepts the connection but never answers
        return {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_SECONDS}}
    return {}


def _open_storage(url: str, create_tables: bool = True) -> optuna.storages.RDBStorage:
    """Optuna's RDB storage at ``url``; a database that cannot be reached is a :class:`ConfigError`.

    Workers opening a new SQLite file together would race to create Optuna's tables (SQLite
    has no transactional DDL to lose gracefully), so they take turns. A reader of existing
    experiments (``create_tables=False``) skips Optuna's check-and-create of every table
    (a quarter of a second of a scoring service's start-up).
    """
    if not create_tables:
        try:
            return _open_rdb(url, create_tables=False)
        except optuna.exceptions.StorageInternalError:
            pass  # no Optuna tables (e.g. an empty file): created below, then no experiment is found
    database = sqlite_file(url)
    if database is None:
        return _open_rdb(url)
    with file_lock(database, "automl:open-storage", timeout=120):
        return _open_rdb(url)


def _open_rdb(url: str, create_tables: bool = True) -> optuna.storages.RDBStorage:
    attempt = 0
    while True:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, engine_kwargs=_engine_kwargs(url),
                                                  skip_table_creation=not create_tables)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            # Workers started together on a new database race to create Optuna's tables; the
            # loser's transaction is rolled back and a retry finds the winner's tables.
            attempt += 1
            if attempt == _SCHEMA_ATTEMPTS:
                raise
            time.sleep(0.1 * attempt)
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.ArgumentError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise ConfigError(
                f"AutoML: cannot open the storage {without_password(url)}: {reason}. Check that the "
                "database server is running and that the URL's driver, user, host, port and database "
                "are right."
            ) from exc


def _database_reason(exc: BaseException) -> str:
    """The database driver's own message behind ``exc`` (Optuna and SQLAlchemy wrap it)."""
    seen: BaseException | None = exc
    while seen is not None:
        orig = getattr(seen, "orig", None)
        if orig is not None:
            return str(orig).strip().splitlines()[0]
        seen = seen.__cause__ or seen.__context__
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _os_reason(exc: OSError) -> str:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"[Errno {exc.errno}] {reason}" if exc.errno is not None else reason


class ExperimentStore:
    """Access to one storage URL and one artifact folder.

    Parameters
    ----------
    storage : str
        Optuna RDB storage URL.
    artifact_path : str, default=None
        Folder of the file-system artifact store; see :func:`default_artifact_path`.
    """

    def __init__(self, storage: str, artifact_path: str | None = None, *, create_tables: bool = True) -> None:
        self.url = storage
        self.artifact_path = artifact_path or default_artifact_path(storage)
        for folder, what in ((_sqlite_folder(storage), "the database's folder"),
                             (Path(self.artifact_path), "the artifact folder")):
            if folder is None:
                continue
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"AutoML: cannot create {what} {folder}: {_os_reason(exc)}.") from exc
        self.storage = _open_storage(storage, create_tables)
        self.artifacts = AtomicArtifactStore(self.artifact_path)
        self.artifacts.remove_abandoned()

    @property
    def display_url(self) -> str:
        """The storage URL without its password (a SQLite URL as given: it has none)."""
        return self.url if self.url.startswith("sqlite:") else without_password(self.url)

    @contextmanager
    def translate_errors(self, action: str) -> Iterator[None]:
        """Turn the database's errors inside the block into a :class:`StorageError` naming it."""
        try:
            yield
        except StorageError:
            raise
        except (optuna.exceptions.StorageInternalError, sqlalchemy.exc.SQLAlchemyError) as exc:
            reason = _database_reason(exc)
            lowered = reason.lower()
            if "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
                hint = "The database is read-only: make it writable to search (reading runs works as it is)."
            elif "disk" in lowered or "full" in lowered or "space" in lowered:
                hint = "The disk holding the database is full: free space there."
            else:
                hint = "Check that the database is reachable and writable."
            raise StorageError(f"AutoML: cannot {action}: the storage {self.display_url} failed: "
                               f"{reason}. {hint}") from exc

    def delete_experiment(self, study: optuna.Study) -> None:
        """Delete a study with every artifact it stores."""
        for meta in get_all_artifact_meta(study, storage=self.storage):
            try:
                self.artifacts.remove(meta.artifact_id)
            except ArtifactNotFound:
                pass
        optuna.delete_study(study_name=study.study_name, storage=self.storage)

    def load_study(self, name: str) -> optuna.Study:
        """Load the study called ``name``."""
        try:
            return optuna.load_study(study_name=name, storage=self.storage)
        except KeyError as exc:
            known = optuna.get_all_study_names(self.storage)
            raise RunNotFoundError(
                f"no experiment {name!r} in {self.url}; experiments there: {known[:10]}."
            ) from exc

    def experiment_names(self) -> list[str]:
        """Names of every experiment in the storage."""
        return optuna.get_all_study_names(self.storage)

    # ------------------------------------------------------------------ artifacts
    def upload_file(self, study: optuna.Study, run: int | str, name: str, path: str) -> str:
        """Upload ``path`` as artifact ``name`` of ``run`` (a trial number or ``"experiment"``).

        Raises
        ------
        StorageError
            When the file cannot be written (full disk, read-only folder) or recorded; nothing
            of it is left behind.
        """
        what = f"{name!r} of {'the experiment' if run == 'experiment' else f'run {run}'}"
        self.artifacts.take_written()
        try:
            with self.translate_errors(f"record {what}"), tempfile.TemporaryDirectory() as folder:
                named = Path(folder) / f"run-{run}__{name}@{time.time_ns()}"
                shutil.copyfile(path, named)
                return optuna_upload(artifact_store=self.artifacts, file_path=str(named),
                                     study_or_trial=study)
        except BaseException as exc:
            written = self.artifacts.take_written()
            if written is not None:  # the file is stored but not recorded: remove it
                self.artifacts.remove(written)
            if isinstance(exc, OSError) and not isinstance(exc, StorageError):
                raise StorageError(
                    f"AutoML: cannot store {what} in the artifact folder {self.artifact_path}: "
                    f"{_os_reason(exc)}{f' ({exc.filename})' if exc.filename else ''}. Free space "
                    "there or choose another artifact_path."
                ) from exc
            raise

    def upload_object(self, study: optuna.Study, run: int | str, name: str, obj: Any) -> str:
        """Pickle ``obj`` with joblib and upload it (trusted content: models, arrays)."""
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "object.joblib"
                joblib.dump(obj, path)
                return self.upload_file(study, run, name, str(path))
        except OSError as exc:
            if isinstance(exc, StorageError):
                raise
            raise StorageError(
                f"AutoML: cannot write {name!r} to the temporary folder {tempfile.gettempdir()}: "
                f"{_os_reason(exc)}. Free space there or set TMPDIR to another folder."
            ) from exc

    def list(self, study: optuna.Study, run: int | str | None = None,
             name: str | None = None) -> list[dict[str, Any]]:
        """Artifacts of the study (optionally of one run / with one name), oldest first."""
        out = []
        for meta in get_all_artifact_meta(study, storage=self.storage):
            match = _NAME.match(meta.filename)
            if match is None:
                continue
            if run is not None and match["run"] != str(run):
                continue
            if name is not None and match["name"] != name:
                continue
            out.append({"id": meta.artifact_id, "run": match["run"], "name": match["name"],
                        "time": int(match["time"])})
        return sorted(out, key=lambda item: item["time"])

    def download(self, artifact_id: str, path: str) -> None:
        """Download an artifact to ``path``."""
        if Path(path).exists():
            Path(path).unlink()
        download_artifact(artifact_store=self.artifacts, file_path=path, artifact_id=artifact_id)

    def load_object(self, artifact_id: str) -> Any:
        """Download and unpickle an artifact written by :meth:`upload_object`."""
        defer_pyplot()  # a pickled featurization imports skrub, and skrub imports pyplot
        with tempfile.TemporaryDirectory() as folder:
            path = str(Path(folder) / "object.joblib")
            self.download(artifact_id, path)
            return joblib.load(path)

    def latest_object(self, study: optuna.Study, run: int | str, name: str) -> Any | None:
        """The newest object called ``name`` of ``run``, or ``None``."""
        found = self.list(study, run, name)
        return self.load_object(found[-1]["id"]) if found else None

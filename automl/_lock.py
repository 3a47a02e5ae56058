"""A named lock held in the experiment's own database, so workers on several machines share it.

Workers of one experiment share nothing but the storage URL (and the artifact folder), so a
lock that several processes respect has to live there. Optuna's storage API has no
compare-and-set, so each backend's own primitive is used; each is released by the system
when the holder dies, so a worker killed while it holds a lock never blocks the others:

- SQLite (one machine): ``fcntl.flock`` on a file beside the database file;
- PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) on a connection of its own;
- MySQL: ``GET_LOCK`` on a connection of its own;
- an in-memory SQLite database (one process): a ``threading.Lock``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy

from automl._exceptions import StorageError
from automl._urls import sqlite_file

__all__ = ["LockTimeout", "experiment_lock", "file_lock"]

_POLL_SECONDS = 0.05
_MEMORY_LOCKS: dict[str, threading.Lock] = {}
_MEMORY_GUARD = threading.Lock()


class LockTimeout(StorageError):
    """The lock was not free within the time allowed."""


def _key(study_name: str, name: str) -> str:
    return f"automl:{study_name}:{name}"


@contextmanager
def experiment_lock(engine: sqlalchemy.engine.Engine, study_name: str, name: str,
                    timeout: float | None = None) -> Iterator[None]:
    """Hold the lock ``name`` of the experiment ``study_name`` for the ``with`` block.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The engine of the experiment's Optuna storage.
    study_name : str
        The experiment.
    name : str
        Which lock (``"search"``, ``"finalize"``, ...).
    timeout : float, default=None
        Seconds to wait for the lock; ``None`` waits as long as it takes.

    Raises
    ------
    LockTimeout
        When the lock is still held by another worker after ``timeout`` seconds.
    """
    key = _key(study_name, name)
    dialect = engine.dialect.name
    if dialect == "sqlite":
        path = sqlite_file(engine.url.render_as_string(hide_password=False))
        lock = _memory_lock(key) if path is None else file_lock(path, key, timeout)
    elif dialect == "postgresql":
        lock = _session_lock(engine, key, timeout, "SELECT pg_try_advisory_lock(:k)",
                             "SELECT pg_advisory_unlock(:k)", _int64(key))
    elif dialect in ("mysql", "mariadb"):
        lock = _session_lock(engine, key, timeout, "SELECT GET_LOCK(:k, 0)", "SELECT RELEASE_LOCK(:k)",
                             hashlib.sha1(key.encode()).hexdigest())
    else:
        raise StorageError(
            f"AutoML: experiments in a {dialect} database cannot be shared safely by several workers "
            "(no lock primitive is known for it); use SQLite, PostgreSQL or MySQL."
        )
    with lock:
        yield


def _int64(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _waited_too_long(started: float, timeout: float | None, key: str) -> None:
    if timeout is not None and time.monotonic() - started > timeout:
        raise LockTimeout(f"AutoML: the lock {key!r} is still held by another worker after {timeout:.0f} s.")


@contextmanager
def _memory_lock(key: str) -> Iterator[None]:
    with _MEMORY_GUARD:
        lock = _MEMORY_LOCKS.setdefault(key, threading.Lock())
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


@contextmanager
def file_lock(database: Path, key: str, timeout: float | None) -> Iterator[None]:
    """Hold the lock ``key`` of the SQLite file ``database`` (a ``flock`` on a file beside it)."""
    import fcntl

    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    path = database.with_name(f".{database.name}.{digest}.lock")
    try:
        handle = open(path, "a+b")
    except OSError as exc:
        raise StorageError(f"AutoML: cannot open the lock file {path}: {exc.strerror or exc}.") from exc
    started = time.monotonic()
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                _waited_too_long(started, timeout, key)
                time.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


@contextmanager
def _session_lock(engine: sqlalchemy.engine.Engine, key: str, timeout: float | None, take: str,
                  give_back: str, value: int | str) -> Iterator[None]:
    """A lock bound to one database session: the server releases it when the session ends."""
    connection = engine.connect()
    try:
        started = time.monotonic()
        while not connection.execute(sqlalchemy.text(take), {"k": value}).scalar():
            connection.rollback()
            _waited_too_long(started, timeout, key)
            time.sleep(_POLL_SECONDS)
        connection.commit()
        try:
            yield
        finally:
            connection.execute(sqlalchemy.text(give_back), {"k": value})
            connection.commit()
    except BaseException:
        connection.invalidate()  # never hand a connection that may still hold the lock back to the pool
        raise
    finally:
        connection.close()

"""The experiment lock: one holder at a time across processes, released when its holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy

from automl import StorageError
from automl._lock import LockTimeout, experiment_lock

# Holds the lock, says so, and sleeps until killed.
_HOLDER = """\
import sys, time, sqlalchemy
from automl._lock import experiment_lock
engine = sqlalchemy.create_engine(sys.argv[1])
with experiment_lock(engine, "study", "finalize"):
    print("held", flush=True)
    time.sleep(600)
"""


def _engine(url: str) -> sqlalchemy.engine.Engine:
    return sqlalchemy.create_engine(url)


def _hold_in_another_process(url: str, tmp_path: Path) -> subprocess.Popen[str]:
    script = tmp_path / "holder.py"
    script.write_text(_HOLDER)
    root = str(Path(__file__).parents[2])
    process = subprocess.Popen([sys.executable, str(script), url], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": root})
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def _check_lock(url: str, tmp_path: Path) -> None:
    engine = _engine(url)
    holder = _hold_in_another_process(url, tmp_path)
    try:
        with pytest.raises(LockTimeout, match=r"the lock 'automl:study:finalize' is still held by another "
                                              r"worker after 0 s"), \
                experiment_lock(engine, "study", "finalize", timeout=0.3):
            pass
        with experiment_lock(engine, "study", "search", timeout=1):  # another lock is free
            pass
        with experiment_lock(engine, "other study", "finalize", timeout=1):  # so is another study's
            pass
    finally:
        holder.send_signal(signal.SIGKILL)  # no clean-up runs: the system must release the lock
        holder.wait(10)
    started = time.monotonic()
    with experiment_lock(engine, "study", "finalize", timeout=10):
        assert time.monotonic() - started < 5
    assert issubclass(LockTimeout, StorageError)


def test_sqlite_lock_across_processes(tmp_path: Path) -> None:
    _check_lock(f"sqlite:///{tmp_path}/runs.db", tmp_path)


@pytest.mark.postgres
def test_postgres_lock_across_processes(tmp_path: Path, postgres_url: str) -> None:
    _check_lock(postgres_url, tmp_path)


@pytest.mark.parametrize("kind", ["sqlite", "memory", "postgres"])
def test_threads_take_turns(tmp_path: Path, kind: str, request: pytest.FixtureRequest) -> None:
    if kind == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path}/runs.db" if kind == "sqlite" else "sqlite:///:memory:"
    engine = _engine(url)
    inside, most = [0], [0]
    guard = threading.Lock()

    def work() -> None:
        for _ in range(5):
            with experiment_lock(engine, "study", "search"):
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.005)
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most[0] == 1


def test_a_lock_file_that_cannot_be_created_is_a_storage_error(tmp_path: Path) -> None:
    engine = _engine(f"sqlite:///{tmp_path}/missing/runs.db")
    with pytest.raises(StorageError, match=r"cannot open the lock file .*missing/\.runs\.db\..*\.lock"), \
            experiment_lock(engine, "study", "search"):
        pass

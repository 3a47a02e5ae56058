"""A real MLflow tracking server for the tests: SQLite backend store, local artifact folder, a free port.

``mlflow server`` takes about 10 s of CPU to start, so one server serves the whole test session,
also when pytest-xdist spreads the MLflow tests over workers: the first worker that needs it
starts it and records it in ``server.json`` (under a file lock), later ones use it, and the
last one to finish stops it. A worker that comes after the server was stopped starts it again
on the same database and artifact folder (on another port), so what earlier tests logged is
still there.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

STARTUP_SECONDS = 180  # generous: about 15 s on two busy cores


@dataclass(frozen=True)
class MlflowServer:
    """A running ``mlflow server``: its URL (the tracking URI) and its folder."""

    url: str
    folder: Path


def session_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder shared by every pytest-xdist worker of this session (their base folders' parent)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder/lock`` for the block (released when the file closes)."""
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """The body of a session fixture: a running server for the session, stopped by its last user."""
    pytest.importorskip("mlflow", reason="the MLflow tests need mlflow: pip install 'automl-explain[mlflow]'")
    folder = session_folder(tmp_path_factory, "mlflow-server")
    state_file = folder / "server.json"
    with locked(folder):
        state = json.loads(state_file.read_text()) if state_file.exists() else None
        if state is None or not _healthy(state["url"]):
            state = {**_start(folder), "users": 0}
        state["users"] += 1
        state_file.write_text(json.dumps(state))
    try:
        yield MlflowServer(state["url"], folder)
    finally:
        with locked(folder):
            state = json.loads(state_file.read_text())
            state["users"] -= 1
            if state["users"] <= 0:
                _stop(state["pid"])
                state_file.unlink()
            else:
                state_file.write_text(json.dumps(state))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _start(folder: Path) -> dict[str, object]:
    """Start ``mlflow server`` in its own process group; wait until ``/health`` answers."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "mlflow", "server",
               "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
               "--artifacts-destination", str(folder / "artifacts"),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    # the job runner (a dozen huey consumer processes) serves MLflow's GenAI features, not tracking
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "OMP_WAIT_POLICY": "PASSIVE"}
    log = folder / f"server-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process.pid)
            pytest.fail(f"mlflow server did not start (exit code {process.returncode}):\n"
                        f"{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return {"url": url, "pid": process.pid}


def _stop(pid: int) -> None:
    """Stop the server's process group (the ``mlflow`` command and the uvicorn it started)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if this process started it
        if not _group_running(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _group_running(group: int) -> bool:
    """Whether a process of the process group ``group`` still runs (zombies, left for the worker
    that started the server to reap, do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":
                return True
    return False

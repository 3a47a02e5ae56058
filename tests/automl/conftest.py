"""Fixtures of the resume and distributed-search tests: data, a search-worker script, PostgreSQL.

Names are specific (``postgres_url``, ``search_worker``, ...) because other test modules of
this folder keep their own fixtures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from tests.automl._postgres import PostgresServer, find_postgres_bin, start_postgres

# A search in its own process, configured by a JSON object of AutoMLConfig keyword arguments
# (the data are always breast cancer). Each trial it runs is logged by automl's progress
# callback in that process ("trial <n> <estimator> (<state>) ..."), which tells the tests which
# worker ran which trial. Given a second argument, it waits (after its imports) until that
# file exists, so that workers start their searches together.
_WORKER = """\
import json, logging, os, sys, time
from pathlib import Path
from sklearn.datasets import load_breast_cancer
from automl import AutoML, AutoMLConfig

handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(logging.Formatter("%(message)s"))
logging.getLogger("automl").addHandler(handler)
data = load_breast_cancer(as_frame=True).frame
config = AutoMLConfig("classification", training_data=data, label_column_name="target",
                      verbosity=logging.DEBUG, **json.loads(sys.argv[1]))
print("worker", os.getpid(), "ready", flush=True)
deadline = time.monotonic() + 120
while len(sys.argv) > 2 and not Path(sys.argv[2]).exists() and time.monotonic() < deadline:
    time.sleep(0.05)
AutoML(config).fit()
print("worker done", flush=True)
"""


@pytest.fixture(scope="session")
def breast_cancer_frame() -> pd.DataFrame:
    """scikit-learn's breast-cancer data, label in column ``target``."""
    return load_breast_cancer(as_frame=True).frame


def _small_search_settings(storage: str, experiment_name: str, iterations: int,
                           **overrides: Any) -> dict[str, Any]:
    return {"storage": storage, "experiment_name": experiment_name, "iterations": iterations,
            "n_cross_validations": 3, "allowed_models": ["LogisticRegression", "LightGBM"],
            "random_state": 0, "explain_runs": True, "model_explainability": True, **overrides}


@pytest.fixture(scope="session")
def small_search_settings() -> Any:
    """``(storage, experiment_name, iterations, **overrides) -> dict``: fast AutoMLConfig keyword
    arguments (without the data) for a test and its worker processes alike."""
    return _small_search_settings


@dataclass
class SearchWorker:
    """A search running in a subprocess; its output goes to files (a pipe could fill and block it)."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def output(self) -> str:
        out, err = (path.read_text(errors="replace")[-4000:] for path in (self.stdout, self.stderr))
        return f"--- stdout of worker {self.process.pid}\n{out}\n--- its stderr\n{err}"

    def wait(self, timeout: float) -> int:
        """The exit code; a worker still running after ``timeout`` seconds is killed and fails the test."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            pytest.fail(f"worker {self.process.pid} still running after {timeout} s\n{self.output()}")

    def wait_for_line(self, text: str, timeout: float) -> None:
        """Wait until the worker prints a line containing ``text``; fail if it exits or times out first."""
        deadline = time.monotonic() + timeout
        while text not in self.stdout.read_text(errors="replace"):
            if self.process.poll() is not None:
                pytest.fail(f"worker exited with {self.process.returncode} before printing {text!r}\n"
                            f"{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"worker printed no {text!r} within {timeout} s\n{self.output()}")
            time.sleep(0.1)


@pytest.fixture
def search_worker(tmp_path: Path) -> Iterator[Any]:
    """``start(settings, go=None) -> SearchWorker``; the worker waits for the file ``go`` (if
    given) to exist before it searches. Workers still running at teardown are killed."""
    script = tmp_path / "search_worker.py"
    script.write_text(_WORKER)
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    started: list[SearchWorker] = []

    def start(settings: dict[str, Any], go: Path | None = None) -> SearchWorker:
        index = len(started)
        out, err = tmp_path / f"worker{index}.out", tmp_path / f"worker{index}.err"
        command = [sys.executable, str(script), json.dumps(settings), *([str(go)] if go else [])]
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            process = subprocess.Popen(command, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                                       stdout=stdout, stderr=stderr)
        started.append(SearchWorker(process, out, err))
        return started[-1]

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(10)


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for this test session (see ``tests/automl/_postgres.py``).

    Without PostgreSQL's server programs the tests using it are skipped, except under CI
    (``CI`` set), where ``.ci/run`` installs them: there a missing server is an error.
    """
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        reason = "no PostgreSQL server programs (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin"
        if _ci():
            pytest.fail(f"{reason}; under CI they are required (.ci/run installs Debian's postgresql)")
        pytest.skip(f"{reason}; install them (apt-get install postgresql) to run this test")
    server = start_postgres(bin_dir)
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """URL of a new, empty database on the test server."""
    name = f"t{time.time_ns()}_{request.node.name[:30]}".lower()
    return postgres_server.create_database("".join(c if c.isalnum() else "_" for c in name))

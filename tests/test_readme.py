"""The README's code runs: the Python block of a section is executed as written.

Only what points outside the test is replaced: the MLflow server's address (the README's
``http://127.0.0.1:5000`` becomes the session's server, :mod:`tests._mlflow_server`), and the
working folder (the default storage ``./automl_runs``) is a temporary one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._mlflow_server import MlflowServer, mlflow_server

README = Path(__file__).resolve().parents[1] / "README.md"
README_SERVER = "http://127.0.0.1:5000"


def python_block(section: str) -> str:
    """The first ```python block under the heading ``## <section>`` of README.md."""
    text = README.read_text(encoding="utf-8")
    heading = text.find(f"\n## {section}\n")
    assert heading >= 0, f"README.md has no section {section!r}"
    end = text.find("\n## ", heading + 1)
    match = re.search(r"```python\n(.*?)```", text[heading:end if end >= 0 else None], re.DOTALL)
    assert match, f"README.md: no python block in section {section!r}"
    return match.group(1)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    yield from mlflow_server(tmp_path_factory)


def test_tracking_with_mlflow_runs_as_written(server: MlflowServer, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    mlflow = pytest.importorskip("mlflow")
    code = python_block("Tracking with MLflow")
    assert code.count(README_SERVER) == 1
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    try:
        exec(compile(code.replace(README_SERVER, server.url), "README.md", "exec"), namespace)
    finally:
        mlflow.set_tracking_uri(None)
    X, best, explanation, scores = (namespace[k] for k in ("X", "best", "explanation", "scores"))
    assert best.data.tags["automl.best"] == "true" and best.data.tags["mlflow.parentRunId"]
    assert explanation.is_raw and explanation.features == tuple(X.columns)
    assert list(scores.columns[:3]) == ["prediction", "probability[0]", "probability[1]"]
    assert f"importance[1][{X.columns[0]}]" in scores.columns and len(scores) == 5
    assert (tmp_path / "automl_runs" / "automl.db").exists()  # the search's own storage

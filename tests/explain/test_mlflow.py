"""Explanations and scoring explainers in a real MLflow tracking server (``explain.mlflow``).

A session's ``mlflow server`` (SQLite backend store, local artifact folder, 127.0.0.1) is
started by :mod:`tests._mlflow_server`. The explanations stored in a run are compared with the
library's own values; the scoring explainer's pyfunc model is loaded back with
``mlflow.pyfunc.load_model`` and compared with the explainer's ``explain_local``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import (
    Explanation,
    ExplanationClient,
    ExplanationTypeError,
    ExplanationValueError,
    TabularExplainer,
    load_explanation,
)
from explain.scoring import ScoringExplainer
from tests._mlflow_server import MlflowServer, mlflow_server

mlflow = pytest.importorskip("mlflow", reason="the MLflow tests need mlflow: pip install "
                                               "'automl-explain[mlflow]'")

from explain.mlflow import MlflowRun, log_explanation, log_scoring_explainer, scored_frame  # noqa: E402

ATOL = 1e-10


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    yield from mlflow_server(tmp_path_factory)


def _experiment_id(url: str) -> str:
    client = mlflow.MlflowClient(url)
    experiment = client.get_experiment_by_name("explain-tests")
    if experiment is not None:
        return str(experiment.experiment_id)
    return str(client.create_experiment("explain-tests"))


@pytest.fixture
def run_id(server: MlflowServer, request: pytest.FixtureRequest) -> str:
    """A new MLflow run (in the experiment ``explain-tests``) for each test."""
    client = mlflow.MlflowClient(server.url)
    return str(client.create_run(_experiment_id(server.url), run_name=request.node.name).info.run_id)


def _mixed() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    n = 240
    X = pd.DataFrame({
        "income": rng.normal(50.0, 10.0, n),
        "age": rng.integers(18, 80, n),
        "region": rng.choice(["north", "south", "east"], n),
    })
    score = 0.1 * (X["income"] - 50) + 1.5 * (X["region"] == "south") - 0.02 * (X["age"] - 50)
    return X, np.where(score + 0.3 * rng.normal(size=n) > 0.3, "yes", "no")


@functools.cache
def _explained() -> tuple[Pipeline, TabularExplainer, Explanation]:
    """A pipeline (one-hot region, scaled numbers, LightGBM), its explainer and a raw explanation
    of 20 rows holding its engineered one."""
    X, y = _mixed()
    prep = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["region"]),
                              ("num", StandardScaler(), ["income", "age"])])
    model = Pipeline([("prep", prep), ("model", LGBMClassifier(n_estimators=20, num_leaves=8, verbose=-1,
                                                               n_jobs=1, random_state=0))]).fit(X, y)
    explainer = TabularExplainer(model, X.iloc[:80])
    return model, explainer, explainer.explain_local(X.iloc[200:220])


def _assert_same(got: Explanation, expected: Explanation) -> None:
    assert got.features == expected.features and got.classes == expected.classes
    assert got.is_raw == expected.is_raw and got.method == expected.method
    assert got.local_values is not None and expected.local_values is not None
    np.testing.assert_array_equal(got.local_values, expected.local_values)
    np.testing.assert_array_equal(got.global_values, expected.global_values)
    np.testing.assert_array_equal(got.expected_values_, expected.expected_values_)


# ------------------------------------------------------------------------------ explanations
def test_client_uploads_lists_and_downloads_as_any_client(server: MlflowServer, run_id: str) -> None:
    _, _, raw = _explained()
    assert raw.is_raw and raw.engineered_explanation is not None
    client = ExplanationClient.from_mlflow_run(run_id, server.url)
    first = client.upload_model_explanation(raw, comment="first", true_ys=np.arange(20))
    second = client.upload_model_explanation(raw.engineered_explanation, comment="second")

    listed = client.list_model_explanations()
    assert [m["id"] for m in listed] == [first, second]  # oldest first
    assert listed[0]["true_ys"] == list(range(20)) and listed[0]["raw"] and listed[0]["engineered"]
    assert [m["id"] for m in client.list_model_explanations(comment="second")] == [second]
    assert [m["id"] for m in client.list_model_explanations(raw=True)] == [first]

    # another client of the same run (a new connection) reads them back
    again = ExplanationClient.from_mlflow_run(run_id, server.url)
    _assert_same(again.download_model_explanation(first), raw)
    _assert_same(again.download_model_explanation(first, raw=False), raw.engineered_explanation)
    _assert_same(again.download_model_explanation(), raw.engineered_explanation)  # the newest
    assert again.download_model_explanation(first, top_k=2).features == tuple(raw.get_ranked_global_names(2))
    with pytest.raises(ExplanationValueError, match="no stored explanation matches"):
        again.download_model_explanation(comment="none")


def test_log_explanation_adds_the_summary_png_and_the_page(server: MlflowServer, run_id: str,
                                                           tmp_path: Path) -> None:
    _, _, raw = _explained()
    explanation_id = log_explanation(raw, run_id, server.url, comment="best model", html=True)
    listed = mlflow.MlflowClient(server.url).list_artifacts(run_id, "explanations")
    names = {Path(a.path).name for a in listed}
    assert {f"explanation-{explanation_id}.png", f"explanation-{explanation_id}.html"} <= names
    png = mlflow.artifacts.download_artifacts(run_id=run_id, tracking_uri=server.url, dst_path=str(tmp_path),
                                              artifact_path=f"explanations/explanation-{explanation_id}.png")
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the versioned file itself, as explain.load_explanation reads it
    stored = next(a.path for a in mlflow.MlflowClient(server.url).list_artifacts(run_id, "explanations")
                  if a.path.endswith(f"explanation-{explanation_id}.npz"))
    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=stored, tracking_uri=server.url,
                                                dst_path=str(tmp_path / "npz"))
    _assert_same(load_explanation(local), raw)
    with pytest.raises(ExplanationTypeError, match="log_explanation: expected an Explanation, got dict"):
        log_explanation({}, run_id, server.url)  # type: ignore[arg-type]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unknown_run_and_unreachable_server_name_the_argument(server: MlflowServer) -> None:
    with pytest.raises(ExplanationValueError, match="MlflowRun: no run_id='0123abc' in the MLflow tracking"):
        ExplanationClient.from_mlflow_run("0123abc", server.url)
    down = f"http://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    with pytest.raises(ExplanationValueError,
                       match=f"MlflowRun: cannot use the MLflow tracking store tracking_uri='{down}': "
                             "nothing answers there"):
        ExplanationClient.from_mlflow_run("0123abc", down)
    assert time.monotonic() - started < 10  # one try, not MLflow's minutes of retries
    with pytest.raises(ExplanationValueError, match=r"tracking_uri='htp://x'.*unsupported URI"):
        ExplanationClient.from_mlflow_run("0123abc", "htp://x")
    with pytest.raises(ExplanationTypeError, match="run_id must be an MLflow run id"):
        ExplanationClient.from_mlflow_run(12, server.url)  # type: ignore[arg-type]
    with pytest.raises(ExplanationTypeError, match="tracking_uri must be an MLflow tracking URI"):
        MlflowRun("0123abc", 5)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- scoring explainer
@functools.cache
def _scoring() -> ScoringExplainer:
    return ScoringExplainer.for_explainer(_explained()[1])


@contextlib.contextmanager
def _tracking(url: str) -> Iterator[None]:
    """MLflow's fluent API (``start_run``, ``models:/`` URIs) pointed at ``url`` for the block."""
    mlflow.set_tracking_uri(url)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def scoring_model_uri(server: MlflowServer) -> str:
    """The scoring explainer logged as a pyfunc model of a new run; its model URI."""
    X, _ = _mixed()
    with _tracking(server.url), mlflow.start_run(experiment_id=_experiment_id(server.url)):
        info = log_scoring_explainer(_scoring(), input_example=X.iloc[:3], signature_rows=X.iloc[:50])
    return str(info.model_uri)


def _expected_frame(rows: pd.DataFrame, raw: bool = True) -> pd.DataFrame:
    """What the pyfunc must return, from the model and the explainer themselves (not the scoring
    explainer): predictions, probabilities, the second class's expected value and local values."""
    model, explainer, _ = _explained()
    explanation = explainer.explain_local(rows)
    if not raw:
        assert explanation.engineered_explanation is not None
        explanation = explanation.engineered_explanation
    assert explanation.local_values is not None and explanation.expected_values_ is not None
    columns: dict[str, Any] = {"prediction": model.predict(rows)}
    probabilities = model.predict_proba(rows)
    columns.update({f"probability[{c}]": probabilities[:, k] for k, c in enumerate(model.classes_)})
    columns["expected_value[yes]"] = np.full(len(rows), explanation.expected_values_[1])
    columns.update({f"importance[yes][{f}]": explanation.local_values[1][:, j]
                    for j, f in enumerate(explanation.features)})
    return pd.DataFrame(columns)


def test_scoring_explainer_pyfunc_returns_predictions_and_local_importances(scoring_model_uri: str,
                                                                            server: MlflowServer) -> None:
    rows = _mixed()[0].iloc[200:212]
    with _tracking(server.url):
        model = mlflow.pyfunc.load_model(scoring_model_uri)  # downloaded from the server
    got = model.predict(rows)
    pd.testing.assert_frame_equal(got, _expected_frame(rows), rtol=0, atol=ATOL)
    engineered = model.predict(rows, params={"raw": False})
    pd.testing.assert_frame_equal(engineered, _expected_frame(rows, raw=False), rtol=0, atol=ATOL)
    # columns are matched by name: reordered input gives the same answer
    pd.testing.assert_frame_equal(model.predict(rows[rows.columns[::-1]]), got, rtol=0, atol=ATOL)
    signature = model.metadata.get_input_schema()
    assert signature.input_names() == ["income", "age", "region"]
    assert list(model.metadata.get_output_schema().input_names()) == list(got.columns)


def test_scored_frame_refuses_what_is_not_a_scoring_explainer() -> None:
    with pytest.raises(ExplanationTypeError, match="scored_frame: expected a ScoringExplainer, got str"):
        scored_frame("model", pd.DataFrame())  # type: ignore[arg-type]
    with pytest.raises(ExplanationTypeError, match="log_scoring_explainer: expected a ScoringExplainer"):
        log_scoring_explainer(object())  # type: ignore[arg-type]


@pytest.mark.slow  # `mlflow models serve` takes about 10 s of CPU to start (MLflow's imports, uvicorn)
def test_mlflow_models_serve_answers_with_explanations(scoring_model_uri: str, server: MlflowServer,
                                                       tmp_path: Path) -> None:
    """``mlflow models serve --env-manager local`` (no new environment, nothing downloaded)."""
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {"MLFLOW_TRACKING_URI": server.url, "OMP_WAIT_POLICY": "PASSIVE"}
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "models", "serve", "-m", scoring_model_uri, "--env-manager",
             "local", "-h", "127.0.0.1", "-p", str(port)], env={**os.environ, **env},
            stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for(f"{url}/ping", process, log)
        rows = _mixed()[0].iloc[200:206]
        body = json.dumps({"dataframe_split": rows.to_dict(orient="split")}).encode()
        request = urllib.request.Request(f"{url}/invocations", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            served = pd.DataFrame(json.loads(response.read())["predictions"])
        pd.testing.assert_frame_equal(served, _expected_frame(rows), rtol=0, atol=1e-9)
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
        if process.poll() is None:
            process.kill()


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"mlflow models serve exited:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    shown = log.read_text(errors="replace")[-3000:]
    raise AssertionError(f"{url} did not answer within {timeout} s:\n{shown}")


# ------------------------------------------------------------------------------ command line
def test_explain_dashboard_serves_the_explanation_of_an_mlflow_run(server: MlflowServer, run_id: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("dash")
    import explain.dashboard
    from explain._cli import main

    _, _, raw = _explained()
    ExplanationClient.from_mlflow_run(run_id, server.url).upload_model_explanation(raw)
    served: list[Any] = []

    class Recording:  # the dashboard, without serving forever
        def __init__(self, explanation: Explanation, *args: Any, **kwargs: Any) -> None:
            served.append(explanation)

        def serve_forever(self) -> None:
            pass

    monkeypatch.setattr(explain.dashboard, "ExplanationDashboard", Recording)
    assert main(["dashboard", "--mlflow-run", run_id, "--tracking-uri", server.url, "--port", "0"]) == 0
    _assert_same(served[0], raw)

    for argv, message in (([], "give an explanation file PATH or --mlflow-run RUN_ID"),
                          (["x.npz", "--mlflow-run", run_id], "give an explanation file PATH or"),
                          (["x.npz", "--tracking-uri", server.url], "--tracking-uri goes with --mlflow-run"),
                          (["--mlflow-run", "nosuch", "--tracking-uri", server.url], "no run_id='nosuch'")):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            assert main(["dashboard", *argv]) == 2
        assert message in err.getvalue() and err.getvalue().count("\n") == 1

"""The scoring service under hostile or unlucky input: lone surrogates, models returning NaN or
infinity, clients sending headers or bodies slowly, and bad ``explain serve`` options.

Every client mistake is a 4xx whose message names the field or column (never a 5xx, never a
200 with ``null`` numbers); slow clients are cut off after the configured timeouts.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import contextlib
import hashlib
import io
import json
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from lightgbm import LGBMClassifier

import explain
from explain._cli import main
from explain.scoring import Scored, ScoringExplainer, create_app
from explain.scoring import save as save_scoring
from tests.explain.scoring._support import (
    LogClassifier,
    LogRegressor,
    free_port,
    log_frame,
    make_frame,
    make_pipeline_of,
    records,
    start_live_server,
    stop_live_server,
    wait_for_health,
)

with warnings.catch_warnings():  # Starlette's note that its test client will move to httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SUBPROCESS_ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def classifier() -> ScoringExplainer:
    X, label, _ = make_frame(300)
    pipeline = make_pipeline_of(LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1)).fit(X, label)
    return ScoringExplainer.for_explainer(explain.TabularExplainer(pipeline, X.iloc[:100]))


@pytest.fixture(scope="module")
def row() -> dict[str, Any]:
    return records(make_frame(5)[0].iloc[[0]])[0]


@pytest.fixture(scope="module")
def client(classifier: ScoringExplainer) -> Iterator[TestClient]:
    with TestClient(create_app(classifier), raise_server_exceptions=False) as test_client:
        yield test_client


def _post(client: Any, body: bytes) -> Any:
    return client.post("/score", content=body, headers={"content-type": "application/json"})


# ---------------------------------------------------------------------- lone surrogates
SURROGATE_BODIES = [
    (b'{"data": [{"age": 30, "income": 1.0, "region": "\\ud800", "member": true}]}', "data[0].region"),
    (b'{"data": [{"age": 30, "income": 1.0, "region": "north\\udfff", "member": true}]}', "data[0].region"),
    (b'{"data": [{"age": 30, "income": 1.0, "region": "north", "member": true, "\\udc00": 1}]}',
     "unknown column '\\udc00'"),
    (b'{"data": [{"age": "\\ud800", "income": 1.0, "region": "north", "member": true}]}', "data[0].age"),
    (b'{"data": [{"age": 30, "income": 1.0, "region": "north", "member": true}], "explain": "\\ud800"}',
     "explain"),
    (b'{"data": [{"age": 30, "income": 1.0, "region": "north", "member": true}], "\\ud800": 1}', "body"),
    (b'{"data": [{"age": 30, "income": 1.0, "\\ud800": [1], "region": "north", "member": true}]}', "data[0]"),
    (b'{"data": [{"age": 30, "income": 1.0, "region": "\xff", "member": true}]}', "body: not UTF-8"),
    (b'{"data": [{"age": ' + b"9" * 5000 + b', "income": 1.0, "region": "north", "member": true}]}',
     "body: not JSON this service reads (Exceeds the limit (4300 digits)"),
]


@pytest.mark.parametrize(("body", "named"), SURROGATE_BODIES, ids=range(len(SURROGATE_BODIES)))
def test_lone_surrogates_and_invalid_utf8_get_a_422_naming_the_field(client: TestClient, body: bytes,
                                                                     named: str) -> None:
    response = _post(client, body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert named in detail, detail
    response.content.decode("utf-8")  # the answer itself is valid UTF-8


def test_a_surrogate_string_value_is_refused_as_not_unicode(client: TestClient) -> None:
    response = _post(client, SURROGATE_BODIES[0][0])
    assert response.json()["detail"] == ("data[0].region: the string '\\ud800' (str) holds a lone surrogate "
                                         "(a \\ud800-\\udfff escape not part of a pair), which is not "
                                         "Unicode text; send valid UTF-8 text.")


def test_a_surrogate_pair_is_text_and_is_scored(client: TestClient) -> None:
    body = b'{"data": [{"age": 30, "income": 1.0, "region": "\\ud83d\\ude00", "member": true}]}'
    assert _post(client, body).status_code == 200


def test_the_connection_still_serves_after_a_surrogate(classifier: ScoringExplainer, row: dict[str, Any]
                                                       ) -> None:
    url, server, thread = start_live_server(create_app(classifier))
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            for _ in range(3):
                assert _post(http, SURROGATE_BODIES[0][0]).status_code == 422
                assert http.post("/score", json={"data": [row]}).status_code == 200
    finally:
        stop_live_server(server, thread)


# ---------------------------------------------------------------------- non-finite model outputs
@pytest.fixture(scope="module", params=["regression", "classification"])
def log_client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """The service of a model returning NaN for a < 0 and -inf at a == 0 (Kernel SHAP)."""
    X = log_frame()
    model = (LogRegressor() if request.param == "regression" else LogClassifier()).fit(X, X["a"] > 2)
    scoring = ScoringExplainer.for_explainer(explain.TabularExplainer(model, X.iloc[:20]))
    with TestClient(create_app(scoring), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("explain_", [False, True])
@pytest.mark.parametrize(("rows", "named"), [
    ([{"a": -1.0, "b": 0.0}], r"data[0]:"),
    ([{"a": 2.0, "b": 0.1}, {"a": 3.0, "b": 0.0}, {"a": -2.0, "b": 1.0}, {"a": -3.0, "b": 1.0}],
     "data[2], data[3]:"),
])
def test_rows_the_model_returns_nan_for_get_a_422_naming_them(log_client: TestClient, rows: Any, named: str,
                                                              explain_: bool) -> None:
    response = log_client.post("/score", json={"data": rows, "explain": explain_})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith(named) and "the model returned NaN or infinite" in detail, detail
    assert "outside what it can score" in detail


def test_rows_the_model_scores_are_answered_with_finite_numbers(log_client: TestClient) -> None:
    response = log_client.post("/score", json={"data": [{"a": 2.0, "b": 0.1}, {"a": 4.0, "b": -1.0}],
                                               "explain": True})
    assert response.status_code == 200, response.text
    body = json.loads(response.text, parse_constant=lambda token: pytest.fail(f"{token} in the body"))
    numbers = [e["expected_value"] for e in body["explanations"]]
    numbers += [i["value"] for e in body["explanations"] for i in e["importances"]]
    numbers += [p for row in body["probabilities"] or [] for p in row.values()]
    numbers += body["predictions"]
    assert all(isinstance(n, int | float) and np.isfinite(n) for n in numbers), numbers


def test_a_model_broken_whatever_the_rows_is_a_500_that_says_so(classifier: ScoringExplainer,
                                                                row: dict[str, Any],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    real = type(classifier).score_records

    def nan_expected(self: ScoringExplainer, *args: Any, **kwargs: Any) -> Scored:
        scored = real(self, *args, **kwargs)
        return Scored(scored.predictions, scored.probabilities, scored.values,
                      np.full_like(scored.expected, np.nan), scored.raw)

    monkeypatch.setattr(type(classifier), "score_records", nan_expected)
    with TestClient(create_app(classifier), raise_server_exceptions=False) as test_client:
        response = test_client.post("/score", json={"data": [row], "explain": True})
    assert response.status_code == 500
    assert "expected values are not finite, whatever the rows" in response.json()["detail"]


# ---------------------------------------------------------------------- slow clients
def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.settimeout(0.25)
    return sock


def _trickle(sock: socket.socket, pieces: list[bytes], pause: float, limit: float) -> tuple[bytes, float]:
    """Send ``pieces`` ``pause`` seconds apart until the server answers or closes; return what it
    sent and when (seconds), or fail after ``limit`` seconds."""
    start, received = time.monotonic(), b""
    for piece in pieces:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(piece)
        deadline = time.monotonic() + pause
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                return received, time.monotonic() - start
            if not chunk:  # closed by the server
                return received, time.monotonic() - start
            received += chunk
        assert time.monotonic() - start < limit, "the server still waits for the slow client"
    raise AssertionError(f"the server kept the connection open; it sent {received[:200]!r}")


@pytest.fixture(scope="module")
def slow_server(classifier: ScoringExplainer) -> Iterator[str]:
    """The service with a 1 s header timeout and a 1 s body timeout."""
    url, server, thread = start_live_server(create_app(classifier, body_timeout=1.0), header_timeout=1.0)
    try:
        yield url
    finally:
        stop_live_server(server, thread)


def test_headers_sent_slowly_are_cut_off_with_a_408(slow_server: str) -> None:
    with _connect(slow_server) as sock:
        head = [b"POST /score HTTP/1.1\r\n", *[b"x-slow-%d: 1\r\n" % i for i in range(60)]]
        received, elapsed = _trickle(sock, head, pause=0.2, limit=6)
    assert received.startswith(b"HTTP/1.1 408 "), received
    assert b"headers: not received within 1 s" in received
    assert 0.9 < elapsed < 3


def test_an_idle_connection_is_closed(slow_server: str) -> None:
    with _connect(slow_server) as sock:
        received, elapsed = _trickle(sock, [b""] * 30, pause=0.2, limit=6)
    assert received == b"" and elapsed < 3


def test_a_body_sent_slowly_is_cut_off_with_a_408(slow_server: str, row: dict[str, Any]) -> None:
    body = json.dumps({"data": [row]}).encode()
    head = (b"POST /score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n" % len(body))
    with _connect(slow_server) as sock:
        received, elapsed = _trickle(sock, [head, *[body[i:i + 1] for i in range(len(body))]], pause=0.2,
                                     limit=6)
    assert received.startswith(b"HTTP/1.1 408 "), received
    assert b"body: not received within 1 s" in received
    assert 0.9 < elapsed < 3


def test_requests_in_time_are_served_on_one_connection(slow_server: str, row: dict[str, Any]) -> None:
    with httpx.Client(base_url=slow_server, timeout=30) as http:
        for _ in range(3):
            assert http.post("/score", json={"data": [row]}).status_code == 200
            time.sleep(0.5)  # within the header timeout: the same connection stays usable
    with _connect(slow_server) as sock:  # after a response, the next headers are timed again
        sock.sendall(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        received, _ = _trickle(sock, [b"", b"GET /health HTTP/1.1\r\n", *[b"x: 1\r\n"] * 30], pause=0.2,
                               limit=6)
    assert received.startswith(b"HTTP/1.1 200 ") and b"HTTP/1.1 408 " in received


def test_create_app_checks_body_timeout(classifier: ScoringExplainer) -> None:
    for bad in (0, -1.0, float("nan"), float("inf"), True, "5"):
        with pytest.raises(ValueError, match="body_timeout must be a positive number of seconds"):
            create_app(classifier, body_timeout=bad)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- explain serve options
def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--max-rows", "0", "argument --max-rows: expected an integer of at least 1, got '0'"),
    ("--max-rows", "-5", "argument --max-rows: expected an integer of at least 1, got '-5'"),
    ("--max-rows", "many", "argument --max-rows: expected an integer, got 'many'"),
    ("--max-body-bytes", "0", "argument --max-body-bytes: expected an integer of at least 1"),
    ("--port", "70000", "argument --port: expected an integer from 1 to 65535, got '70000'"),
    ("--port", "0", "argument --port: expected an integer from 1 to 65535, got '0'"),
    ("--header-timeout", "0", "argument --header-timeout: expected a number of at least 0.001"),
    ("--body-timeout", "nan", "argument --body-timeout: expected a number of at least 0.001, got 'nan'"),
    ("--limit-concurrency", "0", "argument --limit-concurrency: expected an integer of at least 1"),
])
def test_bad_serve_options_are_one_usage_error(tmp_path: Path, option: str, value: str, message: str) -> None:
    code, err = _run(["serve", str(tmp_path), option, value])
    assert code == 2
    assert err.strip().splitlines()[-1].startswith(f"explain serve: error: {message}")
    assert "Traceback" not in err


def test_explain_serve_refuses_max_rows_zero_in_a_subprocess(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "explain", "serve", str(tmp_path), "--max-rows", "0"],
                            capture_output=True, text=True, timeout=120, env=SUBPROCESS_ENV)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("explain serve: error: argument --max-rows")


@pytest.mark.parametrize("content", [b"", b"not a pickle", b"a,b\n1,2\n", b"\x80\x04\x95\x00\x00"],
                         ids=["empty", "text", "csv", "truncated pickle"])
def test_a_model_file_that_is_not_a_pickle_is_one_error_line(tmp_path: Path, content: bytes) -> None:
    pytest.importorskip("dash")
    X = log_frame(30)
    explanation = explain.TabularExplainer(LogRegressor().fit(X, X["a"]), X).explain_global(X)
    path = explain.save_explanation(explanation, tmp_path / "e.npz")
    (tmp_path / "model.joblib").write_bytes(content)
    code, err = _run(["dashboard", str(path), "--model", str(tmp_path / "model.joblib"), "--port", "0"])
    assert code == 2
    assert err.startswith(f"explain dashboard: error: --model {tmp_path / 'model.joblib'} could not be "
                          "unpickled (") and err.count("\n") == 1, err
    assert "expected a fitted model saved with joblib.dump" in err


def test_explain_serve_refuses_a_checksummed_file_that_is_not_a_pickle(classifier: ScoringExplainer,
                                                                       tmp_path: Path) -> None:
    directory = save_scoring(classifier, tmp_path / "s")
    (directory / "model.joblib").write_bytes(b"not a pickle")
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["files"]["model.joblib"] = hashlib.sha256(b"not a pickle").hexdigest()
    (directory / "manifest.json").write_text(json.dumps(manifest))
    code, err = _run(["serve", str(directory), "--port", str(free_port())])
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"explain serve: error: load: {directory / 'model.joblib'} could not be unpickled")


def test_explain_serve_applies_its_timeouts(classifier: ScoringExplainer, tmp_path: Path) -> None:
    directory = save_scoring(classifier, tmp_path / "s")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "explain", "serve", str(directory), "--port", str(port),
             "--header-timeout", "1", "--body-timeout", "1"],
            stdout=handle, stderr=subprocess.STDOUT, env=SUBPROCESS_ENV, cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url, timeout=90, process=process, output=log)
        with _connect(url) as sock:
            received, elapsed = _trickle(sock, [b"GET /health HTTP/1.1\r\n", *[b"x: 1\r\n"] * 30], pause=0.2,
                                         limit=6)
        assert received.startswith(b"HTTP/1.1 408 ") and elapsed < 3
        with _connect(url) as sock:
            head = (b"POST /score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                    b"content-length: 50\r\n\r\n")
            received, elapsed = _trickle(sock, [head, *[b" "] * 30], pause=0.2, limit=6)
        assert received.startswith(b"HTTP/1.1 408 ") and b"body: not received within 1 s" in received
    finally:
        process.terminate()
        process.wait(timeout=30)

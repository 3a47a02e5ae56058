"""Load test of the scoring service: 50 concurrent clients against uvicorn on 127.0.0.1.

Two phases split the time budget (30 s by default, ``LOAD_TEST_SECONDS`` to change it), each
also bounded by a request count: single rows with ``explain: true``, then 100-row batches with
``explain: true``. Every response must be a 200. Throughput (requests/s, rows/s) and p50/p99
latency of each phase are printed in the terminal summary (with or without ``-s``) and written
as JSON to ``LOAD_TEST_REPORT`` (default ``build/load_test.json``, relative to the repository).

The server runs in a thread of the test process, so the clients and the service share one
interpreter (and its GIL): the figures are a floor, not what a dedicated server process gives.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import asyncio
import contextlib
import json
import platform
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

from lightgbm import LGBMClassifier  # noqa: E402

import explain  # noqa: E402
from explain.scoring import ScoringExplainer, create_app  # noqa: E402
from tests.explain.scoring._support import (  # noqa: E402
    make_frame,
    make_pipeline_of,
    records,
    start_live_server,
    stop_live_server,
)

ROOT = Path(__file__).resolve().parents[3]
CLIENTS = 50
TOTAL_SECONDS = float(os.environ.get("LOAD_TEST_SECONDS", "30"))
MAX_REQUESTS_PER_PHASE = 200_000
BATCH_ROWS = 100
HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def model() -> dict[str, Any]:
    X, label, _ = make_frame(2000)
    pipeline = make_pipeline_of(LGBMClassifier(n_estimators=30, n_jobs=1, verbose=-1)).fit(X, label)
    scoring = ScoringExplainer.for_explainer(explain.TabularExplainer(pipeline, X.iloc[:100]))
    rows = records(X)
    return {"pipeline": pipeline, "scoring": scoring, "X": X, "rows": rows}


@pytest.fixture(scope="module")
def live_url(model: dict[str, Any]) -> Iterator[str]:
    """The service, served by uvicorn in a background thread on a free localhost port."""
    app = create_app(model["scoring"], max_rows=1000)
    url, server, thread = start_live_server(app)
    try:
        yield url
    finally:
        stop_live_server(server, thread)


async def _phase(url: str, bodies: list[bytes], rows_per_request: int, seconds: float,
                 max_requests: int) -> dict[str, Any]:
    """``CLIENTS`` clients posting ``bodies`` in turn until ``seconds`` pass or ``max_requests`` are sent."""
    latencies: list[float] = []
    errors: list[str] = []
    sent = 0
    headers = {"content-type": "application/json"}
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        start = time.perf_counter()
        deadline = start + seconds

        async def worker(index: int) -> None:
            nonlocal sent
            turn = index
            while time.perf_counter() < deadline and sent < max_requests:
                sent += 1
                body = bodies[turn % len(bodies)]
                turn += CLIENTS
                began = time.perf_counter()
                try:
                    response = await client.post("/score", content=body, headers=headers)
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                latencies.append(time.perf_counter() - began)
                if response.status_code != 200:
                    errors.append(f"{response.status_code}: {response.text[:200]}")

        await asyncio.gather(*(worker(i) for i in range(CLIENTS)))
        elapsed = time.perf_counter() - start
    completed = len(latencies)
    lat_ms = np.asarray(latencies) * 1000 if latencies else np.zeros(1)
    return {
        "clients": CLIENTS, "rows_per_request": rows_per_request, "seconds": round(elapsed, 3),
        "requests": completed, "rows": completed * rows_per_request, "errors": len(errors),
        "first_errors": errors[:5],
        "requests_per_s": round(completed / elapsed, 2),
        "rows_per_s": round(completed * rows_per_request / elapsed, 2),
        "latency_ms": {"p50": round(float(np.percentile(lat_ms, 50)), 2),
                       "p99": round(float(np.percentile(lat_ms, 99)), 2),
                       "mean": round(float(lat_ms.mean()), 2), "max": round(float(lat_ms.max()), 2)},
    }


def _line(name: str, result: dict[str, Any]) -> str:
    latency = result["latency_ms"]
    return (f"load test {name}: {result['requests']} requests ({result['rows']} rows) in "
            f"{result['seconds']} s with {result['clients']} clients: {result['requests_per_s']} requests/s, "
            f"{result['rows_per_s']} rows/s, latency p50 {latency['p50']} ms, p99 {latency['p99']} ms, "
            f"errors {result['errors']}")


@pytest.mark.slow
def test_fifty_concurrent_clients_single_rows_then_100_row_batches(
        live_url: str, model: dict[str, Any], request: pytest.FixtureRequest) -> None:
    rows = model["rows"]
    single = [json.dumps({"data": [row], "explain": True}).encode() for row in rows[:500]]
    batches = [json.dumps({"data": rows[i:i + BATCH_ROWS], "explain": True}).encode()
               for i in range(0, 20 * BATCH_ROWS, BATCH_ROWS)]
    # warm up every path once (first-call costs are not load)
    for body in (single[0], batches[0]):
        assert httpx.post(f"{live_url}/score", content=body, headers={"content-type": "application/json"},
                          timeout=60).status_code == 200

    half = TOTAL_SECONDS / 2
    results = {
        "single_row": asyncio.run(_phase(live_url, single, 1, half, MAX_REQUESTS_PER_PHASE)),
        "batch_100_rows": asyncio.run(_phase(live_url, batches, BATCH_ROWS, half, MAX_REQUESTS_PER_PHASE)),
    }
    report = {"host": HOST, "explain": True, "model": "Pipeline(ColumnTransformer, LGBMClassifier(30 trees))",
              "server": "uvicorn, one worker, in-process thread", "python": platform.python_version(),
              "cpus": os.cpu_count(), "phases": results}
    path = ROOT / os.environ.get("LOAD_TEST_REPORT", "build/load_test.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))

    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        print()  # shown whether or not pytest captures output (-s)
        for name, result in results.items():
            print(_line(name, result), flush=True)
        print(f"load test report: {path}", flush=True)

    for name, result in results.items():
        assert result["errors"] == 0, (name, result["first_errors"])
        assert result["requests"] > 0, name

    # the service still answers correctly after the load
    check = model["X"].iloc[:BATCH_ROWS]
    answer = httpx.post(f"{live_url}/score", content=batches[0], headers={"content-type": "application/json"},
                        timeout=60).json()
    assert answer["predictions"] == model["pipeline"].predict(check).tolist()
    assert len(answer["explanations"]) == BATCH_ROWS

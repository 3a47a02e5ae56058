"""The scoring service under load: throughput and latency with the server in its own process.

Saves a scoring explainer (a LightGBM classifier on 50 numeric columns, and a featurization
pipeline on a mixed table), serves it with ``explain serve`` (uvicorn, one process) on
127.0.0.1, and drives it from this process with ``--clients`` concurrent asyncio httpx
clients, in two phases: single rows and 100-row batches, both with ``explain: true``. Prints
requests/s, rows/s and p50/p99 latency per phase; every response must be 200.

    python benchmarks/bench_service.py [--seconds 15] [--clients 50] [--only lightgbm]

On a 2-core machine the clients and the server share the cores, so the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
os.environ.setdefault("OMP_NUM_THREADS", "1")

import httpx
import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import TabularExplainer
from explain.scoring import ScoringExplainer, save


def _models(folder: Path) -> dict[str, tuple[Path, pd.DataFrame]]:
    rng = np.random.default_rng(0)
    numeric = pd.DataFrame(rng.normal(size=(20_000, 50)), columns=[f"x{i}" for i in range(50)])
    label = (numeric["x0"] + numeric["x1"] - numeric["x2"] > 0).astype(int)
    lightgbm = LGBMClassifier(n_estimators=200, num_leaves=31, n_jobs=1, verbose=-1).fit(numeric, label)
    mixed = pd.DataFrame({"age": rng.integers(18, 80, 5000), "income": rng.normal(50, 10, 5000),
                          "region": rng.choice(["north", "south", "east", "west"], 5000)})
    target = ((mixed["age"] > 40) ^ (mixed["region"] == "south")).astype(int)
    pipeline = make_pipeline(
        ColumnTransformer([("num", StandardScaler(), ["age", "income"]),
                           ("cat", OneHotEncoder(handle_unknown="ignore"), ["region"])]),
        LGBMClassifier(n_estimators=100, n_jobs=1, verbose=-1)).fit(mixed, target)
    found = {}
    for name, model, data in (("lightgbm", lightgbm, numeric), ("pipeline", pipeline, mixed)):
        scoring = ScoringExplainer.for_explainer(TabularExplainer(model, data.iloc[:200]))
        found[name] = (save(scoring, folder / name), data)
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [sys.executable, "-m", "explain", "serve", str(directory), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the service did not start: {process.stderr.read() if process.stderr else b''!r}")


async def _phase(url: str, bodies: list[dict[str, Any]], clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds

    async def client(index: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=url, timeout=60) as session:
            i = index
            while time.monotonic() < stop:
                start = time.perf_counter()
                response = await session.post("/score", json=bodies[i % len(bodies)])
                latencies.append(time.perf_counter() - start)
                errors += response.status_code != 200
                i += clients

    began = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.monotonic() - began
    rows = len(bodies[0]["data"])
    ms = np.array(latencies) * 1e3
    return {"requests": len(latencies), "errors": errors, "req/s": len(latencies) / elapsed,
            "rows/s": len(latencies) * rows / elapsed, "p50 ms": float(np.percentile(ms, 50)),
            "p99 ms": float(np.percentile(ms, 99))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per phase (default 15)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--only", help="run only the model whose name contains this")
    args = parser.parse_args()
    print(f"# scoring service load: {args.clients} clients, {args.seconds:g} s per phase, "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, (directory, data) in _models(Path(folder)).items():
            if args.only and args.only not in name:
                continue
            process, url = _serve(directory)
            try:
                records = data.iloc[:2000].to_dict("records")
                singles = [{"data": [r], "explain": True, "top_k": 5} for r in records]
                batches = [{"data": records[i:i + 100], "explain": True, "top_k": 5}
                           for i in range(0, 2000, 100)]
                for phase, bodies in (("1 row", singles), ("100 rows", batches)):
                    found = asyncio.run(_phase(url, bodies, args.clients, args.seconds))
                    rows.append({"model": name, "batch": phase, **found})
            finally:
                process.terminate()
                process.wait(timeout=30)
    header = ["model", "batch", "requests", "errors", "req/s", "rows/s", "p50 ms", "p99 ms"]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(f"{row[h]:,.1f}" if isinstance(row[h], float) else str(row[h])
                                for h in header) + " |")
    if any(row["errors"] for row in rows):
        raise SystemExit("some requests failed")


if __name__ == "__main__":
    main()

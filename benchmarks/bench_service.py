"""The scoring service under load: the AutoML pipeline case, before and after.

Model: the AutoML pipeline case of ``_automl_case.py`` (AutoFeaturizer + LightGBM, 200 trees,
50 raw columns, explained by the explainer AutoML stores). It is saved once per configuration
and served by ``explain serve`` in its own process(es) on 127.0.0.1:

* **before**: the fitted featurization run on a DataFrame per request
  (``ScoringExplainer(..., compile_featurization=False)``), one worker -- what the service did
  before the compiled featurization and ``--workers``;
* **after**: the compiled featurization, ``--workers 2`` (override with ``--workers``).

Load: ``--clients`` keep-alive connections (default 50) in ``--client-processes`` processes
(default 2) of raw-socket clients (``_service_load.py``; httpx would spend a millisecond of
CPU per request on the client side), each sending its next request when the previous answer
arrives, for ``--seconds`` per phase: one-row requests with ``explain: true, top_k: 5``, then
100-row batches. Every response must be 200. Prints requests/s, rows/s, p50/p99 latency and
errors per phase, and the 1-minute load average before and after each phase (other processes
on the machine share its cores). Target (issue 17): 1-row phase >= 150 requests/s, p99 < 1 s,
0 errors on 2 cores.

    python benchmarks/bench_service.py [--seconds 20] [--clients 50] [--workers 2] [--only after]
"""

from __future__ import annotations

import os

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _automl_case import automl_case, records
from _service_load import run_load

from explain.scoring import ScoringExplainer, save


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(directory: Path, workers: int) -> tuple[subprocess.Popen[bytes], int, float]:
    """``explain serve`` in its own process; its port and how long it took to answer /health."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "explain",
        "serve",
        str(directory),
        "--port",
        str(port),
        "--limit-concurrency",
        "1000",
    ] + (["--workers", str(workers)] if workers > 1 else [])
    began = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = began + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process, port, time.monotonic() - began
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the service did not start: {process.stderr.read() if process.stderr else b''!r}")


def _phase(
    port: int, bodies: list[dict[str, Any]], clients: int, seconds: float, processes: int
) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    latencies, statuses, elapsed = run_load("127.0.0.1", port, bodies, clients, seconds, processes)
    ms = np.array(latencies) * 1e3
    rows = len(bodies[0]["data"])
    return {
        "requests": len(ms),
        "errors": sum(s != 200 for s in statuses),
        "req/s": len(ms) / elapsed,
        "rows/s": len(ms) * rows / elapsed,
        "p50 ms": float(np.percentile(ms, 50)),
        "p99 ms": float(np.percentile(ms, 99)),
        "load avg": f"{load_before:.1f} -> {os.getloadavg()[0]:.1f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase (default 20)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections (default 50)")
    parser.add_argument("--client-processes", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes 'after' (default 2)")
    parser.add_argument("--only", choices=("before", "after"), help="run one configuration")
    parser.add_argument("--batches", action="store_true", help="also the 100-row phase")
    args = parser.parse_args()
    print(
        f"# scoring service load: AutoML pipeline case, {args.clients} clients in {args.client_processes} "
        f"processes, {args.seconds:g} s per phase, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    _, explainer, held_out = automl_case()
    sent = records(held_out)
    singles = [{"data": [r], "explain": True, "top_k": 5} for r in sent]
    batches = [{"data": sent[i : i + 100], "explain": True, "top_k": 5} for i in range(0, len(sent), 100)]
    configurations = {"before": (False, 1), "after": (True, args.workers)}
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, (compiled, workers) in configurations.items():
            if args.only and args.only != name:
                continue
            scoring = ScoringExplainer.for_explainer(explainer, compile_featurization=compiled)
            directory = save(scoring, Path(folder) / name)
            process, port, started = _serve(directory, workers)
            try:
                print(
                    f"{name}: served in {started:.1f} s ({workers} worker{'s' if workers > 1 else ''}, "
                    f"{'compiled' if compiled else 'pipeline'} featurization)",
                    flush=True,
                )
                phases = [("1 row", singles)] + ([("100 rows", batches)] if args.batches else [])
                for phase, bodies in phases:
                    found = _phase(port, bodies, args.clients, args.seconds, args.client_processes)
                    rows.append({"configuration": name, "workers": workers, "batch": phase, **found})
                    print(f"  {phase}: {found['req/s']:.1f} req/s, p99 {found['p99 ms']:.0f} ms", flush=True)
            finally:
                process.terminate()
                process.wait(timeout=60)
    header = [
        "configuration",
        "workers",
        "batch",
        "requests",
        "errors",
        "req/s",
        "rows/s",
        "p50 ms",
        "p99 ms",
        "load avg",
    ]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for row in rows:
        print(
            "| "
            + " | ".join(f"{row[h]:,.1f}" if isinstance(row[h], float) else str(row[h]) for h in header)
            + " |"
        )
    if any(row["errors"] for row in rows):
        raise SystemExit("some requests failed")


if __name__ == "__main__":
    main()

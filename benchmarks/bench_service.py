"""The scoring service under load: the AutoML pipeline case, before and after.

Model: the AutoML pipeline case of ``_automl_case.py`` (AutoFeaturizer + LightGBM, 200 trees,
50 raw columns, explained by the explainer AutoML stores). It is saved once per configuration
and served by ``explain serve`` in its own process(es) on 127.0.0.1:

* **before**: what ``automl serve`` did before the run's stored explainer, the compiled
  featurization and ``--workers``: a ``MimicExplainer`` with a LightGBM surrogate (trained here;
  the old service trained it at every start) and the fitted featurization run on a DataFrame
  per request (``compile_featurization=False``), one worker;
* **after, 1 worker**: the run's stored explainer with the compiled featurization, one worker;
* **after**: the same with ``--workers 2`` (override with ``--workers``).

Start-up (``--startup``, on by default; ``--no-startup`` to skip): a small AutoML search on
the same table (LightGBM, 2 runs) is stored in a SQLite file, then ``automl serve EXPERIMENT``
is started three times and timed until ``/health`` answers (the run's stored explainer is
loaded, nothing is trained); the same for ``explain serve`` of the saved "after" folder.
Target (issue 17): under 3 s for a stored run.

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
    return _start(["explain", "serve", str(directory)], workers)


def _start(arguments: list[str], workers: int = 1) -> tuple[subprocess.Popen[bytes], int, float]:
    """``python -m <arguments>`` serving on a free port; its port and how long it took to answer
    /health."""
    port = _free_port()
    command = [sys.executable, "-m", *arguments, "--port", str(port), "--limit-concurrency", "1000"] + (
        ["--workers", str(workers)] if workers > 1 else []
    )
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


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=60)


def _startup(folder: Path, after: Path) -> list[list[str]]:
    """Start-up times of ``automl serve`` (a stored run) and ``explain serve`` (a saved folder)."""
    from _automl_case import wide_table

    from automl import AutoML, AutoMLConfig

    X, y = wide_table(3000, seed=1)
    storage = f"sqlite:///{folder / 'runs.db'}"
    began = time.monotonic()
    AutoML(
        AutoMLConfig(
            "classification", X=X, y=y, storage=storage, experiment_name="wide", iterations=2,
            n_cross_validations=2, allowed_models=["LightGBM"], ensemble=False, n_jobs=1, random_state=0,
            verbosity=40,
        )
    ).fit()
    print(f"startup: AutoML search stored in {time.monotonic() - began:.1f} s", flush=True)
    rows = []
    for name, arguments in (
        ("automl serve EXPERIMENT (stored run)", ["automl", "serve", "wide", "--storage", storage]),
        ("explain serve DIRECTORY", ["explain", "serve", str(after)]),
    ):
        times = []
        for _ in range(3):
            load = os.getloadavg()[0]
            process, _, started = _start(arguments)
            _stop(process)
            times.append(started)
            print(f"  {name}: {started:.2f} s to /health (load average {load:.2f})", flush=True)
        rows.append([name, f"{min(times):.2f}", f"{np.median(times):.2f}", f"{os.getloadavg()[0]:.2f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase (default 20)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections (default 50)")
    parser.add_argument("--client-processes", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes 'after' (default 2)")
    parser.add_argument("--only", choices=("before", "after"), help="run one configuration")
    parser.add_argument("--batches", action="store_true", help="also the 100-row phase")
    parser.add_argument("--startup", action=argparse.BooleanOptionalAction, default=True,
                        help="time the start of automl serve / explain serve (default on)")
    args = parser.parse_args()
    print(
        f"# scoring service load: AutoML pipeline case, {args.clients} clients in {args.client_processes} "
        f"processes, {args.seconds:g} s per phase, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    pipeline, explainer, held_out = automl_case()
    sent = records(held_out)
    singles = [{"data": [r], "explain": True, "top_k": 5} for r in sent]
    batches = [{"data": sent[i : i + 100], "explain": True, "top_k": 5} for i in range(0, len(sent), 100)]
    configurations = {"before": (False, 1), "after, 1 worker": (True, 1), "after": (True, args.workers)}
    rows: list[dict[str, Any]] = []
    startup: list[list[str]] = []
    with tempfile.TemporaryDirectory() as folder:
        for name, (compiled, workers) in configurations.items():
            if args.only and not name.startswith(args.only):
                continue
            served = _old_service_explainer(pipeline) if name == "before" else explainer
            scoring = ScoringExplainer.for_explainer(served, compile_featurization=compiled)
            directory = save(scoring, Path(folder) / name.replace(", ", "-").replace(" ", "-"))
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
                _stop(process)
        if args.startup and (not args.only or args.only == "after"):
            startup = _startup(Path(folder), Path(folder) / "after")
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
    if startup:
        print("\n| start-up | best s | median s | load avg after |\n|---|---|---|---|")
        for line in startup:
            print("| " + " | ".join(line) + " |")
    if any(row["errors"] for row in rows):
        raise SystemExit("some requests failed")


def _old_service_explainer(pipeline: Any) -> Any:
    """What the old service explained with: a LightGBM surrogate mimicking the pipeline, trained
    on a sample of its training rows (as ``automl serve`` did at every start)."""
    from _automl_case import wide_table

    from explain import MimicExplainer
    from explain.models import LGBMExplainableModel

    began = time.monotonic()
    X, _ = wide_table(7000)
    mimic = MimicExplainer(pipeline, X.iloc[:5000].sample(2000, random_state=0), LGBMExplainableModel,
                           random_state=0)
    print(f"before: the old service's LightGBM surrogate trained in {time.monotonic() - began:.1f} s "
          "(at every start of the old service)", flush=True)
    return mimic


if __name__ == "__main__":
    main()

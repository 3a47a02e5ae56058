"""Global explanation of many rows: in memory (``n_jobs`` 1 and 2) vs a Dask LocalCluster.

A ``LGBMClassifier`` (200 trees, 31 leaves, ``n_jobs=1``) on 50 ``make_classification``
features is explained globally with ``TabularExplainer(...).explain_global(X,
include_local=False)``:

* in memory, chunks computed one at a time (``n_jobs=1``) and two at a time (``n_jobs=2``);
* as a ``dask.array`` (chunks of 50,000 rows) on a ``LocalCluster`` of two single-threaded
  worker processes; the data are generated on the workers, so only the model travels.

Printed per case: wall time, rows/s, the peak memory of this process (tracemalloc: Python
and NumPy allocations during the call) and, for Dask, the largest resident memory of a
worker (psutil), and the largest |difference| of the global importances from the in-memory
``n_jobs=1`` run.

Run: ``python benchmarks/bench_dask.py [--rows N] [--quick]`` (``--quick``: 20,000 rows; the
default 1,000,000 rows takes a few minutes on 2 cores).
"""

from __future__ import annotations

import os

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # before NumPy/LightGBM load OpenMP

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import dask.array as da
import lightgbm
import numpy as np
from _common import print_environment, print_table
from dask.distributed import Client, LocalCluster
from sklearn.datasets import make_classification

import explain

N_FEATURES = 50
BLOCK_ROWS = 50_000


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows explained")
    parser.add_argument("--quick", action="store_true", help="20,000 rows, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.rows = 20_000
    return args


def _block(block_id: tuple[int, ...], block_info: Any = None) -> np.ndarray:
    """Rows of one block, drawn from a seed of its own (the same in memory and on workers)."""
    rows = block_info[None]["chunk-shape"][0]
    return np.random.default_rng(block_id[0]).normal(size=(rows, N_FEATURES))


def _data(n_rows: int) -> da.Array:
    chunks = ((min(BLOCK_ROWS, n_rows - s) for s in range(0, n_rows, BLOCK_ROWS)), (N_FEATURES,))
    return da.map_blocks(lambda block_info=None, block_id=None: _block(block_id, block_info),
                         chunks=tuple(tuple(c) for c in chunks), dtype=np.float64)


def _model() -> Any:
    X, y = make_classification(n_samples=20_000, n_features=N_FEATURES, n_informative=20,
                               random_state=0)
    model = lightgbm.LGBMClassifier(n_estimators=200, num_leaves=31, n_jobs=1, verbose=-1)
    return model.fit(X, y), X[:1_000]


def _measure(call: Callable[[], Any]) -> tuple[float, int, Any]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = call()
        return time.perf_counter() - start, tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def _worker_rss(client: Client) -> int:
    def rss() -> int:
        import psutil

        return int(psutil.Process().memory_info().rss)

    return max(client.run(rss).values())


def main() -> None:
    args = _args()
    print_environment()
    model, background = _model()
    lazy = _data(args.rows)
    X = lazy.compute()
    table: list[list[str]] = []
    reference = None
    for n_jobs in (1, 2):
        explainer = explain.TabularExplainer(model, background, n_jobs=n_jobs)
        seconds, peak, result = _measure(
            lambda e=explainer, rows=X: e.explain_global(rows, include_local=False))
        reference = result.global_values if reference is None else reference
        table.append([f"in memory, n_jobs={n_jobs}", f"{seconds:.2f}", f"{args.rows / seconds:,.0f}",
                     f"{peak / 2**20:.1f}", "", f"{np.abs(result.global_values - reference).max():.1e}"])
    del X
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        explainer = explain.TabularExplainer(model, background)
        client.run(lambda: None)  # workers are up before the clock starts
        seconds, peak, result = _measure(lambda: explainer.explain_global(lazy, include_local=False))
        table.append(["dask LocalCluster, 2 workers x 1 thread", f"{seconds:.2f}",
                     f"{args.rows / seconds:,.0f}", f"{peak / 2**20:.1f}",
                     f"{_worker_rss(client) / 2**20:.0f}",
                     f"{np.abs(result.global_values - reference).max():.1e}"])
    print_table(f"LightGBM 200 trees x 31 leaves, {args.rows:,} x {N_FEATURES}, global only",
                ["case", "wall s", "rows/s", "client peak MB", "worker RSS MB", "max |diff|"], table)


if __name__ == "__main__":
    main()

"""Timing and printing helpers shared by the benchmark scripts.

Every script sets ``OMP_WAIT_POLICY=PASSIVE`` before it imports NumPy or LightGBM (OpenMP reads
it once, when the runtime loads): with the default active policy, idle OpenMP workers spin and
steal a core from whatever runs next, which distorts single-threaded timings on a small machine.
This module sets it too, for scripts that import it first.

Timings are the best of ``k`` wall-clock runs (``time.perf_counter``); the process CPU time of
that run is kept as well, so ``cpu/wall`` shows how many cores a call really used.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"

__all__ = [
    "Comparison",
    "Timing",
    "best_of",
    "best_of_pair",
    "format_table",
    "max_abs_difference",
    "parse_args",
    "print_comparisons",
    "print_environment",
    "print_table",
]

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Timing:
    """Best wall time of a few runs of one call.

    Attributes
    ----------
    seconds : float
        Smallest wall time over the runs.
    cpu_seconds : float
        Process CPU time (all threads) of that fastest run.
    runs : int
        Number of runs made.
    """

    seconds: float
    cpu_seconds: float
    runs: int

    @property
    def cores(self) -> float:
        """CPU time over wall time: about the number of cores the call kept busy."""
        return self.cpu_seconds / self.seconds if self.seconds > 0 else float("nan")


def _timed(function: Callable[[], T]) -> tuple[float, float, T]:
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    result = function()
    return time.perf_counter() - wall_start, time.process_time() - cpu_start, result


def best_of(function: Callable[[], T], *, repeat: int = 5, max_total: float = 60.0) -> tuple[Timing, T]:
    """Run ``function`` up to ``repeat`` times and keep the fastest wall time.

    Stops early (after at least one run) once the runs so far took ``max_total`` seconds.

    Returns
    -------
    timing : Timing
        The best run.
    result : object
        What the last run returned.
    """
    best, runs, total = (float("inf"), float("nan")), 0, 0.0
    result: Any = None
    while runs < repeat and (runs == 0 or total < max_total):
        wall, cpu, result = _timed(function)
        best, runs, total = min(best, (wall, cpu)), runs + 1, total + wall
    return Timing(*best, runs), result


def best_of_pair(
    ours: Callable[[], T], peer: Callable[[], U], *, repeat: int = 5, max_total: float = 60.0
) -> tuple[Timing, T, Timing, U]:
    """Time ``ours`` and ``peer`` alternately, up to ``repeat`` runs each; keep each one's fastest.

    Alternating spreads any change in the machine's load over both sides. Stops early (after
    at least one run each) once the runs so far took ``max_total`` seconds together, so slow
    cases are measured once or twice and fast ones ``repeat`` times.

    Returns
    -------
    ours_timing, ours_result, peer_timing, peer_result
        Each side's best run and what its last run returned (for correctness checks).
    """
    best = [(float("inf"), float("nan")), (float("inf"), float("nan"))]
    results: list[Any] = [None, None]
    runs, total = 0, 0.0
    while runs < repeat and (runs == 0 or total < max_total):
        for side, function in enumerate((ours, peer)):
            wall, cpu, results[side] = _timed(function)
            total += wall
            best[side] = min(best[side], (wall, cpu))
        runs += 1
    return Timing(*best[0], runs), results[0], Timing(*best[1], runs), results[1]


@dataclass
class Comparison:
    """One line of a side-by-side table: our call and the peer's on the same input."""

    case: str
    ours: Timing
    peer: Timing
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """Peer time over our time: above 1 means ours is faster."""
        return self.peer.seconds / self.ours.seconds


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Format a plain-text table (Markdown pipe syntax, so it can be pasted into the README)."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return "\n".join(lines)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a titled table."""
    print(f"\n## {title}\n")
    print(format_table(headers, rows))
    sys.stdout.flush()


def print_comparisons(title: str, comparisons: Sequence[Comparison], *, peer: str) -> None:
    """Print ours vs ``peer``: best wall times, their ratio, CPU use, then the extra columns.

    ``cpu {peer}/ours`` is the ratio of the process CPU times of the two best runs: for
    single-threaded calls it is less disturbed than the wall-time ratio by other processes
    competing for the cores.
    """
    extra_keys: list[str] = []
    for comparison in comparisons:
        extra_keys += [k for k in comparison.extra if k not in extra_keys]
    headers = [
        "case",
        "ours s",
        f"{peer} s",
        f"{peer}/ours",
        f"cpu {peer}/ours",
        "cores ours",
        f"cores {peer}",
        *extra_keys,
    ]
    rows = [
        [
            c.case,
            f"{c.ours.seconds:.3f}",
            f"{c.peer.seconds:.3f}",
            f"{c.ratio:.2f}x",
            f"{c.peer.cpu_seconds / c.ours.cpu_seconds:.2f}x",
            f"{c.ours.cores:.1f}",
            f"{c.peer.cores:.1f}",
            *(c.extra.get(k, "") for k in extra_keys),
        ]
        for c in comparisons
    ]
    print_table(title, headers, rows)


def print_environment() -> None:
    """Print the date, machine and library versions the figures were measured with."""
    import lightgbm
    import numpy
    import shap
    import sklearn
    import xgboost

    import explain

    print(
        f"date: {datetime.date.today().isoformat()}  python {platform.python_version()}  "
        f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.2f}  "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}"
    )
    print(
        f"explain {explain.__version__}  shap {shap.__version__}  scikit-learn {sklearn.__version__}  "
        f"lightgbm {lightgbm.__version__}  xgboost {xgboost.__version__}  numpy {numpy.__version__}"
    )
    sys.stdout.flush()


def parse_args(description: str, *, cases: Sequence[str] = ()) -> argparse.Namespace:
    """Parse the options every script shares: ``--quick`` (smoke-test sizes) and ``--repeat``.

    With ``cases`` (the script's case names), ``--only TEXT`` is offered too: run only the cases
    whose name contains ``TEXT`` (case-insensitive; may be repeated).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="shrink the sizes for a smoke run")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per call (best is kept)")
    if cases:
        parser.add_argument(
            "--only",
            action="append",
            metavar="TEXT",
            help=f"run only the cases whose name contains TEXT; cases: {'; '.join(cases)}",
        )
    args = parser.parse_args()
    if cases:
        wanted = [t.lower() for t in args.only or ()]
        args.cases = [c for c in cases if not wanted or any(t in c.lower() for t in wanted)]
        if not args.cases:
            parser.error(f"--only matches no case; cases: {'; '.join(cases)}")
    return args


def max_abs_difference(ours: Any, theirs: Any) -> float:
    """Largest ``|ours - theirs|`` between our local values and shap's.

    Ours are (classes, rows, features) for classifiers, binary ones stored as ``[-v, v]``;
    shap 0.51 gives (rows, features) for one output (class 1 of a binary booster) and
    (rows, features, classes) for several.
    """
    import numpy as np

    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    if ours.ndim == 3 and theirs.ndim == 2:
        ours = ours[-1]
    elif ours.ndim == 3 and theirs.ndim == 3:
        ours = ours.transpose(1, 2, 0)
    if ours.shape != theirs.shape:
        raise ValueError(f"shapes differ: ours {ours.shape}, shap {theirs.shape}")
    return float(np.max(np.abs(ours - theirs)))

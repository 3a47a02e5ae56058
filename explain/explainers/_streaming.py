"""Computing an explanation chunk by chunk, in parallel through joblib, with a progress bar.

Rows are cut into chunks; each chunk is explained and reduced to a small summary by a task,
and the summaries come back **in row order** through ``joblib.Parallel(return_as="generator")``
with at most ``2 * n_jobs`` chunks dispatched ahead, so that with ``include_local=False``
memory stays flat however many rows there are.

Threads are the default (``prefer="threads"``): the heavy work of the explainers (LightGBM's
TreeSHAP, NumPy, numba) releases the GIL, and explainers hold models that would be costly
to copy into other processes. A backend the user chose with ``joblib.parallel_config``
(e.g. ``"loky"``) is respected. Explainers whose chunk computation is not thread-safe
(``BaseExplainer.parallel_chunks = False``) run their chunks one after another.

Written on joblib rather than ``concurrent.futures`` so that ``parallel_config`` (including
joblib's Dask backend) applies, and ``n_jobs=-1`` means what it means in scikit-learn.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import joblib
import numpy as np

from explain._exceptions import ExplanationValueError
from explain._validation import Matrix

__all__ = [
    "LOCAL_BYTES_PER_CHUNK",
    "PROGRESS_DELAY",
    "PROGRESS_MININTERVAL",
    "check_n_jobs",
    "check_show_progress",
    "chunk_rows",
    "interactive",
    "stream_chunks",
]

T = TypeVar("T")

LOCAL_BYTES_PER_CHUNK = 8 * 2**20
"""Chunks are sized so that their local values (engineered and raw) take about this much.

A chunk's working memory is several times its local values (e.g. LightGBM's contribution
matrix, the binary expansion, ``|values|``) and up to ``2 * n_jobs`` chunks are in flight, so
this stays at a few MB: about 10,000 rows of a binary classifier on 50 features, enough to
make the per-call overhead of the models negligible."""

PROGRESS_DELAY = 3.0
"""With ``show_progress=None`` (automatic) a bar appears once a call has run this many seconds,
when the output is interactive (a terminal or a notebook); shorter calls stay quiet."""

PROGRESS_MININTERVAL = 0.5
"""Least seconds between two redraws of a bar."""


def check_n_jobs(n_jobs: Any, caller: str) -> int:
    """Refuse anything but a non-zero ``int`` for ``n_jobs`` (``-1``: all cores)."""
    if not isinstance(n_jobs, int | np.integer) or isinstance(n_jobs, bool) or n_jobs == 0:
        raise ExplanationValueError(
            f"{caller}: n_jobs must be a non-zero integer (-1 for all cores), got {n_jobs!r}."
        )
    return int(n_jobs)


def check_show_progress(show_progress: Any, caller: str) -> None:
    """Refuse anything but ``True``, ``False`` or ``None`` for ``show_progress``."""
    if show_progress is not None and not isinstance(show_progress, bool):
        raise ExplanationValueError(
            f"{caller}: show_progress must be True, False or None (automatic), got {show_progress!r}."
        )


def chunk_rows(n_rows: int, bytes_per_row: int, n_jobs: int, batch_size: int | None = None,
               max_rows: int | None = None) -> int:
    """Rows per chunk: ``batch_size`` if given, else chosen from memory, time and ``n_jobs``.

    The automatic size keeps a chunk's local values near :data:`LOCAL_BYTES_PER_CHUNK`, at
    most ``max_rows`` (an explainer's bound for a chunk of a second or two, so that progress
    moves), and gives at least as many chunks as workers when there are enough rows. With
    several workers the number of chunks is a multiple of theirs, the chunks of near-equal
    size: 114 rows in chunks of at most 24 on two workers are six chunks of 19, not five of
    which the last runs alone (Kernel SHAP on the walkthrough: 66 rows' time on one worker
    against 57).

    Examples
    --------
    >>> chunk_rows(1_000_000, bytes_per_row=800, n_jobs=1)
    10485
    >>> chunk_rows(10, bytes_per_row=800, n_jobs=4)
    3
    >>> chunk_rows(100, bytes_per_row=800, n_jobs=1, max_rows=8)
    8
    >>> chunk_rows(114, bytes_per_row=800, n_jobs=2, max_rows=24)
    19
    """
    if batch_size is not None:
        return batch_size
    workers = joblib.effective_n_jobs(n_jobs)
    cap = max(1, LOCAL_BYTES_PER_CHUNK // max(1, bytes_per_row))
    if max_rows is not None:
        cap = min(cap, max(1, max_rows))
    size = max(1, min(cap, -(-n_rows // workers)))
    n_chunks = -(-n_rows // size)
    if workers > 1 and n_chunks > 1:
        n_chunks = -(-n_chunks // workers) * workers
        size = max(1, -(-n_rows // n_chunks))
    return size


def interactive() -> bool:
    """Whether progress can be shown: stderr is a terminal, or this runs in a Jupyter kernel."""
    if sys.stderr.isatty():
        return True
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _progress(total: int, show: bool | None, desc: str) -> Any:
    from tqdm.auto import tqdm

    delay = 0.0
    if show is None:
        show, delay = interactive(), PROGRESS_DELAY
    return tqdm(total=total, unit="rows", desc=desc, disable=not show, leave=False, delay=delay,
                mininterval=PROGRESS_MININTERVAL)


def stream_chunks(compute: Callable[[Matrix, np.ndarray | None], T], X: Matrix,
                  weights: np.ndarray | None, *, chunk: int, n_jobs: int, parallel: bool = True,
                  show_progress: bool | None = None, desc: str = "explaining") -> Iterator[T]:
    """Yield ``compute(rows, row_weights)`` for consecutive chunks of ``X``, in order.

    Parameters
    ----------
    compute : callable
        Explains one chunk: ``compute(X[a:b], weights[a:b] or None)``. Must be thread-safe
        when ``parallel`` is true and ``n_jobs != 1``.
    X : ndarray or csr_matrix of shape (n_rows, n_features)
        Validated rows; chunks of a dense array are views, not copies.
    weights : ndarray of shape (n_rows,) or None
        Row weights passed along with each chunk.
    chunk : int
        Rows per chunk.
    n_jobs : int
        Chunks computed at the same time (``-1``: all cores); ``1`` computes them in the
        calling thread, one after another.
    parallel : bool, default=True
        ``False`` when ``compute`` is not thread-safe: chunks then run one after another.
    show_progress : bool or None, default=None
        Show a tqdm bar (rows done, rate, ETA), advancing chunk by chunk; ``None``: shown
        once the call has run :data:`PROGRESS_DELAY` seconds, when the output is
        interactive (a terminal or a notebook).
    desc : str, default="explaining"
        Label of the progress bar.
    """
    n_rows = X.shape[0]
    starts = range(0, n_rows, chunk)
    tasks = ((X[s:s + chunk], None if weights is None else weights[s:s + chunk]) for s in starts)
    if n_jobs == 1 or not parallel or len(starts) == 1:
        results: Iterator[T] = (compute(rows, w) for rows, w in tasks)
    else:
        workers = joblib.effective_n_jobs(n_jobs)
        runner = joblib.Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator",
                                 pre_dispatch=f"{2 * workers}", batch_size=1)
        results = iter(runner(joblib.delayed(compute)(rows, w) for rows, w in tasks))
    with _progress(n_rows, show_progress, desc) as bar:
        for start, result in zip(starts, results, strict=True):
            bar.update(min(chunk, n_rows - start))
            yield result

"""Plain-text presentation of experiments for the terminal: leaderboard and importance tables."""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from automl._metrics import get_metric
from automl._runs import AutoMLRun

__all__ = ["SHORT_NAMES", "format_value", "importance_text", "leaderboard_text", "ranked_leaderboard",
           "text_table"]

SHORT_NAMES = {"normalized_root_mean_squared_error": "norm_RMSE",
               "normalized_mean_absolute_error": "norm_MAE", "root_mean_squared_error": "RMSE",
               "mean_absolute_error": "MAE",
               "spearman_correlation": "spearman", "balanced_accuracy": "balanced_acc",
               "f1_score_weighted": "f1_weighted", "fit_seconds": "fit s"}
_WHY = {"Pruned": " (stopped early: a partial score)", "Queued": " (not run yet)"}
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?%?|nan|inf")


def ranked_leaderboard(run: AutoMLRun) -> pd.DataFrame:
    """:meth:`AutoMLRun.leaderboard` with completed runs first, then the others; ``rank`` first.

    A pruned run's score is that of the folds it finished, so by score alone it can sit among
    complete runs; ``rank`` is 1, 2, ... for completed runs and empty for the others.
    """
    board = run.leaderboard()
    if board.empty:
        return board
    completed = board["status"] == "Completed"
    board = pd.concat([board[completed], board[~completed]], ignore_index=True)
    ranks = [str(i + 1) for i in range(int(completed.sum()))]
    board.insert(0, "rank", ranks + [""] * (len(board) - len(ranks)))
    return board


def leaderboard_text(run: AutoMLRun, limit: int | None) -> str:
    """The leaderboard as text: the best ``limit`` completed runs, or every run with its error (``None``)."""
    board = ranked_leaderboard(run)
    if board.empty:
        return "No runs yet."
    metric = run.primary_metric
    skip = ("rank", "run", "estimator", "status", metric, "error", "fit_seconds", "explain_seconds")
    columns = ["rank", "run", "estimator", "status", metric,
               *[c for c in board.columns if c not in skip][:4], "fit_seconds"]
    completed = board[board["status"] == "Completed"]
    if limit is None:
        shown, columns = board, [*columns, "error"]
        title = f"Leaderboard: {len(board)} runs, {len(completed)} completed"
    else:
        shown = completed.head(limit)
        title = f"Leaderboard: top {len(shown)} of {len(completed)} completed runs"
    better = "higher" if get_metric(metric, run.task).greater_is_better else "lower"
    rows = [[_clip(format_value(row.get(c)), 60) for c in columns] for row in shown.to_dict("records")]
    lines = [f"{title}, ranked by {metric} ({better} is better)",
             text_table([SHORT_NAMES.get(c, c) for c in columns], rows)]
    others = board["status"].value_counts().drop("Completed", errors="ignore")
    if limit is not None and not others.empty:
        counts = ", ".join(f"{n} {str(s).lower()}{_WHY.get(str(s), '')}" for s, n in others.items())
        name = shlex.quote(run.experiment_name)
        lines.append(f"Not ranked: {counts}; `automl runs {name}` lists every run.")
    return "\n".join(lines)


def importance_text(names: list[str], values: list[float], title: str, top: int = 10,
                    indent: str = "  ") -> str:
    """``title (top k of n)`` and the ``top`` ``names`` by ``values`` (ranked): value, share, a bar."""
    title = f"{title} (top {min(top, len(names))} of {len(names)})"
    total, peak = float(np.sum(values)) or 1.0, (max(values) or 1.0) if values else 1.0
    rows = [[str(i + 1), _clip(n), f"{v:.4f}", f"{100 * v / total:.1f}%", "#" * round(24 * v / peak)]
            for i, (n, v) in enumerate(zip(names[:top], values[:top], strict=True))]
    return f"\n{indent}{title}\n" + text_table(["rank", "feature", "importance", "share", ""], rows, indent)


def text_table(header: list[str], rows: list[list[str]], indent: str = "") -> str:
    """``rows`` under ``header`` as aligned text columns (numbers right-aligned), each line indented."""
    columns = list(zip(header, *rows, strict=True))
    numeric = [any(column[1:]) and all(_NUMBER.fullmatch(c) for c in column[1:] if c) for column in columns]
    widths = [max(len(cell) for cell in column) for column in columns]

    def line(cells: Sequence[str]) -> str:
        """One aligned, indented line."""
        parts = [c.rjust(w) if right else c.ljust(w)
                 for c, w, right in zip(cells, widths, numeric, strict=True)]
        return (indent + "  ".join(parts)).rstrip()

    return "\n".join([line(header), *(line(row) for row in rows)])


def _clip(text: str, width: int = 32) -> str:
    """``text`` cut to ``width`` characters."""
    return text if len(text) <= width else text[: width - 3] + "..."


def format_value(value: Any) -> str:
    """``value`` as a table cell: 4 decimals (4 digits when large); NaN and None empty."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(value)
    if math.isnan(value):
        return ""
    return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.4g}"

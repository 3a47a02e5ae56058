"""Candidate models side by side: a leaderboard of runs and their global importances.

The dashboard reads runs through the small :class:`ExperimentRun` protocol (an AutoML
``ChildRun`` satisfies it), so ``explain`` never imports ``automl``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from explain._exceptions import ExplanationValueError
from explain._explanation import Explanation

__all__ = ["ExperimentRun", "Leaderboard", "leaderboard_from_runs"]

MAX_RUNS = 30
TOP_FEATURES = 15


class ExperimentRun(Protocol):
    """What the dashboard reads of a run: its id, estimator, status, score and explanations."""

    @property
    def id(self) -> str: ...

    @property
    def estimator(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def score(self) -> float | None: ...

    def get_explanation_client(self) -> Any: ...


@dataclass(frozen=True)
class Leaderboard:
    """Runs best first, with each run's normalized global importance over shared features.

    Attributes
    ----------
    metric : str
        The score's name.
    records : list of dict
        One row per run: ``run``, ``estimator``, ``status``, the score, ``explanation``.
    runs : list of str
        Labels (``"<id> (<estimator>, <n> rows)"``) of the runs that have an explanation, in
        leaderboard order.
    features : list of str
        The features shown: the most important on average over those runs.
    shares : ndarray of shape (n_runs, n_features)
        Each run's importance of each feature as a share of its total importance.
    """

    metric: str
    records: list[dict[str, Any]]
    runs: list[str]
    features: list[str]
    shares: np.ndarray


def leaderboard_from_runs(runs: Sequence[ExperimentRun], metric: str, greater_is_better: bool = True,
                          max_runs: int = MAX_RUNS) -> Leaderboard:
    """Read the runs' scores and stored raw explanations (the ``max_runs`` best runs).

    Importances are normalized per run (shares of the total) because runs explain different
    outputs (log-odds, probabilities, surrogate predictions) whose scales do not compare.
    """
    sign = -1.0 if greater_is_better else 1.0
    ordered = sorted(runs, key=lambda r: (r.score is None or math.isnan(r.score),
                                          sign * (r.score or 0.0)))[:max_runs]
    records, explained = [], {}
    for run in ordered:
        explanation = _raw_explanation(run) if run.status == "Completed" else None
        rows = None if explanation is None else explanation.num_examples
        records.append({"run": run.id, "estimator": run.estimator, "status": run.status,
                        metric: None if run.score is None else round(float(run.score), 5),
                        "explanation": explanation.method if explanation is not None else "",
                        "explained rows": rows})
        if explanation is not None:  # a run's own explanation may cover few rows: say how many
            count = "" if rows is None else f", {rows} rows"
            explained[f"{run.id} ({run.estimator}{count})"] = explanation
    union: dict[str, list[float]] = {}
    for explanation in explained.values():
        total = float(np.sum(explanation.global_values)) or 1.0
        for name, value in zip(explanation.features, explanation.global_values, strict=False):
            union.setdefault(name, []).append(float(value) / total)
    features = sorted(union, key=lambda f: -np.sum(union[f]))[:TOP_FEATURES]
    shares = np.zeros((len(explained), len(features)))
    for i, explanation in enumerate(explained.values()):
        total = float(np.sum(explanation.global_values)) or 1.0
        lookup = dict(zip(explanation.features, explanation.global_values, strict=False))
        shares[i] = [float(lookup.get(name, 0.0)) / total for name in features]
    return Leaderboard(metric, records, list(explained), features, shares)


def _raw_explanation(run: ExperimentRun) -> Explanation | None:
    try:
        return run.get_explanation_client().download_model_explanation(raw=True)  # type: ignore[no-any-return]
    except ExplanationValueError:
        return None  # the run stored no explanation

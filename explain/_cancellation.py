"""Features that cancel each other: large contributions of opposite sign that sum to little.

When two features carry the same information (a date and its month, a price and its log),
a model may use either, and SHAP can split their joint effect into two large values of
opposite sign. Each looks like a top driver; together they say little. Such a pair is found
by the correlation of the two features' local values across rows (strongly negative) and by
how little their sum is worth next to each of them. The remedy is to read them together, or
to explain them as one player (``groups=`` on the explainers).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from explain._explanation import Explanation

__all__ = ["CancellingPair", "cancelling_pairs", "with_cancellation_notes"]

MIN_ROWS = 20
CANDIDATES = 20


@dataclass(frozen=True)
class CancellingPair:
    """Two features whose local values cancel.

    Attributes
    ----------
    features : tuple of str
        The two features.
    correlation : float
        Correlation of their local values across the explained rows.
    importances : tuple of float
        Mean |local value| of each.
    net : float
        Mean |sum of their local values|: what they are worth together.
    """

    features: tuple[str, str]
    correlation: float
    importances: tuple[float, float]
    net: float

    def note(self) -> str:
        """The sentence the explanation's fidelity carries."""
        a, b = self.features
        return (f"{a!r} and {b!r} cancel each other: their contributions correlate at "
                f"{self.correlation:.3f} and average {self.importances[0]:.3g} and {self.importances[1]:.3g} "
                f"in size, while their sum averages {self.net:.3g}; they likely carry the same information: "
                f"read them together, or explain them as one (groups={{'{a} + {b}': [{a!r}, {b!r}]}})")


def cancelling_pairs(explanation: Explanation, *, min_correlation: float = 0.9, min_share: float = 0.05,
                     max_net: float = 0.5) -> list[CancellingPair]:
    """Pairs of important features whose local values cancel, the most important first.

    Parameters
    ----------
    explanation : Explanation
        With local values of at least 20 rows (else no pair is reported).
    min_correlation : float, default=0.9
        The local values' correlation must be at most ``-min_correlation``.
    min_share : float, default=0.05
        Each feature's share of the total global importance must be at least this.
    max_net : float, default=0.5
        Their sum's mean absolute value must be at most this fraction of the smaller one's.
    """
    local = explanation.local_values
    if local is None or local.shape[1] < MIN_ROWS:
        return []
    outputs = [local.shape[0] - 1] if local.shape[0] == 2 else range(local.shape[0])
    found: dict[tuple[str, str], CancellingPair] = {}
    for k in outputs:
        values = local[k]
        size = np.abs(values).mean(axis=0)
        total = float(size.sum())
        if total == 0:
            continue
        top = [int(i) for i in np.argsort(-size)[:CANDIDATES] if size[i] >= min_share * total]
        for i, j in combinations(sorted(top), 2):
            pair = _pair(explanation.features, values, size, i, j, min_correlation, max_net)
            if pair is not None and pair.features not in found:
                found[pair.features] = pair
    return sorted(found.values(), key=lambda p: -sum(p.importances))


def _pair(features: tuple[str, ...], values: np.ndarray, size: np.ndarray, i: int, j: int,
          min_correlation: float, max_net: float) -> CancellingPair | None:
    a, b = values[:, i], values[:, j]
    if a.std() == 0 or b.std() == 0:
        return None
    correlation = float(np.corrcoef(a, b)[0, 1])
    net = float(np.abs(a + b).mean())
    if correlation > -min_correlation or net > max_net * min(size[i], size[j]):
        return None
    return CancellingPair((features[i], features[j]), correlation, (float(size[i]), float(size[j])), net)


def with_cancellation_notes(explanation: Explanation) -> Explanation:
    """``explanation`` with a fidelity note for every cancelling pair (its engineered one too)."""
    engineered = explanation.engineered_explanation
    if engineered is not None:
        explanation = replace(explanation, engineered_explanation=with_cancellation_notes(engineered))
    notes = tuple(pair.note() for pair in cancelling_pairs(explanation))
    if not notes:
        return explanation
    fidelity = explanation.fidelity
    return explanation.with_fidelity(replace(fidelity, notes=fidelity.notes + notes))

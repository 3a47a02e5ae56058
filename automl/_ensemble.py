"""The final ensemble: greedy ensemble selection over the runs' out-of-fold predictions.

Ensemble selection (Caruana et al., 2004) adds, with replacement, the run whose predictions
most improve the averaged ensemble's score, for a fixed number of rounds; the counts become
weights. It needs no refitting to be scored — only each run's out-of-fold predictions — so
it costs almost nothing after the search. scikit-learn's ``VotingClassifier`` refits its
members and has no prefit mode, hence :class:`WeightedEnsemble`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from automl._metrics import Metric

__all__ = ["WeightedEnsemble", "select_ensemble"]



def select_ensemble(oofs: list[np.ndarray], y: np.ndarray, metric: Metric,
                    classes: np.ndarray | None, rounds: int = 25) -> tuple[np.ndarray, float]:
    """Greedy ensemble selection with replacement.

    Parameters
    ----------
    oofs : list of ndarray
        Out-of-fold predictions of the candidate runs, all aligned with ``y``.
    y : ndarray
        True labels in the same row order.
    metric : Metric
        The primary metric.
    classes : ndarray or None
        Class labels (classification).
    rounds : int, default=25
        Selection rounds.

    Returns
    -------
    weights : ndarray of shape (n_candidates,)
        Non-negative weights summing to 1: those of the best-scoring ensemble met along the
        rounds (as in Caruana et al.), so it never scores below the best single candidate.
    score : float
        The ensemble's out-of-fold score.
    """
    sign = 1.0 if metric.greater_is_better else -1.0
    counts = np.zeros(len(oofs))
    total = np.zeros_like(oofs[0])
    best_counts, best_score = counts, -np.inf
    for _ in range(rounds):
        n = counts.sum() + 1
        candidates = [sign * metric.score_scores(y, (total + o) / n, classes) for o in oofs]
        choice = int(np.argmax(candidates))
        counts = counts.copy()
        counts[choice] += 1
        total = total + oofs[choice]
        if candidates[choice] > best_score:  # keep the best ensemble of the sequence (ties: smaller)
            best_counts, best_score = counts, candidates[choice]
    weights = best_counts / best_counts.sum()
    ensemble = sum(w * o for w, o in zip(weights, oofs, strict=True))
    return weights, metric.score_scores(y, ensemble, classes)


class WeightedEnsemble(BaseEstimator):
    """Weighted average of fitted models' probabilities (classification) or predictions.

    Parameters
    ----------
    members : list of estimators
        Fitted models taking the same input.
    weights : array-like of shape (n_members,)
        Non-negative weights.
    task : {"classification", "regression"}
        The task.
    """

    def __init__(self, members: list[Any], weights: Any, task: str) -> None:
        self.members = members
        self.weights = weights
        self.task = task

    def fit(self, X: Any, y: Any) -> WeightedEnsemble:
        """Refit every member on ``X``, ``y``; return ``self``."""
        for member in self.members:
            member.fit(X, y)
        return self._set_fitted()

    def _set_fitted(self) -> WeightedEnsemble:
        if self.task == "classification":
            self.classes_ = np.asarray(self.members[0].classes_)
        self.n_features_in_ = getattr(self.members[0], "n_features_in_", None)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def predict_proba(self, X: Any) -> np.ndarray:
        """Weighted average of the members' class probabilities."""
        weights = np.asarray(self.weights, dtype=np.float64)
        return sum(w * np.asarray(m.predict_proba(X)) for w, m in zip(weights, self.members, strict=True))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class, or the weighted average prediction."""
        if self.task == "classification":
            classes = np.asarray(self.members[0].classes_)
            return classes[np.argmax(self.predict_proba(X), axis=1)]
        weights = np.asarray(self.weights, dtype=np.float64)
        return sum(w * np.asarray(m.predict(X), dtype=np.float64)
                   for w, m in zip(weights, self.members, strict=True))

    @classmethod
    def from_fitted(cls, members: list[Any], weights: Any, task: str) -> WeightedEnsemble:
        """An ensemble of already fitted members."""
        return cls(members, weights, task)._set_fitted()

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier" if self.task == "classification" else "regressor"
        return tags

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
from explain.explainers import classifier_margins, has_native_margin

__all__ = ["WeightedEnsemble", "select_ensemble", "softmax"]

PROBE_ROWS = 200



def select_ensemble(oofs: list[np.ndarray], y: np.ndarray, metric: Metric,
                    classes: np.ndarray | None, rounds: int = 25,
                    link: Any = None) -> tuple[np.ndarray, float]:
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
    link : callable, default=None
        Turns a blend of ``oofs`` into what ``metric`` scores: :func:`softmax` when ``oofs`` are
        margins; ``None`` when they are probabilities or predictions already.

    Returns
    -------
    weights : ndarray of shape (n_candidates,)
        Non-negative weights summing to 1: those of the best-scoring ensemble met along the
        rounds (as in Caruana et al.), so it never scores below the best single candidate.
    score : float
        The ensemble's out-of-fold score.
    """
    sign = 1.0 if metric.greater_is_better else -1.0
    scores = link if link is not None else (lambda blend: blend)
    counts = np.zeros(len(oofs))
    total = np.zeros_like(oofs[0])
    best_counts, best_score = counts, -np.inf
    for _ in range(rounds):
        n = counts.sum() + 1
        candidates = [sign * metric.score_scores(y, scores((total + o) / n), classes) for o in oofs]
        choice = int(np.argmax(candidates))
        counts = counts.copy()
        counts[choice] += 1
        total = total + oofs[choice]
        if candidates[choice] > best_score:  # keep the best ensemble of the sequence (ties: smaller)
            best_counts, best_score = counts, candidates[choice]
    weights = best_counts / best_counts.sum()
    ensemble = sum(w * o for w, o in zip(weights, oofs, strict=True))
    return weights, metric.score_scores(y, scores(ensemble), classes)


class WeightedEnsemble(BaseEstimator):
    """Weighted blend of fitted models: of their margins (classification) or predictions.

    A classifier blend adds its members' margins (:func:`explain.explainers.classifier_margins`:
    log-odds for two classes) with the weights and takes their softmax, so its SHAP values are
    the weighted sums of its members' values: members with an exact explainer in margin space
    make the blend's explanation exact. ``combine="probability"`` averages probabilities
    instead (ensembles stored by earlier versions).

    Parameters
    ----------
    members : list of estimators
        Fitted models taking the same input.
    weights : array-like of shape (n_members,)
        Non-negative weights.
    task : {"classification", "regression"}
        The task.
    combine : {"margin", "probability"}, default="margin"
        How a classifier blend combines its members.
    """

    def __init__(self, members: list[Any], weights: Any, task: str, combine: str = "margin") -> None:
        self.members = members
        self.weights = weights
        self.task = task
        self.combine = combine

    def fit(self, X: Any, y: Any) -> WeightedEnsemble:
        """Refit every member on ``X``, ``y``; return ``self``."""
        for member in self.members:
            member.fit(X, y)
        return self._set_fitted(X)

    def _set_fitted(self, probe: Any = None) -> WeightedEnsemble:
        if self.task == "classification":
            self.classes_ = np.asarray(self.members[0].classes_)
            sample = None if probe is None else probe[:PROBE_ROWS]
            self.native_margins_ = [has_native_margin(m, sample) for m in self.members]
        self.n_features_in_ = getattr(self.members[0], "n_features_in_", None)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    @property
    def _combine(self) -> str:
        return getattr(self, "combine", "probability")  # ensembles pickled before margins existed

    def member_margins(self, X: Any) -> list[np.ndarray]:
        """Each member's margins on ``X``, of shape (n_rows, n_classes)."""
        natives = getattr(self, "native_margins_", [None] * len(self.members))
        return [classifier_margins(m, X, native) for m, native in zip(self.members, natives, strict=True)]

    def decision_function(self, X: Any) -> np.ndarray:
        """The blend's margin: log-odds of the second class (two classes, shape (n_rows,)) or one
        score per class (shape (n_rows, n_classes)); what its explanation adds up to."""
        if self.task != "classification" or self._combine != "margin":
            raise AttributeError("decision_function: only a classifier blend of margins has one.")
        weights = np.asarray(self.weights, dtype=np.float64)
        margin = sum(w * m for w, m in zip(weights, self.member_margins(X), strict=True))
        return margin[:, 1] - margin[:, 0] if margin.shape[1] == 2 else margin

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of the weighted margins (or the weighted average of the probabilities)."""
        weights = np.asarray(self.weights, dtype=np.float64)
        if self._combine == "margin":
            margin = sum(w * m for w, m in zip(weights, self.member_margins(X), strict=True))
            return softmax(margin)
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
    def from_fitted(cls, members: list[Any], weights: Any, task: str, combine: str = "margin",
                    probe: Any = None) -> WeightedEnsemble:
        """An ensemble of already fitted members; ``probe`` rows check which have native margins."""
        return cls(members, weights, task, combine)._set_fitted(probe)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier" if self.task == "classification" else "regressor"
        return tags


def softmax(margin: np.ndarray) -> np.ndarray:
    """Row-wise softmax of margins of shape (n_rows, n_classes)."""
    shifted = np.exp(margin - margin.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)

"""Primary metrics, by Azure AutoML's names or scikit-learn's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import spearmanr
from sklearn import metrics as skm

from automl._exceptions import ConfigError

__all__ = ["Metric", "get_metric", "metric_names"]


@dataclass(frozen=True)
class Metric:
    """A primary metric.

    Parameters
    ----------
    name : str
        Azure AutoML's name (``"AUC_weighted"``, ``"r2_score"``, ...).
    task : {"classification", "regression"}
        The task it scores.
    function : callable
        ``function(y_true, prediction, labels) -> float``; ``prediction`` is the probability
        matrix when ``needs_proba``, else the predicted labels / values.
    needs_proba : bool
        Whether it scores probabilities.
    greater_is_better : bool
        Direction of optimization.
    """

    name: str
    task: str
    function: Callable[[np.ndarray, np.ndarray, np.ndarray | None], float]
    needs_proba: bool
    greater_is_better: bool = True

    @property
    def direction(self) -> str:
        """Optuna's study direction."""
        return "maximize" if self.greater_is_better else "minimize"

    def score(self, y_true: np.ndarray, prediction: np.ndarray, labels: Any) -> float:
        """Score a prediction."""
        return float(self.function(y_true, prediction, labels))

    def score_scores(self, y_true: np.ndarray, scores: np.ndarray, classes: Any) -> float:
        """Score model scores: class probabilities (classification) or predictions.

        Label metrics get the most probable class of each row.
        """
        if self.task == "classification" and not self.needs_proba:
            return self.score(y_true, classes[np.argmax(scores, axis=1)], classes)
        return self.score(y_true, scores, classes)


def _auc_weighted(y: np.ndarray, proba: np.ndarray, labels: Any) -> float:
    if proba.shape[1] == 2:
        return skm.roc_auc_score(y == labels[1], proba[:, 1])
    return skm.roc_auc_score(y, proba, labels=labels, multi_class="ovr", average="weighted")


def _auc_macro(y: np.ndarray, proba: np.ndarray, labels: Any) -> float:
    if proba.shape[1] == 2:
        return skm.roc_auc_score(y == labels[1], proba[:, 1])
    return skm.roc_auc_score(y, proba, labels=labels, multi_class="ovr", average="macro")


def _norm_macro_recall(y: np.ndarray, pred: np.ndarray, labels: Any) -> float:
    n = len(labels) if labels is not None else len(np.unique(y))
    recall = skm.recall_score(y, pred, average="macro", labels=labels, zero_division=0)
    return (recall - 1.0 / n) / (1.0 - 1.0 / n)


def _nrmse(y: np.ndarray, pred: np.ndarray, labels: Any) -> float:
    spread = float(np.max(y) - np.min(y)) or 1.0
    return float(np.sqrt(skm.mean_squared_error(y, pred))) / spread


def _nmae(y: np.ndarray, pred: np.ndarray, labels: Any) -> float:
    spread = float(np.max(y) - np.min(y)) or 1.0
    return float(skm.mean_absolute_error(y, pred)) / spread


def _spearman(y: np.ndarray, pred: np.ndarray, labels: Any) -> float:
    if np.ptp(y) == 0 or np.ptp(pred) == 0:  # no ranking (scipy would warn and return NaN)
        return 0.0
    value = spearmanr(y, pred).statistic
    return 0.0 if np.isnan(value) else float(value)


def _labels_metric(function: Callable[..., float], **kwargs: Any) -> Callable[..., float]:
    return lambda y, pred, labels: function(y, pred, labels=labels, zero_division=0, **kwargs)


_CLASSIFICATION: dict[str, tuple[Callable[..., float], bool, bool]] = {
    "accuracy": (lambda y, p, labels: skm.accuracy_score(y, p), False, True),
    "AUC_weighted": (_auc_weighted, True, True),
    "AUC_macro": (_auc_macro, True, True),
    "norm_macro_recall": (_norm_macro_recall, False, True),
    "balanced_accuracy": (lambda y, p, labels: skm.balanced_accuracy_score(y, p), False, True),
    "precision_score_weighted": (_labels_metric(skm.precision_score, average="weighted"), False, True),
    "recall_score_weighted": (_labels_metric(skm.recall_score, average="weighted"), False, True),
    "f1_score_weighted": (_labels_metric(skm.f1_score, average="weighted"), False, True),
    "f1_score_macro": (_labels_metric(skm.f1_score, average="macro"), False, True),
    "log_loss": (lambda y, p, labels: skm.log_loss(y, p, labels=labels), True, False),
}
_REGRESSION: dict[str, tuple[Callable[..., float], bool, bool]] = {
    "r2_score": (lambda y, p, labels: skm.r2_score(y, p), False, True),
    "spearman_correlation": (_spearman, False, True),
    "normalized_root_mean_squared_error": (_nrmse, False, False),
    "normalized_mean_absolute_error": (_nmae, False, False),
    "root_mean_squared_error": (lambda y, p, labels: float(np.sqrt(skm.mean_squared_error(y, p))),
                                False, False),
    "mean_absolute_error": (lambda y, p, labels: skm.mean_absolute_error(y, p), False, False),
}
# scikit-learn's scoring names, mapped to the ones above
_ALIASES = {
    "roc_auc": "AUC_weighted", "roc_auc_ovr_weighted": "AUC_weighted", "roc_auc_ovr": "AUC_macro",
    "neg_log_loss": "log_loss", "f1_weighted": "f1_score_weighted", "f1_macro": "f1_score_macro",
    "precision_weighted": "precision_score_weighted", "recall_weighted": "recall_score_weighted",
    "accuracy_score": "accuracy", "r2": "r2_score",
    "neg_root_mean_squared_error": "root_mean_squared_error",
    "neg_mean_absolute_error": "mean_absolute_error", "rmse": "root_mean_squared_error",
}
# AUC stays meaningful when classes are imbalanced, where accuracy rewards predicting the majority
DEFAULT_METRIC = {"classification": "AUC_weighted", "regression": "r2_score"}


def metric_names(task: str) -> list[str]:
    """The primary metrics available for ``task``."""
    return sorted(_CLASSIFICATION if task == "classification" else _REGRESSION)


def get_metric(name: str | None, task: str) -> Metric:
    """Resolve a metric name (Azure AutoML's or scikit-learn's) for ``task``.

    Raises
    ------
    ConfigError
        For an unknown name or one that belongs to the other task.
    """
    name = DEFAULT_METRIC[task] if name is None else str(name)
    key = _ALIASES.get(name, name)
    table = _CLASSIFICATION if task == "classification" else _REGRESSION
    if key not in table:
        other = "regression" if task == "classification" else "classification"
        hint = (f" — it is a {other} metric"
                if key in (_REGRESSION if task == "classification" else _CLASSIFICATION) else "")
        raise ConfigError(
            f"AutoMLConfig: primary_metric {name!r} is not a {task} metric{hint}; choose one of "
            f"{metric_names(task)} (scikit-learn names such as 'roc_auc' or 'r2' work too)."
        )
    function, needs_proba, greater = table[key]
    return Metric(key, task, function, needs_proba, greater)

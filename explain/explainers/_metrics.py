"""Metrics for permutation feature importance, by name or as a callable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from sklearn import metrics as skm

from explain._exceptions import ExplanationTypeError, ExplanationValueError

__all__ = ["Metric", "resolve_metric"]


@dataclass(frozen=True)
class Metric:
    """A scoring function and how to feed it.

    Parameters
    ----------
    name : str
        Display name.
    function : callable
        ``function(y_true, y_pred_or_score, **args) -> float``.
    needs : {"label", "proba", "value"}
        What the function takes: predicted labels, class probabilities, or regression values.
    is_error : bool
        ``True`` when lower is better.
    """

    name: str
    function: Callable[..., float]
    needs: str
    is_error: bool

    def __call__(self, y_true: np.ndarray, prediction: np.ndarray) -> float:
        return float(self.function(y_true, prediction))


def _positive(y_true: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
    """Targets for the second probability column, as booleans when the class labels are known.

    Without labels (a function model given no ``classes``) ``y_true`` is passed through and
    scikit-learn infers the positive class, as its own metrics do.
    """
    return y_true if labels is None else y_true == labels[1]


def _roc_auc(y_true: np.ndarray, proba: np.ndarray, labels: np.ndarray, **kwargs: Any) -> float:
    if proba.shape[1] == 2:
        return float(skm.roc_auc_score(_positive(y_true, labels), proba[:, 1], **kwargs))
    kwargs.setdefault("multi_class", "ovr")
    kwargs.setdefault("average", "weighted")
    return float(skm.roc_auc_score(y_true, proba, labels=labels, **kwargs))


def _log_loss(y_true: np.ndarray, proba: np.ndarray, labels: np.ndarray, **kwargs: Any) -> float:
    return float(skm.log_loss(y_true, proba, labels=labels, **kwargs))


def _average_precision(y_true: np.ndarray, proba: np.ndarray, labels: np.ndarray,
                       **kwargs: Any) -> float:
    if proba.shape[1] == 2:
        return float(skm.average_precision_score(_positive(y_true, labels), proba[:, 1], **kwargs))
    onehot = (np.asarray(y_true)[:, None] == labels[None, :]).astype(int)
    kwargs.setdefault("average", "weighted")
    return float(skm.average_precision_score(onehot, proba, **kwargs))


# name -> (function, needs, is_error, takes "average" for multiclass)
_CLASSIFICATION = {
    "accuracy": (skm.accuracy_score, "label", False, False),
    "balanced_accuracy": (skm.balanced_accuracy_score, "label", False, False),
    "f1": (skm.f1_score, "label", False, True),
    "precision": (skm.precision_score, "label", False, True),
    "recall": (skm.recall_score, "label", False, True),
    "roc_auc": (_roc_auc, "proba", False, False),
    "average_precision": (_average_precision, "proba", False, False),
    "log_loss": (_log_loss, "proba", True, False),
}
_REGRESSION = {
    "r2": (skm.r2_score, "value", False, False),
    "explained_variance": (skm.explained_variance_score, "value", False, False),
    "mean_absolute_error": (skm.mean_absolute_error, "value", True, False),
    "mean_squared_error": (skm.mean_squared_error, "value", True, False),
    "root_mean_squared_error": (skm.root_mean_squared_error, "value", True, False),
    "mean_squared_log_error": (skm.mean_squared_log_error, "value", True, False),
    "median_absolute_error": (skm.median_absolute_error, "value", True, False),
    "mean_absolute_percentage_error": (skm.mean_absolute_percentage_error, "value", True, False),
}


def _canonical(name: str) -> str:
    name = name.lower()
    for suffix in ("_score",):
        if name.endswith(suffix) and name[: -len(suffix)] in {**_CLASSIFICATION, **_REGRESSION}:
            return name[: -len(suffix)]
    return name


def resolve_metric(metric: str | Callable[..., float] | None, metric_args: dict[str, Any] | None,
                   is_error_metric: bool, task: str, labels: np.ndarray | None) -> Metric:
    """Turn the user's ``metric`` into a :class:`Metric`.

    Defaults follow interpret-community: F1 (micro average) for classifiers, mean absolute
    error for regressors. Names accept scikit-learn's spelling with or without ``_score``
    (``"accuracy"``, ``"f1_score"``, ``"roc_auc"``, ``"r2_score"``, ...). Multiclass label
    metrics that average (F1, precision, recall) default to ``average="weighted"``.
    """
    args = dict(metric_args or {})
    if callable(metric):
        needs = "value" if task == "regression" else "label"
        name = getattr(metric, "__name__", "custom")
        return Metric(name, partial(metric, **args), needs, bool(is_error_metric))
    if metric is None:
        metric = "f1" if task == "classification" else "mean_absolute_error"
        if task == "classification":
            args.setdefault("average", "micro")
    if not isinstance(metric, str):
        raise ExplanationTypeError(
            f"PFIExplainer: metric must be a name or a callable, got {type(metric).__name__}."
        )
    table = _CLASSIFICATION if task == "classification" else _REGRESSION
    key = _canonical(metric)
    if key not in table:
        raise ExplanationValueError(
            f"PFIExplainer: unknown {task} metric {metric!r}; choose one of "
            f"{sorted(table)} or pass a callable."
        )
    function, needs, is_error, averages = table[key]
    if needs == "proba":
        args["labels"] = labels
    elif averages and labels is not None and len(labels) > 2:
        args.setdefault("average", "weighted")
    elif averages and labels is not None and len(labels) == 2 and args.get("average", "binary") == "binary":
        args.setdefault("pos_label", labels[1])  # scikit-learn warns if given with another average
    return Metric(key, partial(function, **args), needs, is_error)

"""Model performance of a cohort, and server-side binning for the dashboard's histograms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import metrics

from explain._labels import LabelMap, observed_classes

__all__ = ["bin_values", "cohort_metrics", "metrics_from_codes", "numeric_edges"]

HISTOGRAM_BINS = 40
MAX_CATEGORIES = 30


def cohort_metrics(true_y: np.ndarray, predicted_y: np.ndarray, proba: np.ndarray | None, task: str,
                   classes: Sequence[Any] | None,
                   model_classes: Sequence[Any] | None = None) -> dict[str, float | int | None]:
    """Metrics of one cohort's rows.

    Classification: accuracy; precision, recall and F1 (binary: of the positive class, the
    last of ``classes``; multiclass: macro averages); false positive and false negative rates
    (binary only); ROC AUC (one-vs-rest for multiclass, ``None`` when the cohort holds a
    single class). Regression: MAE, RMSE and R² (``None`` for fewer than two rows).

    Parameters
    ----------
    true_y, predicted_y : ndarray of shape (n_rows,)
        True and predicted labels or values of the cohort's rows. Labels are matched to
        ``classes`` by :class:`explain._labels.LabelMap`: by value, by the model's own labels,
        or by position.
    proba : ndarray of shape (n_rows, n_classes), default=None
        Predicted probabilities (classifiers), for ROC AUC.
    task : {"classification", "regression"}
        The model's task.
    classes : sequence, default=None
        Class labels, in the column order of ``proba``; default: the sorted labels seen.
    model_classes : sequence, default=None
        The model's own labels (``model.classes_``), in the same order.

    Raises
    ------
    ExplanationValueError
        For labels that match neither the classes, the model's labels nor positions.
    """
    result: dict[str, float | int | None] = {"rows": len(true_y)}
    if len(true_y) == 0:
        return result
    if task != "classification":
        truth, guess = true_y.astype(np.float64), predicted_y.astype(np.float64)
        result["MAE"] = float(metrics.mean_absolute_error(truth, guess))
        result["RMSE"] = float(np.sqrt(metrics.mean_squared_error(truth, guess)))
        result["R²"] = float(metrics.r2_score(truth, guess)) if len(truth) > 1 else None
        return result
    known = tuple(classes) if classes is not None else observed_classes(true_y, predicted_y)
    labels = LabelMap.create(known, model_classes, caller="cohort_metrics")
    truth = labels.codes(true_y, argument="true_y")
    guess = labels.codes(predicted_y, argument="predicted_y")
    return {**result, **metrics_from_codes(truth, guess, proba, [str(c) for c in known])}


def metrics_from_codes(truth: np.ndarray, guess: np.ndarray, proba: np.ndarray | None,
                       labels: list[str]) -> dict[str, float | None]:
    """Classification metrics from integer label codes, through one confusion matrix.

    Equal to scikit-learn's ``accuracy_score``, ``precision/recall/f1_score`` (binary: the
    positive class ``labels[1]``; else macro over ``labels``, ``zero_division=0``) and
    ``roc_auc_score``, computed here from ``np.bincount`` because scikit-learn's checks sort
    the labels on every call: at a million rows that took seconds per cohort.
    """
    k = max(len(labels), 1)
    matrix = np.bincount(truth * k + guess, minlength=k * k).reshape(k, k).astype(np.float64)
    hits = np.diag(matrix)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros(k), where=actual > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(k),
                   where=(precision + recall) > 0)
    found: dict[str, float | None] = {"accuracy": float(hits.sum() / max(matrix.sum(), 1.0))}
    if k == 2:
        found.update(precision=float(precision[1]), recall=float(recall[1]), F1=float(f1[1]))
        (tn, fp), (fn, tp) = matrix
        found["false positive rate"] = float(fp / (fp + tn)) if fp + tn else None
        found["false negative rate"] = float(fn / (fn + tp)) if fn + tp else None
    else:
        found.update(precision=float(precision.mean()), recall=float(recall.mean()), F1=float(f1.mean()))
    found["ROC AUC"] = _auc(truth, proba, k)
    return found


def _auc(truth: np.ndarray, proba: np.ndarray | None, k: int) -> float | None:
    present = np.unique(truth)
    if proba is None or present.size < 2 or proba.shape[1] != k:
        return None
    if k == 2:
        return float(metrics.roc_auc_score(truth == 1, proba[:, 1]))
    if present.size < k:
        return None  # one-vs-rest AUC needs every class among the cohort's rows
    return float(metrics.roc_auc_score(truth, proba, multi_class="ovr", labels=list(range(k))))


def bin_values(values: np.ndarray, edges: np.ndarray | None = None) -> tuple[list[Any], np.ndarray]:
    """Bin a column on the server: ``(bin centres or categories, share of rows)``.

    Numbers get ``HISTOGRAM_BINS`` equal-width bins (or the given ``edges``, so cohorts share
    bins); other values their ``MAX_CATEGORIES`` most frequent categories. Shares are
    fractions of the column's rows, so cohorts of different sizes compare.
    """
    values = np.asarray(values)
    if values.size == 0:
        return [], np.zeros(0)
    if values.dtype.kind in "biuf":
        finite = values[np.isfinite(values.astype(np.float64))]
        if edges is None:
            edges = numeric_edges(finite)
        counts, edges = np.histogram(finite, bins=edges)
        centres = ((edges[:-1] + edges[1:]) / 2).tolist()
        return centres, counts / values.size
    kinds, counts = np.unique(values.astype(str), return_counts=True)
    order = np.argsort(-counts, kind="stable")[:MAX_CATEGORIES]
    return kinds[order].tolist(), counts[order] / values.size


def numeric_edges(values: np.ndarray) -> np.ndarray:
    """Shared bin edges for a numeric column (``HISTOGRAM_BINS`` bins over its finite range)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1)
    low, high = float(values.min()), float(values.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, HISTOGRAM_BINS + 1)

"""Model performance of a cohort, and server-side binning for the dashboard's histograms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import metrics

__all__ = ["bin_values", "cohort_metrics", "label_text", "numeric_edges"]

HISTOGRAM_BINS = 40
MAX_CATEGORIES = 30


def cohort_metrics(true_y: np.ndarray, predicted_y: np.ndarray, proba: np.ndarray | None, task: str,
                   classes: Sequence[Any] | None) -> dict[str, float | int | None]:
    """Metrics of one cohort's rows.

    Classification: accuracy; precision, recall and F1 (binary: of the positive class, the
    last of ``classes``; multiclass: macro averages); false positive and false negative rates
    (binary only); ROC AUC (one-vs-rest for multiclass, ``None`` when the cohort holds a
    single class). Regression: MAE, RMSE and R² (``None`` for fewer than two rows).

    Parameters
    ----------
    true_y, predicted_y : ndarray of shape (n_rows,)
        True and predicted labels or values of the cohort's rows.
    proba : ndarray of shape (n_rows, n_classes), default=None
        Predicted probabilities (classifiers), for ROC AUC.
    task : {"classification", "regression"}
        The model's task.
    classes : sequence, default=None
        Class labels, in the column order of ``proba``.
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
    truth, guess = label_text(true_y), label_text(predicted_y)
    labels = label_text(np.asarray(list(classes))).tolist() if classes is not None else sorted(
        set(truth) | set(guess))
    result["accuracy"] = float(metrics.accuracy_score(truth, guess))
    binary = len(labels) == 2
    average = "binary" if binary else "macro"
    options: dict[str, Any] = {"labels": labels, "average": average, "zero_division": 0}
    if binary:
        options["pos_label"] = labels[1]
    result["precision"] = float(metrics.precision_score(truth, guess, **options))
    result["recall"] = float(metrics.recall_score(truth, guess, **options))
    result["F1"] = float(metrics.f1_score(truth, guess, **options))
    if binary:
        tn, fp, fn, tp = metrics.confusion_matrix(truth, guess, labels=labels).ravel()
        result["false positive rate"] = float(fp / (fp + tn)) if fp + tn else None
        result["false negative rate"] = float(fn / (fn + tp)) if fn + tp else None
    result["ROC AUC"] = _auc(truth, proba, labels)
    return result


def _auc(truth: np.ndarray, proba: np.ndarray | None, labels: list[str]) -> float | None:
    if proba is None or len(set(truth)) < 2:
        return None
    if len(labels) == 2:
        return float(metrics.roc_auc_score(truth == labels[1], proba[:, 1]))
    present = np.isin(labels, truth)
    if present.sum() < len(labels):
        return None  # one-vs-rest AUC needs every class among the cohort's rows
    return float(metrics.roc_auc_score(truth, proba, multi_class="ovr", labels=labels))


def label_text(values: Any) -> np.ndarray:
    """Labels as text for comparing, integer-valued numbers without a decimal point, so that
    the label ``1`` equals ``1.0`` and ``True`` equals ``1``."""
    array = np.asarray(values)
    if array.dtype.kind in "biuf" and array.size:
        as_float = array.astype(np.float64)
        if np.isfinite(as_float).all() and (as_float == np.round(as_float)).all():
            return as_float.astype(np.int64).astype(str)
    return array.astype(str)


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

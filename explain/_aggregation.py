"""Aggregation of local importance values into per-class and global importances.

Global importance is what interpret-community users know: the mean absolute local value of
each feature, per class, then the mean over classes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ImportanceAccumulator", "absolute_sums", "aggregate_local"]


def aggregate_local(
    local_values: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Aggregate local values into per-class and global importances.

    Parameters
    ----------
    local_values : ndarray of shape (n_outputs, n_rows, n_features)
        Signed local importance values.
    weights : ndarray of shape (n_rows,), default=None
        Row weights (e.g. from sampling); uniform when ``None``.

    Returns
    -------
    per_output : ndarray of shape (n_outputs, n_features)
        Weighted mean of ``|local_values|`` over rows, per output.
    global_values : ndarray of shape (n_features,)
        Mean of ``per_output`` over outputs.
    """
    accumulator = ImportanceAccumulator(local_values.shape[0], local_values.shape[2])
    accumulator.add(local_values, weights)
    return accumulator.result()


def absolute_sums(
    local_values: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Weighted sum of ``|local_values|`` over rows and the total row weight.

    What a chunk of rows contributes to :class:`ImportanceAccumulator`; computed where the
    chunk is (a worker thread, a Dask worker) so that only ``(n_outputs, n_features)``
    numbers travel.

    Parameters
    ----------
    local_values : ndarray of shape (n_outputs, n_rows, n_features)
        Signed local values.
    weights : ndarray of shape (n_rows,), default=None
        Row weights; uniform when ``None``.

    Returns
    -------
    sums : ndarray of shape (n_outputs, n_features)
    weight : float
    """
    if weights is None:
        return np.abs(local_values).sum(axis=1), float(local_values.shape[1])
    return np.einsum("knf,n->kf", np.abs(local_values), weights), float(np.sum(weights))


class ImportanceAccumulator:
    """Running weighted sum of ``|local values|``, so global importance needs no local matrix.

    Parameters
    ----------
    n_outputs : int
        Number of explained outputs (classes, or 1 for regression).
    n_features : int
        Number of features.
    """

    def __init__(self, n_outputs: int, n_features: int) -> None:
        self._sum = np.zeros((n_outputs, n_features))
        self._weight = 0.0

    def add(self, local_values: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Add a batch of local values of shape (n_outputs, n_rows, n_features)."""
        self.add_sums(*absolute_sums(local_values, weights))

    def add_sums(self, sums: np.ndarray, weight: float) -> None:
        """Add a chunk's :func:`absolute_sums` (computed elsewhere, e.g. on a worker)."""
        self._sum += sums
        self._weight += weight

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(per_output, global_values)`` as in :func:`aggregate_local`."""
        per_output = self._sum / max(self._weight, np.finfo(float).tiny)
        return per_output, per_output.mean(axis=0)

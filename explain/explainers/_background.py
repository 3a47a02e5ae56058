"""Summarizing initialization examples into a small weighted background set."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans

from explain._validation import Matrix

__all__ = ["summarize_background"]


def summarize_background(X: Matrix, nclusters: int, *, random_state: int = 0,
                         threshold_factor: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Summarize ``X`` by k-means when it has more than ``threshold_factor * nclusters`` rows.

    Each cluster centre is snapped, feature by feature, to the nearest value actually seen in
    that column (as ``shap.kmeans`` does), so binary and integer-coded features keep values
    the model was trained on. Missing values are imputed with the column mean for clustering.

    Parameters
    ----------
    X : ndarray or csr_matrix of shape (n_rows, n_features)
        Initialization examples.
    nclusters : int
        Number of background rows to keep.
    random_state : int, default=0
        Seed of k-means.
    threshold_factor : int, default=10
        Summarize only above ``threshold_factor * nclusters`` rows.

    Returns
    -------
    background : ndarray of shape (n_background, n_features)
    weights : ndarray of shape (n_background,)
        Share of the rows each background row stands for; sums to 1.
    """
    dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    n_rows = dense.shape[0]
    if n_rows <= threshold_factor * nclusters:
        return dense.copy(), np.full(n_rows, 1.0 / n_rows)
    with np.errstate(all="ignore"):
        column_means = np.nanmean(dense, axis=0) if np.isnan(dense).any() else dense.mean(axis=0)
    filled = np.where(np.isnan(dense), np.nan_to_num(column_means), dense)
    kmeans = KMeans(n_clusters=nclusters, n_init=3, random_state=random_state).fit(filled)
    centres = kmeans.cluster_centers_.copy()
    for j in range(centres.shape[1]):
        seen = np.unique(filled[:, j])
        position = np.clip(np.searchsorted(seen, centres[:, j]), 1, max(seen.size - 1, 1))
        lower = seen[position - 1] if seen.size > 1 else seen[0]
        upper = seen[position] if seen.size > 1 else seen[0]
        centres[:, j] = np.where(np.abs(centres[:, j] - lower) <= np.abs(upper - centres[:, j]),
                                 lower, upper)
    weights = np.bincount(kmeans.labels_, minlength=nclusters).astype(np.float64)
    return centres, weights / weights.sum()

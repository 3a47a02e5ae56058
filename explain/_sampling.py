"""Choosing representative evaluation rows for global explanations of large data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import HDBSCAN, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD

from explain._exceptions import ExplanationValueError
from explain._validation import Matrix

__all__ = ["SamplingPolicy", "sample_rows"]

SAMPLING_METHODS = ("kmeans", "hdbscan", "random")
_HDBSCAN_ROWS = 5000  # rows HDBSCAN clusters to choose the number of representatives
_PER_CLUSTER = 5  # representatives per HDBSCAN cluster (interpret-community's clustering_threshold)


@dataclass(frozen=True)
class SamplingPolicy:
    """How ``explain_global`` may summarize many evaluation rows by fewer representative ones.

    Parameters
    ----------
    allow_eval_sampling : bool, default=False
        Whether sampling is allowed at all. With ``False`` every row is explained.
    max_dim_clustering : int, default=50
        Data with more columns is projected to this many dimensions (truncated SVD) before
        clustering, since k-means degrades in high dimensions.
    sampling_method : {"kmeans", "hdbscan", "random"}, default="kmeans"
        ``"kmeans"``: cluster the rows and explain the row nearest each centre, weighted by
        its cluster's size; representatives sit near cluster centres, so importances of
        features with much within-cluster spread come out somewhat low. ``"hdbscan"``
        (interpret-community's default): the same, with five representatives per cluster
        scikit-learn's HDBSCAN finds (noise counting as one cluster; on a random sample of at
        most 5,000 rows), at most ``max_rows``, as interpret-community chose their number.
        ``"random"``: a uniform random sample, unbiased but noisier.
    max_rows : int, default=1000
        Sampling happens only above this many rows, and keeps at most this many.
    random_state : int, default=0
        Seed of the clustering or the random sample.
    """

    allow_eval_sampling: bool = False
    max_dim_clustering: int = 50
    sampling_method: str = "kmeans"
    max_rows: int = 1000
    random_state: int = 0

    def __post_init__(self) -> None:
        if self.sampling_method not in SAMPLING_METHODS:
            raise ExplanationValueError(
                f"SamplingPolicy: sampling_method must be one of {SAMPLING_METHODS}, "
                f"got {self.sampling_method!r}."
            )
        for name in ("max_dim_clustering", "max_rows"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ExplanationValueError(
                    f"SamplingPolicy: {name} must be a positive integer, got {value!r}."
                )


def sample_rows(
    X: Matrix, policy: SamplingPolicy, *, total_rows: int | None = None
) -> tuple[Matrix, np.ndarray | None, tuple[str, ...]]:
    """Apply ``policy`` to ``X``.

    Parameters
    ----------
    X : ndarray or csr_matrix of shape (n_rows, n_features)
        Evaluation rows.
    policy : SamplingPolicy
        What sampling is allowed.
    total_rows : int, default=None
        When ``X`` is itself a uniform random sample (of a Dask collection), the number of
        rows it was drawn from: the note names it, and k-means weights are scaled to sum to
        it. A sample already within ``max_rows`` is then kept whole, with a note.

    Returns
    -------
    rows : ndarray or csr_matrix
        The rows to explain (``X`` itself when no sampling happens).
    weights : ndarray of shape (n_kept,) or None
        Row weights for the aggregation (cluster sizes), ``None`` for uniform.
    notes : tuple of str
        A note for the explanation's fidelity record when rows were sampled.
    """
    n_rows = X.shape[0]
    population = n_rows if total_rows is None else total_rows
    if not policy.allow_eval_sampling or population <= policy.max_rows:
        return X, None, ()
    if n_rows <= policy.max_rows:  # a small random sample of a larger collection
        return X, None, (f"explained a random sample of {n_rows} of {population} rows",)
    rng = np.random.default_rng(policy.random_state)
    if policy.sampling_method == "random":
        keep = np.sort(rng.choice(n_rows, size=policy.max_rows, replace=False))
        note = f"explained a random sample of {policy.max_rows} of {population} rows"
        return X[keep], None, (note,)
    points: Any = X.copy() if sp.issparse(X) else np.nan_to_num(X)  # clustering needs no NaN
    if sp.issparse(points):
        points.data = np.nan_to_num(points.data)
    if X.shape[1] > policy.max_dim_clustering:
        svd = TruncatedSVD(policy.max_dim_clustering, random_state=policy.random_state)
        points = svd.fit_transform(points)
    elif sp.issparse(points):
        points = points.toarray()
    n_clusters = policy.max_rows
    if policy.sampling_method == "hdbscan":
        found = _hdbscan_clusters(points, rng)
        n_clusters = min(_PER_CLUSTER * found, policy.max_rows)
    kmeans = MiniBatchKMeans(n_clusters=n_clusters, random_state=policy.random_state,
                             n_init=1, batch_size=4096).fit(points)
    labels = kmeans.labels_
    distance = np.linalg.norm(points - kmeans.cluster_centers_[labels], axis=1)
    order = np.lexsort((distance, labels))
    first = order[np.r_[True, labels[order][1:] != labels[order][:-1]]]
    weights = np.bincount(labels, minlength=n_clusters)[labels[first]].astype(np.float64)
    note = f"explained {first.size} k-means representatives of {population} rows"
    if policy.sampling_method == "hdbscan":
        note += f" (HDBSCAN found {found} clusters)"
    if total_rows is not None:
        weights *= total_rows / n_rows
        note += f" (clustered on a uniform random sample of {n_rows})"
    return X[first], weights, (note,)


def _hdbscan_clusters(points: np.ndarray, rng: np.random.Generator) -> int:
    """The number of clusters HDBSCAN finds (noise points count as one, as in
    interpret-community), at least 1; clustered on a random sample of at most 5,000 rows."""
    if points.shape[0] > _HDBSCAN_ROWS:
        points = points[np.sort(rng.choice(points.shape[0], size=_HDBSCAN_ROWS, replace=False))]
    labels = HDBSCAN(min_cluster_size=2, copy=True).fit(points).labels_
    return max(int(np.unique(labels).size), 1)

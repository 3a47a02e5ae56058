"""LIME for tabular data: local linear surrogates fitted around each row.

The algorithm is that of ``lime.lime_tabular.LimeTabularExplainer`` with its defaults
(quartile-discretized continuous features, categorical features sampled by frequency, an
exponential kernel of width ``0.75 * sqrt(n_features)`` on the binary "same bin as the row"
representation, a weighted ridge regression with ``alpha=1``). It is written here because
the ``lime`` package is unmaintained since 2020, and so that it runs vectorized: one
perturbation sample is drawn from the training distribution (every feature independently,
as LIME does) and the model is called on it once, at set-up; each row then only needs its
binary representation, kernel weights and a small ridge solve, batched over rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from explain._exceptions import ExplanationValueError
from explain._explanation import Explanation
from explain._ic_shape import records_call
from explain._validation import Matrix, check_positive_int
from explain.explainers._adapters import require_proba
from explain.explainers._assembly import with_note
from explain.explainers._base import BaseExplainer, LocalResult, additivity_error
from explain.explainers._ic_options import as_rows

__all__ = ["LIMEExplainer"]

ROW_CHUNK = 64
_BLOCK_BYTES = 256 * 2**20  # memory of one block of rows' fits


class LIMEExplainer(BaseExplainer):
    """Local surrogate (LIME) explanations; the global explanation aggregates the locals.

    Parameters
    ----------
    model : estimator or callable
        A fitted model (``predict_proba`` for classifiers), or a function with ``is_function=True``.
    initialization_examples : array-like, DataFrame or sparse matrix of shape (n_rows, n_features)
        Training rows: the distribution perturbations are drawn from.
    is_function : bool, default=False
        Whether ``model`` is a prediction function.
    explain_subset : list of int or str, default=None
        Return values of these features only (all features are perturbed).
    nclusters : int, default=10
        Accepted for interpret-community compatibility; LIME samples from every training row.
    features, classes : list, default=None
        Feature names and class labels.
    categorical_features : list of int or str, default=None
        Features sampled by category frequency and compared by equality. Text and pandas
        categorical columns of ``initialization_examples`` are categorical without being named.
    transformations : object, default=None
        Featurization from raw data to the model's input; values are then mapped to raw columns.
    allow_all_transformations : bool, default=False
        See :class:`TabularExplainer`.
    model_task : {"unknown", "classification", "regression"}, default="unknown"
        Set for functions.
    num_samples : int, default=5000
        Perturbations (model calls) shared by all explained rows.
    kernel_width : float, default=None
        Width of the exponential kernel; default ``0.75 * sqrt(n_features)``.
    alpha : float, default=1.0
        Ridge penalty of the local fits.
    random_state : int, default=0
        Seed of the perturbation sample.
    n_jobs : int, default=1
        Chunks of rows explained at the same time (threads; ``-1``: all cores).

    Notes
    -----
    LIME values are coefficients of a local linear model, not Shapley values: they do not add
    up to the prediction. The explanation's ``fidelity`` reports that gap as its additivity
    error and the mean weighted R² of the local fits.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from explain import LIMEExplainer
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=1000).fit(X, y)
    >>> LIMEExplainer(model, X).explain_local(X[:2]).local_values.shape
    (3, 2, 4)
    """

    method = "lime"

    def __init__(self, model: Any, initialization_examples: Any, is_function: bool = False,
                 explain_subset: Any = None, nclusters: int = 10, features: Any = None,
                 classes: Any = None, categorical_features: Any = None, transformations: Any = None,
                 allow_all_transformations: bool = False, model_task: str = "unknown", *,
                 num_samples: int = 5000, kernel_width: float | None = None, alpha: float = 1.0,
                 random_state: int = 0, n_jobs: int = 1) -> None:
        check_positive_int(num_samples, "num_samples", "LIMEExplainer")
        check_positive_int(nclusters, "nclusters", "LIMEExplainer")
        if kernel_width is not None and not kernel_width > 0:
            raise ExplanationValueError(
                f"LIMEExplainer: kernel_width must be positive, got {kernel_width!r}.")
        if not alpha >= 0:
            raise ExplanationValueError(f"LIMEExplainer: alpha must be >= 0, got {alpha!r}.")
        self.nclusters, self.num_samples, self.alpha = nclusters, num_samples, float(alpha)
        self.random_state = random_state
        self.allow_all_transformations = allow_all_transformations
        self._set_up(model, initialization_examples, is_function=is_function,
                     explain_subset=explain_subset, features=features, classes=classes,
                     transformations=transformations,
                     allow_all_transformations=allow_all_transformations, model_task=model_task,
                     n_jobs=n_jobs)
        require_proba(self.adapter_, "LIMEExplainer", classes_given=classes is not None)
        self.output_space_ = "probability" if self.model_task == "classification" else "raw"
        self.categorical_ = self._categorical(categorical_features)
        self.kernel_width_ = float(kernel_width or 0.75 * np.sqrt(self.n_features_in_))
        self._draw()

    def _categorical(self, categorical: Any) -> np.ndarray:
        """Boolean mask of the categorical features: those given, and text or categorical
        columns (carried as codes, so perturbations draw categories by frequency)."""
        codes = self.adapter_.codes
        mask = np.zeros(self.n_features_in_, dtype=bool) if codes is None else codes.is_category()
        index = {name: i for i, name in enumerate(self.features_)}
        for item in categorical or []:
            if isinstance(item, str) and item in index:
                mask[index[item]] = True
            elif isinstance(item, int | np.integer) and 0 <= int(item) < self.n_features_in_:
                mask[int(item)] = True
            else:
                raise ExplanationValueError(
                    f"LIMEExplainer: categorical_features names unknown feature {item!r}.")
        return mask

    def _draw(self) -> None:
        """Sample perturbations from the training marginals and call the model on them once."""
        train = self.initialization_examples_
        assert train is not None  # required at set-up
        dense = train.toarray() if sp.issparse(train) else np.asarray(train, dtype=np.float64)
        rng = np.random.default_rng(self.random_state)
        picks = rng.integers(0, dense.shape[0], size=(self.num_samples, dense.shape[1]))
        self.samples_ = np.take_along_axis(dense, picks, axis=0)
        with np.errstate(all="ignore"):  # quartile edges of continuous features, as LIME bins them
            self.edges_ = [np.unique(np.nanpercentile(dense[:, j], [25, 50, 75])) if not self.categorical_[j]
                           else np.empty(0) for j in range(dense.shape[1])]
        self.sample_bins_ = self._bins(self.samples_)
        self.sample_output_ = self.adapter_.predict_output(self.samples_)  # (num_samples, n_outputs)
        self.expected_ = self.sample_output_.mean(axis=0)

    def _bins(self, X: np.ndarray) -> np.ndarray:
        """Bin of each value: its quartile bin, or the value itself for categorical features."""
        bins = np.empty(X.shape, dtype=np.float64)
        for j, edges in enumerate(self.edges_):
            bins[:, j] = X[:, j] if self.categorical_[j] else np.searchsorted(edges, X[:, j], side="left")
        return np.where(np.isnan(X), -1.0, bins)

    def _local_values(self, X: Matrix) -> LocalResult:
        dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
        values, scores = [], []
        # a block of rows holds a few (rows, samples, features) arrays: keep them near _BLOCK_BYTES
        n_samples, n_features = self.sample_bins_.shape
        step = max(1, min(ROW_CHUNK, _BLOCK_BYTES // (8 * 4 * n_samples * max(n_features, 1))))
        for start in range(0, dense.shape[0], step):
            coef, score = self._fit_rows(dense[start:start + step])
            values.append(coef)
            scores.append(score)
        local = np.concatenate(values, axis=1)  # (n_outputs, n_rows, n_features)
        output = self.adapter_.predict_output(dense).T
        return LocalResult(values=self._select(local), expected=self.expected_,
                           additivity=additivity_error(local, self.expected_, output), exact=None,
                           fit_scores=np.concatenate(scores))

    def _fit_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weighted ridge fits of the model's outputs on each row's binary representation."""
        same = (self.sample_bins_[None, :, :] == self._bins(rows)[:, None, :]).astype(np.float64)
        distance = np.sqrt(np.sum((1.0 - same) ** 2, axis=2))  # to the row itself (all ones)
        weights = np.sqrt(np.exp(-(distance ** 2) / self.kernel_width_ ** 2))  # (r, s), as LIME
        total = weights.sum(axis=1, keepdims=True)
        z_mean = (weights[:, None, :] @ same)[:, 0, :] / total  # batched matrix products (BLAS)
        centred = same - z_mean[:, None, :]
        del same
        y = self.sample_output_  # (s, k)
        y_mean = weights @ y / total  # (r, k)
        weighted = np.swapaxes(centred * weights[:, :, None], 1, 2)  # (r, f, s)
        gram = weighted @ centred
        gram += self.alpha * np.eye(centred.shape[2])[None]
        rhs = weighted @ y  # (r, f, k)
        del weighted
        coef = np.linalg.solve(gram, rhs)  # (r, f, k)
        fitted = centred @ coef + y_mean[:, None, :]
        residual = np.einsum("rs,rsk->rk", weights, (y[None] - fitted) ** 2)
        spread = np.einsum("rs,rsk->rk", weights, (y[None] - y_mean[:, None, :]) ** 2)
        score = 1.0 - residual.sum(axis=1) / np.maximum(spread.sum(axis=1), 1e-300)
        return coef.transpose(2, 0, 1), score

    @records_call("explain_local")
    def explain_local(self, evaluation_examples: Any, *, batch_size: int | None = None,
                      show_progress: bool | None = None) -> Explanation:
        """Explain each row (see :meth:`BaseExplainer.explain_local`); as interpret-community's
        LIMEExplainer, one row may be given as a 1-D vector (list, array or Series)."""
        return super().explain_local(as_rows(evaluation_examples), batch_size=batch_size,
                                     show_progress=show_progress)

    def _explain(self, X: Any, **kwargs: Any) -> Explanation:
        # the fits' weighted R² is summarized by the assembly from each chunk's fit_scores
        return with_note(super()._explain(X, **kwargs), "LIME: values are coefficients of local "
                         "linear surrogates and do not add up to the prediction")


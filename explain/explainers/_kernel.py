"""Kernel SHAP for any model: the model-agnostic explainer."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from explain._exceptions import ExplanationValueError
from explain._validation import Matrix, check_positive_int
from explain.explainers._adapters import require_proba
from explain.explainers._background import summarize_background
from explain.explainers._base import BaseExplainer, LocalResult, additivity_error
from explain.explainers._kernel_shap import kernel_shap_values

__all__ = ["KernelExplainer"]


class KernelExplainer(BaseExplainer):
    """Model-agnostic SHAP values by Kernel SHAP (weighted linear regression on coalitions).

    Classifiers are explained in probability space (``predict_proba``), regressors in their
    prediction. With 12 features or fewer (``nsamples="auto"``) every coalition is
    enumerated and the values are the exact Shapley values for the background; above that,
    coalitions are sampled in complementary pairs and each value comes with a bootstrap
    standard error in the explanation's ``fidelity``. Model calls are batched across rows.

    Parameters
    ----------
    model : estimator or callable
        A fitted model with ``predict`` / ``predict_proba``, or a function (``is_function=True``)
        mapping a 2-D array to predictions or class probabilities.
    initialization_examples : array-like, DataFrame or sparse matrix of shape (n_rows, n_features)
        Background data. More than ``10 * nclusters`` rows are summarized by k-means to
        ``nclusters`` weighted rows.
    is_function : bool, default=False
        Whether ``model`` is a prediction function.
    nsamples : int or "auto", default="auto"
        Coalitions evaluated per row. ``"auto"``: exact enumeration up to 12 features, else
        ``2 * n_features + 2048``.
    explain_subset : list of int or str, default=None
        Explain only these features; the others act together as one player, so the budget is
        spent on the features of interest and values still add up.
    features : list of str, default=None
        Feature names.
    classes : list, default=None
        Class labels.
    nclusters : int, default=10
        Size of the k-means background summary.
    transformations : object, default=None
        The fitted featurization from raw data to the model's input (see
        :class:`TabularExplainer`); explanations are then returned for the raw columns.
    allow_all_transformations : bool, default=False
        Accept transformers that mix several inputs into several outputs, splitting each
        output evenly over its inputs.
    model_task : {"unknown", "classification", "regression"}, default="unknown"
        Set for functions and models whose type does not tell.
    random_state : int, default=0
        Seed of the k-means summary and the coalition sampling.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from explain import KernelExplainer
    >>> X, y = load_iris(return_X_y=True)
    >>> explainer = KernelExplainer(SVC(probability=True, random_state=0).fit(X, y), X)
    >>> explainer.explain_local(X[:2]).local_importance_values.shape
    (3, 2, 4)
    """

    method = "shap.kernel"

    def __init__(self, model: Any, initialization_examples: Any, *, is_function: bool = False,
                 nsamples: int | Literal["auto"] = "auto", explain_subset: Any = None, features: Any = None,
                 classes: Any = None, nclusters: int = 10, transformations: Any = None,
                 allow_all_transformations: bool = False, model_task: str = "unknown",
                 random_state: int = 0) -> None:
        if nsamples != "auto" and (not isinstance(nsamples, int) or isinstance(nsamples, bool)
                                   or nsamples < 1):
            raise ExplanationValueError(
                f"KernelExplainer: nsamples must be 'auto' or a positive integer, got {nsamples!r}."
            )
        check_positive_int(nclusters, "nclusters", "KernelExplainer")
        self.nsamples = nsamples
        self.nclusters = nclusters
        self.random_state = random_state
        self.allow_all_transformations = allow_all_transformations
        self._set_up(model, initialization_examples, is_function=is_function,
                     explain_subset=explain_subset, features=features, classes=classes,
                     transformations=transformations,
                     allow_all_transformations=allow_all_transformations, model_task=model_task)
        self.background_, self.background_weights_ = summarize_background(
            self.initialization_examples_, nclusters, random_state=random_state
        )
        require_proba(self.adapter_, "KernelExplainer")
        self.output_space_ = "probability" if self.model_task == "classification" else "raw"
        self.groups_ = self._groups()
        if isinstance(nsamples, int) and nsamples < 2 * self.n_players_ + 2 \
                and 2 ** self.n_players_ - 2 > nsamples:
            raise ExplanationValueError(
                f"KernelExplainer: nsamples={nsamples} is too small for {self.n_players_} "
                f"features; use at least {2 * self.n_players_ + 2} or 'auto'."
            )

    def _groups(self) -> list[np.ndarray] | None:
        if self.explain_subset_ is None:
            return None
        rest = np.setdiff1d(np.arange(self.n_features_in_), self.explain_subset_)
        groups = [np.array([i]) for i in self.explain_subset_]
        return [*groups, rest] if rest.size else groups

    def _local_values(self, X: Matrix) -> LocalResult:
        dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
        nsamples = self.nsamples
        result = kernel_shap_values(
            self.adapter_.predict_output, dense, self.background_, self.background_weights_,
            groups=self.groups_, nsamples=nsamples, random_state=self.random_state,
        )
        n_explained = self.n_players_ if self.explain_subset_ is None else len(self.explain_subset_)
        return LocalResult(
            values=result.values[:, :, :n_explained],
            expected=result.expected_values,
            additivity=additivity_error(result.values, result.expected_values, result.model_output),
            standard_errors=result.standard_errors[:, :, :n_explained],
            exact=result.exact,
        )

    @property
    def n_players_(self) -> int:
        """Number of players in the coalition game (features, or subset + the rest)."""
        return self.n_features_in_ if self.groups_ is None else len(self.groups_)

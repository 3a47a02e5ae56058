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
    coalitions are sampled in complementary pairs, with an independent design for every
    background row (half the variance of one shared design for the same model calls), and each
    value comes with a bootstrap standard error in the explanation's ``fidelity``. Model calls
    are batched across rows.

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
        Coalitions evaluated per row and background row. ``"auto"``: exact enumeration up to
        12 features, else ``2 * n_features + 2048`` (shap's default; about a quarter of that
        already matches shap's accuracy at it, see ``benchmarks/README.md``).
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
    random_state : int or None, default=0
        Seed of the k-means summary and the coalition sampling. ``None`` draws a seed once,
        at construction (kept as :attr:`seed_`), so that every chunk of rows uses the same
        coalition designs.
    n_jobs : int, default=1
        Chunks of rows explained in parallel (threads; ``-1``: all cores). The values do not
        depend on it: the coalition designs are drawn from :attr:`seed_` alone, the same for
        every chunk.

    Attributes
    ----------
    background_ : ndarray of shape (n_background, n_features)
        Background rows (the k-means summary, or the initialization examples).
    background_weights_ : ndarray of shape (n_background,)
        Share of the initialization examples each background row stands for.
    seed_ : int
        Seed of the coalition designs and bootstrap resamples (``random_state``, or the seed
        drawn for ``None``).

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
                 random_state: int | None = 0, n_jobs: int = 1) -> None:
        if nsamples != "auto" and (not isinstance(nsamples, int) or isinstance(nsamples, bool)
                                   or nsamples < 1):
            raise ExplanationValueError(
                f"KernelExplainer: nsamples must be 'auto' or a positive integer, got {nsamples!r}."
            )
        check_positive_int(nclusters, "nclusters", "KernelExplainer")
        self.seed_ = _resolve_seed(random_state)
        self.nsamples = nsamples
        self.nclusters = nclusters
        self.random_state = random_state
        self.allow_all_transformations = allow_all_transformations
        self._set_up(model, initialization_examples, is_function=is_function,
                     explain_subset=explain_subset, features=features, classes=classes,
                     transformations=transformations,
                     allow_all_transformations=allow_all_transformations, model_task=model_task,
                     n_jobs=n_jobs)
        self.background_, self.background_weights_ = summarize_background(
            self.initialization_examples_, nclusters, random_state=self.seed_
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
        # BaseExplainer's chunk contract: the designs come from the fixed int seed_, drawn
        # afresh in every call before any row is seen, so a row's values do not depend on its
        # chunk; nothing on self is written, and the work is NumPy in this thread.
        dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
        result = kernel_shap_values(
            self.adapter_.predict_output, dense, self.background_, self.background_weights_,
            groups=self.groups_, nsamples=self.nsamples, random_state=self.seed_,
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


def _resolve_seed(random_state: Any) -> int:
    """The int seed of the explainer: ``random_state``, or one drawn now for ``None``.

    A generator or ``None`` passed on to every chunk would give each chunk its own designs
    (and a shared generator would be mutated from several threads), so the seed is fixed here.
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer) \
            or random_state < 0:
        raise ExplanationValueError(
            f"KernelExplainer: random_state must be a non-negative integer or None, got "
            f"{random_state!r}; pass an int seed for reproducible values."
        )
    return int(random_state)

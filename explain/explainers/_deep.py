"""Deep SHAP (DeepLIFT with a background distribution) for PyTorch models, via SHAP."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._explanation import Explanation
from explain._validation import Matrix, check_positive_int
from explain.explainers._assembly import with_note
from explain.explainers._background import summarize_background
from explain.explainers._base import BaseExplainer, LocalResult, additivity_error
from explain.explainers._torch import TorchModel, is_torch_model, require_torch
from explain.explainers._tree import _normalize_shap_output

__all__ = ["DeepExplainer"]


class DeepExplainer(BaseExplainer):
    """SHAP values of a PyTorch model by Deep SHAP (``shap.DeepExplainer``).

    The module's own output is explained: logits for a classifier that returns logits (the
    explanation's output space is then ``"margin"``), probabilities for one ending in a
    softmax (``output="probabilities"`` on :class:`TorchModel`), the prediction for a
    regressor. DeepLIFT's rules make the values add up to that output up to float32 rounding
    for the layers SHAP supports (linear, convolution, ReLU, sigmoid, softmax, ...); the
    explanation's fidelity records the largest gap.

    Parameters
    ----------
    model : torch.nn.Module or TorchModel
        The fitted network, taking a float tensor of shape (n_rows, n_features).
    initialization_examples : array-like or DataFrame of shape (n_rows, n_features)
        Background data; more than ``10 * nclusters`` rows are summarized by k-means.
    explain_subset : list of int or str, default=None
        Return values of these features only.
    nclusters : int, default=10
        Size of the background summary.
    features, classes : list, default=None
        Feature names and class labels.
    transformations : object, default=None
        Featurization from raw data to the network's input; values are mapped to raw columns.
    allow_all_transformations : bool, default=False
        See :class:`TabularExplainer`.
    groups : dict of str to list of str, default=None
        Groups of columns explained as one feature: ``{group name: [column, ...]}`` over the
        raw columns (with ``transformations``) or the features. Ungrouped columns stay
        features of their own. A group's value is the sum of its columns' values (exact and
        additive); the per-column explanation is its ``engineered_explanation``.
    model_task : {"unknown", "classification", "regression"}, default="unknown"
        ``"unknown"``: a classifier when the network has several outputs.

    Examples
    --------
    >>> import torch  # doctest: +SKIP
    >>> layers = [torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)]  # doctest: +SKIP
    >>> net = torch.nn.Sequential(*layers)  # doctest: +SKIP
    >>> DeepExplainer(net, X).explain_local(X[:2]).local_importance_values  # doctest: +SKIP
    """

    method = "shap.deep"
    reads_model_structure = True
    parallel_chunks = False  # shap's DeepExplainer hooks the module's layers during each call

    def __init__(self, model: Any, initialization_examples: Any, explain_subset: Any = None,
                 nclusters: int = 10, features: Any = None, classes: Any = None,
                 transformations: Any = None, allow_all_transformations: bool = False,
                 model_task: str = "unknown", groups: Any = None, **kwargs: Any) -> None:
        if kwargs:
            raise ExplanationValueError(f"DeepExplainer: unknown arguments {sorted(kwargs)}.")
        check_positive_int(nclusters, "nclusters", "DeepExplainer")
        if not is_torch_model(model):
            raise ExplanationTypeError(
                "DeepExplainer: needs a torch.nn.Module (or explain.TorchModel), got "
                f"{type(model).__name__}.")
        torch = require_torch()
        wrapped = model if isinstance(model, TorchModel) else TorchModel(model, model_task, classes)
        self.nclusters = nclusters
        self.allow_all_transformations = allow_all_transformations
        self._set_up(wrapped, initialization_examples, is_function=False, explain_subset=explain_subset,
                     features=features, classes=classes, transformations=transformations,
                     allow_all_transformations=allow_all_transformations,
                     model_task=wrapped.model_task, groups=groups)
        self.torch_model_ = wrapped
        background, _ = summarize_background(self.initialization_examples_, nclusters)
        self.background_ = background
        parameter = next(iter(wrapped.module.parameters()), None)
        self._dtype = parameter.dtype if parameter is not None else torch.float32
        import shap

        wrapped.module.eval()
        self._shap = shap.DeepExplainer(wrapped.module, torch.tensor(background, dtype=self._dtype))
        self.output_space_ = "raw" if self.model_task == "regression" else (
            "probability" if wrapped.output == "probabilities" else "margin")

    def _local_values(self, X: Matrix) -> LocalResult:
        torch = require_torch()
        dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
        tensor = torch.tensor(dense, dtype=self._dtype)  # a copy: torch wants writable memory
        raw = self._shap.shap_values(tensor, check_additivity=False)
        values = _normalize_shap_output(raw, dense.shape[0])
        expected = np.atleast_1d(np.asarray(self._shap.expected_value, dtype=np.float64)).ravel()
        output = self.torch_model_.raw_output(dense).T
        return LocalResult(values=self._select(values), expected=expected,
                           additivity=additivity_error(values, expected, output), exact=None)

    def _explain(self, X: Any, **kwargs: Any) -> Explanation:
        return with_note(super()._explain(X, **kwargs),
                         "Deep SHAP: DeepLIFT's approximation of SHAP values against the background")

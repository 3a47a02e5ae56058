"""Choosing an explainer for a model by inspecting it: an explicit, ordered list of checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from explain._raw_input import split_pipeline
from explain.explainers._deep import DeepExplainer
from explain.explainers._kernel import KernelExplainer
from explain.explainers._linear import LinearExplainer, is_linear_model
from explain.explainers._torch import is_torch_model
from explain.explainers._tree import TreeExplainer, is_tree_model

__all__ = ["EXPLAINER_CHOICES", "choose_explainer"]


def _any_model(model: Any) -> bool:
    return True


# (supports(model), explainer class), tried in order; the last one accepts any model.
EXPLAINER_CHOICES: list[tuple[Callable[[Any], bool], type]] = [
    (is_tree_model, TreeExplainer),
    (is_torch_model, DeepExplainer),
    (is_linear_model, LinearExplainer),
    (_any_model, KernelExplainer),
]


def choose_explainer(model: Any, *, is_function: bool = False,
                     allow_all_transformations: bool = False) -> type:
    """Return the explainer class for ``model``: tree, then deep (PyTorch), then linear, then
    Kernel SHAP.

    A featurization + estimator ``Pipeline`` is judged by its final estimator when its
    featurizing steps can be traced to raw columns (it is then explained natively).

    Parameters
    ----------
    model : object
        A fitted model or a prediction function.
    is_function : bool, default=False
        Functions are always explained by Kernel SHAP.
    allow_all_transformations : bool, default=False
        Passed on to the pipeline's feature-map check.
    """
    if is_function:
        return KernelExplainer
    estimator, _ = split_pipeline(model, allow_all_transformations)
    for supports, explainer in EXPLAINER_CHOICES:
        if supports(estimator):
            return explainer
    return KernelExplainer

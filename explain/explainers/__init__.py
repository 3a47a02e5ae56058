"""The explainer family: one algorithm per module, chosen by :func:`choose_explainer`."""

from explain.explainers._base import BaseExplainer
from explain.explainers._blend import BlendExplainer
from explain.explainers._deep import DeepExplainer
from explain.explainers._kernel import KernelExplainer
from explain.explainers._lime import LIMEExplainer
from explain.explainers._linear import LinearExplainer
from explain.explainers._margins import classifier_margins, has_native_margin
from explain.explainers._mimic import MimicExplainer
from explain.explainers._pfi import PFIExplainer
from explain.explainers._selection import choose_explainer
from explain.explainers._tabular import TabularExplainer
from explain.explainers._torch import TorchModel
from explain.explainers._tree import TreeExplainer

__all__ = [
    "BaseExplainer",
    "BlendExplainer",
    "DeepExplainer",
    "KernelExplainer",
    "LIMEExplainer",
    "LinearExplainer",
    "MimicExplainer",
    "PFIExplainer",
    "TabularExplainer",
    "TorchModel",
    "TreeExplainer",
    "choose_explainer",
    "classifier_margins",
    "has_native_margin",
]

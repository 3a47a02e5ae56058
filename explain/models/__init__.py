"""Explainable surrogate models for :class:`explain.MimicExplainer`."""

from explain.explainers._surrogates import (
    DecisionTreeExplainableModel,
    ExplainableModel,
    LGBMExplainableModel,
    LinearExplainableModel,
    SGDExplainableModel,
)

__all__ = [
    "DecisionTreeExplainableModel",
    "ExplainableModel",
    "LGBMExplainableModel",
    "LinearExplainableModel",
    "SGDExplainableModel",
]

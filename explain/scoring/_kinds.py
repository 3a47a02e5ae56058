"""Every scoring explainer, imported together.

Each scoring explainer registers itself with :meth:`ScoringExplainer.for_explainer` when its
module is imported; :mod:`explain.scoring` hands out its public classes from here, so that
``from explain.scoring import ScoringExplainer`` can choose among all of them.
"""

from explain.scoring._blend import BlendScoringExplainer
from explain.scoring._explainers import ScoringExplainer
from explain.scoring._families import (
    DeepScoringExplainer,
    KernelScoringExplainer,
    LinearScoringExplainer,
    TreeScoringExplainer,
)

__all__ = [
    "BlendScoringExplainer", "DeepScoringExplainer", "KernelScoringExplainer", "LinearScoringExplainer",
    "ScoringExplainer", "TreeScoringExplainer",
]

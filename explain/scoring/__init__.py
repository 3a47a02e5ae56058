"""Explanations at inference time: scoring explainers, their storage, and a scoring service.

A scoring explainer is built from a fitted explainer (``TreeScoringExplainer(explainer)``,
as in azureml-interpret) or from an AutoML run (``ScoringExplainer.from_run(run)``) and
returns local importances with each prediction. ``save`` / ``load`` store one with its model
and a checksummed manifest; ``create_app`` serves it over HTTP (``[serve]`` extra).
"""

from explain.scoring._explainers import (
    DeepScoringExplainer,
    KernelScoringExplainer,
    LinearScoringExplainer,
    ModelRun,
    Scored,
    ScoringExplainer,
    TreeScoringExplainer,
)
from explain.scoring._persist import ScoringLoadError, load, read_manifest, save
from explain.scoring._service import create_app

__all__ = [
    "DeepScoringExplainer",
    "KernelScoringExplainer",
    "LinearScoringExplainer",
    "ModelRun",
    "Scored",
    "ScoringExplainer",
    "ScoringLoadError",
    "TreeScoringExplainer",
    "create_app",
    "load",
    "read_manifest",
    "save",
]

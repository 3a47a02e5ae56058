"""Explanations at inference time: scoring explainers, their storage, and a scoring service.

A scoring explainer is built from a fitted explainer (``TreeScoringExplainer(explainer)``,
as in azureml-interpret) or from an AutoML run (``ScoringExplainer.from_run(run)``: the
explainer stored with the run, nothing trained) and returns local importances with each
prediction. ``save`` / ``load`` store one with its model and a checksummed manifest;
``create_app`` serves it over HTTP (``[serve]`` extra).
"""

from explain.scoring._blend import BlendScoringExplainer
from explain.scoring._explainers import ModelRun, RunExplainer, Scored, ScoringExplainer
from explain.scoring._families import (
    DeepScoringExplainer,
    KernelScoringExplainer,
    LinearScoringExplainer,
    TreeScoringExplainer,
)
from explain.scoring._persist import ScoringLoadError, load, read_manifest, save
from explain.scoring._service import create_app

__all__ = [
    "BlendScoringExplainer",
    "DeepScoringExplainer",
    "KernelScoringExplainer",
    "LinearScoringExplainer",
    "ModelRun",
    "RunExplainer",
    "Scored",
    "ScoringExplainer",
    "ScoringLoadError",
    "TreeScoringExplainer",
    "create_app",
    "load",
    "read_manifest",
    "save",
]

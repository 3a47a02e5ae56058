"""Explanations at inference time: scoring explainers, their storage, and a scoring service.

A scoring explainer is built from a fitted explainer (``TreeScoringExplainer(explainer)``,
as in azureml-interpret) or from an AutoML run (``ScoringExplainer.from_run(run)``: the
explainer stored with the run, nothing trained) and returns local importances with each
prediction. ``save`` / ``load`` store one with its model and a checksummed manifest;
``create_app`` serves it over HTTP (``[serve]`` extra).
"""

# Public names are imported on first use, so the command lines can read the service's limits
# (explain.scoring._limits) without importing FastAPI and the explainers.
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# where each public name is found (the scoring explainers all together: for_explainer chooses
# among those imported)
_SOURCES = {
    "BlendScoringExplainer": "explain.scoring._kinds",
    "ModelRun": "explain.scoring._explainers",
    "RunExplainer": "explain.scoring._explainers",
    "Scored": "explain.scoring._explainers",
    "ScoringExplainer": "explain.scoring._kinds",
    "DeepScoringExplainer": "explain.scoring._kinds",
    "KernelScoringExplainer": "explain.scoring._kinds",
    "LinearScoringExplainer": "explain.scoring._kinds",
    "TreeScoringExplainer": "explain.scoring._kinds",
    "ScoringLoadError": "explain.scoring._persist",
    "load": "explain.scoring._persist",
    "read_manifest": "explain.scoring._persist",
    "save": "explain.scoring._persist",
    "create_app": "explain.scoring._service",
}


def __getattr__(name: str) -> Any:
    """Import a public name of :mod:`explain.scoring` on first use (PEP 562)."""
    if name not in _SOURCES:
        raise AttributeError(f"module 'explain.scoring' has no attribute {name!r}")
    value = getattr(importlib.import_module(_SOURCES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

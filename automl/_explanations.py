"""Explaining runs: the model's own fast explainer where it has one, else a LightGBM mimic."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.pipeline import Pipeline

from explain import Explanation, KernelExplainer, MimicExplainer, TabularExplainer
from explain.explainers import choose_explainer
from explain.models import LGBMExplainableModel
from featurization import FeatureMap

__all__ = ["explain_engineered_rows", "explain_model_rows"]


def explain_model_rows(model: Pipeline, background: pd.DataFrame, rows: pd.DataFrame, *,
                       surrogate_trees: int = 200, random_state: int = 0) -> Explanation:
    """Explain ``model`` (featurization + estimator) on ``rows``, raw with engineered inside.

    Tree and linear final estimators get exact TreeSHAP / linear SHAP through the pipeline's
    feature map. Others (k-nearest neighbours, ensembles) get a LightGBM surrogate trained on
    the model's output over ``background`` in the engineered space, its held-out fidelity
    recorded on the explanation.

    Parameters
    ----------
    model : Pipeline
        A fitted featurization + estimator pipeline taking raw rows.
    background : DataFrame
        Raw rows: the linear explainer's reference, or the surrogate's training rows.
    rows : DataFrame
        Raw rows to explain (local values for each, global as their aggregate).
    surrogate_trees : int, default=200
        Trees of the LightGBM surrogate.
    random_state : int, default=0
        Seed of the surrogate.
    """
    return _explainer(model, background, None, surrogate_trees, random_state).explain_global(rows)


def explain_engineered_rows(tail: Any, background: Any, rows: Any, feature_map: FeatureMap, *,
                            surrogate_trees: int = 30, random_state: int = 0) -> Explanation:
    """Explain a fitted estimator on already-featurized rows; raw through ``feature_map``.

    Used for the cheap per-run explanations: the search has the engineered matrices of each
    fold at hand, so nothing is featurized again. A leading scaler (one-to-one) is applied
    here and the estimator behind it explained.
    """
    if isinstance(tail, Pipeline):
        for _, step in tail.steps[:-1]:
            background, rows = step.transform(background), step.transform(rows)
        tail = tail.steps[-1][1]
    return _explainer(tail, background, feature_map, surrogate_trees, random_state).explain_global(rows)


def _explainer(model: Any, background: Any, transformations: Any, surrogate_trees: int,
               random_state: int) -> Any:
    """The model's own tree/linear explainer, else a LightGBM mimic (never Kernel SHAP here)."""
    if choose_explainer(model) is not KernelExplainer:
        return TabularExplainer(model, background, transformations=transformations)
    return MimicExplainer(
        model, background, LGBMExplainableModel, transformations=transformations,
        explainable_model_args={"n_estimators": surrogate_trees}, random_state=random_state,
    )

"""Explaining runs: the model's own fast explainer where it has one, else a LightGBM mimic."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from automl._ensemble import WeightedEnsemble
from automl._folds import transform
from explain import Explanation, KernelExplainer, MimicExplainer, TabularExplainer
from explain.explainers import BlendExplainer, choose_explainer
from explain.models import LGBMExplainableModel
from featurization import FeatureMap, feature_map_from

__all__ = ["explain_engineered_rows", "explain_model_rows", "with_fidelity_fields"]


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
    final = model.steps[-1][1]
    if isinstance(final, WeightedEnsemble) and (final.task == "regression" or final._combine == "margin"):
        return _explain_blend(model, final, background, rows, surrogate_trees, random_state)
    explanation = _explainer(model, background, None, surrogate_trees, random_state).explain_global(rows)
    if explanation.fidelity.is_surrogate:
        explanation = _with_model_agreement(explanation, model, rows)
    return explanation


def _explain_blend(model: Pipeline, ensemble: WeightedEnsemble, background: pd.DataFrame,
                   rows: pd.DataFrame, surrogate_trees: int, random_state: int) -> Explanation:
    """A weighted ensemble explained member by member in its margin (or prediction) space."""
    featurizer = Pipeline(model.steps[:-1]) if len(model.steps) > 2 else model.steps[0][1]
    feature_map = feature_map_from(featurizer, [str(c) for c in background.columns])
    explainer = BlendExplainer(
        ensemble.members, ensemble.weights, transform(featurizer, background),
        model_task=ensemble.task, native_margins=getattr(ensemble, "native_margins_", None),
        transformations=feature_map, classes=getattr(ensemble, "classes_", None),
        surrogate_trees=surrogate_trees, random_state=random_state)
    return explainer.explain_global(transform(featurizer, rows))


def _with_model_agreement(explanation: Explanation, model: Any, rows: pd.DataFrame) -> Explanation:
    """Record how far a surrogate's values add up to the model's own output on the explained rows
    (two classes: the model's log-odds; regression: its prediction)."""
    local, expected = explanation.local_values, explanation.expected_values_
    if local is None or expected is None:
        return explanation
    if explanation.model_task == "regression":
        output = np.asarray(model.predict(rows), dtype=np.float64)[None, :]
    elif local.shape[0] == 2 and explanation.output_space == "log_odds":
        proba = np.clip(np.asarray(model.predict_proba(rows), dtype=np.float64)[:, 1], 1e-12, 1 - 1e-12)
        log_odds = np.log(proba / (1 - proba))
        output = np.vstack([-log_odds, log_odds])
    else:
        return explanation
    error = float(np.max(np.abs(local.sum(axis=2) + expected[:, None] - output)))
    return with_fidelity_fields(explanation, model_additivity_error=error)


def with_fidelity_fields(explanation: Explanation, **fields: Any) -> Explanation:
    """``explanation`` (and its engineered explanation) with these fidelity fields set."""
    engineered = explanation.engineered_explanation
    if engineered is not None:
        explanation = dataclasses.replace(explanation,
                                          engineered_explanation=with_fidelity_fields(engineered, **fields))
    return explanation.with_fidelity(dataclasses.replace(explanation.fidelity, **fields))


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

"""Explaining runs: the model's own fast explainer where it has one, else a LightGBM mimic."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.pipeline import Pipeline

from automl._ensemble import WeightedEnsemble
from automl._folds import transform
from explain import Explanation, KernelExplainer, MimicExplainer, TabularExplainer
from explain.explainers import BlendExplainer, choose_explainer
from explain.models import LGBMExplainableModel
from featurization import FeatureMap, feature_map_from

LARGE_FOREST_LEAVES = 200_000
_FORESTS = (ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor)

__all__ = ["ModelExplainer", "engineered_explainer", "explain_model_rows", "model_explainer",
           "with_fidelity_fields", "with_model_agreement"]


@dataclass(frozen=True)
class ModelExplainer:
    """The explainer of a model taking raw rows, as the search builds and stores it.

    Attributes
    ----------
    explainer : object
        A fitted explainer with ``explain_global`` / ``explain_local``: the model's own (tree,
        linear), a LightGBM mimic, or a :class:`~explain.explainers.BlendExplainer` for an
        ensemble.
    featurizer : object or None
        For a blend, the fitted featurization the explainer's rows go through first (its
        explanations come back raw through the featurization's feature map); ``None`` when the
        explainer takes raw rows itself.
    """

    explainer: Any
    featurizer: Any = None

    def explain(self, rows: pd.DataFrame) -> Explanation:
        """Explain raw ``rows``: local values of each and their global aggregate."""
        features = rows if self.featurizer is None else transform(self.featurizer, rows)
        return self.explainer.explain_global(features)  # type: ignore[no-any-return]


def model_explainer(model: Pipeline, background: pd.DataFrame, *, surrogate_trees: int = 200,
                    random_state: int = 0) -> ModelExplainer:
    """The explainer of a fitted featurization + estimator pipeline (see :func:`explain_model_rows`)."""
    final = model.steps[-1][1]
    if isinstance(final, WeightedEnsemble) and (final.task == "regression" or final._combine == "margin"):
        featurizer = Pipeline(model.steps[:-1]) if len(model.steps) > 2 else model.steps[0][1]
        feature_map = feature_map_from(featurizer, [str(c) for c in background.columns])
        explainer = BlendExplainer(
            final.members, final.weights, transform(featurizer, background),
            model_task=final.task, native_margins=getattr(final, "native_margins_", None),
            transformations=feature_map, classes=getattr(final, "classes_", None),
            surrogate_trees=surrogate_trees, random_state=random_state)
        return ModelExplainer(explainer, featurizer)
    return ModelExplainer(_explainer(model, background, None, surrogate_trees, random_state))


def explain_model_rows(model: Pipeline, background: pd.DataFrame, rows: pd.DataFrame, *,
                       surrogate_trees: int = 200, random_state: int = 0) -> Explanation:
    """Explain ``model`` (featurization + estimator) on ``rows``, raw with engineered inside.

    Tree and linear final estimators get exact TreeSHAP / linear SHAP through the pipeline's
    feature map; a weighted ensemble is explained member by member in its margin space
    (:class:`~explain.explainers.BlendExplainer`); other models (k-nearest neighbours) get a
    LightGBM surrogate trained on the model's output over ``background`` in the engineered
    space, with its held-out agreement and how far its sums are from the model's output.

    Parameters
    ----------
    model : Pipeline
        A fitted featurization + estimator pipeline taking raw rows.
    background : DataFrame
        Raw rows: the linear explainer's reference, or the surrogate's training rows.
    rows : DataFrame
        Raw rows to explain (local values for each, global as their aggregate).
    surrogate_trees : int, default=200
        Trees of the LightGBM surrogates.
    random_state : int, default=0
        Seed of the surrogates.
    """
    explainer = model_explainer(model, background, surrogate_trees=surrogate_trees,
                                random_state=random_state)
    explanation = explainer.explain(rows)
    if explanation.fidelity.is_surrogate:
        explanation = with_model_agreement(explanation, model, rows)
    return explanation


def with_model_agreement(explanation: Explanation, model: Any, rows: pd.DataFrame) -> Explanation:
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


def engineered_explainer(tail: Any, background: Any, feature_map: FeatureMap, *, surrogate_trees: int = 30,
                         random_state: int = 0) -> tuple[Any, Callable[[Any], Any]]:
    """The explainer of a fitted estimator on already-featurized rows (raw through
    ``feature_map``), and the function that takes rows through the estimator's leading steps
    (a one-to-one scaler) before it.

    Used for the cheap per-run explanations: the search has the engineered matrices of each
    fold at hand, so nothing is featurized again; one explainer explains several batches.
    """
    steps = tail.steps[:-1] if isinstance(tail, Pipeline) else []
    model = tail.steps[-1][1] if isinstance(tail, Pipeline) else tail

    def prepare(rows: Any) -> Any:
        for _, step in steps:
            rows = step.transform(rows)
        return rows

    return _explainer(model, prepare(background), feature_map, surrogate_trees, random_state), prepare


def _explainer(model: Any, background: Any, transformations: Any, surrogate_trees: int,
               random_state: int) -> Any:
    """The model's own tree/linear explainer, else a LightGBM mimic (never Kernel SHAP here)."""
    if choose_explainer(model) is not KernelExplainer:
        return TabularExplainer(model, background, transformations=transformations, **_tree_options(model))
    return MimicExplainer(
        model, background, LGBMExplainableModel, transformations=transformations,
        explainable_model_args={"n_estimators": surrogate_trees}, random_state=random_state,
    )


def _tree_options(model: Any) -> dict[str, Any]:
    """shap's own TreeSHAP for a forest of very many leaves.

    The fast algorithm tabulates every leaf once before the first row (about 9 s per million
    leaves; fully grown extra-trees on 30,000 rows have 3 million), then explains a row in
    two thirds of shap's time: the explanations here cover tens to a few thousand rows within
    seconds, where that set-up would not pay back.
    """
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    if not isinstance(final, _FORESTS):
        return {}
    leaves = sum(int(tree.tree_.n_leaves) for tree in final.estimators_)
    return {"algorithm": "native"} if leaves > LARGE_FOREST_LEAVES else {}

"""Explaining a weighted blend of models member by member: exact where the members are.

A blend's output (a classifier's margin — log-odds for two classes — or a regressor's
prediction) is the weighted sum of its members' outputs, so its SHAP values are the weighted
sums of the members' values, and its expected value the weighted sum of theirs. Each member
is explained by its own exact explainer when it has one in that output space (tree ensembles
and linear models whose probabilities are the softmax of the score they explain, see
:mod:`explain.explainers._margins`); any other member's share is explained through a LightGBM
surrogate of its output, whose held-out agreement is recorded. The explanation then says how
much of the blend's weight is exact and checks the values' sums against the blend's own output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.pipeline import Pipeline

from explain._exceptions import ExplanationValueError
from explain._explanation import Explanation
from explain._fidelity import Fidelity
from explain.explainers._linear import LinearExplainer
from explain.explainers._margins import classifier_margins, has_native_margin
from explain.explainers._mimic import MimicExplainer
from explain.explainers._selection import choose_explainer
from explain.explainers._surrogates import LGBMExplainableModel
from explain.explainers._tree import TreeExplainer

__all__ = ["BlendExplainer"]

_EXACT_SPACES = {"classification": ("log_odds",), "regression": ("raw",)}


class _MemberOutput(BaseEstimator, RegressorMixin):
    """One output of a blend member as a regressor, for its surrogate: the log-odds (two classes),
    one class's margin, or the prediction."""

    def __init__(self, member: Any, task: str, native: bool | None, output: int) -> None:
        self.member, self.task, self.native, self.output = member, task, native, output

    def fit(self, X: Any, y: Any = None) -> _MemberOutput:
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def predict(self, X: Any) -> np.ndarray:
        if self.task == "regression":
            return np.asarray(self.member.predict(X), dtype=np.float64)
        margins = classifier_margins(self.member, X, self.native)
        return margins[:, 1] - margins[:, 0] if margins.shape[1] == 2 else margins[:, self.output]


@dataclass
class _Member:
    weight: float
    explainers: list[Any]  # one exact explainer, or one surrogate per output
    exact: bool


class BlendExplainer:
    """Explain ``sum_i weights[i] * output_i(x)`` over fitted ``members`` sharing one input.

    Parameters
    ----------
    members : list of estimators
        Fitted models (or pipelines of a scaler and a model) taking the same engineered rows.
    weights : array-like of shape (n_members,)
        Their non-negative weights.
    initialization_examples : array-like or sparse matrix of shape (n_rows, n_features)
        Engineered background rows: the linear members' reference and the surrogates'
        training rows (rows the members were fitted on are fine here).
    model_task : {"classification", "regression"}
        The members' task; classifiers are blended in margin space.
    native_margins : list of bool, default=None
        Which members' margins are their own scores (see :func:`has_native_margin`); checked
        on the background rows when not given.
    transformations : FeatureMap or fitted featurization, default=None
        Raw -> engineered map: explanations come back in raw columns, engineered inside.
    features : sequence of str, default=None
        Engineered feature names.
    classes : sequence, default=None
        Class labels (classification).
    surrogate_trees : int, default=200
        Trees of each LightGBM surrogate.
    random_state : int, default=0
        Seed of the surrogates.
    """

    method = "blend"

    def __init__(self, members: Sequence[Any], weights: Any, initialization_examples: Any, *,
                 model_task: str, native_margins: Sequence[bool] | None = None,
                 transformations: Any = None, features: Any = None, classes: Any = None,
                 surrogate_trees: int = 200, random_state: int = 0) -> None:
        weights = np.asarray(weights, dtype=np.float64)
        if len(members) == 0 or weights.shape != (len(members),) or not np.all(weights >= 0):
            raise ExplanationValueError(
                f"BlendExplainer: weights must be {len(members)} non-negative numbers, one per member; "
                f"got {weights.tolist()[:5]}.")
        if model_task not in _EXACT_SPACES:
            raise ExplanationValueError(f"BlendExplainer: model_task must be 'classification' or "
                                        f"'regression', got {model_task!r}.")
        self.model_task = model_task
        self.classes = None if classes is None else list(classes)
        if native_margins is None and model_task == "classification":
            native_margins = [has_native_margin(m, initialization_examples[:200]) for m in members]
        self.members_ = [
            self._member(member, float(weight), None if native_margins is None else native_margins[i],
                         initialization_examples, transformations, features, surrogate_trees, random_state)
            for i, (member, weight) in enumerate(zip(members, weights, strict=True))
        ]
        self._blend = (list(members), weights, native_margins)

    def _member(self, member: Any, weight: float, native: bool | None, background: Any,
                transformations: Any, features: Any, trees: int, seed: int) -> _Member:
        common = {"transformations": transformations, "features": features}
        final, leading = member, []
        if isinstance(member, Pipeline):
            final, leading = member.steps[-1][1], [step for _, step in member.steps[:-1]]
        chosen = choose_explainer(final)
        if chosen in (TreeExplainer, LinearExplainer) and (native or self.model_task == "regression"):
            rows = _through(leading, background)
            explainer = chosen(final, rows, classes=self.classes, model_task=self.model_task, **common)
            if explainer.output_space_ in _EXACT_SPACES[self.model_task]:
                return _Member(weight, [(leading, explainer)], exact=True)
        outputs = 1 if self.model_task == "regression" or len(self.classes or [0, 1]) == 2 \
            else len(self.classes or [])
        surrogates: list[tuple[list[Any], Any]] = [
            ([], MimicExplainer(_MemberOutput(member, self.model_task, native, k), background,
                                LGBMExplainableModel, model_task="regression", random_state=seed,
                                explainable_model_args={"n_estimators": trees}, **common))
            for k in range(outputs)
        ]
        return _Member(weight, surrogates, exact=False)

    def explain_global(self, evaluation_examples: Any) -> Explanation:
        """Local values of every row and their global aggregate (see :meth:`explain_local`)."""
        return self.explain_local(evaluation_examples)

    def explain_local(self, evaluation_examples: Any) -> Explanation:
        """Explain each engineered row of ``evaluation_examples``.

        Returns
        -------
        Explanation
            In margin space (``output_space="log_odds"``) for classifiers, the prediction for
            regressors; raw when there are ``transformations``, the engineered one inside.
        """
        parts = [self._member_explanations(member, evaluation_examples) for member in self.members_]
        local: np.ndarray = np.sum([m.weight * values for m, (values, _, _) in zip(self.members_, parts,
                                                                                     strict=True)], axis=0)
        expected: np.ndarray = np.sum([m.weight * base for m, (_, base, _) in zip(self.members_, parts,
                                                                                 strict=True)], axis=0)
        template = parts[0][2]
        engineered = template.engineered_explanation or template
        output = self._blend_output(evaluation_examples)
        error = float(np.max(np.abs(local.sum(axis=2) + expected[:, None] - output)))
        fidelity = self._fidelity(error)
        explanation = Explanation.from_local(
            local, expected, method=self.method, model_task=self.model_task,
            features=engineered.features, classes=self.classes,
            output_space="log_odds" if self.model_task == "classification" else "raw",
            fidelity=fidelity, model_type="WeightedEnsemble")
        if template.feature_map is None:
            return explanation
        raw = explanation.get_raw_explanation(template.feature_map)
        return raw.with_fidelity(fidelity)

    def _member_explanations(self, member: _Member, X: Any) -> tuple[np.ndarray, np.ndarray, Explanation]:
        """The member's engineered local values (outputs, rows, features) and expected values."""
        values, bases, first = [], [], None
        for leading, explainer in member.explainers:
            explanation = explainer.explain_local(_through(leading, X))
            first = first or explanation
            engineered = explanation.engineered_explanation or explanation
            local, base = engineered.local_values, engineered.expected_values_
            assert local is not None and base is not None  # explain_local keeps both
            if self.model_task == "classification" and len(self.classes or [0, 1]) == 2:
                local, base = local[-1:], base[-1:]  # the log-odds of the second class
            values.append(local)
            bases.append(base)
        local, base = np.concatenate(values), np.concatenate(bases)
        if self.model_task == "classification" and local.shape[0] == 1:
            local, base = np.concatenate([-local, local]), np.concatenate([-base, base])
        assert first is not None
        return local, base, first

    def _blend_output(self, X: Any) -> np.ndarray:
        """The blend's own output, shape (outputs, rows): what the values must add up to."""
        members, weights, natives = self._blend
        if self.model_task == "regression":
            return sum(w * np.asarray(m.predict(X), dtype=np.float64)
                       for w, m in zip(weights, members, strict=True))[None, :]
        margin = sum(w * classifier_margins(m, X, None if natives is None else natives[i])
                     for i, (w, m) in enumerate(zip(weights, members, strict=True)))
        if margin.shape[1] == 2:
            log_odds = margin[:, 1] - margin[:, 0]
            return np.vstack([-log_odds, log_odds])
        return margin.T

    def _fidelity(self, error: float) -> Fidelity:
        total = sum(m.weight for m in self.members_)
        inexact = [m for m in self.members_ if not m.exact]
        if not inexact:
            return Fidelity(additivity_error=error, exact=True)
        scores = [e.surrogate_fidelity_ for m in inexact for _, e in m.explainers]
        measured = [f for f in scores if f.surrogate_score is not None]
        worst = min(measured, key=lambda f: f.surrogate_score or 0.0) if measured else Fidelity()
        return Fidelity(exact=False, surrogate_share=sum(m.weight for m in inexact) / total,
                        surrogate_metric=worst.surrogate_metric, surrogate_score=worst.surrogate_score,
                        surrogate_holdout_rows=worst.surrogate_holdout_rows, model_additivity_error=error)


def _through(steps: list[Any], X: Any) -> Any:
    for step in steps:
        X = step.transform(X)
    return X

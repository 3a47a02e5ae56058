"""Scoring a weighted blend of models (an AutoML ensemble) with its member-by-member explanation.

A :class:`~explain.explainers.BlendExplainer` takes engineered rows: the blend's members share
one featurization. :class:`BlendScoringExplainer` featurizes raw rows once (compiled where the
featurization compiles), takes predictions and probabilities from the blended model itself,
and sums its members' local values with their weights, as ``BlendExplainer.explain_local``
does, so the values equal the stored explainer's.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._fidelity import Fidelity
from explain._frames import to_pandas
from explain._labels import LabelMap
from explain._validation import Matrix, column_kinds, to_tabular
from explain.explainers import BlendExplainer
from explain.scoring._explainers import ScoringExplainer
from explain.scoring._inputs import check_policy
from featurization import FeatureMap, feature_map_from

__all__ = ["BlendScoringExplainer"]


class BlendScoringExplainer(ScoringExplainer):
    """A weighted blend of models served with its members' exact (or surrogate) values.

    Parameters
    ----------
    explainer : BlendExplainer
        Fitted, on the blend's engineered rows.
    initialization_examples : DataFrame, default=None
        A few raw rows: their column kinds shape the input schema.
    feature_maps : None
        Not used (the featurization's own map is used).
    featurizer : fitted transformer
        The featurization the raw rows go through first.
    model : object
        The blended model: a ``Pipeline`` ending in it, or the blend itself; its
        ``predict`` / ``predict_proba`` on engineered rows give the predictions.
    fidelity, unknown_categories, compile_featurization
        See :class:`ScoringExplainer`.
    """

    method = "blend"
    accepts = (BlendExplainer,)

    def __init__(self, explainer: Any, initialization_examples: Any = None, feature_maps: Any = None, *,
                 featurizer: Any = None, model: Any = None, fidelity: Fidelity | None = None,
                 unknown_categories: str = "accept", compile_featurization: bool = True) -> None:
        if not isinstance(explainer, BlendExplainer):
            raise ExplanationTypeError(f"BlendScoringExplainer: needs a fitted BlendExplainer, got "
                                       f"{type(explainer).__name__}.")
        if featurizer is None or model is None:
            raise ExplanationValueError("BlendScoringExplainer: needs featurizer= (the fitted featurization "
                                        "the blend's rows go through) and model= (the blended model).")
        self.explainer_: Any = explainer
        self.featurizer_ = featurizer
        self.model_ = model
        self.blend_ = model.steps[-1][1] if hasattr(model, "steps") else model
        self.model_task_ = explainer.model_task
        self.classes_ = None if explainer.classes is None else tuple(explainer.classes)
        inputs = getattr(featurizer, "feature_names_in_", None)
        if inputs is None:
            raise ExplanationValueError("BlendScoringExplainer: the featurizer was not fitted on named "
                                        "columns; its input columns are unknown.")
        self.input_columns_ = tuple(str(c) for c in inputs)
        self.feature_map_: FeatureMap | None = feature_map_from(featurizer, list(self.input_columns_))
        self.features_ = tuple(self.feature_map_.engineered_feature_names)
        self.raw_features_ = tuple(self.feature_map_.raw_feature_names)
        kinds = column_kinds(initialization_examples) if initialization_examples is not None else None
        self.input_schema_ = {c: (kinds or {}).get(c, "number") for c in self.input_columns_}
        self.output_space_ = "log_odds" if self.model_task_ == "classification" else "raw"
        self.unknown_categories = check_policy(unknown_categories, type(self).__name__)
        self.compile_featurization = bool(compile_featurization)
        self.fidelity_ = fidelity if fidelity is not None else self._own_fidelity()
        self._compile()
        _ = self._labels

    def _featurization(self) -> Any:
        return self.featurizer_

    def _own_fidelity(self) -> Fidelity:
        exact = all(member.exact for member in self.explainer_.members_)
        if exact:
            return Fidelity(exact=True)
        return Fidelity(exact=False, surrogate_share=self._surrogate_share())

    def _surrogate_share(self) -> float:
        members = self.explainer_.members_
        return sum(m.weight for m in members if not m.exact) / sum(m.weight for m in members)

    @property
    def takes_missing(self) -> bool:
        """Blends take no NaN (their featurization imputes; not every member would take it)."""
        return False

    def _subset(self) -> np.ndarray | None:
        return None

    def _frame_matrix(self, examples: Any, caller: str, where: str, records: bool = False) -> Matrix:
        frame = to_pandas(examples, argument="evaluation_examples", caller=where)
        if not isinstance(frame, pd.DataFrame):
            raise ExplanationValueError(
                f"{where}: evaluation_examples must be a DataFrame of the raw columns "
                f"{', '.join(self.input_columns_[:5])}, got {type(examples).__name__}.")
        missing = [c for c in self.input_columns_ if c not in frame.columns]
        if missing:
            raise ExplanationValueError(f"{where}: evaluation_examples lacks the raw columns "
                                        f"{', '.join(map(repr, missing[:5]))}.")
        out = self.featurizer_.transform(frame[list(self.input_columns_)])
        matrix = out.to_numpy(dtype=np.float64, na_value=np.nan) if isinstance(out, pd.DataFrame) else out
        return self._engineered(matrix, where)

    def _engineered(self, matrix: Any, where: str) -> Matrix:
        data = to_tabular(matrix, argument="evaluation_examples after transformations", caller=where,
                          allow_nan=False, names=self.features_)
        return data.values

    def _values(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """``BlendExplainer.explain_local``'s sums of weighted member values, engineered."""
        blend = self.explainer_
        parts = [self._member_values(member, X) for member in blend.members_]
        local = sum(m.weight * values for m, (values, _) in zip(blend.members_, parts, strict=True))
        expected = sum(m.weight * base for m, (_, base) in zip(blend.members_, parts, strict=True))
        return np.asarray(local), np.asarray(expected, dtype=np.float64)

    def _member_values(self, member: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
        values, bases = [], []
        binary = self.model_task_ == "classification" and len(self.classes_ or (0, 1)) == 2
        for leading, explainer in member.explainers:
            rows = X
            for step in leading:
                rows = step.transform(rows)
            result = explainer._local_result(explainer._evaluation_matrix(rows, "explain_local"))
            local, base = result.values, np.asarray(result.expected, dtype=np.float64)
            if binary:
                local, base = local[-1:], base[-1:]  # the log-odds of the second class
            values.append(local)
            bases.append(base)
        local, base = np.concatenate(values), np.concatenate(bases)
        if self.model_task_ == "classification" and local.shape[0] == 1:
            local, base = np.concatenate([-local, local]), np.concatenate([-base, base])
        return local, base

    def _explained(self, X: Any, raw: bool) -> tuple[np.ndarray, np.ndarray]:
        values, expected = self._values(X)
        if raw:
            assert self.feature_map_ is not None
            values = self.feature_map_.map_values(values)
        return values, expected

    def _predictions(self, X: Any) -> tuple[np.ndarray, np.ndarray | None]:
        probabilities = None
        if self.model_task_ == "classification":
            probabilities = np.asarray(self.blend_.predict_proba(X), dtype=np.float64)
        return np.asarray(self.blend_.predict(X)), probabilities

    def _probabilities(self, X: Any) -> np.ndarray:
        return np.asarray(self.blend_.predict_proba(X), dtype=np.float64)

    @cached_property
    def _labels(self) -> LabelMap | None:
        if self.model_task_ != "classification" or self.classes_ is None:
            return None
        return LabelMap.create(self.classes_, getattr(self.blend_, "classes_", None),
                               caller=type(self).__name__)

    def _model_labels(self) -> Any:
        return getattr(self.blend_, "classes_", None)

    def _is_function(self) -> bool:
        return False

    def __repr__(self) -> str:
        return (f"BlendScoringExplainer({len(self.explainer_.members_)} members, {self.model_task_}, "
                f"{len(self.input_columns_)} input columns)")

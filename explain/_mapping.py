"""Mapping explanations from engineered to raw features through a :class:`FeatureMap`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from explain._aggregation import aggregate_local
from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._explanation import Explanation
from explain._fidelity import Fidelity
from featurization import FeatureMap, FeaturizationError, feature_map_from

__all__ = ["as_feature_map", "to_raw"]


def as_feature_map(feature_maps: Any, raw_feature_names: Sequence[str] | None,
                   engineered_feature_names: Sequence[str],
                   allow_all_transformations: bool = False) -> FeatureMap:
    """Turn the accepted forms of a feature map into one :class:`FeatureMap`.

    Bare arrays (interpret-community's raw x engineered matrices) are wrapped with
    ``raw_feature_names`` and the explanation's engineered names; lists are composed.
    """
    try:
        return feature_map_from(_wrapped(feature_maps, raw_feature_names, engineered_feature_names),
                                raw_feature_names, allow_all_transformations=allow_all_transformations)
    except FeaturizationError as exc:
        raise ExplanationValueError(f"get_raw_explanation: {exc}") from exc


def _wrapped(feature_maps: Any, raw_feature_names: Sequence[str] | None,
             engineered_feature_names: Sequence[str]) -> Any:
    """Bare matrices as named feature maps (the FeatureMap constructor checks their shapes)."""
    items = feature_maps if isinstance(feature_maps, list) else [feature_maps]
    if items and all(isinstance(m, np.ndarray) or sp.issparse(m) for m in items):
        names_in: Sequence[str] | None = raw_feature_names
        maps = []
        for k, matrix in enumerate(items):
            n_raw, n_out = matrix.shape
            raw = names_in if names_in is not None and len(names_in) == n_raw else [
                f"raw{k}_{i}" if k else f"x{i}" for i in range(n_raw)]
            out = (engineered_feature_names if k == len(items) - 1
                   else [f"step{k}_{j}" for j in range(n_out)])
            maps.append(FeatureMap(raw, out, matrix))
            names_in = None
        return maps
    return feature_maps


def to_raw(explanation: Explanation, feature_maps: Any,
           raw_feature_names: Sequence[str] | None = None) -> Explanation:
    """Map an engineered explanation to raw features.

    Raw local values are the engineered local values summed per raw feature with the map's
    weights, so they still add up to the model output with the same expected values; raw
    global importance is the mean |raw local value| (per class, then over classes), not the
    sum of engineered importances.
    """
    if explanation.is_raw:
        raise ExplanationValueError("get_raw_explanation: this explanation is already raw.")
    fmap = as_feature_map(feature_maps, raw_feature_names, explanation.features)
    if fmap.n_engineered != explanation.num_features:
        raise ExplanationValueError(
            f"get_raw_explanation: the feature map has {fmap.n_engineered} engineered features "
            f"but the explanation has {explanation.num_features}."
        )
    if explanation.local_values is None:
        raise ExplanationTypeError(
            "get_raw_explanation: a global-only explanation cannot be mapped to raw features "
            "(raw importance is the mean |raw local value|, which needs local values); "
            "explain with include_local=True, or pass transformations= to the explainer."
        )
    # row-major and read-only, as the explanation keeps it (no second copy); aggregated in
    # that layout, so global values equal NumPy's mean over the list of local values
    raw_local = np.array(fmap.map_values(explanation.local_values), dtype=np.float64, order="C")
    raw_local.setflags(write=False)
    per_class, global_values = aggregate_local(raw_local)
    return replace(
        explanation,
        features=fmap.raw_feature_names,
        local_values=raw_local,
        interaction_values=raw_interactions(explanation.interaction_values, fmap),
        global_values=global_values,
        per_class_values_=per_class if explanation.is_classification else None,
        is_raw=True,
        fidelity=raw_fidelity(explanation.fidelity),
        engineered_explanation=explanation,
        feature_map=fmap,
    )


def raw_fidelity(fidelity: Fidelity) -> Fidelity:
    """The fidelity of a raw explanation mapped from an engineered one.

    Additivity is unchanged by the mapping; per-value standard errors are given for the
    engineered values only (sums of correlated estimates have no simple error).
    """
    if fidelity.standard_errors is None:
        return fidelity
    note = "standard errors are per engineered feature (see engineered_explanation)"
    return replace(fidelity, standard_errors=None, notes=(*fidelity.notes, note))


def raw_interactions(values: np.ndarray | None, fmap: FeatureMap) -> np.ndarray | None:
    """Interaction values mapped to raw features on both axes: ``M I M^T`` for each row, with
    ``M`` the raw x engineered weights, so each raw row of a matrix still sums to that raw
    feature's local value."""
    if values is None:
        return None
    weights = fmap.to_matrix().toarray()
    return np.einsum("rf,knfg,sg->knrs", weights, values, weights, optimize=True)

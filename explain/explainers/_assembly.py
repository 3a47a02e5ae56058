"""Assembling batches of local values into engineered and raw explanations.

Batches are aggregated as they come, so with ``include_local=False`` nothing but the running
sums is kept. When a feature map is given, each batch is also mapped to raw features before
aggregation: raw global importance is the mean |raw local value|, which cannot be computed
from engineered global importances afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from explain._aggregation import ImportanceAccumulator
from explain._explanation import Explanation
from explain._fidelity import Fidelity
from explain._mapping import raw_fidelity
from featurization import FeatureMap

__all__ = ["LocalResult", "assemble", "with_note"]


@dataclass(frozen=True)
class LocalResult:
    """Local values of a batch as computed by one algorithm.

    Parameters
    ----------
    values : ndarray of shape (n_outputs, n_rows, n_explained)
        Signed local values of the explained features.
    expected : ndarray of shape (n_outputs,)
        Base values.
    additivity : float
        Largest additivity error of the full decomposition in this batch.
    standard_errors : ndarray like ``values``, default=None
        Estimation error (sampled methods).
    exact : bool or None, default=True
        Whether the values are exact Shapley values; ``None`` when neither exact nor sampled
        (an approximation such as DeepLIFT's, or LIME's coefficients).
    """

    values: np.ndarray
    expected: np.ndarray
    additivity: float
    standard_errors: np.ndarray | None = None
    exact: bool | None = True


class _Collector:
    """Running aggregate (and optionally the kept local values) of one feature space."""

    def __init__(self, keep_local: bool) -> None:
        self.keep_local = keep_local
        self.accumulator: ImportanceAccumulator | None = None
        self.locals: list[np.ndarray] = []

    def add(self, values: np.ndarray, weights: np.ndarray | None) -> None:
        if self.accumulator is None:
            self.accumulator = ImportanceAccumulator(values.shape[0], values.shape[2])
        self.accumulator.add(values, weights)
        if self.keep_local:
            self.locals.append(values)

    def fields(self, classification: bool) -> dict[str, Any]:
        assert self.accumulator is not None  # at least one batch: data is never empty
        per_class, global_values = self.accumulator.result()
        return {
            "global_values": global_values,
            "per_class_values_": per_class if classification else None,
            "local_values": np.concatenate(self.locals, axis=1) if self.keep_local else None,
        }


def assemble(batches: Iterable[tuple[LocalResult, np.ndarray | None]], *, include_local: bool,
             meta: dict[str, Any], output_map: FeatureMap | None = None,
             notes: tuple[str, ...] = ()) -> Explanation:
    """Build the explanation from batches of ``(LocalResult, row weights or None)``.

    Parameters
    ----------
    batches : iterable of (LocalResult, ndarray or None)
        Local values of consecutive row batches.
    include_local : bool
        Keep the local values.
    meta : dict
        The remaining :class:`Explanation` fields (method, model_task, features, classes,
        output_space, num_examples, model_type).
    output_map : FeatureMap, default=None
        Raw -> explained-engineered map; when given the raw explanation is returned, with
        the engineered one as its ``engineered_explanation``.
    notes : tuple of str
        Notes for the fidelity record.
    """
    engineered, raw = _Collector(include_local), _Collector(include_local)
    stderrs: list[np.ndarray] = []
    additivity, max_stderr, expected = 0.0, None, None
    exact: bool | None = True
    for result, weights in batches:
        engineered.add(result.values, weights)
        if output_map is not None:
            raw.add(output_map.map_values(result.values), weights)
        additivity = max(additivity, result.additivity)
        exact = None if exact is None or result.exact is None else exact and result.exact
        expected = result.expected
        if result.standard_errors is not None:
            batch_max = float(result.standard_errors.max(initial=0.0))
            max_stderr = batch_max if max_stderr is None else max(max_stderr, batch_max)
            if include_local:
                stderrs.append(result.standard_errors)
    fidelity = Fidelity(
        additivity_error=additivity, exact=exact, max_standard_error=max_stderr, notes=notes,
        standard_errors=np.concatenate(stderrs, axis=1) if stderrs else None,
    )
    classification = meta["model_task"] == "classification"
    explanation = Explanation(expected_values_=expected, fidelity=fidelity,
                              **engineered.fields(classification), **meta)
    if output_map is None:
        return explanation
    return Explanation(
        expected_values_=expected, fidelity=raw_fidelity(fidelity), is_raw=True,
        engineered_explanation=explanation, feature_map=output_map,
        **raw.fields(classification), **{**meta, "features": output_map.raw_feature_names},
    )


def with_note(explanation: Explanation, note: str) -> Explanation:
    """``explanation`` (and its engineered explanation) with ``note`` added to the fidelity."""
    from dataclasses import replace

    def noted(fidelity: Fidelity) -> Fidelity:
        return replace(fidelity, notes=(*fidelity.notes, note))

    engineered = explanation.engineered_explanation
    if engineered is not None:
        explanation = replace(explanation, engineered_explanation=engineered.with_fidelity(
            noted(engineered.fidelity)))
    return explanation.with_fidelity(noted(explanation.fidelity))

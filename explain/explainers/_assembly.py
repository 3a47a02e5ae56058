"""Assembling batches of local values into engineered and raw explanations.

Each chunk of rows is reduced to a :class:`BatchSummary` where it was computed (its
``|value|`` sums, and its local values only when they are kept); summaries are merged in
row order as they come, so with ``include_local=False`` nothing but the running sums is
kept. When a feature map is given, each batch is also mapped to raw features before
aggregation: raw global importance is the mean |raw local value|, which cannot be computed
from engineered global importances afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from explain._aggregation import ImportanceAccumulator, absolute_sums
from explain._explanation import Explanation
from explain._fidelity import Fidelity
from explain._mapping import raw_fidelity
from featurization import FeatureMap

__all__ = ["BatchSummary", "LocalResult", "assemble", "binary_expand", "summarize", "with_note"]


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
    fit_scores : ndarray of shape (n_rows,), default=None
        Quality (weighted R²) of per-row local surrogate fits (LIME); summarized in the
        fidelity notes. Carried on the result rather than kept on the explainer, so that
        chunks computed in other threads or processes report it too.
    """

    values: np.ndarray
    expected: np.ndarray
    additivity: float
    standard_errors: np.ndarray | None = None
    exact: bool | None = True
    fit_scores: np.ndarray | None = None


@dataclass(frozen=True)
class BatchSummary:
    """What one chunk of rows contributes to an explanation.

    Built by :func:`summarize` where the chunk was computed (a worker thread or a Dask
    worker): with ``keep_local=False`` it holds ``(n_outputs, n_features)`` sums only, so the
    chunks in flight cost little memory and little transfer.
    """

    n_rows: int
    sums: np.ndarray
    weight: float
    raw_sums: np.ndarray | None
    expected: np.ndarray
    additivity: float
    exact: bool | None
    max_standard_error: float | None
    values: np.ndarray | None = None
    raw_values: np.ndarray | None = None
    standard_errors: np.ndarray | None = None
    fit_scores: np.ndarray | None = None


def summarize(result: LocalResult, weights: np.ndarray | None, *, output_map: FeatureMap | None,
              keep_local: bool) -> BatchSummary:
    """Reduce one chunk's :class:`LocalResult` to its :class:`BatchSummary`.

    Parameters
    ----------
    result : LocalResult
        The chunk's local values.
    weights : ndarray of shape (n_rows,) or None
        Row weights of the chunk (from sampling).
    output_map : FeatureMap or None
        Raw -> explained-engineered map; raw values are mapped here, chunk by chunk.
    keep_local : bool
        Keep the local values (and standard errors) on the summary.
    """
    raw = None if output_map is None else output_map.map_values(result.values)
    sums, weight = absolute_sums(result.values, weights)
    stderr = result.standard_errors
    return BatchSummary(
        n_rows=int(result.values.shape[1]), sums=sums, weight=weight,
        raw_sums=None if raw is None else absolute_sums(raw, weights)[0],
        expected=result.expected, additivity=result.additivity, exact=result.exact,
        max_standard_error=None if stderr is None else float(stderr.max(initial=0.0)),
        values=result.values if keep_local else None,
        raw_values=raw if keep_local else None,
        standard_errors=stderr if keep_local else None,
        fit_scores=result.fit_scores,
    )


class _Collector:
    """Running aggregate (and optionally the kept local values) of one feature space."""

    def __init__(self) -> None:
        self.accumulator: ImportanceAccumulator | None = None
        self.locals: list[np.ndarray] = []

    def add(self, sums: np.ndarray, weight: float, values: np.ndarray | None) -> None:
        if self.accumulator is None:
            self.accumulator = ImportanceAccumulator(*sums.shape)
        self.accumulator.add_sums(sums, weight)
        if values is not None:
            self.locals.append(values)

    def fields(self, classification: bool, keep_local: bool) -> dict[str, Any]:
        assert self.accumulator is not None  # at least one batch: data is never empty
        per_class, global_values = self.accumulator.result()
        return {
            "global_values": global_values,
            "per_class_values_": per_class if classification else None,
            "local_values": _joined(self.locals) if keep_local else None,
        }


def _joined(blocks: list[np.ndarray]) -> np.ndarray:
    """Blocks joined along rows, read-only so that :class:`Explanation` need not copy them."""
    out = blocks[0] if len(blocks) == 1 else np.concatenate(blocks, axis=1)
    if out.dtype != np.float64 or not out.flags.c_contiguous or not out.flags.owndata:
        out = np.array(out, dtype=np.float64, order="C")  # a view of a subclass' array: own it
    out.setflags(write=False)
    return out


def _fit_note(scores: list[np.ndarray]) -> tuple[str, ...]:
    if not scores:
        return ()
    joined = np.concatenate(scores)
    return (f"local surrogate fits: weighted R² mean {joined.mean():.3f} (min {joined.min():.3f})",)


def assemble(batches: Iterable[BatchSummary], *, include_local: bool,
             meta: dict[str, Any], output_map: FeatureMap | None = None,
             notes: tuple[str, ...] = (),
             sampling: tuple[int, str] | None = None) -> Explanation:
    """Build the explanation from the summaries of consecutive row chunks, in row order.

    Parameters
    ----------
    batches : iterable of BatchSummary
        Summaries of consecutive row chunks (see :func:`summarize`); consumed one at a time.
    include_local : bool
        Keep the local values (the summaries must then hold them).
    meta : dict
        The remaining :class:`Explanation` fields (method, model_task, features, classes,
        output_space, model_type; num_examples defaults to the rows summarized).
    output_map : FeatureMap, default=None
        Raw -> explained-engineered map; when given the raw explanation is returned, with
        the engineered one as its ``engineered_explanation``.
    notes : tuple of str
        Notes for the fidelity record.
    sampling : (int, str), default=None
        When the rows are a sample: how many rows they were drawn from, and how.
    """
    engineered, raw = _Collector(), _Collector()
    stderrs: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    additivity, max_stderr, expected, n_rows = 0.0, None, None, 0
    exact: bool | None = True
    for batch in batches:
        n_rows += batch.n_rows
        engineered.add(batch.sums, batch.weight, batch.values)
        if output_map is not None and batch.raw_sums is not None:
            raw.add(batch.raw_sums, batch.weight, batch.raw_values)
        additivity = max(additivity, batch.additivity)
        exact = None if exact is None or batch.exact is None else exact and batch.exact
        expected = batch.expected
        if batch.max_standard_error is not None:
            max_stderr = (batch.max_standard_error if max_stderr is None
                          else max(max_stderr, batch.max_standard_error))
        if batch.standard_errors is not None:
            stderrs.append(batch.standard_errors)
        if batch.fit_scores is not None:
            scores.append(batch.fit_scores)
    fidelity = Fidelity(
        additivity_error=additivity, exact=exact, max_standard_error=max_stderr,
        notes=(*notes, *_fit_note(scores)),
        sampled_from=None if sampling is None else sampling[0],
        sampling_method=None if sampling is None else sampling[1],
        standard_errors=_joined(stderrs) if include_local and stderrs else None,
    )
    classification = meta["model_task"] == "classification"
    meta = {"num_examples": n_rows, **meta}
    explanation = Explanation(expected_values_=expected, fidelity=fidelity,
                              **engineered.fields(classification, include_local), **meta)
    if output_map is None:
        return explanation
    return Explanation(
        expected_values_=expected, fidelity=raw_fidelity(fidelity), is_raw=True,
        engineered_explanation=explanation, feature_map=output_map,
        **raw.fields(classification, include_local),
        **{**meta, "features": output_map.raw_feature_names},
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


def binary_expand(result: LocalResult) -> LocalResult:
    """Turn one log-odds/margin output into two symmetric class outputs, as users expect."""
    stderr = result.standard_errors
    values = np.empty((2, *result.values.shape[1:]), dtype=np.float64)
    np.negative(result.values[0], out=values[0])  # written in place: no temporary copies
    values[1] = result.values[0]
    return LocalResult(
        values=values,
        expected=np.concatenate([-result.expected, result.expected]),
        additivity=result.additivity,
        standard_errors=None if stderr is None else np.concatenate([stderr, stderr]),
        exact=result.exact, fit_scores=result.fit_scores,
    )

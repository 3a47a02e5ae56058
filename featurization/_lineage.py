"""Reading a :class:`FeatureMap` off fitted transformers: which inputs produced which outputs.

Lineage is read from what the fitted objects record (``ColumnTransformer.output_indices_``,
``OneHotEncoder.categories_`` / ``drop_idx_`` / ``infrequent_categories_``,
``SimpleImputer.indicator_``, selectors' ``get_support()``, skrub's ``input_to_outputs_``),
not guessed from output names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import OneToOneFeatureMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import SelectorMixin
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer, KBinsDiscretizer, OneHotEncoder

from featurization._exceptions import (
    FeaturizationTypeError,
    FeaturizationValueError,
    UnsupportedTransformationError,
)
from featurization._feature_map import FeatureMap

__all__ = ["column_transformer_map", "names_outputs", "resolve_columns", "step_map"]


def _names_out(transformer: Any, inputs: Sequence[str], n_outputs: int | None = None) -> list[str]:
    """The transformer's output names; when it names none (no ``get_feature_names_out``, or a
    ``FunctionTransformer`` without ``feature_names_out``) but its number of outputs is known
    (``n_outputs``, read off a ``ColumnTransformer``'s ``output_indices_``), generated names:
    ``"<input>"`` / ``"<input>_<j>"`` for one input, ``"<Transformer>_<j>"`` for several."""
    if n_outputs is not None and not names_outputs(transformer):
        if len(inputs) == 1:
            return [inputs[0]] if n_outputs == 1 else [f"{inputs[0]}_{j}" for j in range(n_outputs)]
        return [f"{type(transformer).__name__}_{j}" for j in range(n_outputs)]
    if not hasattr(transformer, "get_feature_names_out"):
        raise FeaturizationTypeError(
            f"{type(transformer).__name__} has no get_feature_names_out, so its outputs cannot "
            "be traced to its inputs; wrap it in a transformer that has one."
        )
    try:
        return [str(n) for n in transformer.get_feature_names_out(list(inputs))]
    except (TypeError, ValueError, AttributeError):
        return [str(n) for n in transformer.get_feature_names_out()]


def names_outputs(transformer: Any) -> bool:
    """Whether ``transformer`` can name its outputs (``get_feature_names_out`` works)."""
    if isinstance(transformer, FunctionTransformer):
        return transformer.func is None or transformer.feature_names_out is not None
    if isinstance(transformer, Pipeline):
        return all(names_outputs(step) for _, step in transformer.steps
                   if not (step is None or (isinstance(step, str) and step == "passthrough")))
    return hasattr(transformer, "get_feature_names_out")


def _per_input(inputs: Sequence[str], outputs: Sequence[str], counts: Sequence[int]) -> FeatureMap:
    """Outputs in consecutive blocks, ``counts[i]`` of them produced by input ``i``."""
    owner = np.repeat(np.arange(len(inputs)), counts)
    if owner.size != len(outputs):
        raise FeaturizationValueError(
            f"lineage: expected {owner.size} outputs from {len(inputs)} inputs, found {len(outputs)}."
        )
    matrix = sp.csr_matrix((np.ones(owner.size), (owner, np.arange(owner.size))),
                           shape=(len(inputs), len(outputs)))
    return FeatureMap(inputs, outputs, matrix)


def _selected(inputs: Sequence[str], outputs: Sequence[str], kept: np.ndarray) -> FeatureMap:
    matrix = sp.csr_matrix((np.ones(kept.size), (kept, np.arange(kept.size))),
                           shape=(len(inputs), len(outputs)))
    return FeatureMap(inputs, outputs, matrix)


def _one_hot_counts(encoder: OneHotEncoder) -> list[int]:
    counts = []
    drop = getattr(encoder, "drop_idx_", None)
    infrequent = getattr(encoder, "infrequent_categories_", None)
    for i, categories in enumerate(encoder.categories_):
        n = len(categories)
        if infrequent is not None and infrequent[i] is not None:
            n -= len(infrequent[i]) - 1
        if drop is not None and drop[i] is not None:
            n -= 1
        counts.append(n)
    return counts


def _imputer_map(imputer: SimpleImputer, inputs: Sequence[str], outputs: list[str]) -> FeatureMap:
    # scikit-learn drops the features whose statistic is NaN, also in object arrays
    # (most_frequent / constant on strings), unless keep_empty_features is set.
    empty = [isinstance(s, float | np.floating) and bool(np.isnan(s)) for s in imputer.statistics_]
    keep_all = getattr(imputer, "keep_empty_features", False)
    kept = np.arange(len(inputs)) if keep_all else np.flatnonzero(~np.asarray(empty, dtype=bool))
    indicator = getattr(imputer, "indicator_", None)
    if indicator is not None:
        kept = np.concatenate([kept, np.asarray(indicator.features_)])
    return _selected(inputs, outputs, kept)


def step_map(transformer: Any, inputs: Sequence[str], *,
             allow_all_transformations: bool = False, n_outputs: int | None = None) -> FeatureMap:
    """The map from a fitted transformer's inputs (named ``inputs``) to its outputs.

    Parameters
    ----------
    transformer : fitted transformer, "passthrough", "drop" or None
        The step.
    inputs : sequence of str
        Names of the columns the step received.
    allow_all_transformations : bool, default=False
        Accept transformers that mix several inputs into several outputs, splitting each
        output evenly over the inputs; otherwise they are refused.
    n_outputs : int, default=None
        The step's number of outputs when known from elsewhere (a ``ColumnTransformer``'s
        ``output_indices_``): then a last step that cannot name its outputs (a
        ``FunctionTransformer`` of a function, a custom transformer) is traced by count, as
        one-to-many from a single input or many-to-many (``allow_all_transformations``).
    """
    inputs = [str(i) for i in inputs]
    if transformer is None or (isinstance(transformer, str) and transformer == "passthrough"):
        return FeatureMap.identity(inputs)
    if isinstance(transformer, str) and transformer == "drop":
        return FeatureMap(inputs, [], sp.csr_matrix((len(inputs), 0)))
    if isinstance(transformer, Pipeline):
        return _pipeline_map(transformer, inputs, allow_all_transformations, n_outputs)
    if isinstance(transformer, ColumnTransformer):
        return column_transformer_map(transformer, inputs,
                                      allow_all_transformations=allow_all_transformations)
    if isinstance(transformer, FeatureUnion):
        return _union_map(transformer, inputs, allow_all_transformations)
    if hasattr(transformer, "feature_map_"):  # the library's own AutoFeaturizer
        return _renamed_inputs(transformer.feature_map_, inputs)
    if hasattr(transformer, "input_to_outputs_"):  # skrub's TableVectorizer
        outputs = _names_out(transformer, inputs)
        return FeatureMap.from_groups(inputs, transformer.input_to_outputs_, outputs)
    return _leaf_map(transformer, inputs, allow_all_transformations, n_outputs)


def _leaf_map(transformer: Any, inputs: list[str], allow_all: bool,
              n_outputs: int | None = None) -> FeatureMap:
    outputs = _names_out(transformer, inputs, n_outputs)
    if isinstance(transformer, OneHotEncoder):
        return _per_input(inputs, outputs, _one_hot_counts(transformer))
    if isinstance(transformer, KBinsDiscretizer):
        ordinal = transformer.encode == "ordinal"
        return _per_input(inputs, outputs, [1 if ordinal else int(n) for n in transformer.n_bins_])
    if isinstance(transformer, SimpleImputer):
        return _imputer_map(transformer, inputs, outputs)
    if isinstance(transformer, MissingIndicator):
        return _selected(inputs, outputs, np.asarray(transformer.features_))
    if isinstance(transformer, SelectorMixin):
        return _selected(inputs, outputs, np.flatnonzero(transformer.get_support()))
    one_to_one = isinstance(transformer, OneToOneFeatureMixin) or (
        isinstance(transformer, FunctionTransformer)
        and (transformer.func is None or transformer.feature_names_out == "one-to-one")
    )
    if one_to_one and len(outputs) == len(inputs):
        return FeatureMap(inputs, outputs, sp.identity(len(inputs), format="csr"))
    if len(inputs) == 1:
        return FeatureMap.from_groups(inputs, {inputs[0]: outputs}, outputs)
    if not allow_all:
        raise UnsupportedTransformationError(
            f"{type(transformer).__name__} turns {len(inputs)} input columns "
            f"({', '.join(inputs[:5])}{', ...' if len(inputs) > 5 else ''}) into {len(outputs)} "
            "outputs that each depend on several inputs, so their importance cannot be traced "
            "to one raw column. Pass allow_all_transformations=True to split each output "
            "evenly over its inputs."
        )
    even = np.full((len(inputs), len(outputs)), 1.0 / len(inputs))
    return FeatureMap(inputs, outputs, even)


def _pipeline_map(pipeline: Pipeline, inputs: list[str], allow_all: bool,
                  n_outputs: int | None = None) -> FeatureMap:
    current = FeatureMap.identity(inputs)
    steps = [step for _, step in pipeline.steps
             if not (step is None or (isinstance(step, str) and step == "passthrough"))]
    for i, step in enumerate(steps):
        last = n_outputs if i == len(steps) - 1 else None  # only the last step's count is known
        nxt = step_map(step, current.engineered_feature_names, allow_all_transformations=allow_all,
                       n_outputs=last)
        current = current.compose(nxt)
    return current


def _union_map(union: FeatureUnion, inputs: list[str], allow_all: bool) -> FeatureMap:
    blocks: list[Any] = []
    names: list[str] = []
    for name, transformer in union.transformer_list:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        part = step_map(transformer, inputs, allow_all_transformations=allow_all)
        blocks.append(part.to_matrix())
        prefix = f"{name}__" if getattr(union, "verbose_feature_names_out", True) else ""
        names.extend(prefix + n for n in part.engineered_feature_names)
    return FeatureMap(inputs, names, sp.hstack(blocks, format="csr"))


def _renamed_inputs(fmap: FeatureMap, inputs: list[str]) -> FeatureMap:
    if len(inputs) != fmap.n_raw:
        raise FeaturizationValueError(
            f"lineage: a featurizer fitted on {fmap.n_raw} columns received {len(inputs)}."
        )
    return FeatureMap(inputs, fmap.engineered_feature_names, fmap.to_matrix())


def resolve_columns(columns: Any, all_names: Sequence[str]) -> list[int]:
    """Indices into ``all_names`` of a ColumnTransformer column selection."""
    names = list(all_names)
    if callable(columns):
        raise FeaturizationTypeError("lineage: an unfitted column selector cannot be resolved.")
    if isinstance(columns, slice):
        if isinstance(columns.start, str) or isinstance(columns.stop, str):  # label slice, end included
            start = None if columns.start is None else resolve_columns(columns.start, names)[0]
            stop = None if columns.stop is None else resolve_columns(columns.stop, names)[0] + 1
            columns = slice(start, stop, columns.step)
        return list(range(len(names)))[columns]
    items = [columns] if isinstance(columns, str | int | np.integer) else list(columns)
    if items and all(isinstance(c, bool | np.bool_) for c in items):
        return [i for i, keep in enumerate(items) if keep]
    out = []
    for item in items:
        if isinstance(item, str):
            if item not in names:
                raise FeaturizationValueError(f"lineage: unknown column {item!r}.")
            out.append(names.index(item))
        else:
            out.append(int(item))
    return out


def column_transformer_map(transformer: ColumnTransformer, inputs: Sequence[str] | None = None, *,
                           allow_all_transformations: bool = False) -> FeatureMap:
    """The map of a fitted ``ColumnTransformer``, from its input columns to its outputs."""
    if not hasattr(transformer, "transformers_"):
        raise FeaturizationValueError("lineage: the ColumnTransformer is not fitted.")
    if inputs is None:
        inputs = [str(n) for n in getattr(transformer, "feature_names_in_",
                                          [f"x{i}" for i in range(transformer.n_features_in_)])]
    inputs = list(inputs)
    n_total = max((block.stop for block in transformer.output_indices_.values()), default=0)
    named = all(names_outputs(step) for _, step, _ in transformer.transformers_
                if not (isinstance(step, str) and step in ("drop", "passthrough")))
    # named after ``inputs`` if fitted without names; when a step cannot name its outputs,
    # "<transformer>__<output>" from the traced parts, as ColumnTransformer names them
    outputs = _names_out(transformer, inputs) if named else [""] * n_total
    matrix = sp.lil_matrix((len(inputs), len(outputs)))
    for name, step, columns in transformer.transformers_:
        block = transformer.output_indices_[name]
        if block.stop <= block.start:
            continue
        index = resolve_columns(columns, inputs)
        part = step_map(step, [inputs[i] for i in index],
                        allow_all_transformations=allow_all_transformations,
                        n_outputs=block.stop - block.start)
        if not named:
            prefix = f"{name}__" if transformer.verbose_feature_names_out else ""
            outputs[block.start:block.stop] = [prefix + n for n in part.engineered_feature_names]
        if part.n_engineered != block.stop - block.start:
            raise FeaturizationValueError(
                f"lineage: transformer {name!r} has {part.n_engineered} traced outputs but "
                f"occupies {block.stop - block.start} output columns."
            )
        weights = part.to_matrix().tocoo()
        for r, c, w in zip(weights.row, weights.col, weights.data, strict=True):
            matrix[index[r], block.start + c] += w
    return FeatureMap(inputs, outputs, matrix.tocsr())

"""Raw input: validating the user's raw columns and turning them into engineered data.

When an explainer is given ``transformations=`` (or a model that is a featurization +
estimator ``Pipeline``), users pass raw data; this module checks it against the raw columns
seen at set-up, applies the fitted featurization, and holds the raw -> engineered
:class:`~featurization.FeatureMap` the explanation is mapped back through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.pipeline import Pipeline

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._frames import check_column_names, to_pandas
from explain._validation import check_features_argument, parse_numbers
from featurization import (
    ColumnMapper,
    FeatureMap,
    FeaturizationError,
    as_transformer,
    feature_map_from,
)

__all__ = ["RawInput", "RawRows", "maps_only", "split_pipeline"]


def split_pipeline(model: Any, allow_all_transformations: bool) -> tuple[Any, Pipeline | None]:
    """Split a fitted featurization + estimator ``Pipeline`` into its estimator and featurizer.

    Returns ``(model, None)`` when ``model`` is not such a pipeline, or when its featurizing
    steps cannot be traced to raw columns (then the pipeline is explained as a black box).
    """
    if not isinstance(model, Pipeline) or len(model.steps) < 2:
        return model, None
    featurizer = model[:-1]
    try:
        feature_map_from(featurizer, _pipeline_inputs(featurizer),
                         allow_all_transformations=allow_all_transformations)
    except FeaturizationError:
        return model, None
    return model[-1], featurizer


def _pipeline_inputs(featurizer: Pipeline) -> list[str] | None:
    names = getattr(featurizer, "feature_names_in_", None)
    if names is None:
        n = getattr(featurizer[0], "n_features_in_", None)
        return None if n is None else [f"x{i}" for i in range(int(n))]
    return [str(n) for n in names]


class RawInput:
    """The raw side of an explainer with transformations.

    Parameters
    ----------
    transformations : object or list
        Fitted featurization steps applied in order (each a form
        :func:`featurization.feature_map_from` reads), or feature maps only.
    raw_example : array-like or DataFrame
        Raw initialization rows, defining the raw columns.
    features : sequence of str, default=None
        Raw feature names (positional), overriding the column names.
    allow_all_transformations : bool
        See :func:`featurization.feature_map_from`.
    caller : str
        For error messages.
    """

    def __init__(self, transformations: Sequence[Any], raw_example: Any, features: Any,
                 allow_all_transformations: bool, caller: str) -> None:
        self.caller = caller
        self.steps = [as_transformer(t) for t in transformations]
        if raw_example is None:
            raise ExplanationValueError(f"{caller}: transformations need initialization_examples.")
        frame = self._as_frame(raw_example, None, "initialization_examples")
        self.columns = tuple(str(c) for c in frame.columns)
        self.numeric = frozenset(str(name) for name, dtype in frame.dtypes.items()
                                 if pd.api.types.is_numeric_dtype(dtype)
                                 and not pd.api.types.is_bool_dtype(dtype))
        self.names = check_features_argument(features, len(self.columns), caller) or self.columns
        self.feature_map = self._chain_map(transformations, allow_all_transformations, frame.iloc[:5])

    @property
    def can_transform(self) -> bool:
        """Whether raw data can be transformed (feature maps alone cannot)."""
        return all(step is not None for step in self.steps)

    def _chain_map(self, transformations: Sequence[Any], allow_all: bool,
                   example: pd.DataFrame) -> FeatureMap:
        """The raw -> engineered map; ``example`` (raw rows) counts the outputs of a
        ``(columns, transformer)`` list's transformers that cannot name them."""
        names: Sequence[str] | None = list(self.columns)
        chain: FeatureMap | None = None
        for i, transformation in enumerate(transformations):
            try:
                part = feature_map_from(transformation, names, allow_all_transformations=allow_all,
                                        example=example if i == 0 else None)
            except FeaturizationError as exc:
                raise ExplanationValueError(f"{self.caller}: transformations: {exc}") from exc
            chain = part if chain is None else chain.compose(part)
            names = list(part.engineered_feature_names)
        assert chain is not None  # transformations is non-empty
        return FeatureMap(self.names, chain.engineered_feature_names, chain.to_matrix())

    def _as_frame(self, data: Any, columns: tuple[str, ...] | None, argument: str) -> pd.DataFrame:
        where = f"{self.caller}: {argument}"
        data = to_pandas(data, argument=argument, caller=self.caller)
        if isinstance(data, pd.DataFrame):
            check_column_names(data.columns, argument=argument, caller=self.caller)
            frame = data
        elif isinstance(data, np.ndarray) and data.ndim == 2 and data.dtype.kind in "biuf":
            names = columns or tuple(f"x{i}" for i in range(data.shape[1]))
            if len(names) != data.shape[1]:
                raise ExplanationValueError(
                    f"{where} has {data.shape[1]} columns but the explainer was set up with "
                    f"{len(names)} raw columns."
                )
            frame = pd.DataFrame(data, columns=list(names))  # numbers: one block, no object detour
        elif isinstance(data, np.ndarray | list):
            array = np.asarray(data, dtype=object)
            if array.ndim != 2:
                raise ExplanationValueError(f"{where} must be 2-D (rows x columns), got shape {array.shape}.")
            names = columns or tuple(f"x{i}" for i in range(array.shape[1]))
            if len(names) != array.shape[1]:
                raise ExplanationValueError(
                    f"{where} has {array.shape[1]} columns but the explainer was set up with "
                    f"{len(names)} raw columns."
                )
            frame = pd.DataFrame(array, columns=list(names)).infer_objects()
        else:
            raise ExplanationTypeError(
                f"{where} must be a DataFrame or a 2-D array of raw rows, got {type(data).__name__}."
            )
        if frame.shape[0] == 0 or frame.shape[1] == 0:
            raise ExplanationValueError(f"{where} is empty (shape {frame.shape}).")
        return frame

    def check(self, data: Any, argument: str) -> pd.DataFrame:
        """Validate raw rows against the raw columns; return them as a DataFrame in order."""
        frame = self._as_frame(data, self.columns, argument)
        columns = [str(c) for c in frame.columns]
        given, known = set(columns), set(self.columns)  # sets: wide data has thousands of columns
        missing = [c for c in self.columns if c not in given]
        unknown = [c for c in columns if c not in known]
        if missing or unknown:
            parts = [f"{label}: {', '.join(map(repr, names[:5]))}"
                     for label, names in (("missing", missing), ("unknown", unknown)) if names]
            raise ExplanationValueError(
                f"{self.caller}: {argument} columns do not match the raw columns the explainer "
                f"was set up with; {'; '.join(parts)}."
            )
        if columns == list(self.columns):
            frame = frame if list(frame.columns) == columns else frame.set_axis(columns, axis=1)
        else:
            frame = frame.set_axis(columns, axis=1)[list(self.columns)]
        return self._numeric(frame, argument)

    def _numeric(self, frame: pd.DataFrame, argument: str) -> pd.DataFrame:
        """Columns that were numbers at set-up as numbers again: numbers written as text are
        read, anything else refused (a featurizer would silently turn it into NaN); infinite
        values are refused naming their column."""
        where = f"{self.caller}: {argument}"
        dtypes = dict(zip(frame.columns, frame.dtypes, strict=True))  # no per-column Series
        texts = [c for c in self.numeric if not pd.api.types.is_numeric_dtype(dtypes[c])]
        parsed: dict[str, np.ndarray] = {}
        refused = []
        for name in sorted(texts, key=self.columns.index):
            numbers, example = parse_numbers(frame[name])
            if numbers is None:
                refused.append(f"{name!r} (e.g. {example!r})")
            else:
                parsed[name] = numbers
        if refused:
            raise ExplanationValueError(
                f"{where}: columns that held numbers at set-up hold other values: "
                f"{', '.join(refused[:5])}; pass numbers (or numbers written as text) in them.")
        if parsed:
            frame = frame.assign(**parsed)
            dtypes = dict(zip(frame.columns, frame.dtypes, strict=True))
        infinite = _infinite(frame, [c for c in self.columns if c in self.numeric and dtypes[c].kind == "f"])
        if infinite:
            raise ExplanationValueError(
                f"{where} contains infinite values in {', '.join(map(repr, infinite[:5]))}; replace them "
                "with finite numbers (or NaN, if the featurization imputes missing values).")
        return frame

    def transform(self, data: Any, argument: str) -> Any:
        """Validate raw rows and featurize them."""
        frame = self.check(data, argument)
        out: Any = frame
        first = self.steps[0]
        if (first is not None and not isinstance(first, ColumnMapper)
                and getattr(first, "feature_names_in_", None) is None
                and getattr(first, "n_features_in_", None) is not None):
            out = frame.to_numpy()  # fitted on an array: names would only draw scikit-learn's warning
        for step in self.steps:
            if step is None:
                raise ExplanationValueError(
                    f"{self.caller}: transformations hold feature maps only, so raw data cannot be "
                    "featurized; pass engineered data, or the fitted transformations themselves."
                )
            try:
                out = step.transform(out)
            except (ValueError, TypeError, KeyError) as exc:
                raise ExplanationValueError(
                    f"{self.caller}: the transformations failed on {argument}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        return out.to_numpy(dtype=np.float64, na_value=np.nan) if isinstance(out, pd.DataFrame) else out

    def subset_map(self, engineered_index: np.ndarray | None) -> FeatureMap:
        """The feature map restricted to the explained engineered features."""
        if engineered_index is None:
            return self.feature_map
        matrix = self.feature_map.to_matrix()[:, engineered_index]
        names = [self.feature_map.engineered_feature_names[i] for i in engineered_index]
        return FeatureMap(self.names, names, matrix)


def _infinite(frame: pd.DataFrame, columns: list[str], batch: int = 1024) -> list[str]:
    """The ``columns`` holding an infinite value, read ``batch`` columns at a time (wide
    frames have thousands; one Series each would dominate a chunk's validation)."""
    found: list[str] = []
    for start in range(0, len(columns), batch):
        names = columns[start:start + batch]
        hits = np.isinf(frame[names].to_numpy(dtype=np.float64, na_value=np.nan)).any(axis=0)
        found.extend(name for name, hit in zip(names, hits, strict=True) if hit)
    return found


@dataclass(frozen=True)
class RawRows:
    """Raw rows whose columns were checked; featurized chunk by chunk, so that memory stays
    flat (the featurized matrix of all rows is never built)."""

    frame: pd.DataFrame
    method: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.frame.shape

    def __getitem__(self, rows: slice) -> RawRows:
        return RawRows(self.frame.iloc[rows], self.method)


def maps_only(transformations: Any) -> bool:
    """Whether ``transformations`` is a feature map (or list of them), which cannot transform."""
    items = transformations if isinstance(transformations, list) else [transformations]
    return bool(items) and all(
        isinstance(m, FeatureMap | np.ndarray) or sp.issparse(m) for m in items
    )

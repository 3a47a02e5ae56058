"""Compiled transforms of one raw column of a fitted skrub ``TableVectorizer``.

Each plan reads the fitted objects of its column (``TableVectorizer.all_processing_steps_``)
and applies what they do to a few values given as a Python list, without the data-frame
machinery around them (which costs tens of milliseconds per row for a wide table):

* :class:`NumberPlan` -- numbers, integers and booleans cast to float32 (``ToFloat``);
* :class:`CategoryPlan` -- one-hot encoding by a lookup in the fitted ``OneHotEncoder``'s
  categories, after skrub's null-string cleaning;
* :class:`DatetimePlan` -- dates read with the fitted format (ISO 8601 for columns fitted on
  datetimes), parts and total seconds computed as skrub's ``DatetimeEncoder`` does;
* :class:`TextPlan` -- the fitted ``StringEncoder``'s own vectorizer and SVD on the strings;
* :class:`FallbackPlan` -- any other chain: the column's fitted steps run on a one-column
  pandas Series (exact by construction, slower).

Every plan checks its values strictly (a value the pipeline would silently turn into NaN is
refused with a :class:`~featurization._input_contract.ColumnValueError`) and writes float64
values, NaN where the pipeline has a missing value, into its output columns.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from featurization._dates import DateReader
from featurization._input_contract import ColumnSpec, ColumnValueError, shown
from featurization._text import TextEncoding

__all__ = ["CategoryPlan", "ColumnPlan", "DatetimePlan", "FallbackPlan", "NumberPlan", "TextPlan",
           "UnusedPlan", "is_missing"]

FLOAT32_MAX = float(np.finfo(np.float32).max)
_BLANK = re.compile(r"^\s*$")  # CleanNullStrings' whitespace-only pattern
_NULLS = (None, pd.NA, pd.NaT)


def is_missing(value: Any) -> bool:
    """Whether ``value`` is a missing value (None, NaN, pandas' NA or NaT)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


class ColumnPlan:
    """Base of the plans: a column's spec and the positions of its outputs.

    Parameters
    ----------
    spec : ColumnSpec
        What the column takes.
    positions : ndarray of int
        Where its outputs go among the featurizer's outputs.
    """

    def __init__(self, spec: ColumnSpec, positions: np.ndarray) -> None:
        self.spec = spec
        self.positions = positions

    def encode(self, values: Sequence[Any], out: np.ndarray, unknown: list[tuple[int, str, Any]]) -> None:
        """Write the column's outputs for ``values`` into ``out[:, positions]``; append
        ``(row, column, value)`` to ``unknown`` for categories ``fit`` did not see."""
        raise NotImplementedError

    def _error(self, row: int | None, reason: str) -> ColumnValueError:
        return ColumnValueError(self.spec.name, row, reason)


class UnusedPlan(ColumnPlan):
    """A column the featurization drops: any value is accepted and ignored."""

    def encode(self, values: Sequence[Any], out: np.ndarray, unknown: list[tuple[int, str, Any]]) -> None:
        return None


class NumberPlan(ColumnPlan):
    """``ToFloat`` then ``PassThrough``: the value as float32 (booleans as 0 or 1).

    Parameters
    ----------
    spec, positions
        See :class:`ColumnPlan`.
    float32 : bool, default=True
        Cast to float32 as skrub does (``False``: the number as float64, for an identity step).
    """

    def __init__(self, spec: ColumnSpec, positions: np.ndarray, float32: bool = True) -> None:
        super().__init__(spec, positions)
        self.float32 = float32

    def encode(self, values: Sequence[Any], out: np.ndarray, unknown: list[tuple[int, str, Any]]) -> None:
        whole = self.spec.kind != "boolean"
        for row, value in enumerate(values):
            if is_missing(value):
                whole = False
            elif self.spec.kind == "boolean":
                if not isinstance(value, bool | np.bool_):
                    raise self._error(row, f"expected true or false, got {shown(value)}")
            elif isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
                raise self._error(row, f"expected a number, got {shown(value)}")
            elif isinstance(value, int | np.integer):
                if not -(2**63) <= int(value) < 2**63:
                    raise self._error(row, f"{shown(value)} is out of the 64-bit integer range")
            else:
                whole = False
                if math.isinf(value):
                    raise self._error(row, f"expected a finite number, got {value}")
        present = [np.nan if is_missing(v) else v for v in values]
        # as pandas builds the column: int64 when every value is a whole int, else float64
        array = np.asarray(present, dtype=np.int64 if whole else np.float64)
        if not self.float32:
            out[:, self.positions[0]] = array
            return
        with np.errstate(over="ignore"):  # values beyond float32 are refused just below
            single = array.astype(np.float32)
        overflow = np.flatnonzero(np.isinf(single))
        if overflow.size:
            row = int(overflow[0])
            raise self._error(row, f"{shown(values[row])} is beyond the range the featurization stores "
                                   f"numbers in (float32, up to {FLOAT32_MAX:.4g} in absolute value)")
        out[:, self.positions[0]] = single


def _clean_string(value: Any, nulls: frozenset[str] | None) -> Any:
    """skrub's ``CleanNullStrings``: whitespace-only text and null markers become missing."""
    if nulls is not None and isinstance(value, str) and (value in nulls or _BLANK.search(value)):
        return None
    return value


class CategoryPlan(ColumnPlan):
    """One-hot encoding of a low-cardinality column by the fitted ``OneHotEncoder``.

    Parameters
    ----------
    spec, positions
        See :class:`ColumnPlan`.
    encoder : OneHotEncoder
        Fitted on the column (one feature, no infrequent categories).
    nulls : frozenset of str or None
        The null markers of the column's ``CleanNullStrings`` (``None``: the column had a
        categorical dtype, which skips that step).
    """

    def __init__(self, spec: ColumnSpec, positions: np.ndarray, encoder: Any,
                 nulls: frozenset[str] | None) -> None:
        super().__init__(spec, positions)
        categories = list(encoder.categories_[0])
        drop = None if encoder.drop_idx_ is None else encoder.drop_idx_[0]
        kept = [j for j in range(len(categories)) if drop is None or j != drop]
        column = {j: k for k, j in enumerate(kept)}
        self.lookup: dict[str, int | None] = {}
        self.null_output: int | None = None
        self.null_known = False
        for j, category in enumerate(categories):
            if is_missing(category):
                self.null_known, self.null_output = True, column.get(j)
            else:
                self.lookup[str(category)] = column.get(j)
        self.nulls = nulls

    def encode(self, values: Sequence[Any], out: np.ndarray, unknown: list[tuple[int, str, Any]]) -> None:
        block = np.zeros((len(values), len(self.positions)), dtype=np.float64)
        for row, raw in enumerate(values):
            value = None if is_missing(raw) else _clean_string(raw, self.nulls)
            if value is not None and not isinstance(value, str):
                raise self._error(row, f"expected a category as a string, got {shown(raw)}")
            if value is None:
                if not self.null_known:
                    unknown.append((row, self.spec.name, None))
                    continue
                position = self.null_output
            elif value in self.lookup:
                position = self.lookup[value]
            else:
                unknown.append((row, self.spec.name, raw))
                continue
            if position is not None:
                block[row, position] = 1.0
        out[:, self.positions] = block


_EPOCH = np.datetime64("1970-01-01T00:00:00", "ns")
_UNITS = {"year": ("Y", None), "month": ("M", "Y"), "day": ("D", "M"), "hour": ("h", "D"),
          "minute": ("m", "h"), "second": ("s", "m"), "microsecond": ("us", "s"), "nanosecond": ("ns", "us")}


def _date_part(dates: np.ndarray, feature: str) -> np.ndarray:
    """A part of each date as pandas' ``.dt`` accessors give it (NaT rows are masked later)."""
    if feature == "total_seconds":
        return (dates - _EPOCH.astype(dates.dtype)) / np.timedelta64(1, "s")
    days = dates.astype("datetime64[D]").astype(np.int64)
    if feature == "weekday":  # 1970-01-01 was a Thursday; Monday is 1
        return (days + 3) % 7 + 1
    if feature == "day_of_year":
        return days - dates.astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64) + 1
    unit, coarser = _UNITS[feature]
    fine = dates.astype(f"datetime64[{unit}]")
    if coarser is None:
        return fine.astype(np.int64) + 1970
    if feature == "month":
        return fine.astype(np.int64) % 12 + 1
    start = fine.astype(f"datetime64[{coarser}]").astype(fine.dtype)
    return (fine - start).astype(np.int64) + (1 if feature == "day" else 0)


class DatetimePlan(ColumnPlan):
    """Dates read strictly, then skrub's ``DatetimeEncoder`` parts (no periodic encoding).

    Parameters
    ----------
    spec, positions
        See :class:`ColumnPlan`.
    to_datetime : skrub.ToDatetime
        Fitted on the column: its format (``None``: the column held datetimes, and text is
        read as ISO 8601), time zone and dtype.
    features : list of str
        The encoder's ``extracted_features_``.
    nulls : frozenset of str or None
        Null markers of the column's ``CleanNullStrings``, if it has one.
    """

    def __init__(self, spec: ColumnSpec, positions: np.ndarray, to_datetime: Any, features: list[str],
                 nulls: frozenset[str] | None) -> None:
        super().__init__(spec, positions)
        self.to_datetime, self.features, self.nulls = to_datetime, list(features), nulls
        self.reader = DateReader(to_datetime)

    def encode(self, values: Sequence[Any], out: np.ndarray, unknown: list[tuple[int, str, Any]]) -> None:
        cleaned = []
        for row, raw in enumerate(values):
            value = None if is_missing(raw) else _clean_string(raw, self.nulls)
            if value is not None and not isinstance(value, str | datetime.date | np.datetime64):
                raise self._error(row, f"expected a date as text, got {shown(raw)}")
            cleaned.append(value)
        dates = self.reader.read(cleaned)
        missing = np.isnat(dates)
        for position in np.flatnonzero(missing):
            row = int(position)
            if cleaned[row] is not None:
                expected = (f"the format {self.to_datetime.format_!r}" if self.to_datetime.format_
                            else "ISO 8601, e.g. '2024-01-31' or '2024-01-31T08:30:00'")
                raise self._error(row, f"{shown(values[row])} is not a date (expected {expected})")
        for k, feature in enumerate(self.features):
            part = _date_part(dates, feature).astype(np.float64).astype(np.float32).astype(np.float64)
            part[missing] = np.nan
            out[:, self.positions[k]] = part


class TextPlan(ColumnPlan):
    """Free text through the fitted ``StringEncoder``'s vectorizer and truncated SVD.

    Parameters
    ----------
    spec, positions
        See :class:`ColumnPlan`.
    encoder : skrub.StringEncoder
        Fitted on the column.
    nulls : frozenset of str or None
        Null markers of the column's ``CleanNullStrings``.
    """

    def __init__(self, spec: ColumnSpec, positions: np.ndarray, encoder: Any,
                 nulls: frozenset[str] | None) -> None:
        super().__init__(spec, positions)
        self.encoder, self.nulls = encoder, nulls
        self.encoding = TextEncoding(encoder)

    def encode(self, values: Sequence[Any], out: np.ndarray, unknown: list[tuple[int, str, Any]]) -> None:
        texts = []
        for row, raw in enumerate(values):
            value = None if is_missing(raw) else _clean_string(raw, self.nulls)
            if value is not None and not isinstance(value, str):
                raise self._error(row, f"expected text (a string), got {shown(raw)}")
            texts.append("" if value is None else value)
        result = self.encoding.transform(texts)
        out[:, self.positions] = result.astype(np.float32).astype(np.float64)


class FallbackPlan(ColumnPlan):
    """A column whose chain has no compiled form: its fitted steps run on a pandas Series.

    Parameters
    ----------
    spec, positions
        See :class:`ColumnPlan`.
    steps : list
        The column's fitted steps (``all_processing_steps_`` without the output casts).
    casts : dict of str to transformer
        The post-processing step of each output (skrub's final ``ToFloat``), if any.
    outputs : list of str
        The column's output names, in ``positions`` order.
    nulls : frozenset of str or None
        Null markers of the column's ``CleanNullStrings``, if it has one (a number column read
        from text refuses other text that is not a number).
    """

    def __init__(self, spec: ColumnSpec, positions: np.ndarray, steps: list[Any], casts: dict[str, Any],
                 outputs: list[str], nulls: frozenset[str] | None = None) -> None:
        super().__init__(spec, positions)
        self.steps, self.casts, self.outputs, self.nulls = steps, casts, outputs, nulls

    def encode(self, values: Sequence[Any], out: np.ndarray, unknown: list[tuple[int, str, Any]]) -> None:
        column: Any = pd.DataFrame({self.spec.name: [None if is_missing(v) else v for v in values]})
        column = column[self.spec.name]
        try:
            for step in self.steps:
                single = getattr(step, "__single_column_transformer__", False)
                column = step.transform(column if single else column.to_frame())
                if isinstance(column, list) and not column:
                    return
            frame = column.to_frame() if isinstance(column, pd.Series) else column
            for k, name in enumerate(self.outputs):
                part = frame.iloc[:, k]
                cast = self.casts.get(name)
                part = part if cast is None else cast.transform(part.rename(name))
                out[:, self.positions[k]] = part.to_numpy(dtype=np.float64, na_value=np.nan)
        except (ValueError, TypeError) as exc:
            raise self._error(None, f"the featurization cannot encode these values ({type(exc).__name__}: "
                                    f"{str(exc)[:200]})") from exc
        if self.spec.kind == "number":  # text that is not a number would become NaN: refuse it
            for row, value in enumerate(values):
                if not is_missing(value) and _clean_string(value, self.nulls or frozenset()) is not None \
                        and np.isnan(out[row, self.positions[0]]):
                    raise self._error(row, f"expected a number, got {shown(value)}")

"""JSON records to a typed DataFrame, column by column, with errors that name the column.

The scoring service accepts rows only in the scoring explainer's input columns and kinds:
numbers (``null`` is missing where the model takes missing values), integers, booleans and
strings. Anything else is the client's error and is reported as such, never passed on to the
model to fail there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from explain._exceptions import ExplanationValueError

__all__ = ["RowsError", "records_to_frame"]


class RowsError(ExplanationValueError):
    """Request rows that do not fit the model's input columns."""


def records_to_frame(records: Sequence[Mapping[str, Any]], schema: Mapping[str, str],
                     allow_missing: bool) -> pd.DataFrame:
    """Check ``records`` against ``schema`` (column -> kind) and build the input frame.

    Raises
    ------
    RowsError
        For a missing or unknown column, a value of the wrong type, a non-finite number, or a
        missing value where the model cannot take one; the message names the row and column.
    """
    columns = list(schema)
    expected = set(columns)
    for index, record in enumerate(records):
        keys = set(record)
        if keys != expected:
            missing = [c for c in columns if c not in keys]
            unknown = sorted(keys - expected)
            parts = [f"{label} column{'s' if len(names) > 1 else ''} {', '.join(map(repr, names[:5]))}"
                     for label, names in (("missing", missing), ("unknown", unknown)) if names]
            raise RowsError(f"data[{index}]: {'; '.join(parts)}.")
    return pd.DataFrame({name: _column(name, kind, [r[name] for r in records], allow_missing)
                         for name, kind in schema.items()}, columns=columns)


def _column(name: str, kind: str, values: list[Any], allow_missing: bool) -> Any:
    missing = [i for i, v in enumerate(values) if v is None or (isinstance(v, float) and math.isnan(v))]
    if missing and not allow_missing:
        raise RowsError(f"data[{missing[0]}].{name}: missing value, but the model does not accept missing "
                        "values.")
    if kind in ("number", "integer"):
        for i, v in enumerate(values):
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise RowsError(f"data[{i}].{name}: expected a number, got {_shown(v)}.")
            if isinstance(v, float) and math.isinf(v):
                raise RowsError(f"data[{i}].{name}: expected a finite number, got {v}.")
        floats = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        if kind == "integer" and not missing and np.all(floats == np.round(floats)):
            return floats.astype(np.int64)
        return floats
    if kind == "boolean":
        for i, v in enumerate(values):
            if v is not None and not isinstance(v, bool):
                raise RowsError(f"data[{i}].{name}: expected true or false, got {_shown(v)}.")
        return np.array(values, dtype=object if missing else bool)
    for i, v in enumerate(values):
        if v is not None and not isinstance(v, str):
            raise RowsError(f"data[{i}].{name}: expected a string, got {_shown(v)}.")
    return np.array(values, dtype=object)


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{text[:40]}{'...' if len(text) > 40 else ''} ({type(value).__name__})"

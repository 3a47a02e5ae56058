"""JSON records to a typed DataFrame, column by column, with errors that name the column.

The scoring service accepts rows only in the scoring explainer's input columns and kinds:
numbers (``null`` is missing where the model takes missing values), integers, booleans and
strings (valid Unicode: JSON's lone ``"\\ud800"`` escapes are refused). Anything else is the
client's error and is reported as such, never passed on to the model to fail there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from explain._exceptions import ExplanationValueError

__all__ = ["RowsError", "records_to_columns", "records_to_frame"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


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
    _check_keys(records, columns, columns)
    return pd.DataFrame({name: _column(name, kind, [r[name] for r in records], allow_missing)
                         for name, kind in schema.items()}, columns=columns)


def records_to_columns(records: Sequence[Mapping[str, Any]], columns: Sequence[str],
                       required: Sequence[str]) -> dict[str, list[Any]]:
    """The values of each of ``columns`` (``None`` where an optional column is left out).

    Raises
    ------
    RowsError
        For a missing required column or an unknown column; the message names the row.
    """
    _check_keys(records, columns, required)
    return {name: [r.get(name) for r in records] for name in columns}


def _check_keys(records: Sequence[Mapping[str, Any]], columns: Sequence[str],
                required: Sequence[str]) -> None:
    known, needed = set(columns), set(required)
    for index, record in enumerate(records):
        keys = set(record)
        if not (needed <= keys <= known):
            missing = [c for c in required if c not in keys]
            unknown = sorted(keys - known)
            parts = [f"{label} column{'s' if len(names) > 1 else ''} {', '.join(map(repr, names[:5]))}"
                     for label, names in (("missing", missing), ("unknown", unknown)) if names]
            raise RowsError(f"data[{index}]: {'; '.join(parts)}.")


def _column(name: str, kind: str, values: list[Any], allow_missing: bool) -> Any:
    missing = [i for i, v in enumerate(values) if v is None or (isinstance(v, float) and math.isnan(v))]
    if missing and not allow_missing:
        raise RowsError(f"data[{missing[0]}].{name}: missing value, but the model does not accept missing "
                        "values.")
    absent = set(missing)
    present = [(i, v) for i, v in enumerate(values) if i not in absent]
    if kind in ("number", "integer"):
        return _numbers(name, kind, values, present, absent)
    if kind == "boolean":
        for i, v in present:
            if not isinstance(v, bool):
                raise RowsError(f"data[{i}].{name}: expected true or false, got {_shown(v)}.")
        return np.array([None if i in absent else v for i, v in enumerate(values)],
                        dtype=object if absent else bool)
    for i, v in present:
        if not isinstance(v, str):
            raise RowsError(f"data[{i}].{name}: expected a string, got {_shown(v)}.")
        if not v.isascii() and not _is_unicode(v):
            raise RowsError(f"data[{i}].{name}: the string {_shown(v)} holds a lone surrogate (a \\ud800-"
                            "\\udfff escape not part of a pair), which is not Unicode text; send valid "
                            "UTF-8 text.")
    return np.array([None if i in absent else v for i, v in enumerate(values)], dtype=object)


def _numbers(name: str, kind: str, values: list[Any], present: list[tuple[int, Any]],
             absent: set[int]) -> np.ndarray:
    """A number column: int64 for whole numbers of an integer column, else float64."""
    whole = kind == "integer" and not absent
    for i, v in present:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise RowsError(f"data[{i}].{name}: expected a number, got {_shown(v)}.")
        if isinstance(v, float) and math.isinf(v):
            raise RowsError(f"data[{i}].{name}: expected a finite number, got {v}.")
        if isinstance(v, int) and not INT64_MIN <= v <= INT64_MAX:
            raise RowsError(f"data[{i}].{name}: {_shown(v)} is out of the 64-bit integer range.")
        whole = whole and (isinstance(v, int) or (float(v).is_integer() and INT64_MIN <= v <= INT64_MAX))
    if whole:  # built from the ints themselves: no rounding through float64
        return np.array([int(v) for v in values], dtype=np.int64)
    return np.array([np.nan if i in absent else float(v) for i, v in enumerate(values)], dtype=np.float64)


def _is_unicode(text: str) -> bool:
    """Whether ``text`` is valid Unicode (JSON's ``"\\ud800"`` escapes can make it otherwise)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{text[:40]}{'...' if len(text) > 40 else ''} ({type(value).__name__})"

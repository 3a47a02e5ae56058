"""What a fitted featurization takes, column by column: its input contract.

A :class:`ColumnSpec` says what kind of value a raw column takes (a number, a category, a
date, free text, or nothing: the column is not used), what becomes of a missing value there
(imputed with a value learnt in ``fit``, encoded as a category of its own, encoded like an
unknown category, or passed on as NaN to the next step) and, for categories, which ones
``fit`` saw. :class:`ColumnValueError` is the error of a value that does not fit, naming the
column and the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from featurization._exceptions import FeaturizationValueError

__all__ = ["ColumnSpec", "ColumnValueError", "Kind", "Missing"]

Kind = Literal["number", "integer", "boolean", "category", "datetime", "text", "any", "unused"]
"""What a raw column takes (``"any"``: whatever the featurizer accepts; not compiled)."""

Missing = Literal["imputed", "encoded", "unknown", "passed", "ignored"]
"""What becomes of a missing value: replaced by a value learnt in ``fit`` (``"imputed"``), a
category or embedding of its own (``"encoded"``), encoded like an unknown category
(``"unknown"``), NaN handed to the next step (``"passed"``), or nothing (``"ignored"``: the
column is not used)."""

_JSON_TYPES = {"number": "number", "integer": "integer", "boolean": "boolean", "category": "string",
               "datetime": "string", "text": "string"}


@dataclass(frozen=True)
class ColumnSpec:
    """One raw column of a fitted featurization's input.

    Attributes
    ----------
    name : str
        The column.
    kind : str
        ``"number"``, ``"integer"``, ``"boolean"``, ``"category"``, ``"datetime"``, ``"text"``,
        ``"any"`` (a featurizer that is not compiled checks it) or ``"unused"``.
    missing : str
        What becomes of a missing value (see :data:`Missing`).
    categories : tuple of str or None
        The categories ``fit`` saw (``kind="category"``).
    datetime_format : str or None
        The ``strptime`` format dates are read with (``None``: ISO 8601).
    outputs : tuple of str
        The engineered features the column produces.
    """

    name: str
    kind: Kind
    missing: Missing
    categories: tuple[str, ...] | None = None
    datetime_format: str | None = None
    outputs: tuple[str, ...] = ()

    @property
    def json_type(self) -> str | None:
        """The JSON type of the column's values (``None``: any scalar)."""
        return _JSON_TYPES.get(self.kind)


class ColumnValueError(FeaturizationValueError):
    """A value the featurization cannot take, naming its column (and its row when known).

    Parameters
    ----------
    column : str
        The raw column.
    row : int or None
        The row's position in the batch, when one row is at fault.
    reason : str
        What is wrong and what is expected, e.g. ``"'not a date' is not a date (expected
        ISO 8601, e.g. '2024-01-31')"``.
    """

    def __init__(self, column: str, row: int | None, reason: str) -> None:
        self.column, self.row, self.reason = column, row, reason
        where = f"row {row}, column {column!r}" if row is not None else f"column {column!r}"
        super().__init__(f"{where}: {reason}")


def shown(value: Any) -> str:
    """A value as quoted in an error message (at most 40 characters of its ``repr``)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."

"""polars DataFrames and pyarrow Tables as pandas DataFrames, converted once with faithful dtypes.

Shared by every package that takes tables (``explain`` and ``automl`` import it from here):
a frame is recognised by the module its type comes from, so neither library is imported.
"""

from __future__ import annotations

from typing import Any

__all__ = ["foreign_to_pandas", "frame_origin", "is_foreign_frame"]

_FRAMES = {("polars", "DataFrame"), ("pyarrow", "Table"), ("pyarrow", "RecordBatch")}


def frame_origin(data: Any) -> tuple[str, str]:
    """``(library, class name)`` of ``data``'s type, e.g. ``("polars", "LazyFrame")``."""
    return type(data).__module__.split(".")[0], type(data).__name__


def is_foreign_frame(data: Any) -> bool:
    """Whether ``data`` is a polars DataFrame / LazyFrame or a pyarrow Table / RecordBatch."""
    return frame_origin(data) in _FRAMES or frame_origin(data) == ("polars", "LazyFrame")


def foreign_to_pandas(data: Any) -> Any:
    """A polars DataFrame or pyarrow Table / RecordBatch as a pandas DataFrame.

    The library's own ``to_pandas()`` converts; then integer and boolean columns with missing
    values are made pandas' nullable ``Int64`` / ``boolean`` again (``to_pandas`` turns them
    into floats and objects). Categoricals stay categorical, datetimes (with their time zone)
    datetimes, text text.
    """
    integer, boolean = _nullable_columns(data, frame_origin(data)[0])
    frame = data.to_pandas()
    for i in integer:
        if frame.dtypes.iloc[i].kind == "f":
            frame.isetitem(i, frame.iloc[:, i].astype("Int64"))
    for i in boolean:
        if frame.dtypes.iloc[i].kind == "O":
            frame.isetitem(i, frame.iloc[:, i].astype("boolean"))
    return frame


def _nullable_columns(data: Any, library: str) -> tuple[list[int], list[int]]:
    """Positions of the integer and of the boolean columns that hold missing values (names may
    repeat in a pyarrow table)."""
    integer, boolean = [], []
    if library == "polars":
        counts = data.null_count().row(0)
        for i, (dtype, nulls) in enumerate(zip(data.schema.values(), counts, strict=True)):
            if nulls and dtype.is_integer():
                integer.append(i)
            elif nulls and str(dtype) == "Boolean":
                boolean.append(i)
        return integer, boolean
    for i, column in enumerate(data.columns):
        if column.null_count and _arrow_kind(column.type) == "integer":
            integer.append(i)
        elif column.null_count and _arrow_kind(column.type) == "boolean":
            boolean.append(i)
    return integer, boolean


def _arrow_kind(arrow_type: Any) -> str:
    text = str(arrow_type)
    if text == "bool":
        return "boolean"
    return "integer" if text.startswith(("int", "uint")) else "other"

"""Data frames of other libraries (polars, pyarrow) as pandas, and checks of column names.

Explainers align named columns by name; polars and pyarrow frames are converted once, at the
public boundary, through the library's own ``to_pandas()``, so that they are aligned exactly
as pandas frames are. Neither library is imported here: a frame is recognised by the module
its type comes from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from explain._exceptions import ExplanationTypeError, ExplanationValueError

__all__ = ["check_column_names", "is_foreign_frame", "to_pandas"]

_FRAMES = {("polars", "DataFrame"), ("pyarrow", "Table"), ("pyarrow", "RecordBatch")}


def _origin(data: Any) -> tuple[str, str]:
    return type(data).__module__.split(".")[0], type(data).__name__


def is_foreign_frame(data: Any) -> bool:
    """Whether ``data`` is a polars DataFrame / LazyFrame or a pyarrow Table / RecordBatch."""
    return _origin(data) in _FRAMES or _origin(data) == ("polars", "LazyFrame")


def to_pandas(data: Any, *, argument: str, caller: str) -> Any:
    """A polars or pyarrow frame as a pandas DataFrame; anything else unchanged.

    Integer and boolean columns with missing values stay integer and boolean (pandas'
    nullable ``Int64`` / ``boolean``) rather than turning into floats or objects;
    categoricals stay categorical and datetimes datetimes, as ``to_pandas()`` gives them.

    Raises
    ------
    ExplanationTypeError
        For a polars LazyFrame (it must be collected first).
    """
    if not is_foreign_frame(data):
        return data
    library, kind = _origin(data)
    if kind == "LazyFrame":
        raise ExplanationTypeError(
            f"{caller}: {argument} is a polars LazyFrame; call .collect() to pass its rows.")
    integer, boolean = _nullable_columns(data, library)
    frame = data.to_pandas()
    for i in integer:
        if frame.dtypes.iloc[i].kind == "f":  # to_pandas turns integers with nulls into floats
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


def check_column_names(columns: Sequence[Any], *, argument: str, caller: str) -> tuple[str, ...]:
    """The column names as text, refusing names that repeat once written as text.

    ``1`` and ``"1"`` both become ``"1"``: a frame holding both could not be aligned by name.

    Raises
    ------
    ExplanationValueError
        Naming the repeated or colliding columns (at most five).
    """
    names = tuple(str(c) for c in columns)
    if len(set(names)) == len(names):
        return names
    seen: dict[str, list[Any]] = {}
    for original, name in zip(columns, names, strict=True):
        seen.setdefault(name, []).append(original)
    clashes = [(name, group) for name, group in seen.items() if len(group) > 1]
    shown = "; ".join(f"{name!r} from {', '.join(repr(g) for g in group)}" for name, group in clashes[:5])
    more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
    raise ExplanationValueError(
        f"{caller}: {argument} has columns whose names repeat once written as text: {shown}{more}; "
        "columns are matched by name, so rename them to distinct names.")

"""Data frames of other libraries (polars, pyarrow) as pandas, and checks of column names.

Explainers align named columns by name; polars and pyarrow frames are converted once, at the
public boundary, through the library's own ``to_pandas()``, so that they are aligned exactly
as pandas frames are. Neither library is imported here: a frame is recognised by the module
its type comes from.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import pandas as pd

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from featurization._frames import foreign_to_pandas, frame_origin, is_foreign_frame

__all__ = ["BACKENDS", "as_backend", "check_column_names", "is_foreign_frame", "to_pandas"]

BACKENDS = ("pandas", "polars", "pyarrow")
"""The kinds of table :func:`as_backend` returns."""


def to_pandas(data: Any, *, argument: str, caller: str) -> Any:
    """A polars or pyarrow frame as a pandas DataFrame; anything else unchanged.

    Integer and boolean columns with missing values stay integer and boolean (pandas'
    nullable ``Int64`` / ``boolean``) rather than turning into floats or objects;
    categoricals stay categorical and datetimes datetimes, as ``to_pandas()`` gives them
    (:func:`featurization._frames.foreign_to_pandas`, shared with AutoML and the featurizer).

    Raises
    ------
    ExplanationTypeError
        For a polars LazyFrame (it must be collected first).
    """
    if not is_foreign_frame(data):
        return data
    if frame_origin(data)[1] == "LazyFrame":
        raise ExplanationTypeError(
            f"{caller}: {argument} is a polars LazyFrame; call .collect() to pass its rows.")
    return foreign_to_pandas(data)


def as_backend(frame: pd.DataFrame, backend: str, *, caller: str) -> Any:
    """``frame`` as a ``backend`` table; its index (named) becomes the first columns.

    Parameters
    ----------
    frame : DataFrame
        A pandas frame whose index levels are named.
    backend : {"pandas", "polars", "pyarrow"}
        The kind of table wanted; ``"pandas"`` returns ``frame`` itself.
    caller : str
        Who asks (for the messages).

    Raises
    ------
    ExplanationValueError
        For another ``backend``.
    ImportError
        When polars or pyarrow is not installed (naming it).
    """
    if backend == "pandas":
        return frame
    if backend not in BACKENDS:
        raise ExplanationValueError(
            f"{caller}: backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}.")
    try:
        library = importlib.import_module(backend)
    except ImportError as exc:
        raise ImportError(f"{caller}: backend={backend!r} needs {backend}: pip install {backend}") from exc
    flat = frame.reset_index()
    if backend == "polars":
        return library.from_pandas(flat)
    return library.Table.from_pandas(flat, preserve_index=False)


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

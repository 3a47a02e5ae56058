"""Validation of user data at the public boundary.

Every explainer turns its inputs into a :class:`Tabular` here, once; internals trust it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import scipy.sparse as sp

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._frames import check_column_names, to_pandas

__all__ = ["Tabular", "align_features", "check_features_argument", "check_positive_int", "column_kinds",
           "match_model_columns", "parse_numbers", "resolve_subset", "to_tabular"]

Matrix: TypeAlias = Any
"""A 2-D float64 ``numpy.ndarray`` or ``scipy.sparse.csr_matrix``."""


@dataclass(frozen=True)
class Tabular:
    """A validated 2-D float64 matrix (dense or CSR) with the column names it came with.

    Parameters
    ----------
    values : ndarray or csr_matrix of shape (n_rows, n_columns)
        The data as float64.
    columns : tuple of str or None
        Column names when the data was a DataFrame, else ``None``.
    """

    values: Matrix
    columns: tuple[str, ...] | None

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.values.shape[0])

    @property
    def n_columns(self) -> int:
        """Number of columns."""
        return int(self.values.shape[1])

    def rows(self, start: int, stop: int) -> Matrix:
        """Return rows ``start:stop`` of the matrix."""
        return self.values[start:stop]


def _names(items: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(repr(i) for i in list(items)[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def to_tabular(data: Any, *, argument: str, caller: str, allow_nan: bool = True,
               names: Sequence[str] | None = None) -> Tabular:
    """Validate ``data`` and convert it to a :class:`Tabular`.

    Parameters
    ----------
    data : array-like, DataFrame or scipy.sparse matrix of shape (n_rows, n_columns)
        Numeric data. Column names of a pandas or polars DataFrame or a pyarrow Table /
        RecordBatch become feature names; text columns holding numbers are read as numbers.
    argument : str
        Name of the argument, for error messages (e.g. ``"evaluation_examples"``).
    caller : str
        Name of the public function, for error messages.
    allow_nan : bool, default=True
        Whether missing values are acceptable (the model handles them).
    names : sequence of str, default=None
        Column names for messages when ``data`` has none (e.g. featurized data).

    Raises
    ------
    TypeError
        For non-numeric columns or unsupported types.
    ValueError
        For empty data, wrong dimensionality, column names that repeat once written as text,
        infinite values, or NaN when not allowed.
    """
    where = f"{caller}: {argument}"
    if data is None:
        raise ExplanationValueError(f"{where} is required, got None.")
    data = to_pandas(data, argument=argument, caller=caller)
    columns: tuple[str, ...] | None = None
    if isinstance(data, pd.Series):
        raise ExplanationValueError(
            f"{where} must be 2-D (rows x features), got a pandas Series; "
            "use series.to_frame().T for a single row."
        )
    if isinstance(data, pd.DataFrame):
        columns = check_column_names(data.columns, argument=argument, caller=caller)
        values: Matrix = _frame_to_array(data, where)
    elif sp.issparse(data):
        values = sp.csr_matrix(data, dtype=np.float64)
    else:
        values = _array_to_float(np.asarray(data), where, names)
    if values.ndim != 2:
        raise ExplanationValueError(
            f"{where} must be 2-D (rows x features), got an array with shape {values.shape}; "
            "use X.reshape(1, -1) for a single row."
        )
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise ExplanationValueError(f"{where} is empty (shape {values.shape}).")
    labels = columns if columns is not None else (
        tuple(names) if names is not None and len(names) == values.shape[1] else None)
    _check_finite(values, labels, where, allow_nan)
    return Tabular(values=values, columns=columns)


def _frame_to_array(frame: pd.DataFrame, where: str) -> np.ndarray:
    dtypes = frame.dtypes
    numeric = {dtype: pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
               for dtype in set(dtypes)}  # each distinct dtype checked once, not every column
    other = [i for i, dtype in enumerate(dtypes) if not numeric[dtype]]
    if not other:
        return frame.to_numpy(dtype=np.float64, na_value=np.nan)
    parsed, refused = {}, []
    for i in other:
        numbers, example = parse_numbers(frame.iloc[:, i])
        if numbers is None:
            refused.append(f"{str(frame.columns[i])!r} (e.g. {example!r})")
        else:
            parsed[i] = numbers
    if refused:
        raise ExplanationTypeError(
            f"{where} has non-numeric columns {', '.join(refused[:5])}"
            f"{f' and {len(refused) - 5} more' if len(refused) > 5 else ''}; explainers take "
            "numeric data. Encode these columns, or pass the fitted featurization as transformations=."
        )
    values = np.empty(frame.shape, dtype=np.float64)
    for i in range(frame.shape[1]):
        values[:, i] = parsed[i] if i in parsed else frame.iloc[:, i].to_numpy(dtype=np.float64,
                                                                               na_value=np.nan)
    return values


def parse_numbers(column: pd.Series) -> tuple[np.ndarray | None, Any]:
    """A text column's numbers as float64, or ``(None, first value that is not a number)``.

    Only text (object, string, categorical) columns are read: numbers written as text are
    numbers, while dates and other kinds are not silently turned into numbers. A value that
    is not a number is reported, never turned into NaN.
    """
    dtype = column.dtype
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)):
        return None, _first(column)
    text = column.astype(object)
    present = text.notna().to_numpy()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    failed = present & np.isnan(numbers)
    if failed.any():
        return None, text.iloc[int(np.flatnonzero(failed)[0])]
    return numbers, None


def _first(column: pd.Series) -> Any:
    present = column.dropna()
    return present.iloc[0] if len(present) else None


def _array_to_float(array: np.ndarray, where: str, names: Sequence[str] | None) -> np.ndarray:
    if array.dtype.kind in "fiub":
        return array.astype(np.float64, copy=False)
    if array.dtype.kind in "OUS" and array.ndim == 2:  # read as a frame's text columns are
        labels = (list(names) if names is not None and len(names) == array.shape[1]
                  else [f"column {i}" for i in range(array.shape[1])])
        return _frame_to_array(pd.DataFrame(array, columns=labels), where)
    try:
        return array.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ExplanationTypeError(
            f"{where} must be numeric, got an array of dtype {array.dtype} ({exc}). Encode "
            "non-numeric columns, or pass the fitted featurization as transformations=."
        ) from exc


_FINITE_CHECK_CELLS = 1 << 20


def _all_finite(data: np.ndarray) -> bool:
    """``np.isfinite(data).all()`` by blocks of rows, so the boolean temporary stays small
    (a million rows must not cost a second copy of the data's size in memory)."""
    if data.ndim != 2 or data.size <= _FINITE_CHECK_CELLS:
        return bool(np.isfinite(data).all())
    step = max(1, _FINITE_CHECK_CELLS // max(1, data.shape[1]))
    return all(np.isfinite(data[i:i + step]).all() for i in range(0, data.shape[0], step))


def _check_finite(values: Matrix, columns: tuple[str, ...] | None, where: str,
                  allow_nan: bool) -> None:
    data = values.data if sp.issparse(values) else values
    if _all_finite(data):
        return
    dense = values.toarray() if sp.issparse(values) else values
    labels = columns or tuple(f"column {i}" for i in range(dense.shape[1]))
    infinite = [labels[i] for i in np.flatnonzero(np.isinf(dense).any(axis=0))]
    if infinite:
        raise ExplanationValueError(f"{where} contains infinite values in {_names(infinite)}.")
    if not allow_nan:
        missing = [labels[i] for i in np.flatnonzero(np.isnan(dense).any(axis=0))]
        raise ExplanationValueError(
            f"{where} contains NaN in {_names(missing)}, and the model does not accept missing "
            "values; impute them first (e.g. sklearn.impute.SimpleImputer in a Pipeline)."
        )


def check_features_argument(features: Any, n_columns: int, caller: str) -> tuple[str, ...] | None:
    """Validate the ``features`` argument against the number of columns."""
    if features is None:
        return None
    # pandas' ExtensionArrays (``frame.columns.values`` under pandas' string dtype) and Series
    # are lists of names too, as in interpret-community
    listlike = Sequence | np.ndarray | pd.Index | pd.Series | pd.api.extensions.ExtensionArray
    if isinstance(features, str) or not isinstance(features, listlike) or np.ndim(features) != 1:
        raise ExplanationTypeError(
            f"{caller}: features must be a list of feature names, got {type(features).__name__}."
        )
    names = tuple(str(f) for f in features)
    if len(names) != n_columns:
        raise ExplanationValueError(
            f"{caller}: features has {len(names)} names but the data has {n_columns} columns."
        )
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ExplanationValueError(f"{caller}: features has duplicate names {_names(dupes)}.")
    return names


def align_features(data: Tabular, expected: tuple[str, ...], *, by_name: bool, argument: str,
                   caller: str) -> Matrix:
    """Check ``data`` has the fitted columns and return its matrix in the fitted order.

    Parameters
    ----------
    data : Tabular
        Validated data.
    expected : tuple of str
        Feature names the explainer was set up with.
    by_name : bool
        Match DataFrame columns by name (the explainer was set up from named columns).
    argument, caller : str
        For error messages.
    """
    if by_name and data.columns is not None:
        if data.columns == expected:  # the usual case, without a per-column search
            return data.values
        given, wanted = set(data.columns), set(expected)
        missing = [c for c in expected if c not in given]
        unknown = [c for c in data.columns if c not in wanted]
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing: {_names(missing)}")
            if unknown:
                parts.append(f"unknown: {_names(unknown)}")
            raise ExplanationValueError(
                f"{caller}: {argument} columns do not match the features the explainer was "
                f"set up with; " + "; ".join(parts) + "."
            )
        if data.columns != expected:
            position = {name: i for i, name in enumerate(data.columns)}
            return data.values[:, [position[name] for name in expected]]
        return data.values
    if data.n_columns != len(expected):
        raise ExplanationValueError(
            f"{caller}: {argument} has {data.n_columns} columns but the explainer was set up "
            f"with {len(expected)} features."
        )
    return data.values


def match_model_columns(columns: tuple[str, ...], model_columns: tuple[str, ...], *,
                        spelling: Callable[[str], str] | None, argument: str,
                        caller: str) -> tuple[str, ...]:
    """The data's column names in the order the model was fitted on, as the data spells them.

    Boosters (LightGBM, XGBoost) read columns by position whatever their names, so named
    data is put in the booster's order here; ``spelling`` is how the booster rewrote names
    (LightGBM replaces whitespace by ``_``).

    Raises
    ------
    ExplanationValueError
        Naming the missing and unknown columns (at most five each).
    """
    key = spelling or (lambda name: name)
    by_key = {key(c): c for c in columns}
    wanted = set(model_columns)
    missing = [m for m in model_columns if m not in by_key]
    unknown = [c for c in columns if key(c) not in wanted]
    if missing or unknown or len(by_key) != len(columns):
        parts = [f"{label}: {_names(names)}" for label, names in (("missing", missing), ("unknown", unknown))
                 if names] or [f"names that are one once rewritten: {_names(columns)}"]
        raise ExplanationValueError(
            f"{caller}: {argument} columns do not match the features the model was fitted on; "
            + "; ".join(parts) + ".")
    return tuple(by_key[m] for m in model_columns)


def column_kinds(data: Any) -> dict[str, str] | None:
    """Kind of each column of a DataFrame: ``"number"``, ``"integer"``, ``"boolean"`` or
    ``"string"`` (``None`` for other inputs); what a scoring service accepts per column."""
    data = to_pandas(data, argument="initialization_examples", caller="column_kinds")
    if not isinstance(data, pd.DataFrame):
        return None
    kinds = {}
    for name, dtype in data.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):
            kinds[str(name)] = "boolean"
        elif pd.api.types.is_integer_dtype(dtype):
            kinds[str(name)] = "integer"
        elif pd.api.types.is_numeric_dtype(dtype):
            kinds[str(name)] = "number"
        else:
            kinds[str(name)] = "string"
    return kinds


def check_positive_int(value: Any, name: str, caller: str) -> None:
    """Refuse anything but a positive ``int`` (``bool`` included) for the argument ``name``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ExplanationValueError(f"{caller}: {name} must be a positive integer, got {value!r}.")


def resolve_subset(subset: Sequence[int | str] | None, features: Sequence[str],
                   caller: str) -> np.ndarray | None:
    """Positions of ``explain_subset`` (feature names or positions) among ``features``.

    Raises
    ------
    ValueError
        For an unknown name, a position out of range, or an empty or repeating subset.
    """
    if subset is None:
        return None
    index = {name: i for i, name in enumerate(features)}
    out = []
    for item in list(subset):
        if isinstance(item, str):
            if item not in index:
                raise ExplanationValueError(f"{caller}: explain_subset names unknown feature {item!r}.")
            out.append(index[item])
        elif isinstance(item, int | np.integer) and 0 <= int(item) < len(features):
            out.append(int(item))
        else:
            raise ExplanationValueError(
                f"{caller}: explain_subset entries must be feature names or indices in "
                f"[0, {len(features)}), got {item!r}."
            )
    if not out or len(set(out)) != len(out):
        raise ExplanationValueError(f"{caller}: explain_subset must be non-empty and unique.")
    return np.asarray(out)

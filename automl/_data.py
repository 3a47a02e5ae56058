"""The training data of an experiment, validated column by column at the boundary.

What a featurizer or model would silently get wrong is refused here, naming the column:
infinite values, numbers beyond float32's range, column names that collide as text, labels
mixing types, text that is not a number where training has numbers. polars and pyarrow
tables are read by column name through their own ``to_pandas()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl._exceptions import ConfigError, ConfigTypeError, DataError
from featurization._frames import foreign_to_pandas, is_foreign_frame

__all__ = ["MAX_ABS_VALUE", "TrainingData", "as_frame", "check_labels", "check_numbers_as_text",
           "split_label"]

MAX_ABS_VALUE = 1e38  # skrub featurizes numbers as float32, whose largest value is 3.4e38


@dataclass(frozen=True)
class TrainingData:
    """Validated training (and optional validation) data.

    Parameters
    ----------
    X : DataFrame
        Features, with string column names.
    y : ndarray of shape (n_rows,)
        Labels.
    X_valid, y_valid : DataFrame and ndarray, or None
        Validation data, when given.
    classes : ndarray or None
        Sorted class labels (classification).
    """

    X: pd.DataFrame
    y: np.ndarray
    X_valid: pd.DataFrame | None
    y_valid: np.ndarray | None
    classes: np.ndarray | None


def _to_pandas(frame: Any) -> Any:
    """A polars DataFrame or a pyarrow Table as a pandas DataFrame (columns kept by name; integers
    and booleans with missing values as pandas' nullable ``Int64`` / ``boolean``)."""
    if is_foreign_frame(frame) and hasattr(frame, "to_pandas"):  # not a LazyFrame
        return foreign_to_pandas(frame)
    return frame


def split_label(frame: Any, label: str | None, field: str) -> tuple[pd.DataFrame, np.ndarray]:
    frame = _to_pandas(frame)
    if not isinstance(frame, pd.DataFrame):
        raise ConfigTypeError(
            f"AutoMLConfig: {field} must be a pandas or polars DataFrame or a pyarrow Table, got "
            f"{type(frame).__name__}."
        )
    if label is None:
        raise ConfigError(f"AutoMLConfig: label_column_name is required with {field}.")
    if label not in frame.columns:
        shown = ", ".join(repr(str(c)) for c in list(frame.columns)[:5])
        raise ConfigError(
            f"AutoMLConfig: label_column_name {label!r} is not a column of {field} "
            f"(columns: {shown}{', ...' if frame.shape[1] > 5 else ''})."
        )
    return frame.drop(columns=[label]), frame[label].to_numpy()


def as_frame(X: Any, field: str) -> pd.DataFrame:
    X = _to_pandas(X)
    if isinstance(X, pd.DataFrame):
        frame = X.copy()
    elif isinstance(X, np.ndarray) and X.ndim == 2:
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    else:
        raise ConfigTypeError(
            f"AutoMLConfig: {field} must be a DataFrame or a 2-D array, got {type(X).__name__}."
        )
    names = [str(c) for c in frame.columns]
    if len(set(names)) < len(names):
        seen: dict[str, list[Any]] = {}
        for original, name in zip(frame.columns, names, strict=True):
            seen.setdefault(name, []).append(original)
        clashes = [" and ".join(repr(c) for c in group) for group in seen.values() if len(group) > 1]
        raise DataError(
            f"AutoMLConfig: {field} has columns whose names are the same as text: "
            f"{'; '.join(clashes[:5])}; rename them so every column name is distinct."
        )
    frame.columns = names
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataError(f"AutoMLConfig: {field} is empty (shape {frame.shape}).")
    _check_finite(frame, field)
    return frame


def _check_finite(frame: pd.DataFrame, field: str) -> None:
    """Refuse infinite values (no featurizer or model can use them; NaN means missing) and
    values beyond :data:`MAX_ABS_VALUE`, which the featurization's float32 cannot hold."""
    infinite: list[str] = []
    huge: list[str] = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_float_dtype(column.dtype) or pd.api.types.is_integer_dtype(column.dtype):
            values = np.abs(column.to_numpy(dtype=np.float64, na_value=np.nan))
        elif pd.api.types.is_object_dtype(column.dtype):  # numbers among other objects; not the text "inf"
            values = np.fromiter((abs(float(v)) if isinstance(v, float | int | np.number) and
                                  not isinstance(v, bool) else np.nan for v in column),
                                 dtype=np.float64, count=len(column))
        else:
            continue
        for found, rows in ((infinite, np.flatnonzero(np.isinf(values))),
                            (huge, np.flatnonzero(np.isfinite(values) & (values > MAX_ABS_VALUE)))):
            if rows.size:
                found.append(f"{name!r} ({rows.size} at rows {rows[:3].tolist()})")
    if infinite:
        raise DataError(
            f"AutoMLConfig: {field} has infinite values in columns {', '.join(infinite[:5])}; replace "
            "them with a finite value, or with NaN to mark them missing."
        )
    if huge:
        raise DataError(
            f"AutoMLConfig: {field} has values beyond +-{MAX_ABS_VALUE:.0e} in columns "
            f"{', '.join(huge[:5])}; featurization stores numbers as float32 (at most 3.4e38): "
            "rescale those columns (e.g. take a log)."
        )


def check_numbers_as_text(X: pd.DataFrame, X_valid: pd.DataFrame) -> pd.DataFrame:
    """Validation columns that are numbers in training must hold numbers (text that parses is converted).

    The featurizer would turn text it cannot read as a number into a missing value and impute
    it: a score computed on values that are not the user's.
    """
    out = X_valid.copy()
    for name in X.columns:
        if not pd.api.types.is_numeric_dtype(X[name].dtype) or pd.api.types.is_numeric_dtype(out[name].dtype):
            continue
        values = out[name]
        parsed = pd.to_numeric(values, errors="coerce")
        unreadable = values[parsed.isna() & values.notna()]
        if len(unreadable):
            shown = ", ".join(repr(v) for v in unreadable.unique()[:5])
            raise DataError(
                f"AutoMLConfig: validation_data column {name!r} is numeric in the training data but has "
                f"{len(unreadable)} values that are not numbers ({shown}); fix them, or replace them "
                "with NaN to mark them missing."
            )
        out[name] = parsed
    return out


def _label_types(y: np.ndarray) -> list[str]:
    if y.dtype != object:
        return [y.dtype.name]
    return sorted({type(v).__name__ for v in y if v is not None and not (isinstance(v, float) and v != v)})


def check_labels(y: np.ndarray, n_rows: int, task: str, field: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n_rows:
        raise DataError(f"AutoMLConfig: {field} has shape {y.shape}, expected ({n_rows},).")
    missing = pd.isna(pd.Series(y))
    if missing.any():
        raise DataError(
            f"AutoMLConfig: the label ({field}) has {int(missing.sum())} missing values, e.g. at "
            f"rows {np.flatnonzero(missing.to_numpy())[:5].tolist()}; drop or fill those rows."
        )
    if y.dtype == object:  # one Python type throughout (e.g. all ints) becomes that NumPy dtype
        y = pd.Series(y).infer_objects().to_numpy()
    if y.dtype == object:
        types = _label_types(y)
        numeric = {"int", "float", "int64", "float64", "int32", "float32"}
        if len(types) > 1 and not set(types) <= numeric:
            examples = {type(v).__name__: v for v in y}
            shown = " and ".join(f"{name} (e.g. {examples[name]!r})" for name in types[:5])
            raise DataError(
                f"AutoMLConfig: the label ({field}) mixes value types: {shown}; convert it to one "
                "type, e.g. y.astype(str)."
            )
    if task == "regression":
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"AutoMLConfig: task='regression' needs a numeric label: {exc}") from exc
        if not np.isfinite(y).all():
            raise DataError(f"AutoMLConfig: the label ({field}) contains infinite values.")
    return y

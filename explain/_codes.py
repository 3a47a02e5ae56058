"""Non-numeric columns carried as numeric codes, decoded back before each model call.

Model-agnostic explainers (Kernel SHAP, LIME, permutation importance, mimic surrogates) work
on float matrices: they mix, permute and perturb values column by column. A model that takes
text, categorical or datetime columns (a scikit-learn pipeline that encodes them itself) is
explained on such columns as interpret-community did (``DatasetWrapper.string_index``): each
text or categorical column becomes the position of its value in a list of categories, each
datetime column its instant in nanoseconds, and every matrix handed to the model is decoded
back to the original values and dtypes first. Perturbed rows therefore hold values the model
has seen (Kernel SHAP mixes in background values, LIME samples categories by frequency).

Categories are the sorted distinct values of the initialization rows (a pandas categorical
keeps its own categories, so that codes equal ``Series.cat.codes``); values first seen in
evaluation rows are appended (:meth:`ColumnCodes.extended`), so earlier codes never change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from explain._validation import parse_numbers

__all__ = ["ColumnCodes", "Coding", "index_as_columns", "with_dtypes"]


@dataclass(frozen=True)
class Coding:
    """How one non-numeric column is coded.

    Parameters
    ----------
    position : int
        The column's position in the explainer's matrices.
    kind : {"category", "datetime"}
        Codes are positions in ``categories``, or nanoseconds since the epoch.
    categories : ndarray of object
        The values codes 0, 1, ... stand for (empty for datetimes).
    """

    position: int
    kind: str
    categories: np.ndarray

    def encode(self, column: pd.Series) -> np.ndarray:
        """The column's codes as float64 (NaN for missing values)."""
        if self.kind == "datetime":
            stamps = pd.to_datetime(column)
            if getattr(stamps.dtype, "tz", None) is not None:
                stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
            nanoseconds = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
            return np.where(stamps.isna().to_numpy(), np.nan, nanoseconds)
        index = pd.Index(self.categories)
        codes = index.get_indexer(column.astype(object)).astype(np.float64)
        codes[codes < 0] = np.nan
        return codes

    def decode(self, codes: np.ndarray, dtype: Any) -> pd.Series:
        """The values ``codes`` stand for, in ``dtype`` (missing where a code is NaN)."""
        missing = ~np.isfinite(codes)
        if self.kind == "datetime":
            nanoseconds = np.where(missing, 0, np.round(np.nan_to_num(codes))).astype(np.int64)
            stamps = pd.Series(nanoseconds.astype("datetime64[ns]")).mask(missing)
            tz = getattr(dtype, "tz", None)
            return stamps.dt.tz_localize("UTC").dt.tz_convert(tz) if tz is not None else stamps.astype(dtype)
        n = len(self.categories)
        # a perturbed code (LIME's noise) stands for the nearest category
        position = np.clip(np.round(np.nan_to_num(codes)), 0, max(n - 1, 0)).astype(np.int64)
        position[missing] = -1
        if isinstance(dtype, pd.CategoricalDtype):
            return pd.Series(pd.Categorical.from_codes(position, dtype=dtype))
        values = np.empty(len(codes), dtype=object)
        values[:] = self.categories[np.maximum(position, 0)] if n else None
        values[position < 0] = None
        series = pd.Series(values, dtype=object)
        return series if pd.api.types.is_object_dtype(dtype) else series.astype(dtype)


@dataclass(frozen=True)
class ColumnCodes:
    """The coded columns of a table and how to turn codes back into the model's input.

    Build it with :meth:`fit`; it is ``None`` there when every column is numeric.

    Parameters
    ----------
    labels : tuple
        The original column labels, in the explainer's column order.
    dtypes : tuple
        The original dtypes, in the same order.
    codings : tuple of Coding
        The coded columns.
    as_frame : bool
        Whether the model is given DataFrames (the rows came as one) or object arrays.
    index : tuple, default=()
        Labels of columns that were a DataFrame's index (``MimicExplainer(reset_index=...)``):
        rows given with that index have it read as these columns, and the model is given
        them back as its index.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"city": ["Oslo", "Rome", "Oslo"], "n": [1, 2, 3]})
    >>> codes = ColumnCodes.fit(frame)
    >>> codes.encode(frame)["city"].tolist()
    [0.0, 1.0, 0.0]
    >>> codes.decode(codes.encode(frame).to_numpy())["city"].tolist()
    ['Oslo', 'Rome', 'Oslo']
    """

    labels: tuple[Any, ...]
    dtypes: tuple[Any, ...]
    codings: tuple[Coding, ...]
    as_frame: bool
    index: tuple[Any, ...] = ()

    @classmethod
    def fit(cls, data: Any, *, categorical_only: bool = False,
            index: tuple[Any, ...] = ()) -> ColumnCodes | None:
        """Codes for the text, categorical and datetime columns of ``data`` (a DataFrame or a
        2-D object array); ``None`` when there are none (numbers written as text are numbers)
        and no ``index`` columns are to be given back. With ``categorical_only``, pandas
        categorical columns alone are coded."""
        frame = _as_frame(data)
        if frame is None:
            return None
        codings = []
        for position, (_, column) in enumerate(frame.items()):
            coding = _coding(position, column)
            if coding is not None and (not categorical_only or isinstance(column.dtype, pd.CategoricalDtype)):
                codings.append(coding)
        if not codings and not index:
            return None
        return cls(tuple(frame.columns), tuple(frame.dtypes), tuple(codings),
                   isinstance(data, pd.DataFrame), tuple(index))

    @property
    def names(self) -> tuple[str, ...]:
        """The coded columns' labels as text."""
        return tuple(str(self.labels[c.position]) for c in self.codings)

    def is_category(self) -> np.ndarray:
        """Boolean mask over the columns: coded as categories (not datetimes)."""
        mask = np.zeros(len(self.labels), dtype=bool)
        mask[[c.position for c in self.codings if c.kind == "category"]] = True
        return mask

    def ordered(self, columns: Sequence[str]) -> ColumnCodes:
        """The same codes for matrices whose columns are ``columns`` (labels as text) in that
        order; unchanged when ``columns`` do not name the original columns."""
        text = [str(label) for label in self.labels]
        if sorted(text) != sorted(columns) or list(text) == list(columns):
            return self
        where = {name: i for i, name in enumerate(text)}
        order = [where[name] for name in columns]
        moved = {old: new for new, old in enumerate(order)}
        return replace(self, labels=tuple(self.labels[i] for i in order),
                       dtypes=tuple(self.dtypes[i] for i in order),
                       codings=tuple(sorted((replace(c, position=moved[c.position]) for c in self.codings),
                                            key=lambda c: c.position)))

    def encode(self, data: Any) -> Any:
        """``data`` with its coded columns replaced by their codes (float64); other inputs
        (numeric arrays, sparse matrices) unchanged. A DataFrame's columns are found by label."""
        frame = _as_frame(self._index_read(data))
        if frame is None:
            return data
        by_label = isinstance(data, pd.DataFrame)
        out = frame.copy()
        for coding in self.codings:
            position = self._position(frame, by_label, coding)
            out.isetitem(position, coding.encode(frame.iloc[:, position]))
        return out if by_label else out.to_numpy(dtype=np.float64)

    def extended(self, data: Any) -> ColumnCodes:
        """These codes with the text values of ``data`` not seen before appended to their
        columns' categories (a pandas categorical keeps its categories): existing codes stay."""
        data = self._index_read(data)
        frame = _as_frame(data)
        if frame is None:
            return self
        codings = []
        for coding in self.codings:
            column = frame.iloc[:, self._position(frame, isinstance(data, pd.DataFrame), coding)]
            fixed = isinstance(self.dtypes[coding.position], pd.CategoricalDtype)
            if coding.kind == "category" and not fixed:
                seen = pd.Index(pd.unique(column.dropna().astype(object)))
                new = seen.difference(pd.Index(coding.categories), sort=False)
                if len(new):
                    coding = replace(coding, categories=np.concatenate([coding.categories, _sorted(new)]))
            codings.append(coding)
        return replace(self, codings=tuple(codings))

    def decode(self, X: np.ndarray) -> Any:
        """The rows of ``X`` (codes, columns in this object's order) as a DataFrame with the
        original labels and the coded columns' values and dtypes; numeric columns stay float64."""
        frame = pd.DataFrame(np.asarray(X, dtype=np.float64), columns=list(self.labels))
        for coding in self.codings:
            values = coding.decode(frame.iloc[:, coding.position].to_numpy(), self.dtypes[coding.position])
            frame.isetitem(coding.position, values)
        return frame

    def decode_rows(self, X: np.ndarray) -> Any:
        """:meth:`decode`, with numeric columns back in their dtypes where that loses nothing
        (:func:`with_dtypes`): a DataFrame when the rows came as one, else an object array."""
        frame = with_dtypes(self.decode(X), list(self.dtypes))
        if self.index:
            frame = frame.set_index(list(self.index))
        return frame if self.as_frame else frame.to_numpy(dtype=object)

    def _position(self, frame: pd.DataFrame, by_label: bool, coding: Coding) -> int:
        """Where ``coding``'s column is in ``frame``: found by its label in a DataFrame that has
        it, else at the coded position."""
        label = self.labels[coding.position]
        if by_label and label in frame.columns:
            found = frame.columns.get_loc(label)
            if isinstance(found, int):
                return found
        return coding.position

    def _index_read(self, data: Any) -> Any:
        """A DataFrame whose index holds the ``index`` columns, with them as its last columns."""
        if not self.index or not isinstance(data, pd.DataFrame) or \
                not set(self.index) <= set(data.index.names):
            return data
        return index_as_columns(data)


def index_as_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its (named, non-default) index as its last columns, as interpret-community's
    ``DatasetWrapper.reset_index`` put it; a default range index is dropped."""
    if isinstance(frame.index, pd.RangeIndex) and frame.index.name is None:
        return frame
    flat = frame.reset_index()
    moved = [c for c in flat.columns if c not in frame.columns]
    return flat[[*frame.columns, *moved]]


def _as_frame(data: Any) -> pd.DataFrame | None:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, np.ndarray) and data.ndim == 2 and data.dtype.kind in "OUSM":
        return pd.DataFrame(data)
    return None


def _coding(position: int, column: pd.Series) -> Coding | None:
    dtype = column.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return Coding(position, "datetime", np.empty(0, dtype=object))
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return None
    numbers, _ = parse_numbers(column)
    if numbers is not None:
        return None  # numbers written as text are read as numbers
    if isinstance(dtype, pd.CategoricalDtype):
        return Coding(position, "category", np.asarray(dtype.categories, dtype=object))
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
        return None  # other kinds (timedeltas, intervals) are refused by validation
    present = column.dropna()
    if len(present) and all(isinstance(v, pd.Timestamp) for v in present.iloc[:100]):
        return Coding(position, "datetime", np.empty(0, dtype=object))
    return Coding(position, "category", _sorted(pd.Index(pd.unique(present.astype(object)))))


def _sorted(values: pd.Index) -> np.ndarray:
    """Distinct values sorted (as scikit-learn's OrdinalEncoder orders them), or in order of
    appearance when they do not compare (mixed types)."""
    items = np.asarray(values, dtype=object)
    try:
        return np.asarray(sorted(items), dtype=object)
    except TypeError:
        return items


def with_dtypes(frame: pd.DataFrame, dtypes: list[Any]) -> pd.DataFrame:
    """``frame`` (float64 columns) with each column back in its original numeric dtype where
    that loses nothing: integers and booleans only when every value is one, so a perturbed
    row (LIME's noise, a Kernel SHAP mix) is never rounded; other dtypes stay float64."""
    cast = {}
    for position, dtype in enumerate(dtypes):
        numeric = pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        if dtype == np.float64 or not numeric:
            continue
        values = frame.iloc[:, position].to_numpy()
        if pd.api.types.is_bool_dtype(dtype):
            lossless = bool(np.isin(values, (0.0, 1.0)).all())
        elif pd.api.types.is_integer_dtype(dtype):
            lossless = bool(np.isfinite(values).all() and (values == np.round(values)).all())
        else:  # float32, nullable floats
            lossless = True
        if lossless:
            cast[frame.columns[position]] = dtype
    return frame.astype(cast) if cast else frame

"""An explanation's rows and predictions in its file (schema_version 6).

interpret-community saved ``init_data``, ``eval_data``, ``eval_y_predicted`` and
``eval_y_predicted_proba`` with an explanation, and ported code reads them back (to feed a
dashboard, or to compare). :func:`data_members` turns them into ``.npy`` members and a
metadata entry ``"data": {field: kind}``:

* ``"dense"``: one member ``data/<field>.npy``, numbers as float64 (a numeric DataFrame by its
  values), labels as int64, bool or fixed-width unicode;
* ``"csr"``: a sparse matrix as ``data/<field>/data.npy`` (float64), ``indices``, ``indptr``
  and ``shape`` (int64);
* ``"unsaved"``: the explanation held the field but it cannot be written without pickle (text
  mixed with numbers, objects); the loaded explanation says so when it is read.

A field the explanation did not hold is absent. Nothing here is pickled; the loader reads the
members with the archive's checks (:meth:`explain._archive.ExplanationArchive.read_array`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from explain._datasets import ExplanationData

__all__ = ["DATA_FIELDS", "DATA_KINDS", "data_from", "data_members", "member_names"]

DATA_FIELDS = ("init_data", "eval_data", "eval_y_predicted", "eval_y_predicted_proba")
DATA_KINDS = ("dense", "csr", "unsaved")
_CSR_PARTS = ("data", "indices", "indptr", "shape")


def data_members(data: ExplanationData | None) -> tuple[dict[str, str] | None, dict[str, np.ndarray]]:
    """The metadata entry (``None`` without data) and the arrays (member name -> array)."""
    if data is None:
        return None, {}
    kinds: dict[str, str] = {}
    arrays: dict[str, np.ndarray] = {}
    for field in DATA_FIELDS:
        value = getattr(data, field)
        if value is None:
            continue
        if sp.issparse(value):
            matrix = sp.csr_matrix(value, dtype=np.float64)
            parts = {"data": matrix.data, "indices": matrix.indices.astype(np.int64),
                     "indptr": matrix.indptr.astype(np.int64),
                     "shape": np.asarray(matrix.shape, dtype=np.int64)}
            arrays.update({f"data/{field}/{part}": parts[part] for part in _CSR_PARTS})
            kinds[field] = "csr"
            continue
        dense = _dense(value)
        kinds[field] = "unsaved" if dense is None else "dense"
        if dense is not None:
            arrays[f"data/{field}"] = dense
    return kinds, arrays


def member_names(kinds: Mapping[str, str]) -> set[str]:
    """The archive members (``.npy``) a checked metadata entry calls for."""
    members = set()
    for field, kind in kinds.items():
        if kind == "dense":
            members.add(f"data/{field}.npy")
        elif kind == "csr":
            members |= {f"data/{field}/{part}.npy" for part in _CSR_PARTS}
    return members


def data_from(kinds: Mapping[str, str], read: Callable[[str], np.ndarray]) -> ExplanationData:
    """The :class:`ExplanationData` a checked metadata entry describes; ``read(member)`` reads
    one member (checked by the archive)."""
    values: dict[str, Any] = {}
    for field, kind in kinds.items():
        if kind == "dense":
            values[field] = read(f"data/{field}.npy")
        elif kind == "csr":
            parts = {part: read(f"data/{field}/{part}.npy") for part in _CSR_PARTS}
            shape = tuple(int(n) for n in parts["shape"])
            values[field] = sp.csr_matrix((parts["data"], parts["indices"], parts["indptr"]), shape=shape)
    unsaved = frozenset(field for field, kind in kinds.items() if kind == "unsaved")
    return ExplanationData(**values, unsaved=unsaved)


def _dense(value: Any) -> np.ndarray | None:
    """``value`` as an array written without pickle, or ``None`` when it cannot be."""
    if isinstance(value, pd.DataFrame | pd.Series):
        kinds = {np.dtype(d).kind if isinstance(d, np.dtype) else "O" for d in
                 (value.dtypes if isinstance(value, pd.DataFrame) else [value.dtype])}
        if not kinds <= set("biuf"):
            return None
        return value.to_numpy(dtype=np.float64, na_value=np.nan)
    array = np.asarray(value)
    if array.dtype.kind == "O":
        items = array.ravel().tolist()
        if not (all(isinstance(v, str) for v in items)
                or all(isinstance(v, int | float | np.number) for v in items)):
            return None  # text mixed with numbers, or objects
        try:
            array = np.asarray(array.tolist())
        except (TypeError, ValueError):  # ragged rows
            return None
    kind = array.dtype.kind
    if kind == "f":
        return array.astype(np.float64)
    if kind in "iu":
        return array.astype(np.int64)
    if kind == "b":
        return array.astype(bool)
    if kind in "US":
        return array.astype(str)
    return None

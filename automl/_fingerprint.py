"""The fingerprint of an experiment's data, stored with it so a resume can tell other data apart.

A fingerprint is a JSON-ready dict: shape, column names, dtypes, and SHA-256 digests of the
feature values and of the labels (of the validation data too, when given). Values are hashed
with pandas' own row hashing (``pandas.util.hash_pandas_object``), column by column, so a
million-row table takes well under a second.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["data_fingerprint", "describe_difference"]


def _column_digest(column: pd.Series) -> bytes:
    try:
        hashed = pd.util.hash_pandas_object(column, index=False)
    except TypeError:  # unhashable or mixed objects: hash their text
        hashed = pd.util.hash_pandas_object(column.astype(str), index=False)
    return np.asarray(hashed, dtype=np.uint64).tobytes()


def _table(X: pd.DataFrame, y: np.ndarray) -> dict[str, Any]:
    features = hashlib.sha256()
    for name in X.columns:
        features.update(str(name).encode() + b"\0" + _column_digest(X[name]))
    labels = hashlib.sha256(str(np.asarray(y).dtype).encode())
    labels.update(_column_digest(pd.Series(np.asarray(y))))
    return {"rows": int(X.shape[0]), "columns": [str(c) for c in X.columns],
            "dtypes": [str(t) for t in X.dtypes], "features_sha256": features.hexdigest(),
            "labels_sha256": labels.hexdigest()}


def data_fingerprint(X: pd.DataFrame, y: np.ndarray, X_valid: pd.DataFrame | None = None,
                     y_valid: np.ndarray | None = None) -> dict[str, Any]:
    """Fingerprint of training data (and validation data, if any).

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_columns)
        Training features.
    y : ndarray of shape (n_rows,)
        Training labels.
    X_valid, y_valid : DataFrame and ndarray, default=None
        Validation data.

    Returns
    -------
    dict
        ``{"training": {...}, "validation": {...} or None}``; each part has ``rows``,
        ``columns``, ``dtypes``, ``features_sha256`` and ``labels_sha256``.
    """
    validation = None if X_valid is None or y_valid is None else _table(X_valid, y_valid)
    return {"training": _table(X, y), "validation": validation}


def _part_difference(stored: dict[str, Any] | None, given: dict[str, Any] | None, what: str) -> list[str]:
    if stored is None or given is None:
        if stored is None and given is None:
            return []
        return [f"{what}: {'none' if stored is None else 'given'} before, "
                f"{'none' if given is None else 'given'} now"]
    out = []
    if stored["rows"] != given["rows"]:
        out.append(f"{what} rows: {stored['rows']} stored, {given['rows']} given")
    if stored["columns"] != given["columns"]:
        missing = [c for c in stored["columns"] if c not in given["columns"]][:5]
        extra = [c for c in given["columns"] if c not in stored["columns"]][:5]
        detail = ", ".join(part for part in (f"missing {missing}" if missing else "",
                                             f"new {extra}" if extra else "") if part)
        out.append(f"{what} columns differ ({detail or 'another order'})")
    elif stored["dtypes"] != given["dtypes"]:
        changed = [f"{c!r}: {a} -> {b}" for c, a, b in zip(stored["columns"], stored["dtypes"],
                                                            given["dtypes"], strict=True) if a != b]
        out.append(f"{what} column types differ ({', '.join(changed[:5])})")
    elif stored["features_sha256"] != given["features_sha256"] and stored["rows"] == given["rows"]:
        out.append(f"{what} feature values differ")
    if stored["labels_sha256"] != given["labels_sha256"] and stored["rows"] == given["rows"]:
        out.append(f"{what} labels differ")
    return out


def describe_difference(stored: dict[str, Any], given: dict[str, Any]) -> list[str]:
    """What differs between two fingerprints, in words (empty when they are equal)."""
    return (_part_difference(stored.get("training"), given.get("training"), "training data")
            + _part_difference(stored.get("validation"), given.get("validation"), "validation data"))

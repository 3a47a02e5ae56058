"""ColumnCodes: text, categorical and datetime columns as codes, decoded back for the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explain._codes import ColumnCodes, with_dtypes


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "city": ["Rome", "Oslo", None, "Oslo"],
        "n": [1, 2, 3, 4],
        "kind": pd.Categorical(["b", "a", "b", "a"], categories=["b", "a"]),
        "when": pd.to_datetime(["2020-01-01", "2021-05-05 10:00:01", None, "1999-12-31"], format="ISO8601"),
        "amount": ["1.5", "2", "3", None],  # numbers written as text stay numbers
    })


def test_only_non_numeric_columns_are_coded(frame: pd.DataFrame) -> None:
    codes = ColumnCodes.fit(frame)
    assert codes is not None
    assert codes.names == ("city", "kind", "when")
    assert codes.is_category().tolist() == [True, False, True, False, False]
    assert ColumnCodes.fit(frame[["n", "amount"]]) is None
    assert ColumnCodes.fit(np.ones((3, 2))) is None


def test_codes_are_sorted_categories_pandas_codes_and_nanoseconds(frame: pd.DataFrame) -> None:
    codes = ColumnCodes.fit(frame)
    assert codes is not None
    encoded = codes.encode(frame)
    np.testing.assert_array_equal(encoded["city"], [1, 0, np.nan, 0])
    np.testing.assert_array_equal(encoded["kind"], frame["kind"].cat.codes)
    assert encoded["when"].iloc[0] == pd.Timestamp("2020-01-01").value
    assert np.isnan(encoded["when"].iloc[2])
    assert encoded["amount"].tolist()[:3] == ["1.5", "2", "3"]  # left to validation


def test_decoding_gives_back_values_and_dtypes(frame: pd.DataFrame) -> None:
    codes = ColumnCodes.fit(frame)
    assert codes is not None
    matrix = codes.encode(frame).astype({"amount": float}).to_numpy(dtype=np.float64)
    decoded = codes.decode_rows(matrix)
    pd.testing.assert_frame_equal(decoded.drop(columns="amount"), frame.drop(columns="amount"))
    assert decoded["amount"].dtype == np.float64


def test_perturbed_codes_decode_to_known_values(frame: pd.DataFrame) -> None:
    codes = ColumnCodes.fit(frame)
    assert codes is not None
    matrix = np.array([[0.4, 1.0, 7.0, 0.0, 1.0], [-3.0, 1.0, 0.6, 0.0, 1.0]])
    decoded = codes.decode(matrix)
    assert decoded["city"].tolist() == ["Oslo", "Oslo"]  # nearest code, clipped to the known ones
    assert decoded["kind"].tolist() == ["a", "a"]


def test_object_arrays_decode_to_object_arrays() -> None:
    array = np.array([["x", 1.0], ["y", 2.5]], dtype=object)
    codes = ColumnCodes.fit(array)
    assert codes is not None and not codes.as_frame
    matrix = codes.encode(array)
    assert matrix.dtype == np.float64
    back = codes.decode_rows(matrix)
    assert back.dtype == object and back.tolist() == [["x", 1.0], ["y", 2.5]]


def test_new_values_extend_the_categories_keeping_old_codes(frame: pd.DataFrame) -> None:
    codes = ColumnCodes.fit(frame)
    assert codes is not None
    later = frame.assign(city=["Paris", "Oslo", "Rome", "Athens"])
    wider = codes.extended(later)
    np.testing.assert_array_equal(wider.encode(later)["city"], [3, 0, 1, 2])
    assert wider.decode(wider.encode(later).astype({"amount": float}).to_numpy())["city"].tolist() \
        == later["city"].tolist()
    assert codes.extended(frame) == codes


def test_ordered_follows_the_explainer_columns(frame: pd.DataFrame) -> None:
    codes = ColumnCodes.fit(frame)
    assert codes is not None
    order = ["n", "when", "amount", "kind", "city"]
    moved = codes.ordered(order)
    assert [str(label) for label in moved.labels] == order
    matrix = codes.encode(frame)[order].astype({"amount": float}).to_numpy(dtype=np.float64)
    assert moved.decode(matrix)["city"].tolist()[:2] == ["Rome", "Oslo"]
    assert codes.ordered(["a", "b"]) is codes


def test_with_dtypes_restores_integers_only_when_lossless() -> None:
    frame = pd.DataFrame({"i": [1.0, 2.0], "j": [1.5, 2.0]})
    out = with_dtypes(frame, [np.dtype(np.int64), np.dtype(np.int64)])
    assert out["i"].dtype == np.int64 and out["j"].dtype == np.float64


def test_index_columns_are_read_from_the_index_and_given_back_as_it() -> None:
    from explain._codes import index_as_columns

    frame = pd.DataFrame({"n": [1.0, 2.0]}, index=pd.Index(["a", "b"], name="key"))
    flat = index_as_columns(frame)
    assert list(flat.columns) == ["n", "key"]
    codes = ColumnCodes.fit(flat, index=("key",))
    assert codes is not None
    matrix = codes.encode(frame).to_numpy(dtype=np.float64)  # the index read as its column
    np.testing.assert_array_equal(matrix, [[1.0, 0.0], [2.0, 1.0]])
    pd.testing.assert_frame_equal(codes.decode_rows(matrix), frame)
    numeric = pd.DataFrame({"n": [1.0]}, index=pd.Index([7], name="id"))
    assert ColumnCodes.fit(index_as_columns(numeric), index=("id",)) is not None  # to give it back
    assert index_as_columns(pd.DataFrame({"n": [1.0]})).columns.tolist() == ["n"]

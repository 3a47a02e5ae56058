"""Tests of ``records_to_frame``: JSON records checked against the input schema, column by column,
with errors that name the row and the column."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from explain import ExplanationValueError
from explain.scoring._rows import RowsError, records_to_frame

SCHEMA = {"income": "number", "age": "integer", "region": "string", "member": "boolean"}


def _record(**changes: Any) -> dict[str, Any]:
    return {"income": 51.5, "age": 40, "region": "north", "member": True, **changes}


def _records(n: int = 5, **changes_at_3: Any) -> list[dict[str, Any]]:
    records = [_record(income=50.0 + i, age=30 + i, region=("north", "south")[i % 2], member=i % 2 == 0)
               for i in range(n)]
    records[3] = {**records[3], **changes_at_3}
    return records


def _is_string_column(series: pd.Series) -> bool:
    # pandas < 3 keeps object; pandas >= 3 infers its string dtype from an object array of str
    return pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)


# ------------------------------------------------------------------------------------- good rows
def test_columns_follow_the_schema_order_and_kinds() -> None:
    records = [{"member": False, "region": "east", "age": 7, "income": 1}, _record()]
    frame = records_to_frame(records, SCHEMA, allow_missing=False)
    assert list(frame.columns) == ["income", "age", "region", "member"]
    assert frame.shape == (2, 4)
    assert frame["income"].dtype == np.float64
    assert frame["age"].dtype == np.int64
    assert _is_string_column(frame["region"])
    assert frame["member"].dtype == np.bool_
    assert frame["income"].tolist() == [1.0, 51.5]
    assert frame["age"].tolist() == [7, 40]
    assert frame["region"].tolist() == ["east", "north"]
    assert frame["member"].tolist() == [False, True]


def test_the_schema_order_wins_over_the_record_order() -> None:
    schema = {"b": "number", "a": "string"}
    frame = records_to_frame([{"a": "x", "b": 1.0}], schema, allow_missing=False)
    assert list(frame.columns) == ["b", "a"]


def test_integral_floats_in_an_integer_column_give_int64() -> None:
    frame = records_to_frame([_record(age=41.0), _record(age=-3)], SCHEMA, allow_missing=False)
    assert frame["age"].dtype == np.int64
    assert frame["age"].tolist() == [41, -3]


def test_ints_in_a_number_column_give_float64() -> None:
    frame = records_to_frame([_record(income=3), _record(income=0)], SCHEMA, allow_missing=False)
    assert frame["income"].dtype == np.float64
    assert frame["income"].tolist() == [3.0, 0.0]


def test_missing_numbers_become_nan_when_allowed() -> None:
    records = [_record(income=None, age=None), _record(income=float("nan")), _record()]
    frame = records_to_frame(records, SCHEMA, allow_missing=True)
    assert frame["income"].dtype == np.float64
    assert math.isnan(frame["income"][0]) and math.isnan(frame["income"][1])
    assert frame["income"][2] == 51.5
    assert frame["age"].dtype == np.float64  # an integer column with a gap cannot be int64
    assert math.isnan(frame["age"][0])
    assert frame["age"][1:].tolist() == [40.0, 40.0]


def test_missing_strings_and_booleans_are_kept_when_allowed() -> None:
    records = [_record(region=None, member=None), _record()]
    frame = records_to_frame(records, SCHEMA, allow_missing=True)
    assert frame["region"].isna().tolist() == [True, False]
    assert frame["region"][1] == "north"
    assert frame["member"].dtype == object
    assert frame["member"].tolist() == [None, True]


def test_no_records_give_an_empty_frame_with_the_columns() -> None:
    frame = records_to_frame([], SCHEMA, allow_missing=False)
    assert list(frame.columns) == list(SCHEMA)
    assert len(frame) == 0


def test_rows_error_is_an_explanation_value_error() -> None:
    assert issubclass(RowsError, ExplanationValueError)
    assert issubclass(RowsError, ValueError)


# ------------------------------------------------------------------------------- missing/unknown
def test_a_missing_column_is_named_with_the_row() -> None:
    records = _records()
    del records[3]["age"]
    with pytest.raises(RowsError, match=r"^data\[3\]: missing column 'age'\.$"):
        records_to_frame(records, SCHEMA, allow_missing=True)


def test_an_unknown_column_is_named_with_the_row() -> None:
    with pytest.raises(RowsError, match=r"^data\[3\]: unknown column 'agee'\.$"):
        records_to_frame(_records(agee=3), SCHEMA, allow_missing=True)


def test_missing_and_unknown_columns_are_named_together() -> None:
    records = _records(agee=3, zip="x")
    del records[3]["age"]
    del records[3]["member"]
    with pytest.raises(RowsError, match=r"^data\[3\]: missing columns 'age', 'member'; unknown columns "
                                        r"'agee', 'zip'\.$"):
        records_to_frame(records, SCHEMA, allow_missing=True)


def test_an_empty_record_names_every_column() -> None:
    message = r"^data\[0\]: missing columns 'income', 'age', 'region', 'member'\.$"
    with pytest.raises(RowsError, match=message):
        records_to_frame([{}], SCHEMA, allow_missing=True)


def test_the_first_bad_row_is_reported() -> None:
    records = _records(7)
    records[5] = {**records[5], "extra": 1}
    records[2] = {**records[2], "other": 1}
    with pytest.raises(RowsError, match=r"^data\[2\]: unknown column 'other'"):
        records_to_frame(records, SCHEMA, allow_missing=True)


# ----------------------------------------------------------------------------------- wrong types
@pytest.mark.parametrize(("column", "value", "message"), [
    ("income", "12.5", r"data\[3\]\.income: expected a number, got '12\.5' \(str\)"),
    ("income", True, r"data\[3\]\.income: expected a number, got True \(bool\)"),
    ("age", False, r"data\[3\]\.age: expected a number, got False \(bool\)"),
    ("age", "40", r"data\[3\]\.age: expected a number, got '40' \(str\)"),
    ("income", [1.0], r"data\[3\]\.income: expected a number, got \[1\.0\] \(list\)"),
    ("income", {"v": 1}, r"data\[3\]\.income: expected a number, got \{'v': 1\} \(dict\)"),
    ("region", 3, r"data\[3\]\.region: expected a string, got 3 \(int\)"),
    ("region", 2.5, r"data\[3\]\.region: expected a string, got 2\.5 \(float\)"),
    ("region", True, r"data\[3\]\.region: expected a string, got True \(bool\)"),
    ("member", 1, r"data\[3\]\.member: expected true or false, got 1 \(int\)"),
    ("member", "true", r"data\[3\]\.member: expected true or false, got 'true' \(str\)"),
])
def test_a_value_of_the_wrong_type_is_refused(column: str, value: Any, message: str) -> None:
    with pytest.raises(RowsError, match=message):
        records_to_frame(_records(**{column: value}), SCHEMA, allow_missing=True)


def test_a_long_value_is_shortened_in_the_message() -> None:
    with pytest.raises(RowsError, match=r"expected a number, got 'x{39}\.\.\. \(str\)\.$"):
        records_to_frame(_records(income="x" * 100), SCHEMA, allow_missing=True)


@pytest.mark.parametrize("value", [math.inf, -math.inf])
@pytest.mark.parametrize("column", ["income", "age"])
def test_infinite_numbers_are_refused(column: str, value: float) -> None:
    with pytest.raises(RowsError, match=rf"data\[3\]\.{column}: expected a finite number, got -?inf"):
        records_to_frame(_records(**{column: value}), SCHEMA, allow_missing=True)


# ------------------------------------------------------------------------------------ missing values
@pytest.mark.parametrize("column", list(SCHEMA))
@pytest.mark.parametrize("value", [None, float("nan")], ids=["None", "NaN"])
def test_missing_values_are_refused_when_not_allowed(column: str, value: Any) -> None:
    with pytest.raises(RowsError, match=rf"^data\[3\]\.{column}: missing value, but the model does not "
                                        r"accept missing values\.$"):
        records_to_frame(_records(**{column: value}), SCHEMA, allow_missing=False)


@pytest.mark.parametrize(("column", "value"), [
    *[pytest.param(column, None, id=f"None-{column}") for column in SCHEMA],
    pytest.param("income", float("nan"), id="NaN-income"),
    pytest.param("age", float("nan"), id="NaN-age"),
    pytest.param("region", float("nan"), id="NaN-region"),
    pytest.param("member", float("nan"), id="NaN-member"),
])
def test_missing_values_are_accepted_when_allowed(column: str, value: Any) -> None:
    frame = records_to_frame(_records(**{column: value}), SCHEMA, allow_missing=True)
    assert frame.shape == (5, 4)
    assert pd.isna(frame[column][3])
    assert frame[column].notna().sum() == 4


def test_the_first_missing_row_is_named() -> None:
    records = _records(income=None)
    records[1] = {**records[1], "income": None}
    with pytest.raises(RowsError, match=r"^data\[1\]\.income: missing value"):
        records_to_frame(records, SCHEMA, allow_missing=False)


# ---------------------------------------------------------------------------------------- bugs
@pytest.mark.parametrize("value", [1e300, 2**63, -1e19], ids=["1e300", "2**63", "-1e19"])
def test_an_integer_outside_int64_is_refused_or_kept(value: float) -> None:
    records = [_record(age=value), _record()]
    try:
        frame = records_to_frame(records, SCHEMA, allow_missing=False)
    except RowsError as exc:
        assert "data[0].age" in str(exc)
    else:
        assert frame["age"][0] == value


def test_a_large_integer_is_not_changed() -> None:
    frame = records_to_frame([_record(age=2**53 + 1)], SCHEMA, allow_missing=False)
    assert frame["age"].dtype == np.int64
    assert int(frame["age"][0]) == 2**53 + 1

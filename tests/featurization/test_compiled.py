"""The compiled featurization gives the pipeline's numbers, value for value, and checks its input."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skrub
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from featurization import (
    AutoFeaturizer,
    ColumnValueError,
    CompiledFeaturizer,
    FeaturizationValueError,
    compile_featurizer,
)

KINDS = {"count": "integer", "flag": "boolean"}
WORDS = np.array(["good", "bad", "late", "fast", "price", "support", "happy", "slow", "room", "view"])


@functools.cache
def table(n_rows: int = 400) -> pd.DataFrame:
    """Every column kind: numbers with NaN, integers, booleans, categories (text with missing values
    and a categorical dtype), datetimes (before 1970 too, with seconds and microseconds), dates
    as text, free text, numbers as text, and columns AutoFeaturizer drops (constant, ID)."""
    rng = np.random.default_rng(0)
    income = rng.normal(50.0, 10.0, n_rows)
    income[rng.random(n_rows) < 0.1] = np.nan
    region = rng.choice(["north", "south", "east", "west"], n_rows).astype(object)
    region[rng.random(n_rows) < 0.05] = None
    start = np.datetime64("1965-06-01T00:00:00", "us")
    offsets = rng.integers(0, 60 * 365 * 86_400 * 10**6, n_rows).astype("timedelta64[us]")
    return pd.DataFrame({
        "income": income,
        "count": rng.integers(0, 40, n_rows),
        "flag": rng.random(n_rows) < 0.3,
        "region": region,
        "tier": pd.Categorical(rng.choice(["gold", "silver"], n_rows)),
        "when": pd.Series(start + offsets).astype("datetime64[us]"),
        "day": pd.Series(pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n_rows), unit="D")
                         ).dt.strftime("%d/%m/%Y"),
        "comment": [" ".join(rng.choice(WORDS, 4)) for _ in range(n_rows)],
        "code": [f"{x:.2f}" for x in rng.normal(size=n_rows)],
        "constant": np.ones(n_rows),
        "row_id": np.arange(n_rows),
    })


@functools.cache
def fitted_auto() -> AutoFeaturizer:
    return AutoFeaturizer().fit(table().iloc[:300])


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-like rows: plain Python values, None for missing, datetimes as ISO 8601 text."""
    out = []
    for row in frame.to_dict("records"):
        record = {}
        for key, value in row.items():
            if isinstance(value, pd.Timestamp):
                value = value.isoformat()
            elif value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
                value = None
            elif isinstance(value, np.generic):
                value = value.item()
            record[key] = value
        out.append(record)
    return out


def held_out_with_surprises() -> pd.DataFrame:
    """Rows fit did not see, with unknown categories and a missing value in every column."""
    rows = table().iloc[300:].copy()
    rows.loc[rows.index[0], "region"] = "atlantis"
    rows.loc[rows.index[1], "comment"] = "completely unseen words zebra"
    rows.loc[rows.index[2], ["income", "region", "when", "day", "comment", "code"]] = None
    rows.loc[rows.index[3], "tier"] = np.nan
    return rows


def test_auto_featurizer_compiles_every_column_kind() -> None:
    compiled = compile_featurizer(fitted_auto(), KINDS)
    # numbers written as text are read by the column's own steps (no compiled form)
    assert isinstance(compiled, CompiledFeaturizer) and compiled.fallback_columns == ("code",)
    kinds = {name: spec.kind for name, spec in compiled.specs.items()}
    assert kinds == {"income": "number", "count": "integer", "flag": "boolean", "region": "category",
                     "tier": "category", "when": "datetime", "day": "datetime", "comment": "text",
                     "code": "number", "constant": "unused", "row_id": "unused"}
    specs = compiled.specs
    assert specs["region"].categories == ("east", "north", "south", "west")
    assert specs["region"].missing == "encoded"  # fit saw missing regions: a category of its own
    assert specs["tier"].missing == "unknown"
    assert specs["income"].missing == specs["when"].missing == "imputed"
    assert specs["day"].datetime_format == "%d/%m/%Y" and specs["when"].datetime_format is None
    assert compiled.required == tuple(c for c in table().columns if c not in ("constant", "row_id"))
    assert compiled.feature_names == tuple(fitted_auto().get_feature_names_out())


@pytest.mark.parametrize("given_as", ["frame", "records"])
def test_compiled_numbers_equal_the_pipeline_on_every_column_kind(given_as: str) -> None:
    auto = fitted_auto()
    compiled = compile_featurizer(auto, KINDS)
    assert compiled is not None
    rows = held_out_with_surprises()
    want = auto.transform(rows)
    got = compiled.transform(rows if given_as == "frame" else records(rows))
    np.testing.assert_array_equal(got, want)


def test_dates_with_time_zone_offsets_are_read_as_their_instant() -> None:
    auto = fitted_auto()
    compiled = compile_featurizer(auto, KINDS)
    assert compiled is not None
    rows = table().iloc[300:310]
    shifted = records(rows)
    for record, when in zip(shifted, rows["when"], strict=True):
        record["when"] = (when + pd.Timedelta(hours=2)).isoformat() + "+02:00"
    np.testing.assert_array_equal(compiled.transform(shifted), auto.transform(rows))


def test_unknown_categories_are_reported_with_their_row() -> None:
    compiled = compile_featurizer(fitted_auto(), KINDS)
    assert compiled is not None
    rows = records(held_out_with_surprises().iloc[:4])
    columns = {name: [r[name] for r in rows] for name in rows[0]}
    featurized = compiled.transform_columns(columns, 4)
    assert featurized.unknown == ((0, "region", "atlantis"), (3, "tier", None))


def test_a_table_vectorizer_alone_passes_missing_values_on() -> None:
    frame = table().drop(columns=["constant", "row_id"])
    vectorizer = skrub.TableVectorizer().fit(frame.iloc[:300])
    compiled = compile_featurizer(vectorizer, KINDS)
    assert compiled is not None and compiled.specs["income"].missing == "passed"
    rows = held_out_with_surprises().drop(columns=["constant", "row_id"])
    want = vectorizer.transform(rows).to_numpy(dtype=np.float64, na_value=np.nan)
    np.testing.assert_array_equal(compiled.transform(records(rows)), want)
    assert np.isnan(want).any()


def test_steps_after_the_featurizer_are_applied_as_they_are() -> None:
    pipeline = Pipeline([("featurize", AutoFeaturizer()), ("scale", StandardScaler())])
    pipeline.fit(table().iloc[:300])
    compiled = compile_featurizer(pipeline, KINDS)
    assert compiled is not None
    rows = held_out_with_surprises()
    np.testing.assert_array_equal(compiled.transform(records(rows)), pipeline.transform(rows))


def test_a_chain_without_a_compiled_form_runs_its_own_steps() -> None:
    frame = table()[["income", "when", "region"]]
    vectorizer = skrub.TableVectorizer(datetime=skrub.DatetimeEncoder(periodic_encoding="circular"))
    vectorizer.fit(frame.iloc[:300])
    compiled = compile_featurizer(vectorizer)
    assert compiled is not None and compiled.fallback_columns == ("when",)
    rows = held_out_with_surprises()[["income", "when", "region"]]
    want = vectorizer.transform(rows).to_numpy(dtype=np.float64, na_value=np.nan)
    np.testing.assert_array_equal(compiled.transform(rows), want)


def test_the_identity_featurization_passes_numbers_as_float64() -> None:
    frame = table()[["income", "count"]]
    identity = FunctionTransformer(feature_names_out="one-to-one").fit(frame)
    compiled = compile_featurizer(identity, KINDS)
    assert compiled is not None and compiled.specs["count"].kind == "integer"
    np.testing.assert_array_equal(compiled.transform(frame.iloc[:50]), frame.iloc[:50].to_numpy(np.float64))


def test_featurizers_without_a_compiled_form_return_none() -> None:
    frame = table()[["income", "count"]]
    scaler = ColumnTransformer([("num", StandardScaler(), ["income", "count"])]).fit(frame)
    assert compile_featurizer(scaler) is None
    assert compile_featurizer(FunctionTransformer(np.log1p).fit(frame)) is None


@pytest.mark.parametrize(("column", "value", "message"), [
    ("when", "not a date", r"row 0, column 'when': 'not a date' is not a date \(expected ISO 8601"),
    ("when", "2021-02-30", r"'2021-02-30' is not a date"),
    ("when", "", r"'' is not a date"),
    ("day", "2021-03-04", r"'2021-03-04' is not a date \(expected the format '%d/%m/%Y'\)"),
    ("when", 20210304, r"expected a date as text, got 20210304"),
    ("income", 1e300, r"column 'income': 1e\+300 is beyond the range the featurization stores numbers in "
                      r"\(float32"),
    ("income", float("inf"), r"expected a finite number, got inf"),
    ("income", "12", r"column 'income': expected a number, got '12'"),
    ("income", True, r"expected a number, got True"),
    ("count", 2**70, r"out of the 64-bit integer range"),
    ("flag", 1, r"column 'flag': expected true or false, got 1"),
    ("region", 3, r"column 'region': expected a category as a string, got 3"),
    ("comment", ["a"], r"column 'comment': expected text \(a string\), got \['a'\]"),
    ("code", "twelve", r"column 'code': expected a number, got 'twelve'"),
])
def test_values_the_featurization_cannot_take_are_refused_naming_the_column(column: str, value: Any,
                                                                          message: str) -> None:
    compiled = compile_featurizer(fitted_auto(), KINDS)
    assert compiled is not None
    row = records(table().iloc[300:301])[0]
    row[column] = value
    with pytest.raises(ColumnValueError, match=message) as caught:
        compiled.transform([row])
    assert caught.value.column == column and caught.value.row == 0


def test_a_missing_column_is_refused_and_unused_ones_may_be_left_out() -> None:
    compiled = compile_featurizer(fitted_auto(), KINDS)
    assert compiled is not None
    row = records(table().iloc[300:301])[0]
    del row["constant"], row["row_id"]
    compiled.transform([row])
    del row["region"]
    columns = {name: [value] for name, value in row.items()}
    with pytest.raises(FeaturizationValueError, match=r"missing columns 'region'"):
        compiled.transform_columns(columns, 1)


# ---------------------------------------------------------------------- property: equal to the pipeline
_VALUES = {
    "income": st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)),
    "count": st.integers(-1000, 1000),
    "flag": st.booleans(),
    "region": st.one_of(st.none(), st.sampled_from(["north", "south", "east", "west", "mars", " ", "N/A"])),
    "tier": st.sampled_from(["gold", "silver", "bronze"]),
    "when": st.one_of(st.none(), st.datetimes(min_value=pd.Timestamp("1900-01-01").to_pydatetime(),
                                              max_value=pd.Timestamp("2200-01-01").to_pydatetime())),
    "day": st.one_of(st.none(), st.dates(min_value=pd.Timestamp("1950-01-01").date(),
                                         max_value=pd.Timestamp("2100-01-01").date())),
    "comment": st.one_of(st.none(), st.text(alphabet="abcdefgh oprs", max_size=30)),
    "code": st.one_of(st.none(), st.floats(-100, 100, allow_nan=False).map(lambda x: f"{x:.3f}")),
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries(_VALUES), min_size=1, max_size=4))
def test_generated_rows_featurize_as_the_pipeline_does(rows: list[dict[str, Any]]) -> None:
    auto = fitted_auto()
    compiled = compile_featurizer(auto, KINDS)
    assert compiled is not None
    frame = table().iloc[:len(rows)].astype({"tier": object})
    for i, row in enumerate(rows):
        for column, value in row.items():
            if column == "day":
                value = None if value is None else value.strftime("%d/%m/%Y")
            frame.loc[frame.index[i], column] = np.nan if value is None else value
    frame["when"] = frame["when"].astype("datetime64[us]")
    frame["tier"] = pd.Categorical(frame["tier"])
    sent = [{**row, "when": None if row["when"] is None else pd.Timestamp(row["when"]).isoformat(),
             "day": None if row["day"] is None else row["day"].strftime("%d/%m/%Y"),
             "constant": 1.0, "row_id": 0} for row in rows]
    np.testing.assert_array_equal(compiled.transform(sent), auto.transform(frame))

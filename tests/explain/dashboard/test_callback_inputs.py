"""Crafted callback inputs give a notice in the page (or Dash's 204), never an HTTP 500."""

import json

import pytest

from explain import ExplanationTypeError, ExplanationValueError
from explain.dashboard._inputs import (
    FIGURE,
    MAX_SAVED_COHORTS,
    InputTypeError,
    InputValueError,
    check_class,
    check_cohort_names,
    check_edits,
    check_point,
    check_row,
    check_space,
    check_store,
    check_text,
    check_top_k,
    shows_errors,
)
from tests.explain.dashboard._support import ALL_DATA, binary_dashboard, call

pytest.importorskip("dash")

STORE = [ALL_DATA]
BAD_COLUMN = [ALL_DATA, {"name": "tall", "filter": "height > 180"}]


@pytest.fixture(scope="module")
def dashboard():
    return binary_dashboard()[0]


# -- one request per callback, with one input replaced -------------------------------------------
def edit(name="young", text="age < 30", store=STORE, doomed=None, delete=False):
    return ([("cohorts", "data"), ("cohort-message", "children"), ("cohort-message", "style")],
            [("cohort-add", "n_clicks", 1), ("cohort-delete", "n_clicks", 1 if delete else 0)],
            [("cohort-name", "value", name), ("cohort-filter", "value", text),
             ("cohort-delete-pick", "value", doomed), ("cohorts", "data", store)],
            ["cohort-delete.n_clicks" if delete else "cohort-add.n_clicks"])


def options(store=STORE):
    return ([("perf-cohorts", "options"), ("explorer-cohort", "options"), ("agg-cohorts", "options"),
             ("cohort-delete-pick", "options"), ("cohort-list", "children")],
            [("cohorts", "data", store)], [], None)


def ice_options(store=STORE):
    return [("ice-cohort", "options")], [("cohorts", "data", store)], [], None


def performance(names=("All data",), store=STORE, tab="performance"):
    return ([("perf-table", "children"), ("perf-hist", "figure")],
            [("perf-cohorts", "value", names), ("cohorts", "data", store), ("tabs", "value", tab)], [], None)


def explore(name="All data", x="age", y="kids", color="(none)", store=STORE):
    return ([("explorer-graph", "figure")],
            [("explorer-cohort", "value", name), ("explorer-x", "value", x), ("explorer-y", "value", y),
             ("explorer-color", "value", color), ("cohorts", "data", store)], [], None)


def pick(click):
    return [("row-index", "value")], [("explorer-graph", "clickData", click)], [], None


def bars(names=("All data",), top_k=10, class_value=-1, space="engineered", store=STORE):
    return ([("agg-bars", "figure"), ("agg-fidelity", "children")],
            [("agg-cohorts", "value", names), ("agg-topk", "value", top_k),
             ("agg-class", "value", class_value), ("space", "value", space), ("cohorts", "data", store)],
            [], None)


def dependence(click=None, names=("All data",), class_value=-1, space="engineered", store=STORE):
    return ([("agg-dependence", "figure")],
            [("agg-bars", "clickData", click), ("agg-cohorts", "value", names),
             ("agg-class", "value", class_value), ("space", "value", space), ("cohorts", "data", store)],
            [], None)


def summary(names=("All data",), class_value=-1, space="engineered", store=STORE):
    return ([("agg-summary", "figure")],
            [("agg-cohorts", "value", names), ("agg-class", "value", class_value), ("space", "value", space),
             ("cohorts", "data", store)], [], None)


def individual(row=0, top_k=10, class_value=1, space="engineered"):
    return ([("ind-bars", "figure"), ("row-info", "children"), ("ind-fidelity", "children"),
             ("explorer-local", "figure"), ("explorer-local-note", "children")],
            [("row-index", "value", row), ("ind-topk", "value", top_k), ("ind-class", "value", class_value),
             ("space", "value", space)], [], None)


def table(row=0, space="engineered", class_value=1):
    return ([("whatif-table", "data"), ("ice-feature", "value")],
            [("row-index", "value", row), ("space", "value", space)],
            [("ind-class", "value", class_value)], None)


EDITS = [{"feature": "age", "original": "40", "value": "41"},
         {"feature": "kids", "original": "1", "value": "1"}]


def what_if(records=EDITS, row=0, space="engineered", class_value=1, top_k=10):
    return ([("whatif-result", "children"), ("whatif-bars", "figure")], [("whatif-table", "data", records)],
            [("row-index", "value", row), ("space", "value", space), ("ind-class", "value", class_value),
             ("ind-topk", "value", top_k)], None)


def ice(feature="age", row=0, cohort="All data", class_value=1, store=STORE):
    return ([("ice-graph", "figure")],
            [("ice-feature", "value", feature), ("row-index", "value", row), ("ice-cohort", "value", cohort),
             ("ind-class", "value", class_value)], [("cohorts", "data", store)], None)


NOTICES = [  # (request, words the page shows)
    (edit(text="(" * 400 + "age > 1" + ")" * 400), "nested more than 20 levels deep"),
    (edit(text="not " * 2_000 + "age > 1"), "cohort-filter: at most 2,000 characters, got 8,007"),
    (edit(text="not " * 300 + "age > 1"), "nested more than 20 levels deep"),
    (edit(text="age > 1 or " * 100_000), "cohort-filter: at most 2,000 characters, got 1,100,000"),
    (edit(name=["young"]), "cohort-name: expected text, got ['young'] (list)"),
    (edit(text={"age": 3}), "cohort-filter: expected text, got {'age': 3} (dict)"),
    (edit(store={"name": "x"}), "cohorts: expected a list of at most 20 saved cohorts"),
    (edit(store=[["All data", ""]]), "each saved cohort is {'name': ..., 'filter': ...}"),
    (edit(store=BAD_COLUMN), "saved cohort 'tall': cohort filter: unknown column 'height'"),
    (edit(store=[ALL_DATA, {"name": 5, "filter": ""}]), "a cohort name: expected text, got 5 (int)"),
    (edit(store=[ALL_DATA, ALL_DATA]), "cohort names must be distinct and not blank"),
    (edit(doomed="ghost", delete=True), "There is no saved cohort 'ghost' to delete."),
    (edit(store=[ALL_DATA, *({"name": f"c{i}", "filter": ""} for i in range(MAX_SAVED_COHORTS - 1))]),
     "At most 20 cohorts can be saved; delete one first."),
    (options(BAD_COLUMN), "saved cohort 'tall': cohort filter: unknown column 'height'"),
    (options([{"name": "x"}]), "each saved cohort is {'name': ..., 'filter': ...}"),
    (performance(names=[{"a": 1}]), "perf-cohorts: expected text, got {'a': 1} (dict)"),
    (performance(tab=["performance"]), "tabs: expected the name of a tab, got ['performance'] (list)"),
    (performance(store=BAD_COLUMN), "unknown column 'height'"),
    (explore(x=["age"]), "explorer-x: expected the name of a column, got ['age'] (list)"),
    (explore(y="height"), "explorer-y: unknown column 'height'; known ones include '(histogram)', 'age'"),
    (explore(color=3.5), "explorer-color: expected the name of a column, got 3.5 (float)"),
    (bars(class_value="abc"), "agg-class: expected a class index from 0 to 1 or -1, got 'abc' (str)"),
    (bars(class_value=99), "agg-class: expected a class index from 0 to 1 or -1, got 99"),
    (bars(class_value=0.5), "agg-class: expected a class index from 0 to 1 or -1, got 0.5"),
    (bars(space="nope"), "space: expected one of 'engineered', got 'nope'"),
    (bars(space=["engineered"]), "space: expected one of 'engineered', got ['engineered']"),
    (bars(top_k="abc"), "agg-topk: expected a whole number of features, got 'abc' (str)"),
    (bars(top_k=-3), "agg-topk: expected a whole number of features from 1, got -3"),
    (bars(store=[["All data", ""]]), "each saved cohort is"),
    (bars(names=["tall"], store=BAD_COLUMN), "unknown column 'height'"),
    (dependence(click={"points": [5]}), "agg-bars: expected Plotly click data"),
    (dependence(click="bar"), "agg-bars: expected Plotly click data"),
    (dependence(class_value=2.5), "agg-class: expected a class index from 0 to 1 or -1, got 2.5"),
    (summary(space=["engineered"]), "space: expected one of 'engineered'"),
    (summary(class_value=True), "agg-class: expected a class index from 0 to 1 or -1, got True (bool)"),
    (individual(class_value=99), "ind-class: expected a class index from 0 to 1 or -1, got 99"),
    (individual(class_value="abc"), "ind-class: expected a class index from 0 to 1 or -1, got 'abc'"),
    (individual(space="nope"), "space: expected one of 'engineered', got 'nope'"),
    (individual(top_k=float("inf")), "ind-topk: expected a whole number of features, got inf"),
    (individual(row=1_000), "row-index: expected a row index from 0 to 89, got 1000"),
    (individual(row=None), "row-index: enter a row index from 0 to 89."),
    (individual(row=-1), "row-index: expected a row index from 0 to 89, got -1"),
    (what_if(records=[{"feature": "age"}]), "whatif-table: each row is {'feature': ..., 'value': ...}"),
    (what_if(records="abc"), "whatif-table: expected a list of at most 500 rows, got 'abc'"),
    (what_if(records=[{"feature": "height", "value": "1"}]), "whatif-table: unknown feature 'height'"),
    (what_if(records=[{"feature": "age", "value": [1, 2]}]), "the value of 'age' must be text or a number"),
    (what_if(records=[{"feature": "age", "value": "9" * 2_000}]),
     "the value of 'age': at most 1,000 characters"),
    (what_if(class_value=5), "ind-class: expected a class index from 0 to 1 or -1, got 5"),
    (what_if(row="3"), "row-index: expected a row index from 0 to 89, got '3' (str)"),
    (ice(feature=["age"]), "ice-feature: expected the name of a feature, got ['age'] (list)"),
    (ice(feature="height"), "ice-feature: unknown feature 'height'"),
    (ice(class_value=7), "ind-class: expected a class index from 0 to 1 or -1, got 7"),
    (ice(store=BAD_COLUMN), "saved cohort 'tall': cohort filter: unknown column 'height'"),
]


@pytest.mark.parametrize(("request_", "words"), NOTICES, ids=[w[:40] for _, w in NOTICES])
def test_a_bad_input_is_a_notice_in_the_page(dashboard, request_, words):
    outputs, inputs, state, changed = request_
    status, response = call(dashboard, outputs, inputs, state, changed)
    assert status == 200
    assert words in json.dumps(response, ensure_ascii=False)
    assert "cohorts" not in response  # the saved cohorts are never replaced by a bad request


NO_UPDATE = [  # callbacks without a text output: nothing changes, Dash answers 204
    ice_options(BAD_COLUMN),
    ice_options("abc"),
    pick({"points": [{"customdata": "abc"}]}),
    pick({"points": [{"customdata": [10 ** 6]}]}),
    pick({"points": "abc"}),
    pick({"points": [{"x": 1}]}),  # a histogram bar: no row to select
    table(row="abc"),
    table(row=500),
    table(space="nope"),
    table(class_value=[1]),
    performance(tab="explorer"),  # the performance tab is computed when it is opened
]


@pytest.mark.parametrize("request_", NO_UPDATE)
def test_a_bad_input_without_a_notice_output_changes_nothing(dashboard, request_):
    outputs, inputs, state, changed = request_
    assert call(dashboard, outputs, inputs, state, changed)[0] == 204


def test_a_click_on_a_scatter_point_selects_its_row(dashboard):
    assert call(dashboard, *pick({"points": [{"customdata": [7]}]})[:3]) == (200, {"row-index": {"value": 7}})
    last = call(dashboard, *pick({"points": [{"customdata": 89.0}]})[:3])
    assert last == (200, {"row-index": {"value": 89}})


def test_top_k_beyond_the_features_shows_them_all(dashboard):
    status, response = call(dashboard, *bars(top_k=10_000)[:3])
    assert status == 200 and sorted(response["agg-bars"]["figure"]["data"][0]["y"]) == ["age", "kids"]


def test_what_if_edits_are_read_against_the_rows_own_values(dashboard):
    """The table's "original" column comes from the browser: an edit is a value other than the row's."""
    _, table_response = call(dashboard, *table(row=3)[:3])
    records = table_response["whatif-table"]["data"]
    lying = [{**r, "original": "0"} for r in records]  # every value differs from the crafted original
    status, response = call(dashboard, *what_if(records=lying, row=3)[:3])
    assert status == 200 and "no edits" in response["whatif-result"]["children"]


def test_a_bug_in_a_callback_is_not_hidden():
    @shows_errors(FIGURE)
    def broken():
        raise KeyError("a bug")

    with pytest.raises(KeyError, match="a bug"):
        broken()


# -- the checks themselves ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data(dashboard):
    return dashboard.data


@pytest.mark.parametrize(("check", "error", "message"), [
    (lambda d: check_space(d, None), InputValueError, r"space: expected one of 'engineered', got None"),
    (lambda d: check_class(d, "1", "c"), InputTypeError,
     r"c: expected a class index from 0 to 1 or -1, got '1'"),
    (lambda d: check_class(d, float("nan"), "c"), InputValueError, r"got nan"),
    (lambda d: check_class(d, 2, "c"), InputValueError, r"got 2; choose one in the Class menu"),
    (lambda d: check_class(d, -2, "c"), InputValueError, r"got -2"),
    (lambda d: check_top_k(0, "k", 5), InputValueError, r"k: expected a whole number of features from 1"),
    (lambda d: check_top_k([3], "k", 5), InputTypeError, r"k: expected a whole number of features, got \["),
    (lambda d: check_row(d, 90), InputValueError, r"row-index: expected a row index from 0 to 89, got 90"),
    (lambda d: check_row(d, 1.5), InputValueError, r"got 1.5"),
    (lambda d: check_row(d, 10 ** 400), InputValueError, r"got 1000000000"),
    (lambda d: check_text("x" * 200, "name", 100), InputValueError, r"name: at most 100 characters, got 200"),
    (lambda d: check_cohort_names(["a"] * 21, "p", "All data"), InputTypeError,
     r"p: expected a cohort name or a list of at most 20 of them"),
    (lambda d: check_cohort_names(7, "p", "All data"), InputTypeError, r"p: expected a cohort name"),
    (lambda d: check_store(d, [{"name": "a", "filter": "age >", "extra": 1}]), InputTypeError,
     r"cohorts: each saved cohort is"),
    (lambda d: check_store(d, [{"name": " ", "filter": ""}]), InputValueError,
     r"distinct and not blank, got ' '"),
    (lambda d: check_store(d, [{"name": "a", "filter": "age > 1" * 300}]), InputValueError,
     r"cohorts: the filter of 'a': at most 2,000 characters, got 2,100"),
    (lambda d: check_store(d, [{"name": "a", "filter": "age >"}]), InputValueError,
     r"saved cohort 'a': cohort filter ends too early"),
    (lambda d: check_point({"points": [1]}, "g"), InputTypeError, r"g: expected Plotly click data"),
    (lambda d: check_edits({"age": 1}, ["age"]), InputTypeError, r"expected a list of at most 500 rows"),
    (lambda d: check_edits([{"feature": "age", "value": 1}] * 2, ["age"]), InputValueError,
     r"feature 'age' is listed twice"),
    (lambda d: check_edits([{"feature": "age", "value": float("inf")}], ["age"]), InputValueError,
     r"the value of 'age' must be finite, got inf"),
    (lambda d: check_edits([{"feature": "age", "value": {}}], ["age"]), InputTypeError,
     r"must be text or a number, got \{\}"),
])
def test_checks_name_the_control_and_what_they_expected(data, check, error, message):
    with pytest.raises(error, match=message):
        check(data)
    assert issubclass(error, ExplanationValueError | ExplanationTypeError)


def test_checks_return_values_in_the_types_callbacks_use(data):
    assert check_class(data, -1, "c") is None and check_class(data, None, "c") is None
    assert check_class(data, 1.0, "c") == 1 and check_row(data, 89.0) == 89
    assert check_top_k(None, "k", 5) == 5 and check_top_k(3, "k", 5) == 3 and check_top_k(50, "k", 5) == 5
    assert check_text(None, "t", 5) == "" and check_text("  ab ", "t", 5) == "ab"
    assert check_cohort_names(None, "p", "All data") == ["All data"]
    assert check_cohort_names("old", "p", "All data") == ["old"]
    assert check_point(None, "g") is None and check_point({"points": []}, "g") is None
    assert check_edits(None, ["age"]) == {}
    assert check_edits([{"feature": "age", "original": "1", "value": None}], ["age"]) == {"age": None}
    assert [c.name for c in check_store(data, [ALL_DATA, {"name": "old", "filter": "age > 45"}])] == [
        "All data", "old"]
    assert str(InputValueError("x")) == "x" and issubclass(InputValueError, ValueError)


def test_an_empty_cohort_in_the_engineered_space_draws_empty_plots():
    """Featurizing steps refuse zero rows: an empty cohort's engineered values are not asked for."""
    from tests.explain.dashboard._support import pipeline_dashboard

    dashboard = pipeline_dashboard()
    store = [ALL_DATA, {"name": "nobody", "filter": 'region == "south" and region == "north"'}]
    for space in ("engineered", "raw"):
        status, response = call(dashboard, *dependence(names=["nobody"], space=space, store=store)[:3])
        assert status == 200
        trace = response["agg-dependence"]["figure"]["data"][0]
        assert trace["name"] == "nobody (0 of 0 rows)" and len(trace["x"]) == 0
        status, response = call(dashboard, *summary(names=["nobody"], space=space, store=store)[:3])
        assert status == 200
        assert "nobody (0 of 0 rows)" in response["agg-summary"]["figure"]["layout"]["title"]["text"]

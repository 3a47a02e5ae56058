"""Property: no callback input, however odd, gets an HTTP 5xx from ``/_dash-update-component``.

Every callback registered on two dashboards (one feature space; raw and engineered spaces with a
text column and a runs tab) is driven through Flask's test client with generated inputs and
states: values of every JSON type (unicode text, huge numbers, NaN and infinities, None, lists,
dicts, megabyte strings, long lists) for one input at a time, the others close to what the page
sends (column names, class indices, cohort stores whose filters come from a small grammar). Each answer must
be a callback update for the callback's own outputs, or Dash's 204 "prevent update".

Run with ``--hypothesis-show-statistics`` to see how many answers were updates, notices
(an alert or a figure saying what is wrong) and 204s.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from explain.dashboard._layout import HISTOGRAM, NO_COLOUR, TABS
from tests.explain.dashboard._support import binary_dashboard, pipeline_dashboard, post, registered_callbacks

pytest.importorskip("dash")

EXAMPLES = 120  # per test and dashboard: the three tests take about 10 s on one core


@pytest.fixture(scope="module")
def dashboards() -> dict[str, Any]:
    return {"one space": binary_dashboard()[0], "raw and engineered": pipeline_dashboard()}


# -- strategies --------------------------------------------------------------------------------------
SCALARS = (st.none() | st.booleans() | st.integers() | st.sampled_from([10 ** 400, -(2 ** 63), 2 ** 64])
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40))
HUGE = (st.builds(lambda text, n: text * n, st.text(min_size=1, max_size=4), st.integers(500, 100_000))
        | st.builds(lambda x, n: [x] * n, SCALARS, st.integers(100, 5_000))
        | st.integers(50, 400).map(lambda depth: json.loads("[" * depth + "]" * depth)))


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value (NaN and infinities included: Flask reads them), sometimes a huge one
    (a string of up to 400,000 characters, a list of 5,000 items, lists nested 400 deep), the body
    staying under the 8 MiB limit of a request (``test_requests`` checks the 413 beyond it)."""
    return st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=8) | HUGE


def filters(columns: dict[str, Any]) -> st.SearchStrategy[str]:
    """Valid cohort filters from a small grammar over the dashboard's columns."""
    numeric = sorted(c for c, v in columns.items() if v.dtype.kind in "biuf")
    text = sorted(set(columns) - set(numeric)) or numeric
    number = st.integers(-5, 100).map(str) | st.floats(-10, 1e5, allow_nan=False).map(repr)
    comparison = st.builds(lambda c, op, v: f"{c} {op} {v}", st.sampled_from(numeric),
                           st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), number) | st.builds(
        lambda c, op, v: f"`{c}` {op} {v}", st.sampled_from(text), st.sampled_from(["==", "!="]),
        st.sampled_from(['"south"', "north", "'yes'", "1"]))
    listed = st.builds(lambda c, neg, vs: f"{c} {neg}in [{', '.join(vs)}]", st.sampled_from(numeric),
                       st.sampled_from(["", "not "]), st.lists(number, min_size=1, max_size=4))
    return st.recursive(comparison | listed, lambda inner: st.builds(
        lambda a, join, b: f"({a} {join} {b})", inner, st.sampled_from(["and", "or"]), inner)
        | inner.map(lambda a: f"not {a}"), max_leaves=6)


def stores(columns: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Saved cohorts as the page keeps them: "All data" first, then distinct names."""
    entry = st.fixed_dictionaries({"name": st.sampled_from(["c1", "c2", "ünï", "a b"]),
                                   "filter": st.just("") | filters(columns)})
    return st.lists(entry, max_size=4, unique_by=lambda e: e["name"]).map(
        lambda rest: [{"name": "All data", "filter": ""}, *rest])


def clicks(point: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Plotly ``clickData``: ``{"points": [point, ...]}``."""
    return st.fixed_dictionaries({"points": st.lists(st.fixed_dictionaries(point), max_size=2)})


def plausible(dashboard: Any) -> dict[str, st.SearchStrategy[Any]]:
    """Per ``"component.prop"``, values close to what the page sends (most of them valid)."""
    data = dashboard.data
    columns = list(data.columns)
    n_classes = len(data.classes) if data.classes else 0
    frame_columns = [] if data.frame is None else list(data.frame.columns)
    features = sorted({f for e in data.spaces.values() for f in e.features})
    rows = st.integers(0, data.n_rows - 1)
    names = st.sampled_from(["All data", "c1", "c2", "ünï"])
    near: dict[str, st.SearchStrategy[Any]] = {
        "cohorts.data": stores(data.columns),
        "space.value": st.sampled_from(data.space_names),
        "tabs.value": st.sampled_from(TABS),
        "row-index.value": rows,
        "agg-topk.value": st.integers(1, 60), "ind-topk.value": st.integers(1, 60),
        "agg-class.value": st.integers(-1, n_classes - 1), "ind-class.value": st.integers(-1, n_classes - 1),
        "explorer-x.value": st.sampled_from([*columns, "height"]),
        "explorer-y.value": st.sampled_from([HISTOGRAM, *columns, "height"]),
        "explorer-color.value": st.sampled_from([NO_COLOUR, *columns, "height"]),
        "ice-feature.value": st.sampled_from([*frame_columns, "height"]) | st.none(),
        "explorer-cohort.value": names, "ice-cohort.value": names,
        "perf-cohorts.value": st.lists(names, max_size=4), "agg-cohorts.value": st.lists(names, max_size=4),
        "cohort-name.value": names | st.text(max_size=120) | st.none(),
        "cohort-filter.value": filters(data.columns) | st.text(max_size=30) | st.none(),
        "cohort-delete-pick.value": names | st.none(),
        "agg-bars.clickData": st.none() | clicks({"y": st.sampled_from([*features, "height"])}),
        "explorer-graph.clickData": st.none() | clicks({"customdata": rows | st.lists(rows, max_size=2)}),
        "whatif-table.data": st.lists(st.fixed_dictionaries({
            "feature": st.sampled_from([*frame_columns, "height"]), "original": st.text(max_size=5),
            "value": st.text(max_size=8) | st.integers(-10, 100) | st.floats() | st.none()}), max_size=4),
    }
    return near


# -- the property ------------------------------------------------------------------------------------
def _is_figure(value: Any) -> bool:
    return (isinstance(value, dict) and isinstance(value.get("data"), list)
            and isinstance(value.get("layout"), dict))


def _notice(response: dict[str, Any]) -> bool:
    """Whether the update says what is wrong: an alert, or a figure holding only a message."""
    text = json.dumps(response, ensure_ascii=False)
    return '"role": "alert"' in text or any(
        _is_figure(v) and not v["data"] and v["layout"].get("annotations")
        for props in response.values() for v in props.values())


@pytest.mark.parametrize("which", ["one space", "raw and engineered"])
def test_no_callback_input_gets_a_server_error(dashboards: dict[str, Any], which: str) -> None:
    dashboard = dashboards[which]
    callbacks = registered_callbacks(dashboard.app)
    assert len(callbacks) >= 13  # every callback of the page is driven, what-if, ICE (and runs) included
    near, anything = plausible(dashboard), json_values()  # strategies built once, not per example
    other = st.none() | st.integers(0, 5)  # button clicks and the runs table: they only trigger

    @given(st.data())
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    def check(draw: Any) -> None:
        outputs, inputs, state = draw.draw(st.sampled_from(callbacks), label="callback")
        # one input (or state), or none, takes any JSON value; the others are close to the page's
        wild = draw.draw(st.none() | st.integers(0, len(inputs) + len(state) - 1), label="any value for")
        drawn = [(i, p, draw.draw(anything if k == wild else near.get(f"{i}.{p}", other), label=f"{i}.{p}"))
                 for k, (i, p) in enumerate([*inputs, *state])]
        values, states = drawn[:len(inputs)], drawn[len(inputs):]
        trigger = draw.draw(st.sampled_from(inputs), label="changed")
        response = post(dashboard, outputs, values, states, changed=[f"{trigger[0]}.{trigger[1]}"])
        assert response.status_code in (200, 204), (outputs, response.status_code, response.data[:300])
        if response.status_code == 204:
            event("204 prevent update")
            return
        updates = response.get_json()["response"]
        declared = {(i, p) for i, p in outputs}
        for component, props in updates.items():
            for prop, value in props.items():
                assert (component, prop) in declared
                assert not prop == "figure" or _is_figure(value), value
                assert not prop == "options" or isinstance(value, list), value
        event("200 notice (alert or message figure)" if _notice(updates) else "200 update")

    check()


@st.composite
def envelopes(draw: Any, callbacks: list[Any]) -> Any:
    """Request bodies around the callbacks: right ones with parts dropped, cut, swapped or replaced."""
    outputs, inputs, state = draw(st.sampled_from(callbacks))
    key = ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".." if len(outputs) > 1 else \
        f"{outputs[0][0]}.{outputs[0][1]}"
    edits = st.sampled_from([lambda x: x, lambda x: x, lambda x: x, lambda x: x[:-1], lambda x: x[::-1],
                             lambda x: [*x, {"id": "x"}], lambda x: [5] * len(x), lambda x: {"0": x}])
    rarely = st.sampled_from([False, False, False, True])
    body = {"output": draw(json_values()) if draw(rarely) else key,
            "changedPropIds": draw(json_values()) if draw(rarely) else [f"{i}.{p}" for i, p in inputs[:1]],
            "outputs": draw(edits)([{"id": i, "property": p} for i, p in outputs]),
            "inputs": draw(edits)([{"id": i, "property": p, "value": None} for i, p in inputs]),
            "state": draw(edits)([{"id": i, "property": p, "value": None} for i, p in state])}
    if len(outputs) == 1 and isinstance(body["outputs"], list) and len(body["outputs"]) == 1:
        body["outputs"] = body["outputs"][0]  # one output is sent as an object
    dropped = draw(st.lists(st.sampled_from(sorted(body)), max_size=1)) if draw(rarely) else []
    return draw(json_values()) if draw(rarely) else {k: v for k, v in body.items() if k not in dropped}


def test_no_request_envelope_gets_a_server_error(dashboards: dict[str, Any]) -> None:
    dashboard = dashboards["raw and engineered"]
    client = dashboard.app.server.test_client()

    @given(envelopes(registered_callbacks(dashboard.app)))
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    def check(body: Any) -> None:
        response = client.post("/_dash-update-component", data=json.dumps(body),
                               content_type="application/json")
        assert response.status_code in (200, 204, 400, 413), (body, response.status_code, response.data[:300])
        event(f"{response.status_code}")

    check()

"""Malformed requests to the callback endpoint get a 400 (or 413) naming the problem, not a 500."""

import json
import re

import pytest

from explain.dashboard._requests import MAX_REQUEST_BYTES, envelope_problem
from tests.explain.dashboard._support import ALL_DATA, binary_dashboard, post

pytest.importorskip("dash")

SUMMARY = {"output": "agg-summary.figure", "outputs": {"id": "agg-summary", "property": "figure"},
           "inputs": [{"id": "agg-cohorts", "property": "value", "value": ["All data"]},
                      {"id": "agg-class", "property": "value", "value": -1},
                      {"id": "space", "property": "value", "value": "engineered"},
                      {"id": "cohorts", "property": "data", "value": [ALL_DATA]}],
           "changedPropIds": ["space.value"]}


@pytest.fixture(scope="module")
def dashboard():
    return binary_dashboard()[0]


def send(dashboard, body: str):
    return dashboard.app.server.test_client().post("/_dash-update-component", data=body,
                                                   content_type="application/json")


@pytest.mark.parametrize(("body", "message"), [
    (json.dumps([1, 2]), "expected a JSON object, got list"),
    ("{{{", "the body is not JSON; send application/json"),
    ("[" * 100_000 + "]" * 100_000, "the body nests JSON too deeply"),
    (json.dumps({**SUMMARY, "output": "nope.figure"}), "no callback has the output 'nope.figure'"),
    (json.dumps({**SUMMARY, "output": ["agg-summary.figure"]}), r"no callback has the output \['agg-summary"),
    (json.dumps({k: v for k, v in SUMMARY.items() if k != "inputs"}),
     r"the inputs of 'agg-summary.figure' are \[\('agg-cohorts', 'value'\), .*got None"),
    (json.dumps({**SUMMARY, "inputs": SUMMARY["inputs"][:2]}), "the inputs of 'agg-summary.figure' are"),
    (json.dumps({**SUMMARY, "inputs": SUMMARY["inputs"][::-1]}), "the inputs of 'agg-summary.figure' are"),
    (json.dumps({**SUMMARY, "inputs": [*SUMMARY["inputs"][:3], 5]}), "the inputs of 'agg-summary.figure'"),
    (json.dumps({**SUMMARY, "state": [{"id": "x", "property": "value"}]}),
     r"the state of 'agg-summary.figure' are \[\], got \[\{'id': 'x'"),
    (json.dumps({**SUMMARY, "outputs": [{"id": "agg-summary", "property": "figure"}] * 2}),
     r"the outputs of 'agg-summary.figure' are \[\('agg-summary', 'figure'\)\]"),
    (json.dumps({**SUMMARY, "outputs": None}), "the outputs of 'agg-summary.figure' are"),
    (json.dumps({**SUMMARY, "changedPropIds": "space.value"}), "changedPropIds must be a list of 'id.prop"),
    (json.dumps({**SUMMARY, "changedPropIds": [None]}), "changedPropIds must be a list"),
])
def test_a_malformed_request_is_a_400_naming_the_problem(dashboard, body, message):
    response = send(dashboard, body)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("callback request: ")
    assert re.search(message, response.get_json()["message"])


def test_a_body_over_the_limit_is_refused_before_it_is_read(dashboard):
    response = send(dashboard, "[" + "1," * (MAX_REQUEST_BYTES // 2) + "1]")
    assert response.status_code == 413


def test_well_formed_requests_still_reach_the_callbacks(dashboard):
    assert send(dashboard, json.dumps(SUMMARY)).status_code == 200
    response = post(dashboard, [("agg-bars", "figure"), ("agg-fidelity", "children")], [
        ("agg-cohorts", "value", ["All data"]), ("agg-topk", "value", 5), ("agg-class", "value", -1),
        ("space", "value", "engineered"), ("cohorts", "data", [ALL_DATA])])
    assert response.status_code == 200 and "agg-bars" in response.get_json()["response"]
    without_state = {k: v for k, v in SUMMARY.items() if k != "changedPropIds"}  # both are optional
    assert send(dashboard, json.dumps(without_state)).status_code == 200
    layout = dashboard.app.server.test_client().get("/_dash-layout")
    assert layout.status_code == 200  # other routes are untouched


def test_envelope_problem_reads_only_the_envelope():
    callback_map = {"a.children": {"inputs": [{"id": "b", "property": "value"}], "state": []}}
    body = {"output": "a.children", "outputs": {"id": "a", "property": "children"},
            "inputs": [{"id": "b", "property": "value"}]}  # a value left undefined by the browser
    assert envelope_problem(body, callback_map) is None
    assert envelope_problem({**body, "inputs": []}, callback_map) == (
        "the inputs of 'a.children' are [('b', 'value')], got [].")

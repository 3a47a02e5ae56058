"""Fuzzing the scoring service in-process: no request, however odd, gets a 5xx.

Schemathesis generates requests from the app's own OpenAPI schema (valid and invalid ones) for
every operation; Hypothesis strategies generate ``/score`` bodies closer to real traffic
(records with the model's columns or random ones, values of every JSON type, batches up to one
over the row limit, random ``explain`` / ``raw`` / ``top_k``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import json
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from lightgbm import LGBMClassifier  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

import explain  # noqa: E402
from explain.scoring import ScoringExplainer, create_app  # noqa: E402
from tests.explain.scoring._support import REGIONS, make_frame, make_pipeline_of  # noqa: E402

with warnings.catch_warnings():  # Starlette's note that its test client will move to httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

MAX_ROWS = 20
MAX_BODY_BYTES = 64 * 1024
KINDS = {"age": "integer", "income": "number", "region": "string", "member": "boolean"}
OK_STATUSES = {200, 413, 422}


@pytest.fixture(scope="module")
def app() -> Any:
    """The service of a LightGBM pipeline over integer, float, string and bool columns."""
    X, label, _ = make_frame(300)
    pipeline = make_pipeline_of(LGBMClassifier(n_estimators=30, n_jobs=1, verbose=-1)).fit(X, label)
    scoring = ScoringExplainer.for_explainer(explain.TabularExplainer(pipeline, X.iloc[:100]))
    return create_app(scoring, max_rows=MAX_ROWS, max_body_bytes=MAX_BODY_BYTES)


@pytest.fixture(scope="module")
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


# ---------------------------------------------------------------------- schemathesis
# Driven through Hypothesis directly (each operation's strategy), not schemathesis's pytest
# plugin, whose fixture integration breaks with newer pytest releases.
def test_no_operation_answers_with_a_server_error(app: Any) -> None:
    api = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert {op.path for op in operations} >= {"/score", "/health", "/metadata"}
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def check(case: Any) -> None:
            response = case.call()
            assert response.status_code < 500, (case.method, case.path, case.body, response.text[:500])
            case.validate_response(response, checks=[not_a_server_error])

        check()


# ---------------------------------------------------------------------- hypothesis bodies
def json_values(finite: bool = True) -> st.SearchStrategy[Any]:
    """Any JSON value (finite numbers only, unless ``finite`` is False)."""
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
        st.floats(allow_nan=not finite, allow_infinity=not finite), st.text(max_size=8),
    )
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)


FITTING = {
    "integer": st.integers(min_value=-1000, max_value=1000),
    "number": st.floats(min_value=-1e6, max_value=1e6) | st.integers(-100, 100),
    "string": st.sampled_from(REGIONS) | st.text(max_size=6),
    "boolean": st.booleans(),
}


def fitting_records() -> st.SearchStrategy[dict[str, Any]]:
    """A row the model takes: its columns, values of their kinds or null (LightGBM takes missing)."""
    return st.fixed_dictionaries({name: FITTING[kind] | st.none() for name, kind in KINDS.items()})


@st.composite
def records(draw: st.DrawFn, finite: bool = True) -> Any:
    """A row: the model's columns with values of any type, some dropped or added, or not a row."""
    shape = draw(st.sampled_from(["columns", "columns", "dropped", "extra", "random", "not an object"]))
    if shape == "not an object":
        return draw(json_values(finite).filter(lambda v: not isinstance(v, dict)))
    if shape == "random":
        return draw(st.dictionaries(st.text(max_size=6), json_values(finite), max_size=5))
    row = {name: draw(FITTING[kind] | json_values(finite)) for name, kind in KINDS.items()}
    if shape == "dropped":
        row.pop(draw(st.sampled_from(sorted(KINDS))))
    elif shape == "extra":
        extra = draw(st.text(min_size=1, max_size=6).filter(lambda k: k not in KINDS))
        row[extra] = draw(json_values(finite))
    return row


@st.composite
def score_bodies(draw: st.DrawFn, finite: bool = True) -> Any:
    """``(mode, body)``: a /score body, well-formed (about half), mixed (odd rows and options) or
    any JSON at all. Batches have 0 to one over the row limit rows (a few distinct ones).
    """
    mode = draw(st.sampled_from(["well-formed", "well-formed", "mixed", "mixed", "any"]))
    if mode == "any":
        return mode, draw(json_values(finite))
    rows_of = fitting_records() if mode == "well-formed" else records(finite)
    n_rows = draw(st.integers(0 if mode == "mixed" else 1, MAX_ROWS + 1)
                  | st.sampled_from([1, MAX_ROWS, MAX_ROWS + 1]))
    distinct = draw(st.lists(rows_of, min_size=1, max_size=3))
    rows = (distinct * (n_rows // len(distinct) + 1))[:n_rows]
    body: dict[str, Any] = {"data": rows}
    options = {"explain": st.booleans(), "raw": st.none() | st.booleans(),
               "top_k": st.none() | st.integers(1, 12)}
    if mode == "mixed":
        options = {"explain": options["explain"] | json_values(finite),
                   "raw": options["raw"] | json_values(finite),
                   "top_k": st.none() | st.integers(-2, 12) | json_values(finite)}
    for key, strategy in options.items():
        if draw(st.booleans()):
            body[key] = draw(strategy)
    if mode == "mixed" and draw(st.integers(0, 9)) == 0:
        body[draw(st.text(min_size=1, max_size=6))] = draw(json_values(finite))
    return mode, body


def _post(client: TestClient, body: Any) -> Any:
    content = json.dumps(body).encode()
    return client.post("/score", content=content, headers={"content-type": "application/json"})


def _check_scored(body: Any, answer: dict[str, Any]) -> None:
    """Invariants of a 200: one prediction (and explanation) per row, top_k respected, ranked."""
    rows = body["data"]
    assert len(answer["predictions"]) == len(rows)
    assert len(answer["probabilities"]) == len(rows)
    for probabilities in answer["probabilities"]:
        assert set(probabilities) == {"0", "1"}
        assert sum(probabilities.values()) == pytest.approx(1.0)
    if answer["explanations"] is None:
        return
    assert len(answer["explanations"]) == len(rows)
    top_k = body.get("top_k")
    for explanation in answer["explanations"]:
        importances = explanation["importances"]
        if isinstance(top_k, int) and not isinstance(top_k, bool):
            assert len(importances) <= top_k
        magnitudes = [abs(item["value"]) for item in importances]
        assert magnitudes == sorted(magnitudes, reverse=True)
        assert all(np.isfinite(magnitudes))


@given(case=score_bodies())
@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_generated_score_bodies_get_200_413_or_422(client: TestClient, case: tuple[str, Any]) -> None:
    mode, body = case
    response = _post(client, body)
    assert response.status_code in OK_STATUSES, (body, response.status_code, response.text[:500])
    answer = response.json()
    if response.status_code != 200:
        assert isinstance(answer["detail"], str) and answer["detail"]
    if mode == "well-formed":  # rows the model takes: scored, unless there are too many
        assert response.status_code == (200 if len(body["data"]) <= MAX_ROWS else 413), response.text[:500]
    if isinstance(body, dict) and isinstance(body.get("data"), list) and len(body["data"]) > MAX_ROWS:
        assert response.status_code in (413, 422)
    if response.status_code == 200:
        _check_scored(body, answer)


@given(n_rows=st.integers(1, MAX_ROWS + 1), explain_=st.booleans(), raw=st.none() | st.booleans(),
       top_k=st.none() | st.integers(1, 10), seed=st.integers(0, 2 ** 32 - 1))
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
def test_well_formed_batches_are_scored_up_to_the_limit(client: TestClient, n_rows: int, explain_: bool,
                                                        raw: bool | None, top_k: int | None,
                                                        seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = [{"age": int(rng.integers(0, 100)), "income": float(rng.normal(50, 30)),
             "region": str(rng.choice([*REGIONS, "elsewhere"])), "member": bool(rng.random() < 0.5)}
            for _ in range(n_rows)]
    body = {"data": rows, "explain": explain_, "raw": raw, "top_k": top_k}
    response = _post(client, body)
    if n_rows > MAX_ROWS:
        assert response.status_code == 413
        return
    assert response.status_code == 200, response.text
    answer = response.json()
    _check_scored(body, answer)
    if explain_:
        assert answer["feature_space"] == ("engineered" if raw is False else "raw")
        n_features = 4 if raw is not False else 7
        assert all(len(e["importances"]) == min(top_k or n_features, n_features)
                   for e in answer["explanations"])


NON_FINITE = st.sampled_from([float("nan"), float("inf"), float("-inf")])


@st.composite
def misplaced_non_finite(draw: st.DrawFn) -> Any:
    """A generated body with NaN or +-Infinity where the schema wants no number (an option, a row,
    a value that is a list): a 422 for the client, never a 5xx."""
    _, body = draw(score_bodies(finite=False).filter(lambda case: isinstance(case[1], dict)))
    body = dict(body)
    where = draw(st.sampled_from(["explain", "raw", "top_k", "row", "value"]))
    value = draw(NON_FINITE)
    if where in ("explain", "raw", "top_k"):
        body[where] = value
    rows = body.get("data") if isinstance(body.get("data"), list) else []
    if where == "row":
        body["data"] = [*rows, value]
    elif where == "value":
        body["data"] = [*rows, {**{name: None for name in KINDS}, "income": [value]}]
    return body


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # libcst, imported by Hypothesis to report
@given(body=misplaced_non_finite())
@settings(max_examples=50, deadline=None, database=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
def test_misplaced_nan_and_infinity_get_a_422_not_a_5xx(client: TestClient, body: Any) -> None:
    response = _post(client, body)  # json.dumps writes NaN / Infinity, which the service parses
    assert response.status_code in OK_STATUSES, (body, response.status_code, response.text[:500])

"""Fuzzing the scoring service in-process: no request, however odd, gets a 5xx.

Schemathesis generates requests from the app's own OpenAPI schema (valid and invalid ones) for
every operation; Hypothesis strategies generate ``/score`` bodies closer to real traffic
(records with the model's columns or random ones, values of every JSON type, batches up to one
over the row limit, random ``explain`` / ``raw`` / ``top_k``), hostile ones (lone surrogates in
values and keys, huge and non-finite numbers, nested junk), and rows for which a model returns
NaN. A 200 never carries NaN, infinity or ``null`` where a number belongs; a 4xx carries a
message. Run with ``--hypothesis-show-statistics`` to see how the statuses were distributed.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import json
import math
import re
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from lightgbm import LGBMClassifier  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

import explain  # noqa: E402
from explain.scoring import ScoringExplainer, create_app  # noqa: E402
from tests.explain.scoring._support import (  # noqa: E402
    REGIONS,
    LogClassifier,
    LogRegressor,
    log_frame,
    make_frame,
    make_pipeline_of,
)

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
SURROGATES = st.characters(categories=["Cs"])  # lone "\\ud800"-style escapes once in JSON
HUGE = st.sampled_from([1e308, -1e308, 1.7976931348623157e308, 5e-324, -0.0, 10**400, -(10**400), 2**63,
                        2**64, -(2**63) - 1])


def texts(hostile: bool = False, max_size: int = 8) -> st.SearchStrategy[str]:
    """Strings; with lone surrogates among the characters when ``hostile``."""
    return st.text(st.characters() | SURROGATES if hostile else st.characters(), max_size=max_size)


def json_values(finite: bool = True, hostile: bool = False) -> st.SearchStrategy[Any]:
    """Any JSON value (finite numbers only, unless ``finite`` is False; lone surrogates, huge
    numbers and deeper nesting when ``hostile``)."""
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
        st.floats(allow_nan=not finite, allow_infinity=not finite), texts(hostile),
        *([HUGE] if hostile else []),
    )
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(texts(hostile, 5), inner, max_size=3),
                        max_leaves=12 if hostile else 6)


FITTING = {
    "integer": st.integers(min_value=-1000, max_value=1000),
    "number": st.floats(min_value=-1e6, max_value=1e6) | st.integers(-100, 100),
    "string": st.sampled_from(REGIONS) | st.text(max_size=6),
    "boolean": st.booleans(),
}


def fitting_records() -> st.SearchStrategy[dict[str, Any]]:
    """A row the model takes: its columns, values of their kinds or null (LightGBM takes missing)."""
    return st.fixed_dictionaries({name: FITTING[kind] | st.none() for name, kind in KINDS.items()})


HOSTILE_FITTING = {
    "integer": st.integers() | HUGE,
    "number": st.floats() | HUGE,
    "string": st.sampled_from(REGIONS) | texts(hostile=True),
    "boolean": st.booleans(),
}


@st.composite
def records(draw: st.DrawFn, finite: bool = True, hostile: bool = False) -> Any:
    """A row: the model's columns with values of any type, some dropped or added, or not a row."""
    shape = draw(st.sampled_from(["columns", "columns", "dropped", "extra", "random", "not an object"]))
    values = json_values(finite, hostile)
    if shape == "not an object":
        return draw(values.filter(lambda v: not isinstance(v, dict)))
    if shape == "random":
        return draw(st.dictionaries(texts(hostile, 6), values, max_size=5))
    fitting = HOSTILE_FITTING if hostile else FITTING
    row = {name: draw(fitting[kind] | values) for name, kind in KINDS.items()}
    if shape == "dropped":
        row.pop(draw(st.sampled_from(sorted(KINDS))))
    elif shape == "extra":
        extra = draw(texts(hostile, 6).filter(lambda k: k not in KINDS and k != ""))
        row[extra] = draw(values)
    return row


@st.composite
def score_bodies(draw: st.DrawFn, finite: bool = True, hostile: bool = False) -> Any:
    """``(mode, body)``: a /score body, well-formed (about half), mixed (odd rows and options) or
    any JSON at all. Batches have 0 to one over the row limit rows (a few distinct ones).
    ``hostile`` bodies are never well-formed: their rows hold surrogates and huge numbers.
    """
    modes = ["mixed", "mixed", "any"] if hostile else ["well-formed", "well-formed", "mixed", "mixed", "any"]
    mode = draw(st.sampled_from(modes))
    if mode == "any":
        return mode, draw(json_values(finite, hostile))
    rows_of = fitting_records() if mode == "well-formed" else records(finite, hostile)
    n_rows = draw(st.integers(0 if mode == "mixed" else 1, MAX_ROWS + 1)
                  | st.sampled_from([1, MAX_ROWS, MAX_ROWS + 1]))
    distinct = draw(st.lists(rows_of, min_size=1, max_size=3))
    rows = (distinct * (n_rows // len(distinct) + 1))[:n_rows]
    body: dict[str, Any] = {"data": rows}
    options = {"explain": st.booleans(), "raw": st.none() | st.booleans(),
               "top_k": st.none() | st.integers(1, 12)}
    if mode == "mixed":
        junk = json_values(finite, hostile)
        options = {"explain": options["explain"] | junk, "raw": options["raw"] | junk,
                   "top_k": st.none() | st.integers(-2, 12) | junk}
    for key, strategy in options.items():
        if draw(st.booleans()):
            body[key] = draw(strategy)
    if mode == "mixed" and draw(st.integers(0, 9)) == 0:
        body[draw(texts(hostile).filter(bool))] = draw(json_values(finite, hostile))
    return mode, body


def _post(client: TestClient, body: Any) -> Any:
    content = json.dumps(body).encode()
    return client.post("/score", content=content, headers={"content-type": "application/json"})


def _strict_json(response: Any) -> Any:
    """The response parsed, failing on NaN / Infinity tokens (JSON has none)."""
    return json.loads(response.content.decode("utf-8"),
                      parse_constant=lambda token: pytest.fail(f"{token} in {response.text[:300]}"))


def _check_answer(response: Any) -> Any:
    """Every answer: no 5xx, strict UTF-8 JSON, a message on a 4xx, finite numbers on a 200."""
    assert response.status_code < 500, response.text[:500]
    answer = _strict_json(response)
    event(f"status {response.status_code}")
    if response.status_code != 200:
        assert isinstance(answer["detail"], str) and answer["detail"], answer
        return answer
    assert all(p is not None for p in answer["predictions"]), answer
    numbers = [p for row in answer["probabilities"] or [] for p in row.values()]
    for explanation in answer["explanations"] or []:
        numbers += [explanation["expected_value"], *(i["value"] for i in explanation["importances"])]
    assert all(isinstance(n, int | float) and math.isfinite(n) for n in numbers), answer
    return answer


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
    answer = _check_answer(response)
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
    _check_answer(response)


def _post_raw(client: TestClient, body: Any) -> Any:
    """``body`` as JSON text, lone surrogates written as ``\\udXXX`` escapes, as a client would."""
    return client.post("/score", content=json.dumps(body).encode("ascii"),
                       headers={"content-type": "application/json"})


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@given(case=score_bodies(finite=False, hostile=True))
@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
def test_hostile_bodies_get_a_4xx_with_a_message_or_finite_numbers(client: TestClient,
                                                                   case: tuple[str, Any]) -> None:
    _, body = case
    answer = _check_answer(_post_raw(client, body))
    if isinstance(answer, dict) and "predictions" in answer:
        _check_scored(body, answer)


@pytest.fixture(scope="module", params=["regression", "classification"])
def log_service(request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, Any]]:
    """The service of a model returning NaN for a < 0 (and -inf at a == 0 for the regressor),
    explained by Kernel SHAP, with the model."""
    X = log_frame()
    model = (LogRegressor() if request.param == "regression" else LogClassifier()).fit(X, X["a"] > 2)
    scoring = ScoringExplainer.for_explainer(explain.TabularExplainer(model, X.iloc[:20]))
    with TestClient(create_app(scoring, max_rows=MAX_ROWS), raise_server_exceptions=False) as test_client:
        yield test_client, model


LOG_VALUES = st.floats(-10, 10) | st.sampled_from([0.0, -0.0, 1e-300, 1e300, -1e300]) | st.integers(-3, 3)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # Kernel SHAP of NaN outputs
@given(rows=st.lists(st.fixed_dictionaries({"a": LOG_VALUES, "b": LOG_VALUES}), min_size=1, max_size=8),
       explain_=st.booleans())
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
def test_rows_a_model_returns_nan_for_are_named_never_scored_as_null(log_service: tuple[TestClient, Any],
                                                                     rows: list[dict[str, Any]],
                                                                     explain_: bool) -> None:
    client, model = log_service
    response = client.post("/score", json={"data": rows, "explain": explain_})
    answer = _check_answer(response)
    frame = pd.DataFrame(rows, columns=["a", "b"], dtype=float)
    outputs = model.predict_proba(frame) if hasattr(model, "predict_proba") else model.predict(frame)
    undefined = np.flatnonzero(~np.isfinite(outputs.reshape(len(rows), -1)).all(axis=1)).tolist()
    if undefined:
        assert response.status_code == 422, answer
        head, _, text = answer["detail"].partition(": the model returned NaN or infinite ")
        assert [int(i) for i in re.findall(r"data\[(\d+)\]", head)] == undefined[:5], (answer, undefined)
        assert text, answer
    else:
        assert response.status_code == 200, (rows, answer)

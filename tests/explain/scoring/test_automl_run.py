"""Scoring an AutoML run's model: the explainer stored with the run, nothing trained, the
featurization's own input contract over HTTP.

A small search (AutoFeaturizer + LightGBM) on a mixed table with text dates, categories, free
text and missing values is run once; ``ScoringExplainer.from_run`` of its best run and the app
serving it must fit nothing, return the values of the stored explainer (raw and engineered)
with the stored explanation's fidelity line in every response, take missing values where the
featurization handles them, and refuse bad dates and numbers beyond the featurization with a
422 naming the column.
"""

from __future__ import annotations

import os
import re

os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from explain import ExplanationClient
from explain.scoring import RunExplainer, ScoringExplainer, TreeScoringExplainer, create_app
from tests._synthetic import make_mixed_table
from tests.explain.scoring._support import forbid_fitting

N_ROWS = 360
HELD_OUT = 40


def _table() -> tuple[pd.DataFrame, np.ndarray]:
    """The mixed table with its dates written as text (read with a fitted format) and 5% of
    them missing."""
    X, y = make_mixed_table("binary", n_rows=N_ROWS + HELD_OUT, seed=3)
    dates = X["signup"].dt.strftime("%Y-%m-%d").astype(object)
    dates[np.random.default_rng(3).random(len(X)) < 0.05] = None
    return X.assign(signup=dates), y


def _json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as a client sends them: null for a missing value, plain Python scalars."""
    out = []
    for row in frame.to_dict("records"):
        out.append({k: None if v is None or (isinstance(v, float) and np.isnan(v))
                    else v.item() if isinstance(v, np.generic) else v for k, v in row.items()})
    return out


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A finished 2-run search (LightGBM, no ensemble) whose best run stores its explainer."""
    from automl import AutoML, AutoMLConfig

    X, y = _table()
    frame = X.iloc[:N_ROWS].assign(label=y[:N_ROWS])
    folder: Path = tmp_path_factory.mktemp("automl-scoring")
    config = AutoMLConfig("classification", training_data=frame, label_column_name="label",
                          storage=f"sqlite:///{folder / 'runs.db'}", experiment_name="mixed", iterations=2,
                          n_cross_validations=2, allowed_models=["LightGBM"], ensemble=False, n_jobs=1,
                          random_state=0, verbosity=40)
    run = AutoML(config).fit()
    return {"run": run, "rows": X.iloc[N_ROWS:].reset_index(drop=True)}


@pytest.fixture(scope="module")
def served(search: dict[str, Any]) -> dict[str, Any]:
    """The best run's stored explainer and the app serving it."""
    child = search["run"].best_child()
    stored = child.get_explainer()
    scoring = ScoringExplainer.from_run(child)
    return {"child": child, "stored": stored, "scoring": scoring, "client": TestClient(create_app(scoring))}


def test_starting_from_a_stored_run_fits_nothing(search: dict[str, Any],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``automl serve`` does at start-up: the run's stored explainer, its scoring explainer
    and the app; a fit anywhere (LightGBM, a scikit-learn estimator, a mimic) fails the test."""
    child = search["run"].best_child()
    called = forbid_fitting(monkeypatch)
    stored = child.get_explainer()
    scoring = ScoringExplainer.from_run(child)
    app = create_app(scoring)
    response = TestClient(app).post("/score", json={"data": _json_records(search["rows"].iloc[:3]),
                                                    "explain": True})
    assert response.status_code == 200, response.text
    assert called == []
    assert isinstance(stored, RunExplainer)
    assert type(scoring) is TreeScoringExplainer and scoring.method == "shap.tree"
    assert type(scoring.explainer_) is type(stored.explainer.explainer)
    assert scoring.compiled_ is not None and scoring.compiled_.fallback_columns == ()


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "engineered"])
def test_service_values_equal_the_stored_explainers(served: dict[str, Any], search: dict[str, Any],
                                                    raw: bool) -> None:
    rows = search["rows"]
    response = served["client"].post("/score", json={"data": _json_records(rows), "explain": True,
                                                      "raw": raw})
    assert response.status_code == 200, response.text
    body = response.json()
    explainer = served["stored"].explainer
    offline = explainer.explain_local(rows)
    offline = offline if raw else offline.engineered_explanation
    values = np.asarray(offline.local_values)  # (classes, rows, features)
    classes = [str(c) for c in offline.classes]
    model = served["child"].get_model()
    assert body["predictions"] == list(model.predict(rows))
    assert body["feature_space"] == ("raw" if raw else "engineered")
    for i, explained in enumerate(body["explanations"]):
        k = classes.index(explained["output"])
        got = {item["feature"]: item["value"] for item in explained["importances"]}
        assert list(got) != [] and set(got) == set(offline.features)
        np.testing.assert_allclose([got[f] for f in offline.features], values[k, i], rtol=1e-9, atol=1e-12)
        assert explained["expected_value"] == pytest.approx(offline.expected_values_[k], abs=1e-12)


def test_predictions_and_probabilities_use_the_same_labels(served: dict[str, Any], search: dict[str, Any]
                                                           ) -> None:
    rows = search["rows"]
    body = served["client"].post("/score", json={"data": _json_records(rows)}).json()
    model = served["child"].get_model()
    labels = [str(c) for c in model.classes_]
    assert labels == ["no", "yes"]
    assert all(list(p) == labels for p in body["probabilities"])
    assert set(body["predictions"]) <= set(labels)
    np.testing.assert_allclose([[p[c] for c in labels] for p in body["probabilities"]],
                               model.predict_proba(rows), rtol=1e-9, atol=1e-12)


def test_every_response_with_values_carries_the_stored_fidelity_line(served: dict[str, Any],
                                                                     search: dict[str, Any]) -> None:
    stored = ExplanationClient.from_run(served["child"]).download_model_explanation(comment="best model",
                                                                                   raw=True)
    line = stored.fidelity.summary().split(";")[0]
    assert line.startswith("exact SHAP values of the model")
    assert served["scoring"].fidelity_line == line
    client = served["client"]
    for n in (1, 5):
        body = client.post("/score", json={"data": _json_records(search["rows"].iloc[:n]),
                                           "explain": True, "top_k": 2}).json()
        assert body["fidelity"] == line
    assert client.get("/metadata").json()["fidelity"] == line


def test_missing_values_are_taken_in_every_column_the_featurization_handles(served: dict[str, Any],
                                                                          search: dict[str, Any]) -> None:
    meta = served["client"].get("/metadata").json()
    assert meta["compiled_featurization"] is True and meta["unknown_categories"] == "accept"
    assert meta["allows_missing_values"] is True
    missing = {c["name"]: c["missing"] for c in meta["input_columns"]}
    assert missing["income"] == missing["signup"] == "accepted"
    kinds = {c["name"]: c["kind"] for c in meta["input_columns"]}
    assert kinds["signup"] == "datetime" and kinds["region"] == "category" and kinds["comment"] == "text"
    row = _json_records(search["rows"].iloc[:1])[0]
    empty = {name: None for name in row}
    response = served["client"].post("/score", json={"data": [empty], "explain": True})
    assert response.status_code == 200, response.text
    model = served["child"].get_model()
    offline = pd.DataFrame([empty]).astype({"income": float, "noise_num": float})
    np.testing.assert_allclose(list(response.json()["probabilities"][0].values()),
                               model.predict_proba(offline)[0], rtol=1e-9)
    reported = {(u["column"], u["value"]) for u in response.json()["unknown_categories"] or []}
    categories = {name for name, kind in missing.items() if kind == "unknown_category"}
    assert reported == {(name, None) for name in categories}


@pytest.mark.parametrize(("column", "value", "message"), [
    ("signup", "not a date",
     r"data\[0\]\.signup: 'not a date' is not a date \(expected the format '%Y-%m-%d'\)"),
    ("signup", "2021-02-30", r"data\[0\]\.signup: '2021-02-30' is not a date"),
    ("signup", 20210203, r"data\[0\]\.signup: expected a date as text, got 20210203"),
    ("income", 1e300, r"data\[0\]\.income: 1e\+300 is beyond the range the featurization stores numbers in "
                      r"\(float32, up to 3.403e\+38 in absolute value\)"),
    ("noise_num", "12", r"data\[0\]\.noise_num: expected a number, got '12'"),
    ("region", 3, r"data\[0\]\.region: expected a category as a string, got 3"),
])
def test_values_the_featurization_cannot_take_are_a_422_naming_the_column(
        served: dict[str, Any], search: dict[str, Any], column: str, value: Any, message: str) -> None:
    row = {**_json_records(search["rows"].iloc[:1])[0], column: value}
    response = served["client"].post("/score", json={"data": [row], "explain": True})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert re.search(message, detail), detail
    assert "Explainer" not in detail and "transformations" not in detail


def test_unknown_categories_are_reported_or_refused_by_the_policy(served: dict[str, Any],
                                                                 search: dict[str, Any]) -> None:
    row = {**_json_records(search["rows"].iloc[:1])[0], "region": "mars"}
    body = served["client"].post("/score", json={"data": [row, row], "explain": True}).json()
    assert body["unknown_categories"] == [{"row": 0, "column": "region", "value": "mars"},
                                          {"row": 1, "column": "region", "value": "mars"}]
    strict = ScoringExplainer.from_run(served["child"], unknown_categories="refuse")
    client = TestClient(create_app(strict))
    meta = client.get("/metadata").json()
    assert meta["unknown_categories"] == "refuse"
    assert meta["allows_missing_values"] is False  # some category columns had no missing value in fit
    response = client.post("/score", json={"data": [row]})
    assert response.status_code == 422
    assert response.json()["detail"].startswith(
        "data[0].region: 'mars' is not a category the model was trained on (known: 'east', 'north', "
        "'south', 'west'; 4 in all)")

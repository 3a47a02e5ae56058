"""Feature names given at construction are the scoring explainer's input columns.

An explainer set up on unnamed rows (a NumPy array) with ``features=`` names, as
interpret-community's walkthroughs do, must be scored with rows keyed by those names, in
process and over HTTP, after a save / load round trip; its predictions and probabilities
name the same classes.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from explain import ExplanationValueError, KernelExplainer
from explain.scoring import KernelScoringExplainer, create_app, load, save

N_FEATURES = 6
CLASSES = ["malignant", "benign"]


def _data() -> tuple[np.ndarray, np.ndarray, list[str]]:
    data = load_breast_cancer()
    return data.data[:, :N_FEATURES], data.target, [str(n) for n in data.feature_names[:N_FEATURES]]


@pytest.fixture(scope="module", params=["pipeline", "model"])
def bundle(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A Kernel scoring explainer set up on an array with ``features=`` names, saved and loaded."""
    X, y, names = _data()
    model: Any = LogisticRegression(max_iter=1000)
    if request.param == "pipeline":
        model = make_pipeline(StandardScaler(), model)
    model.fit(X, y)
    explainer = KernelExplainer(model, X[:15], features=names, classes=CLASSES, nsamples=64, random_state=0)
    scoring = load(save(KernelScoringExplainer(explainer), tmp_path_factory.mktemp("kernel") / "scoring"))
    return {"X": X, "names": names, "model": model, "explainer": explainer, "scoring": scoring}


def test_the_names_are_the_input_columns(bundle: dict[str, Any]) -> None:
    scoring = bundle["scoring"]
    assert scoring.input_columns_ == tuple(bundle["names"])
    assert list(scoring.input_schema_) == bundle["names"]
    assert scoring.output_features() == tuple(bundle["names"])


def test_a_frame_keyed_by_the_names_is_scored_as_the_array(bundle: dict[str, Any]) -> None:
    scoring, X, names = bundle["scoring"], bundle["X"][:4], bundle["names"]
    frame = pd.DataFrame(X, columns=names)
    np.testing.assert_array_equal(scoring.predict(frame), np.asarray(CLASSES)[bundle["model"].predict(X)])
    np.testing.assert_array_equal(scoring.predict(frame[names[::-1]]), scoring.predict(X))
    offline = np.asarray(bundle["explainer"].explain_local(X).local_values)
    np.testing.assert_allclose(scoring.explain(frame), offline, rtol=0, atol=1e-12)


def test_a_frame_missing_a_name_is_refused_naming_it(bundle: dict[str, Any]) -> None:
    frame = pd.DataFrame(bundle["X"][:2], columns=bundle["names"]).drop(columns="mean area")
    with pytest.raises(ExplanationValueError, match=r"columns do not match the model's input columns; "
                                                    r"missing: 'mean area'\."):
        bundle["scoring"].predict(frame)
    # another name in its place is not read by position
    with pytest.raises(ExplanationValueError, match=r"missing: 'mean area'; unknown: 'x3'\."):
        bundle["scoring"].predict(frame.assign(x3=1.0))


def test_a_frame_of_positions_is_read_by_position(bundle: dict[str, Any]) -> None:
    X = bundle["X"][:3]
    np.testing.assert_array_equal(bundle["scoring"].predict(pd.DataFrame(X)), bundle["scoring"].predict(X))


def test_the_service_takes_rows_keyed_by_the_names(bundle: dict[str, Any]) -> None:
    X, names = bundle["X"][:3], bundle["names"]
    client = TestClient(create_app(bundle["scoring"]))
    meta = client.get("/metadata").json()
    assert [c["name"] for c in meta["input_columns"]] == names and meta["classes"] == CLASSES
    rows = [dict(zip(names, map(float, row), strict=True)) for row in X]
    response = client.post("/score", json={"data": rows, "explain": True})
    assert response.status_code == 200, response.text
    body = response.json()
    expected = [CLASSES[k] for k in bundle["model"].predict(X)]
    assert body["predictions"] == expected
    assert [list(p) for p in body["probabilities"]] == [CLASSES] * len(X)
    np.testing.assert_allclose([[p[c] for c in CLASSES] for p in body["probabilities"]],
                               bundle["model"].predict_proba(X), rtol=1e-12)
    offline = np.asarray(bundle["explainer"].explain_local(X).local_values)
    for i, explained in enumerate(body["explanations"]):
        k = CLASSES.index(explained["output"])
        got = {item["feature"]: item["value"] for item in explained["importances"]}
        np.testing.assert_allclose([got[n] for n in names], offline[k, i], rtol=0, atol=1e-12)
    positional = [{f"x{j}": float(v) for j, v in enumerate(row)} for row in X[:1]]
    refused = client.post("/score", json={"data": positional})
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("data[0]: missing columns 'mean radius', 'mean texture'")


def test_a_saved_bundle_of_the_names_keeps_them(bundle: dict[str, Any], tmp_path: Path) -> None:
    again = load(save(bundle["scoring"], tmp_path / "again"))
    assert again.input_columns_ == tuple(bundle["names"])

"""Shared by the dashboard tests: posting callbacks through Flask's test client, reading Plotly
arrays back, and small seeded dashboards (never served)."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pandas as pd

ALL_DATA = {"name": "All data", "filter": ""}


def decode(value: Any) -> np.ndarray:
    """A Plotly array from JSON: a plain list, or base64 ``{"dtype", "bdata"}``."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:  # "rows, columns" as text, or a list
            shape = value["shape"]
            return array.reshape([int(n) for n in (shape.split(",") if isinstance(shape, str) else shape)])
        return array
    return np.asarray(value)


def post(dashboard: Any, outputs: Any, inputs: Any, state: Any = (), changed: Any = None) -> Any:
    """POST what the browser posts to ``/_dash-update-component``; return the Flask response.

    ``outputs`` are ``(id, property)`` pairs, ``inputs`` and ``state`` ``(id, property, value)``.
    """
    if len(outputs) == 1:
        output = "{}.{}".format(*outputs[0])
        targets: Any = {"id": outputs[0][0], "property": outputs[0][1]}
    else:
        output = ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
        targets = [{"id": i, "property": p} for i, p in outputs]
    payload = {
        "output": output, "outputs": targets,
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": changed if changed is not None else [f"{inputs[0][0]}.{inputs[0][1]}"],
    }
    return dashboard.app.server.test_client().post("/_dash-update-component", json=payload)


def call(dashboard: Any, outputs: Any, inputs: Any, state: Any = (), changed: Any = None) -> tuple[int, dict]:
    """Like :func:`post`; return (status, the callback's ``response`` mapping)."""
    response = post(dashboard, outputs, inputs, state, changed)
    body = response.get_json(silent=True) if response.status_code == 200 else None
    return response.status_code, (body or {}).get("response", {})


def registered_callbacks(app: Any) -> list[tuple[list[tuple[str, str]], list[tuple[str, str]],
                                                   list[tuple[str, str]]]]:
    """Every callback of ``app``: (outputs, inputs, state), each a list of ``(id, property)``."""
    found = []
    for key, spec in app.callback_map.items():
        names = key[2:-2].split("...") if key.startswith("..") else [key]
        outputs = [tuple(name.rsplit(".", 1)) for name in names]
        found.append((outputs, [(i["id"], i["property"]) for i in spec["inputs"]],
                      [(s["id"], s["property"]) for s in spec["state"]]))
    return found  # type: ignore[return-value]


def mixed_rows(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Mixed-type rows; the label depends on ``age`` and ``region``."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "income": rng.normal(50_000, 15_000, n).round(0),
        "region": rng.choice(["north", "south", "east", "west"], n),
    })
    logit = 0.12 * (X["age"] - 45) + 2.5 * (X["region"] == "south") - 1.5 * (X["region"] == "north")
    return X, pd.Series((logit + rng.logistic(size=n) > 0).astype(int), name="label")


def pipeline_dashboard(n: int = 120) -> Any:
    """A dashboard over a fitted pipeline (one-hot region + LightGBM) with raw and engineered
    spaces, what-if and ICE, and a leaderboard of one failed run; built, not served."""
    from lightgbm import LGBMClassifier
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from explain import TabularExplainer
    from explain.dashboard import ExplanationDashboard

    X, y = mixed_rows(n)
    pipeline = Pipeline([
        ("pre", ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["region"]),
                                   ("num", StandardScaler(), ["age", "income"])])),
        ("model", LGBMClassifier(n_estimators=15, n_jobs=1, verbose=-1, random_state=0, min_child_samples=5)),
    ]).fit(X, y)
    explanation = TabularExplainer(pipeline, X.iloc[:40]).explain_global(X)

    class FailedRun:
        id, estimator, status, score = "1", "LightGBM", "Failed", None

        def get_explanation_client(self) -> Any:
            raise AssertionError("a failed run's explanation is never read")

    return ExplanationDashboard(explanation, pipeline, X, y, runs=[FailedRun()], start=False)


def binary_dashboard(n: int = 90) -> tuple[Any, pd.DataFrame]:
    """(dashboard, X): LightGBM on two numeric columns (``age``, ``kids``), labels "no"/"yes";
    one feature space, what-if and ICE available; built, not served."""
    from lightgbm import LGBMClassifier

    from explain import TabularExplainer
    from explain.dashboard import ExplanationDashboard

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.normal(40, 10, n), "kids": rng.integers(0, 5, n)})
    y = np.where(X["age"] + 2 * X["kids"] + rng.normal(0, 4, n) > 44, "yes", "no")
    model = LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1, min_child_samples=5).fit(X, y)
    explanation = TabularExplainer(model, X.iloc[:50]).explain_global(X)
    return ExplanationDashboard(explanation, model, X, y, start=False), X

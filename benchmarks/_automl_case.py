"""The AutoML pipeline case of bench_scoring.py and bench_service.py.

A 50-column mixed table (30 numbers with 5% missing, 6 integers, 6 categories of 3 to 18
values with 3% missing and one of 4 values with none, a flag, 3 datetimes, a date written as
text, a free-text comment and a high-cardinality city name), featurized by
``featurization.AutoFeaturizer`` (189 engineered features) and learnt by
``LGBMClassifier(n_estimators=200, num_leaves=31)``, as an AutoML run builds it; explained by
the explainer AutoML stores with its best run (``automl._explanations.model_explainer``:
TreeSHAP through the featurization's feature map).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from sklearn.pipeline import Pipeline

from automl._explanations import model_explainer
from featurization import AutoFeaturizer

__all__ = ["automl_case", "records", "wide_table"]

WORDS = np.array("good bad late fast price support happy slow room clean staff view".split())


def wide_table(n_rows: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """The 50-column table and a binary label."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for i in range(30):
        values = rng.normal(size=n_rows) * (i + 1)
        values[rng.random(n_rows) < 0.05] = np.nan
        columns[f"num{i:02d}"] = values
    for i in range(6):
        columns[f"int{i}"] = rng.integers(0, 100, n_rows)
    for i in range(6):
        values = rng.choice(np.array([f"c{j}" for j in range(3 + 3 * i)], dtype=object), n_rows)
        values[rng.random(n_rows) < 0.03] = None
        columns[f"cat{i}"] = values
    columns["tier"] = rng.choice(np.array(["bronze", "silver", "gold", "platinum"], dtype=object), n_rows)
    columns["flag"] = rng.random(n_rows) < 0.5
    for i in range(3):
        hours = pd.to_timedelta(rng.integers(0, 2000 * 24, n_rows), unit="h")
        columns[f"date{i}"] = pd.Timestamp("2019-01-01") + hours
    days = pd.to_timedelta(rng.integers(0, 900, n_rows), unit="D")
    columns["date_str"] = (pd.Timestamp("2020-01-01") + days).strftime("%Y-%m-%d")
    columns["comment"] = [" ".join(rng.choice(WORDS, 5)) for _ in range(n_rows)]
    columns["city"] = [f"city{int(k)}" for k in rng.zipf(1.5, n_rows) % 500]
    frame = pd.DataFrame(columns)
    score = np.nan_to_num(frame["num00"]) + 2.0 * (frame["cat1"] == "c2") - frame["int0"] / 50
    return frame, np.where(score + rng.normal(size=n_rows) > 0, "yes", "no")


def automl_case(n_train: int = 5000, n_trees: int = 200) -> tuple[Pipeline, Any, pd.DataFrame]:
    """The fitted pipeline, its stored-style explainer, and 2,000 held-out rows."""
    X, y = wide_table(n_train + 2000)
    train, held_out = X.iloc[:n_train], X.iloc[n_train:].reset_index(drop=True)
    pipeline = Pipeline([
        ("featurize", AutoFeaturizer()),
        ("model", LGBMClassifier(n_estimators=n_trees, num_leaves=31, n_jobs=1, verbose=-1, random_state=0)),
    ]).fit(train, y[:n_train])
    explainer = model_explainer(pipeline, train.sample(min(2000, n_train), random_state=0)).explainer
    return pipeline, explainer, held_out


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as a client sends them: JSON values, null for missing, datetimes in ISO 8601."""
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

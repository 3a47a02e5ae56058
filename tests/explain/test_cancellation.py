"""Features whose contributions cancel are named in the explanation's fidelity."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from explain import LinearExplainer
from explain._cancellation import cancelling_pairs, with_cancellation_notes


def near_duplicates(seed: int = 0) -> tuple[LinearRegression, pd.DataFrame]:
    """A linear model leaning +40 on a column and -39 on its near copy (collinear columns)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=400)
    X = pd.DataFrame({"month": x, "time_hour": x + rng.normal(scale=0.01, size=400),
                      "distance": rng.normal(size=400)})
    model = LinearRegression().fit(X, X["month"] + X["distance"])
    model.coef_ = np.array([40.0, -39.0, 1.0])
    return model, X


def test_a_cancelling_pair_is_named_in_the_fidelity() -> None:
    model, X = near_duplicates()
    explanation = LinearExplainer(model, X).explain_global(X)
    assert explanation.get_ranked_global_names()[:2] == ["month", "time_hour"]  # the two "top drivers"
    [pair] = cancelling_pairs(explanation)
    assert pair.features == ("month", "time_hour") and pair.correlation < -0.99
    assert pair.net < 0.05 * min(pair.importances)
    noted = with_cancellation_notes(explanation)
    summary = noted.fidelity.summary()
    assert "'month' and 'time_hour' cancel each other: their contributions correlate at -1.000" in summary
    assert "groups={'month + time_hour': ['month', 'time_hour']}" in summary


def test_independent_features_are_not_flagged() -> None:
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    model = LinearRegression().fit(X, X @ np.array([2.0, -1.5, 1.0]))
    explanation = LinearExplainer(model, X).explain_global(X)
    assert cancelling_pairs(explanation) == []
    assert with_cancellation_notes(explanation) is explanation


def test_too_few_rows_are_not_judged() -> None:
    model, X = near_duplicates()
    assert cancelling_pairs(LinearExplainer(model, X).explain_global(X.iloc[:10])) == []

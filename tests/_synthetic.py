"""Synthetic data sets where the truth is known, shared by the tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

INFORMATIVE = ["f0", "f1", "f2"]
"""The only features the synthetic targets depend on."""


def make_ground_truth(task: str, n_rows: int = 600, n_features: int = 8,
                      seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Synthetic data whose target depends on f0, f1 and f2 only.

    Parameters
    ----------
    task : {"regression", "binary", "multiclass"}
        Regression: ``y = 3 f0 - 2 f1 + 1.5 f2 + noise``. Binary: the sign of that score,
        as string labels ``"no"``/``"yes"``. Multiclass: the argmax of three scores, one
        driven by each informative feature, as labels ``"a"``, ``"b"``, ``"c"``.
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, n_features)),
                     columns=[f"f{i}" for i in range(n_features)])
    score = 3 * X["f0"] - 2 * X["f1"] + 1.5 * X["f2"]
    if task == "regression":
        return X, (score + 0.1 * rng.normal(size=n_rows)).to_numpy()
    if task == "binary":
        return X, np.where(score + 0.3 * rng.normal(size=n_rows) > 0, "yes", "no")
    if task == "multiclass":
        scores = np.column_stack([2 * X["f0"], -2 * X["f1"], 2 * X["f2"]])
        return X, np.array(["a", "b", "c"])[scores.argmax(axis=1)]
    raise ValueError(task)


def assert_informative_first(names: list[str]) -> None:
    """The three informative features rank first, in any order."""
    assert set(names[:3]) == set(INFORMATIVE), f"top features {names[:5]}"


RAW_INFORMATIVE = ["income", "region", "segment"]
"""The raw columns the mixed-table targets depend on."""


def make_mixed_table(task: str = "binary", n_rows: int = 800,
                     seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A raw table of mixed types whose target depends on income, region and segment only.

    Columns: ``income`` (numeric, 5% NaN), ``region`` (4 categories), ``segment`` (3
    categories with some missing), ``noise_num``, ``noise_cat``, ``signup`` (datetime) and
    ``comment`` (free text), the last four irrelevant. Regression targets are real; binary
    targets are ``"no"``/``"yes"``.
    """
    rng = np.random.default_rng(seed)
    income = rng.normal(50.0, 10.0, n_rows)
    region = rng.choice(["north", "south", "east", "west"], n_rows)
    segment = rng.choice(["a", "b", "c"], n_rows).astype(object)
    words = np.array(["good", "bad", "late", "fast", "price", "support", "happy", "slow"])
    frame = pd.DataFrame({
        "income": np.where(rng.random(n_rows) < 0.05, np.nan, income),
        "region": region,
        "segment": np.where(rng.random(n_rows) < 0.03, None, segment),
        "noise_num": rng.normal(size=n_rows),
        "noise_cat": rng.choice(["x", "y", "z"], n_rows),
        "signup": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n_rows), unit="D"),
        "comment": [" ".join(rng.choice(words, 4)) for _ in range(n_rows)],
    })
    score = (0.15 * (income - 50.0) + 2.0 * (region == "south") - 1.5 * (region == "west")
             - 2.0 * (segment == "c") + 1.0 * (segment == "a"))
    if task == "regression":
        return frame, score + 0.2 * rng.normal(size=n_rows)
    return frame, np.where(score + 0.3 * rng.normal(size=n_rows) > 0, "yes", "no")

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

"""Shared fixtures: small seeded data sets where the truth is known."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from tests._synthetic import make_ground_truth

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture(params=["regression", "binary", "multiclass"])
def ground_truth(request: pytest.FixtureRequest) -> tuple[str, pd.DataFrame, np.ndarray]:
    """(task, X, y) for each task."""
    X, y = make_ground_truth(request.param)
    return request.param, X, y

"""Fits stopped inside: slices of trees sized to end before the deadline."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

import automl._stoppable
from automl._stoppable import FitStopped, _in_slices


class _Forest:
    """Adds trees with warm_start; each new tree advances a virtual clock by ``seconds``."""

    def __init__(self, clock: list[float], n_estimators: int, seconds: float) -> None:
        self.clock, self.seconds = clock, seconds
        self.params: dict[str, Any] = {"n_estimators": n_estimators, "warm_start": False}
        self.fitted: list[int] = []

    def get_params(self) -> dict[str, Any]:
        return dict(self.params)

    def set_params(self, **params: Any) -> _Forest:
        self.params.update(params)
        return self

    def fit(self, X: Any, y: Any) -> _Forest:
        grown = self.fitted[-1] if self.fitted and self.params["warm_start"] else 0
        self.clock[0] += self.seconds * (self.params["n_estimators"] - grown)
        self.fitted.append(self.params["n_estimators"])
        return self


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [0.0]
    monkeypatch.setattr(automl._stoppable, "time", SimpleNamespace(perf_counter=lambda: now[0]))
    return now


def test_the_next_slice_is_sized_to_end_before_the_deadline(clock: list[float]) -> None:
    forest = _Forest(clock, n_estimators=100, seconds=0.03)
    with pytest.raises(FitStopped):
        _in_slices("n_estimators")(forest, None, None, 0.5)
    # 13 trees (0.39 s), then slices of at most half the time left, one tree at a time near
    # the deadline; one more would end past 0.5 s
    assert forest.fitted == [13, 14, 15, 16]
    assert clock[0] <= 0.5
    assert forest.params == {"n_estimators": 100, "warm_start": False}


def test_a_fit_with_time_to_spare_ends_in_one_more_slice(clock: list[float]) -> None:
    forest = _Forest(clock, n_estimators=100, seconds=0.03)
    _in_slices("n_estimators")(forest, None, None, 100.0)
    assert forest.fitted == [13, 100]  # the other 87 trees take 2.6 s of the 99.6 s left
    assert forest.params == {"n_estimators": 100, "warm_start": False}

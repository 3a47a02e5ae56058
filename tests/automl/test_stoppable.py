"""Fits stopped inside: slices of trees or solver iterations sized to end before the deadline."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

import automl._stoppable
from automl._stoppable import FitStopped, _in_slices, _solver_in_slices


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


class _Solver:
    """A warm-started iterative solver that needs ``needed`` iterations in all; each iteration
    advances a virtual clock by ``seconds``."""

    def __init__(self, clock: list[float], max_iter: int, needed: int, seconds: float) -> None:
        self.clock, self.needed, self.seconds = clock, needed, seconds
        self.params: dict[str, Any] = {"max_iter": max_iter, "warm_start": False}
        self.done, self.calls = 0, []  # iterations so far, max_iter of each call

    def get_params(self) -> dict[str, Any]:
        return dict(self.params)

    def set_params(self, **params: Any) -> _Solver:
        self.params.update(params)
        return self

    def fit(self, X: Any, y: Any) -> _Solver:
        self.done = self.done if self.params["warm_start"] else 0
        self.n_iter_ = min(self.params["max_iter"], self.needed - self.done)
        self.done += self.n_iter_
        self.clock[0] += self.seconds * self.n_iter_
        self.calls.append(self.params["max_iter"])
        return self


def test_a_solver_that_does_not_converge_stops_before_the_deadline(clock: list[float]) -> None:
    # 5,000 iterations of 0.025 s would take 125 s; slices of an eighth (625 iterations, 15.6 s)
    # overran a deadline by a whole slice
    solver = _Solver(clock, max_iter=5000, needed=10**6, seconds=0.025)
    with pytest.raises(FitStopped):
        _solver_in_slices(solver, None, None, 10.0)
    assert clock[0] <= 10.0
    assert solver.calls[0] == 100  # 2.5 s, then at most half the time left per slice
    assert solver.params == {"max_iter": 5000, "warm_start": False}


def test_a_solver_stops_when_it_converges(clock: list[float]) -> None:
    solver = _Solver(clock, max_iter=5000, needed=340, seconds=0.001)
    _solver_in_slices(solver, None, None, 100.0)
    assert solver.done == 340
    assert solver.calls == [100, 4900]  # the second call converges after 240 of its iterations
    assert solver.params == {"max_iter": 5000, "warm_start": False}


def test_a_solver_without_a_deadline_problem_uses_its_whole_max_iter(clock: list[float]) -> None:
    solver = _Solver(clock, max_iter=300, needed=10**6, seconds=0.001)
    _solver_in_slices(solver, None, None, 100.0)
    assert solver.done == 300 and solver.calls == [38, 262]

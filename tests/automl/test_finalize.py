"""The best model's explanation keeps to its time: the rows it can afford, measured."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import automl._finalize as finalize


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


class _Explainer:
    """Costs ``setup`` once, then ``fixed`` per call and ``per_row`` per row, on a virtual clock."""

    def __init__(self, clock: _Clock, setup: float, fixed: float, per_row: float) -> None:
        self.clock, self.setup, self.fixed, self.per_row = clock, setup, fixed, per_row

    def explain(self, rows: pd.DataFrame) -> None:
        self.clock.now += self.setup + self.fixed + self.per_row * len(rows)
        self.setup = 0.0


@pytest.mark.parametrize("fixed", [0.0, 0.3])
def test_the_rows_afforded_come_from_the_cost_per_row_apart_from_a_calls_fixed_cost(
        monkeypatch: pytest.MonkeyPatch, fixed: float) -> None:
    """A call's fixed cost (0.3 s for a blend) read as part of the cost per row made the
    explanation sample 4,095 of 5,000 rows it had time for."""
    clock = _Clock()
    monkeypatch.setattr(finalize, "time", SimpleNamespace(perf_counter=clock.perf_counter))
    rows = pd.DataFrame({"a": np.arange(5000.0)})
    explainer = _Explainer(clock, setup=2.0, fixed=fixed, per_row=1e-3)
    kept, labels, source = finalize._affordable_rows(explainer, rows, np.zeros(5000), "held-out rows",  # type: ignore[arg-type]
                                                     seconds=5.0)
    spent = clock.now  # the three probes
    expected = (5.0 - spent - fixed) / 1e-3
    assert len(kept) == len(labels) == pytest.approx(expected, abs=2)
    assert source == "held-out rows, sampled at random from 5,000"
    assert kept.index.is_monotonic_increasing
    explainer.explain(kept)
    assert clock.now <= 5.0 + 1e-9  # the explanation ends within its time


def test_all_rows_when_they_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock()
    monkeypatch.setattr(finalize, "time", SimpleNamespace(perf_counter=clock.perf_counter))
    rows = pd.DataFrame({"a": np.arange(500.0)})
    kept, _, source = finalize._affordable_rows(_Explainer(clock, 0.1, 0.01, 1e-4), rows,  # type: ignore[arg-type]
                                                np.zeros(500), "held-out rows", seconds=5.0)
    assert len(kept) == 500 and source == "held-out rows"

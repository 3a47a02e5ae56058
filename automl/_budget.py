"""The time budget of one ``fit()``: featurization, search, ensemble, refit and explanation.

``experiment_timeout_minutes`` bounds the whole call. The search stops early enough to leave
what the end needs, re-estimated after every trial from what the trials measured:

- the refit of the best run (or of the three best runs an ensemble would blend) on all the rows
  it will be fitted on: a trial's fit time per fold, scaled by the rows; the ensemble then
  blends only runs whose refits fit in the time left (:meth:`Budget.refit_allowance`);
- the best model's explanation: a share of the budget (:meth:`Budget.explain_seconds`), which
  the finalization keeps to by explaining a sample of the held-out rows when it must; less when
  the runs' own explanations measured that it costs less (:meth:`Budget.explain_reserve`);
- a margin for storing models and explanations.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import optuna
from optuna.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from automl._folds import PreparedData

__all__ = ["Budget"]

EXPLAIN_SHARE = 0.1  # of the budget, for the best model's explanation
MIN_EXPLAIN_SECONDS, MAX_EXPLAIN_SECONDS = 3.0, 60.0
# the least kept for an explanation the runs measured: TreeSHAP of a boosted model on a few
# hundred held-out rows takes well under a second, its set-up and storing included
MEASURED_EXPLAIN_SECONDS = 1.5
MARGIN_SECONDS, MARGIN_SHARE = 1.5, 0.02
ENSEMBLE_MEMBERS = 3
MIN_ENSEMBLE_REFIT_SECONDS = 1.0
# the best model's explanation against a run's: a background of 2,000 rows instead of 300, a
# surrogate of 200 trees instead of 30 (an upper bound of the cost ratio of either)
FINAL_EXPLAIN_FACTOR = 7.0
FINAL_EXPLAIN_ROWS = 5000  # at most this many held-out rows are explained


class Budget:
    """Wall-clock time of one ``fit()``, from its start.

    Parameters
    ----------
    minutes : float or None
        ``experiment_timeout_minutes``; ``None``: no limit.
    """

    def __init__(self, minutes: float | None) -> None:
        self.start = time.perf_counter()
        self.seconds = None if minutes is None else 60.0 * float(minutes)
        self._explain_reserve: float | None = None  # the last estimate of :meth:`explain_reserve`

    @property
    def deadline(self) -> float | None:
        """``time.perf_counter()`` at which the whole fit must be done."""
        return None if self.seconds is None else self.start + self.seconds

    def elapsed(self) -> float:
        """Seconds since the fit started."""
        return time.perf_counter() - self.start

    def left(self) -> float | None:
        """Seconds left of the budget (``None`` without one)."""
        return None if self.seconds is None else self.seconds - self.elapsed()

    def explain_seconds(self) -> float:
        """What the best model's explanation may take: a tenth of the budget, 3 to 60 s."""
        if self.seconds is None:
            return MAX_EXPLAIN_SECONDS
        return min(MAX_EXPLAIN_SECONDS, max(MIN_EXPLAIN_SECONDS, EXPLAIN_SHARE * self.seconds))

    def reserve(self, study: optuna.Study, data: PreparedData, ensemble: bool) -> float:
        """Seconds the end of the fit needs: refit, explanation, margin.

        With an ensemble, the refits keep at least :data:`MIN_ENSEMBLE_REFIT_SECONDS`: on a small
        table each refit takes a tenth of a second, and the few tenths the search's last trial
        and the selection itself take had left no room for a second member (wine: eight runs
        left out for lack of 0.1 s).
        """
        runs = _best_completed(study)[:ENSEMBLE_MEMBERS if ensemble else 1]
        self._explain_reserve = self.explain_reserve(runs, data)
        refits = sum(self.refit_cost(t, data) for t in runs)
        if ensemble and len(runs) > 1:
            refits = max(refits, MIN_ENSEMBLE_REFIT_SECONDS)
        return refits + self._end_seconds()

    def explain_reserve(self, runs: list[FrozenTrial], data: PreparedData) -> float:
        """What to keep for the best model's explanation: :meth:`explain_seconds`, or less when
        the runs that may become the best model measured their explanations' cost.

        A run's explanation records the seconds to build its explainer and explain one row
        (``explain_setup_seconds``) and per further row (``explain_row_seconds``); the best
        model's explanation builds one for all rows (scaled by rows, as the refit), with a larger
        background or surrogate (:data:`FINAL_EXPLAIN_FACTOR`), and explains the held-out rows
        (at most :data:`FINAL_EXPLAIN_ROWS`; that many with validation data). Should the
        estimate fall short, the finalization explains a sample of the rows in the time there
        is rather than overrun.
        """
        cap = self.explain_seconds()
        estimate = 0.0
        held_out = data.explain_index  # None: a sample of the validation data is explained
        rows = FINAL_EXPLAIN_ROWS if held_out is None else min(FINAL_EXPLAIN_ROWS, len(held_out))
        for trial in runs:
            setup, per_row = (trial.user_attrs.get("explain_setup_seconds"),
                              trial.user_attrs.get("explain_row_seconds"))
            if setup is None or per_row is None:
                return cap
            scale = self.rows_scale(trial, data)
            estimate += FINAL_EXPLAIN_FACTOR * (float(setup) * scale + rows * float(per_row))
        return min(cap, max(MEASURED_EXPLAIN_SECONDS, estimate)) if runs else cap

    def _end_seconds(self, explain_at_most: float | None = None) -> float:
        """What the end of the fit needs besides the refit: the explanation and a margin."""
        assert self.seconds is not None
        explain = self.explain_seconds() if self._explain_reserve is None else self._explain_reserve
        if explain_at_most is not None:
            explain = min(explain, explain_at_most)
        return 1.2 * explain + MARGIN_SECONDS + MARGIN_SHARE * self.seconds

    def refit_allowance(self) -> float | None:
        """Seconds the refits may take now (``None``: no limit).

        They leave the explanation at least :data:`MIN_EXPLAIN_SECONDS` of what was reserved for
        it, not all of it: the explanation explains a sample of its rows in the time there is,
        while time reserved for refits that are then refused is lost (on 1,000,000 rows at 60 s
        the search stopped with 28 s left, the second member's 14.5 s refit was refused for
        lack of 3 s, and the fit ended at 39.5 s).
        """
        left = self.left()
        return None if left is None else max(0.0, left - self._end_seconds(MIN_EXPLAIN_SECONDS))

    @staticmethod
    def rows_scale(trial: FrozenTrial, data: PreparedData) -> float:
        """The final rows over the rows of a run's last measured fit (a fold's or a sample's)."""
        fold_rows = max(1, len(data.folds[0].y_train))
        rows = max(1, int(trial.user_attrs.get("fit_rows") or fold_rows))
        return max(1.0, len(data.y_full) / rows)

    @staticmethod
    def refit_cost(trial: FrozenTrial, data: PreparedData) -> float:
        """A run's refit on the final rows: its last measured fit's time in proportion to the
        rows (those of the final fit over those of that fit, a fold's or a large table's sample)."""
        return float(trial.user_attrs.get("fold_fit_seconds", 0.0)) * Budget.rows_scale(trial, data)

    def _refit_seconds(self, study: optuna.Study, data: PreparedData, ensemble: bool) -> float:
        """The refit of the best run, or of an ensemble of the best few, on the final rows."""
        completed = _best_completed(study)
        return sum(self.refit_cost(t, data) for t in completed[:ENSEMBLE_MEMBERS if ensemble else 1])

    def search_deadline(self, study: optuna.Study, data: PreparedData, ensemble: bool) -> float | None:
        """When the search must stop starting (and finish) trials; ``None`` without a budget."""
        deadline = self.deadline
        if deadline is None:
            return None
        if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            return deadline  # nothing to finalize yet: the first trials may use all the time left
        return deadline - self.reserve(study, data, ensemble)


def _best_completed(study: optuna.Study) -> list[FrozenTrial]:
    """Completed runs with a measured fit, best first."""
    sign = 1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1.0
    return sorted((t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                   if "fold_fit_seconds" in t.user_attrs and t.value is not None),
                  key=lambda t: -sign * float(t.value or 0.0))

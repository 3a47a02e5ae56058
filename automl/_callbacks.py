"""Study callbacks: early stopping when the score stalls, and the live progress line."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

__all__ = ["EarlyStopping", "Progress", "search_trials_done"]

logger = logging.getLogger("automl")


FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def search_trials_done(study: optuna.Study) -> int:
    """Finished trials of the search, as counted towards ``iterations``.

    Neither the ensemble (a run ``finalize`` adds as a trial) nor a trial stopped from outside
    (its worker killed or interrupted; see :mod:`automl._stale`) counts.
    """
    return sum(t.user_attrs.get("estimator") != "Ensemble" and not t.user_attrs.get("stopped")
               for t in study.get_trials(deepcopy=False, states=FINISHED))


class EarlyStopping:
    """Stop the study when the best score has not improved for ``patience`` completed trials."""

    def __init__(self, patience: int = 20) -> None:
        self.patience = patience

    def should_stop(self, study: optuna.Study) -> bool:
        """Whether the last ``patience`` completed trials did not improve on the best."""
        completed = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                     if t.value is not None]
        if len(completed) <= self.patience:
            return False
        sign = 1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1.0
        values = [sign * float(t.value or 0.0) for t in sorted(completed, key=lambda t: t.number)]
        best_at = max(range(len(values)), key=lambda i: (values[i], -i))
        if len(values) - 1 - best_at >= self.patience:
            logger.info("early stopping: no improvement in the last %d trials", self.patience)
            return True
        return False

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        """As an Optuna callback: stop ``study`` when :meth:`should_stop`."""
        stop = self.should_stop(study)
        if stop and hasattr(study, "stop"):
            study.stop()
        return stop


class Progress:
    """A progress bar with a live leaderboard line (trials done, best score, time left)."""

    def __init__(self, config: Any, already_done: int, timeout: float | None, enabled: bool) -> None:
        self.total = config.iterations
        self.metric = config.primary_metric
        self.timeout = timeout
        self.start = time.perf_counter()
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, initial=already_done, desc="automl", unit="trial",
                            file=sys.stderr, dynamic_ncols=True)

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        done = search_trials_done(study)
        line = self._line(study, done)
        if self.bar is not None:
            self.bar.n = min(done, self.total)
            self.bar.set_postfix_str(line, refresh=True)
        status = trial.state.name.lower()
        level = logging.INFO if trial.state == TrialState.FAIL else logging.DEBUG
        logger.log(level, "trial %d %s (%s) %s: %s", trial.number, trial.user_attrs.get("estimator"),
                   status, trial.value, trial.user_attrs.get("error", ""))

    def _line(self, study: optuna.Study, done: int) -> str:
        parts = [f"{done}/{self.total} trials"]
        try:
            best = study.best_trial
            parts.append(f"best {self.metric} {best.value:.4f} ({best.user_attrs.get('estimator')})")
        except ValueError:
            pass
        if self.timeout is not None:
            left = max(0.0, self.timeout - (time.perf_counter() - self.start))
            parts.append(f"{left:.0f}s left")
        return " · ".join(parts)

    def close(self) -> None:
        """Close the bar."""
        if self.bar is not None:
            self.bar.close()

"""Study callbacks: early stopping when the score stalls, and the live progress line."""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

__all__ = ["EarlyStopping", "Progress", "search_trials_done", "show_progress"]

TICK_SECONDS = 2.0
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"

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
    """A progress bar with a live leaderboard line: trials done, best score, time left, and what
    is running now (refreshed every :data:`TICK_SECONDS`, so a long trial shows it is alive).

    Parameters
    ----------
    config : AutoMLConfig
        The search's settings (``iterations``, ``primary_metric``).
    study : optuna.Study
        The experiment's study (its running trials are shown).
    already_done : int
        Search trials finished before this fit.
    deadline : callable or None
        ``deadline() -> float or None``: when the search must stop (it moves as trials tell
        what the end of the fit will need); the bar shows the time left to it.
    enabled : bool
        Show the bar (on stderr).
    """

    def __init__(self, config: Any, study: optuna.Study, already_done: int, deadline: Any,
                 enabled: bool) -> None:
        self.total = config.iterations
        self.metric = config.primary_metric
        self.deadline = deadline
        self.best = ""
        self.done = already_done
        self.bar = None
        self._study = study
        self._stop = threading.Event()
        if enabled:
            from tqdm.auto import tqdm

            # no ETA from the trial count: with a time budget it is the time left that matters
            self.bar = tqdm(total=self.total, initial=already_done, desc="automl", unit="trial",
                            file=sys.stderr, dynamic_ncols=True,
                            bar_format=BAR_FORMAT)
            self._ticker = threading.Thread(target=self._tick, name="automl-progress", daemon=True)
            self._ticker.start()

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self.done = search_trials_done(study)
        try:
            best = study.best_trial
            self.best = f"best {self.metric} {best.value:.4f} ({best.user_attrs.get('estimator')})"
        except ValueError:
            pass
        self._study = study
        self._refresh()
        status = trial.state.name.lower()
        level = logging.INFO if trial.state == TrialState.FAIL else logging.DEBUG
        logger.log(level, "trial %d %s (%s) %s: %s", trial.number, trial.user_attrs.get("estimator"),
                   status, trial.value, trial.user_attrs.get("error", ""))

    def _line(self) -> str:
        parts = [self.best] if self.best else []
        deadline = None if self.deadline is None else self.deadline()
        if deadline is not None:
            parts.append(f"{max(0.0, deadline - time.perf_counter()):.0f}s of search left")
        running = self._running()
        if running:
            parts.append(running)
        return " · ".join(parts)

    def _running(self) -> str:
        trials = self._study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if not trials:
            return ""
        now = time.time()
        oldest = min(trials, key=lambda t: t.datetime_start.timestamp() if t.datetime_start else now)
        started = oldest.datetime_start.timestamp() if oldest.datetime_start else now
        estimator = oldest.user_attrs.get("estimator", "?")
        return f"running trial {oldest.number} ({estimator}) {now - started:.0f}s"

    def _refresh(self) -> None:
        if self.bar is not None:
            self.bar.n = min(self.done, self.total)
            self.bar.set_postfix_str(self._line(), refresh=True)

    def _tick(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            self._refresh()

    def close(self) -> None:
        """Stop refreshing and close the bar."""
        self._stop.set()
        if self.bar is not None:
            self._ticker.join()
            self.bar.close()


_HANDLER: logging.Handler | None = None


def show_progress(level: int) -> None:
    """Send the search's log lines (``automl: ...``) to stderr at ``level``, as the command line
    does, unless the application configured logging itself (a handler on ``automl`` or root)."""
    global _HANDLER
    logger.setLevel(level)
    if _HANDLER is None and not logger.handlers and not logging.getLogger().handlers:
        _HANDLER = logging.StreamHandler(sys.stderr)
        _HANDLER.setFormatter(logging.Formatter("automl: %(message)s"))
        logger.addHandler(_HANDLER)

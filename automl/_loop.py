"""The search loop: ask for a trial only while ``iterations`` leaves room, run it, tell the result.

Optuna's ``Study.optimize`` checks a trial budget only after trials end, so workers sharing a
study each start one more trial when the last ones finish together, and it fails the trials of
dead workers without a reason. Here a worker reserves each trial under the experiment's
``search`` lock (see :mod:`automl._lock`): it first fails stale trials (:mod:`automl._stale`),
then counts finished and running search trials and asks for a new one only if fewer than
``iterations``. Each running trial keeps a heartbeat. ``n_jobs`` threads run trials in parallel.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import optuna
import sqlalchemy
from optuna.trial import FrozenTrial, TrialState

from automl._callbacks import search_trials_done
from automl._exceptions import StorageError
from automl._lock import experiment_lock
from automl._stale import fail_stale_trials, heartbeat, mark_stopped, record_worker

__all__ = ["SearchLoop"]

logger = logging.getLogger("automl")
Objective = Callable[[optuna.Trial], float]
Callback = Callable[[optuna.Study, FrozenTrial], bool | None]


class SearchLoop:
    """Run trials of ``study`` until ``iterations`` search trials are finished, time is up, or a
    callback asks to stop.

    Parameters
    ----------
    study : optuna.Study
        The experiment's study.
    engine : sqlalchemy.engine.Engine
        The engine of the study's storage, which holds the ``search`` lock.
    objective : callable
        ``objective(trial) -> score``; raises ``optuna.TrialPruned`` to prune, anything else to fail.
    iterations : int
        Search trials to have finished, counting those of earlier or other workers.
    deadline : callable or None
        ``deadline() -> float or None``: the ``time.perf_counter()`` value after which no trial
        starts, asked before each (it moves as trials tell what the end of the fit will need).
    callbacks : list of callable
        ``callback(study, finished_trial)`` after each trial; a true return value stops the loop.
    n_jobs : int
        Trials run at once, in threads.
    """

    def __init__(self, study: optuna.Study, engine: sqlalchemy.engine.Engine, objective: Objective, *,
                 iterations: int, deadline: Callable[[], float | None] | None, callbacks: list[Callback],
                 n_jobs: int) -> None:
        self.study = study
        self.engine = engine
        self.objective = objective
        self.iterations = iterations
        self.deadline = deadline
        self.callbacks = callbacks
        self.n_jobs = n_jobs
        self._stop = threading.Event()

    def run(self) -> None:
        """Search until done; re-raises a storage failure or an interruption."""
        if self.n_jobs == 1:
            self._work()
            return
        with ThreadPoolExecutor(self.n_jobs, thread_name_prefix="automl-trial") as pool:
            futures = [pool.submit(self._work) for _ in range(self.n_jobs)]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                self._stop.set()
                raise

    def _reserve(self) -> optuna.Trial | None:
        """A new trial, or ``None`` when the search is done."""
        deadline = None if self.deadline is None else self.deadline()
        if self._stop.is_set() or (deadline is not None and time.perf_counter() >= deadline):
            return None
        with experiment_lock(self.engine, self.study.study_name, "search"):
            fail_stale_trials(self.study)
            running = len(self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
            if search_trials_done(self.study) + running >= self.iterations:
                return None
            trial = self.study.ask()
            record_worker(self.study, trial)  # before the lock is released: never seen without it
            return trial

    def _work(self) -> None:
        while (trial := self._reserve()) is not None:
            frozen = self._run(trial)
            for callback in self.callbacks:
                if callback(self.study, frozen):
                    self._stop.set()

    def _run(self, trial: optuna.Trial) -> FrozenTrial:
        value: float | None = None
        state = TrialState.COMPLETE
        try:
            with heartbeat(self.study, trial):
                value = self.objective(trial)
        except optuna.TrialPruned:
            state = TrialState.PRUNED
        except (KeyboardInterrupt, SystemExit):
            mark_stopped(self.study, trial, "interrupted while it ran")
            self._stop.set()
            raise
        except (StorageError, optuna.exceptions.StorageInternalError, sqlalchemy.exc.SQLAlchemyError):
            self._stop.set()
            with contextlib.suppress(optuna.exceptions.StorageInternalError, sqlalchemy.exc.SQLAlchemyError):
                self.study.tell(trial, state=TrialState.FAIL)  # may fail too (a read-only database)
            raise
        except Exception:  # the objective recorded why; the search goes on
            state = TrialState.FAIL
        if state == TrialState.COMPLETE:
            frozen = self.study.tell(trial, value)
        else:
            frozen = self.study.tell(trial, state=state)
        return frozen

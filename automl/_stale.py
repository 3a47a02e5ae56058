"""Trials whose worker died: found by heartbeat (or, on the same machine, a dead process), failed
with a reason, and, for the families' default trials, queued again.

Every running trial records its worker (host, process id and the process's start time) and a
heartbeat time in its user attributes. A trial is stale when its worker process on this machine
no longer exists, or when its heartbeat is older than :data:`GRACE_SECONDS` (workers on other
machines; their clocks should agree to within seconds). Optuna fails stale trials only when a
new trial starts and records no reason, so the search does it itself, at every start and resume.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from automl._processes import process_exists, process_start

__all__ = ["GRACE_SECONDS", "HEARTBEAT_SECONDS", "fail_stale_trials", "heartbeat", "mark_stopped",
           "record_worker", "worker_identity"]

logger = logging.getLogger("automl")
HEARTBEAT_SECONDS = 10.0
GRACE_SECONDS = 120.0


def worker_identity() -> dict[str, Any]:
    """This process: ``{"host", "pid", "start"}``."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "start": process_start(os.getpid())}


def _process_ended(worker: dict[str, Any]) -> bool:
    """Whether ``worker`` ran on this machine and its process no longer exists."""
    if worker.get("host") != socket.gethostname():
        return False
    pid = int(worker.get("pid", 0))
    if pid <= 0:
        return False
    if not process_exists(pid):
        return True
    start = worker.get("start")
    return start is not None and process_start(pid) not in (None, start)  # the pid was reused


@contextmanager
def heartbeat(study: optuna.Study, trial: optuna.Trial) -> Iterator[None]:
    """Refresh the trial's heartbeat every :data:`HEARTBEAT_SECONDS` (its worker and first
    heartbeat were recorded with the trial, :func:`record_worker`)."""
    storage, trial_id = study._storage, trial._trial_id
    done = threading.Event()

    def beat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            try:
                storage.set_trial_user_attr(trial_id, "heartbeat", time.time())
            except (optuna.exceptions.UpdateFinishedTrialError, optuna.exceptions.StorageInternalError):
                return  # finished meanwhile (or the storage is gone: the trial's own calls will say so)

    thread = threading.Thread(target=beat, name=f"automl-heartbeat-{trial.number}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def record_worker(study: optuna.Study, trial: optuna.Trial) -> None:
    """Record this process as ``trial``'s worker, with a first heartbeat.

    The search loop calls it under the experiment lock right after creating the trial, so no
    other worker (nor a resume) sees the trial running without its worker.
    """
    storage, trial_id = study._storage, trial._trial_id
    storage.set_trial_user_attr(trial_id, "worker", worker_identity())
    storage.set_trial_user_attr(trial_id, "heartbeat", time.time())


def _stale_reason(trial: FrozenTrial, now: float) -> str | None:
    worker = trial.user_attrs.get("worker")
    if worker is None:
        # created under the experiment lock, which its worker held until it had recorded
        # itself: a trial without one was left by a worker killed in between
        return "its worker ended as the trial was created, before it recorded itself (killed)"
    if isinstance(worker, dict) and _process_ended(worker):
        return f"its worker process {worker.get('pid')} on {worker.get('host')} ended while it ran (killed)"
    beat = trial.user_attrs.get("heartbeat")
    if beat is None and trial.datetime_start is not None:
        beat = trial.datetime_start.timestamp()
    if beat is not None and now - float(beat) > GRACE_SECONDS:
        where = f" ({worker.get('host')}, process {worker.get('pid')})" if isinstance(worker, dict) else ""
        return f"no heartbeat from its worker{where} for {now - float(beat):.0f} s"
    return None


def mark_stopped(study: optuna.Study, trial: FrozenTrial | optuna.Trial, reason: str) -> bool:
    """Fail a running trial that was stopped from outside (killed, interrupted), saying why.

    The trial does not count towards ``iterations``; a default trial is queued again, once.
    Returns whether this call failed it (another worker may have been first).
    """
    storage, trial_id = study._storage, trial._trial_id
    try:
        storage.set_trial_user_attr(trial_id, "error", f"stopped: {reason}")
        storage.set_trial_user_attr(trial_id, "stopped", True)
        if not storage.set_trial_state_values(trial_id, state=TrialState.FAIL):
            return False
    except optuna.exceptions.UpdateFinishedTrialError:
        return False
    frozen = storage.get_trial(trial_id)
    if frozen.user_attrs.get("default") and "retry_of" not in frozen.user_attrs:
        fixed = dict(frozen.system_attrs.get("fixed_params") or frozen.params)
        study.enqueue_trial(fixed, user_attrs={"default": True, "retry_of": frozen.number,
                                               "estimator": fixed.get("estimator")})
        logger.info("trial %d (%s defaults) was stopped; queued again", frozen.number, fixed.get("estimator"))
    return True


def fail_stale_trials(study: optuna.Study) -> list[int]:
    """Fail the running trials of dead workers; return their numbers."""
    now = time.time()
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        reason = _stale_reason(trial, now)
        if reason is not None and mark_stopped(study, trial, reason):
            failed.append(trial.number)
            logger.info("trial %d was left running: %s; marked failed", trial.number, reason)
    return failed

"""One trial: build the estimator a trial samples, score it fold by fold, prune early."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from automl._estimators import EstimatorSpec, get_estimator
from automl._folds import PreparedData
from automl._metrics import Metric, get_metric, metric_names
from automl._stoppable import FitStopped, fit_until
from explain.explainers import classifier_margins, has_native_margin
from explain.explainers._margins import MIN_PROBABILITY

__all__ = ["Limits", "TrialResult", "TrialTimeout", "build_tail", "evaluate", "full_pipeline",
           "predict_scores"]


PROBE_ROWS = 200


class TrialTimeout(Exception):
    """A trial ran past ``iteration_timeout_minutes``."""


@dataclass
class TrialResult:
    """What a finished trial produced."""

    score: float
    fold_scores: list[float]
    oof: np.ndarray
    fit_seconds: float
    last_fold_model: Any
    secondary: dict[str, float] = field(default_factory=dict)
    oof_margin: np.ndarray | None = None
    fold_fit_seconds: float = 0.0
    fit_rows: int = 0  # training rows of the last fit (a large table's trial may end on a sample)


def build_tail(spec: EstimatorSpec, params: dict[str, Any], task: str, seed: int | None) -> Any:
    """The estimator (with a scaler in front if the family wants one), unfitted."""
    estimator = spec.build(params, task, seed)
    if spec.scaled:
        return Pipeline([("scale", StandardScaler(with_mean=True)), ("model", estimator)])
    return estimator


def full_pipeline(featurizer: Any, tail: Any) -> Pipeline:
    """``featurizer`` (fitted) followed by ``tail`` (fitted) as one scikit-learn Pipeline."""
    steps = [("featurize", featurizer)]
    steps += tail.steps if isinstance(tail, Pipeline) else [("model", tail)]
    return Pipeline(steps)


def predict_scores(model: Any, X: Any, metric: Metric, task: str) -> np.ndarray:
    """Probabilities (classification) or predictions (regression) used for scoring."""
    if task == "classification":  # float32 probabilities (XGBoost) are renormalized
        proba = np.asarray(model.predict_proba(X), dtype=np.float64)
        return proba / proba.sum(axis=1, keepdims=True)
    return np.asarray(model.predict(X), dtype=np.float64)



@dataclass(frozen=True)
class Limits:
    """When a trial must stop.

    Parameters
    ----------
    trial_seconds : float or None
        ``iteration_timeout_minutes`` in seconds.
    deadline : float or None
        ``time.perf_counter()`` value at which the experiment's time runs out.
    may_prune : bool
        Whether the pruner may stop this trial (not for the families' default trials, except
        on a large table those of families slow on many rows).
    grow_rows : bool
        On a large table, fit on the growing samples of rows (the defaults of families slow on
        many rows); else a default goes to all rows.
    must_finish : bool
        Let the trial run past ``deadline`` (no run has completed yet), up to ``hard_deadline``.
    hard_deadline : float or None
        ``time.perf_counter()`` value at which the whole fit's budget ends.
    """

    trial_seconds: float | None = None
    deadline: float | None = None
    may_prune: bool = True
    grow_rows: bool = False
    must_finish: bool = False
    hard_deadline: float | None = None

    def fit_deadline(self, start: float) -> float | None:
        """When a fit of this trial must stop: its own limit, the search's deadline, or (for a
        trial that must finish) the end of the whole budget."""
        ends = [start + self.trial_seconds if self.trial_seconds is not None else None,
                self.hard_deadline if self.must_finish else self.deadline]
        known = [end for end in ends if end is not None]
        return min(known) if known else None


def evaluate(trial: optuna.Trial, name: str, params: dict[str, Any], data: PreparedData,
             metric: Metric, task: str, seed: int | None, limits: Limits) -> TrialResult:
    """Fit and score the estimator on every fold, reporting the running mean for pruning.

    After each fold the trial's remaining time is extrapolated from the folds done; a trial
    that would run past ``iteration_timeout_minutes`` or the experiment's time limit stops
    there instead of overrunning the budget.

    Raises
    ------
    optuna.TrialPruned
        When the pruner stops the trial after a fold.
    TrialTimeout
        When the trial would exceed its own or the experiment's time limit.
    """
    spec = get_estimator(name)
    start = time.perf_counter()
    fold_scores, oof_parts, margin_parts, model = [], [], [], None
    fit_deadline = limits.fit_deadline(start)
    if data.row_steps:  # large data: one validation split, growing training samples
        return _evaluate_by_rows(trial, spec, params, data, metric, task, seed, limits, start)
    for step, fold in enumerate(data.folds):
        fit_start = time.perf_counter()
        model = _fit(spec, params, task, seed, fold.X_train, fold.y_train, fit_deadline, limits,
                     f"fold {step + 1} of {len(data.folds)}")
        fold_fit_seconds = time.perf_counter() - fit_start
        scores = predict_scores(model, fold.X_valid, metric, task)
        oof_parts.append(scores)
        if task == "classification":
            margin_parts.append(_margins(model, fold.X_valid, scores))
        fold_scores.append(metric.score_scores(fold.y_valid, scores, data.classes))
        trial.report(float(np.mean(fold_scores)), step)
        if step < len(data.folds) - 1:
            _check_time(limits, start, step + 1, len(data.folds))
        # after the last fold there is nothing left to save: the trial completes with its score
        if step < len(data.folds) - 1 and limits.may_prune and trial.should_prune():
            raise optuna.TrialPruned(f"pruned after fold {step + 1}: mean score {np.mean(fold_scores):.4f}")
    oof = np.concatenate(oof_parts)
    return TrialResult(float(np.mean(fold_scores)), fold_scores, oof, time.perf_counter() - start,
                       model, secondary_metrics(oof, data.y_oof, data.classes, task),
                       np.concatenate(margin_parts) if margin_parts else None, fold_fit_seconds,
                       len(data.folds[-1].y_train))


def _fit(spec: EstimatorSpec, params: dict[str, Any], task: str, seed: int | None, X: Any, y: np.ndarray,
         deadline: float | None, limits: Limits, where: str) -> Any:
    """Fit the trial's estimator, stopped inside the fit when a time limit passes."""
    try:
        with threadpool_limits(limits=1):  # one thread per model: OpenMP stalls on busy cores
            return fit_until(build_tail(spec, params, task, seed), X, y, deadline)
    except FitStopped as exc:
        limit = ("iteration_timeout_minutes" if limits.trial_seconds is not None and limits.deadline is None
                 else "experiment_timeout_minutes")
        raise TrialTimeout(f"stopped inside {where}: the time of {limit} ran out") from exc


def _evaluate_by_rows(trial: optuna.Trial, spec: EstimatorSpec, params: dict[str, Any], data: PreparedData,
                      metric: Metric, task: str, seed: int | None, limits: Limits,
                      start: float) -> TrialResult:
    """Successive halving on data size: fit on growing samples of the training rows, scored on
    the validation split after each, so the pruner stops weak trials on little data. The
    families' default trials go straight to all rows, except those of families slow on many
    rows (``limits.grow_rows``).

    A trial whose next, larger fit would not end before the search's deadline (its time
    extrapolated in proportion to the rows from the fit just done) completes with the model
    and score of the sample it has: a model fitted on fewer rows, scored on the same
    validation rows as every other trial (``fit_rows`` says how many).
    """
    fold = data.folds[0]
    assert data.row_steps is not None and data.row_order is not None
    steps = data.row_steps if limits.may_prune or limits.grow_rows else data.row_steps[-1:]
    first = len(data.row_steps) - len(steps)  # a default reports its all-rows score at the last step
    fit_deadline = limits.fit_deadline(start)
    score, scores, model, fit_seconds, fit_rows = 0.0, np.empty(0), None, 0.0, 0
    for step, rows in enumerate(steps, start=first):
        if model is not None and _next_fit_too_late(limits, fit_seconds * rows / fit_rows):
            trial.set_user_attr("stopped_at_rows", f"{fit_rows:,} of {steps[-1]:,} rows: the fit on {rows:,} "
                                                   "would not end before the search's deadline")
            break
        index = data.row_order[:rows]
        fit_start = time.perf_counter()
        try:
            fitted = _fit(spec, params, task, seed, fold.X_train[index], fold.y_train[index], fit_deadline,
                          limits, f"the fit on {rows:,} rows")
        except TrialTimeout as exc:
            if model is None:
                raise
            trial.set_user_attr("stopped_at_rows", f"{fit_rows:,} of {steps[-1]:,} rows: {exc}")
            break
        model, fit_seconds, fit_rows = fitted, time.perf_counter() - fit_start, rows
        scores = predict_scores(model, fold.X_valid, metric, task)
        score = metric.score_scores(fold.y_valid, scores, data.classes)
        trial.report(float(score), step)
        if step < len(data.row_steps) - 1 and limits.may_prune and trial.should_prune():
            raise optuna.TrialPruned(f"pruned after {rows:,} of {steps[-1]:,} rows: score {score:.4f}")
    margins = _margins(model, fold.X_valid, scores) if task == "classification" else None
    return TrialResult(float(score), [float(score)], scores, time.perf_counter() - start, model,
                       secondary_metrics(scores, data.y_oof, data.classes, task), margins, fit_seconds,
                       fit_rows)


def _next_fit_too_late(limits: Limits, seconds: float) -> bool:
    """Whether a fit of about ``seconds`` started now would end past the search's deadline."""
    if limits.deadline is None or limits.must_finish:
        return False
    return time.perf_counter() + seconds > limits.deadline


def _margins(model: Any, X: Any, proba: np.ndarray) -> np.ndarray:
    """The model's margins on ``X`` (what a blend of runs adds up), reusing its probabilities."""
    if has_native_margin(model, X[:PROBE_ROWS]):
        return classifier_margins(model, X, native=True)
    return np.log(np.clip(proba, MIN_PROBABILITY, None))


def _check_time(limits: Limits, start: float, done: int, total: int) -> None:
    now = time.perf_counter()
    elapsed = now - start
    expected_end = now + elapsed / done * (total - done)
    if limits.trial_seconds is not None and elapsed / done * total > limits.trial_seconds:
        raise TrialTimeout(
            f"trial would exceed iteration_timeout_minutes: {elapsed:.0f} s for {done} of {total} "
            "folds"
        )
    if limits.deadline is not None and not limits.must_finish and expected_end > limits.deadline:
        raise TrialTimeout(
            f"trial would run past experiment_timeout_minutes: {elapsed:.0f} s for {done} of "
            f"{total} folds, {max(0.0, limits.deadline - now):.0f} s left"
        )


def secondary_metrics(oof: np.ndarray, y: np.ndarray, classes: np.ndarray | None,
                      task: str) -> dict[str, float]:
    """A few standard metrics of the out-of-fold predictions, logged with every run."""
    names = (["accuracy", "AUC_weighted", "log_loss", "balanced_accuracy", "f1_score_weighted"]
             if task == "classification"
             else ["r2_score", "normalized_root_mean_squared_error", "spearman_correlation",
                   "mean_absolute_error"])
    out = {}
    for name in names:
        if name in metric_names(task):
            try:
                out[name] = get_metric(name, task).score_scores(y, oof, classes)
            except ValueError:  # e.g. AUC with a class absent from a small validation set
                continue
    return out

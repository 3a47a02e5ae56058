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
        Whether the pruner may stop this trial (not for the families' default trials).
    must_finish : bool
        Let the trial finish even past the deadline (no run has completed yet).
    """

    trial_seconds: float | None = None
    deadline: float | None = None
    may_prune: bool = True
    must_finish: bool = False


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
    for step, fold in enumerate(data.folds):
        with threadpool_limits(limits=1):  # one thread per model: OpenMP stalls on busy cores
            model = build_tail(spec, params, task, seed).fit(fold.X_train, fold.y_train)
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
                       np.concatenate(margin_parts) if margin_parts else None)


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

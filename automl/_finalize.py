"""After the search: the ensemble run, the best model refitted on all data, its explanation."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import numpy as np
import optuna
import pandas as pd
from optuna.trial import TrialState

from automl._budget import Budget
from automl._ensemble import select_ensemble, softmax
from automl._explanations import ModelExplainer, model_explainer, with_fidelity_fields, with_model_agreement
from automl._folds import PreparedData
from automl._groups import group_explanation, near_duplicate_groups
from automl._lock import experiment_lock
from automl._refit import fit_run_model
from automl._runs import AutoMLRun, ChildRun, RunFiles
from automl._stale import fail_stale_trials
from automl._trial import secondary_metrics
from explain import ExplanationClient
from explain._cancellation import with_cancellation_notes
from explain.explainers._margins import MIN_PROBABILITY

if TYPE_CHECKING:
    from automl._config import AutoMLConfig

__all__ = ["finalize"]

logger = logging.getLogger("automl")
ENSEMBLE_CANDIDATES = 10
EXPLAIN_ROWS = 5000
BACKGROUND_ROWS = 2000
EXPLAINED_ROWS = "explained_rows.joblib"
HOLDOUT = "holdout.joblib"
EXPLAINER = "explainer.joblib"
WAIT_SECONDS = 0.5
EXPLAIN_SECONDS = 60.0  # the best model's explanation, after a probe of PROBE_ROWS rows
PROBE_ROWS = 20
WARM_PROBES = 4  # the larger warm probe: this many times PROBE_ROWS rows, without the set-up
MIN_EXPLAINED_ROWS = 100


def finalize(run: AutoMLRun, config: AutoMLConfig, data: PreparedData, budget: Budget | None = None) -> None:
    """Add the ensemble run (if it helps), refit the best run and explain it.

    A worker first waits for the trials other workers are running, so the best run is final;
    then workers finalize one at a time (the ``finalize`` lock): the first refits and explains
    the best run, the others find it done.
    """
    _wait_for_other_workers(run)
    with experiment_lock(run.store.storage.engine, run.experiment_name, "finalize"):
        run.refresh()
        if config.ensemble:
            logger.info("ensemble selection over the best runs' out-of-fold predictions")
            _add_ensemble(run, config, data, budget or Budget(None))
            run.refresh()
        try:
            best = run.best_child()
        except LookupError:
            logger.warning("no completed run: nothing to refit or explain")
            return
        if run.study.user_attrs.get("finalized_run") == best.number:
            return  # another worker (or an earlier fit) already did it
        _refit_and_explain(run, best, config, data, budget or Budget(None))
        run.study.set_user_attr("finalized_run", best.number)


def _wait_for_other_workers(run: AutoMLRun) -> None:
    """Wait until no trial runs, so the best run is final (trials of dead workers are failed)."""
    logged = False
    while True:
        fail_stale_trials(run.study)
        running = run.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if not running:
            return
        if not logged:
            logger.info("waiting for %d trials of other workers to finish", len(running))
            logged = True
        time.sleep(WAIT_SECONDS)


def _affordable(children: list[ChildRun], data: PreparedData, budget: Budget) -> list[ChildRun]:
    """The best run, then each next one whose refit still fits in the time left with those
    before it (a forest refitted on all rows of a large table can take a minute)."""
    allowance = budget.refit_allowance()
    if allowance is None or not children:
        return children
    chosen, total = children[:1], budget.refit_cost(children[0].trial, data)
    for child in children[1:]:
        cost = budget.refit_cost(child.trial, data)
        if total + cost <= allowance:
            chosen.append(child)
            total += cost
        else:
            logger.info("run %s left out of the ensemble: its refit (about %.1f s) would not fit in the "
                        "%.1f s left for refits", child.id, cost, max(0.0, allowance - total))
    return chosen


def _refit_and_explain(run: AutoMLRun, best: ChildRun, config: AutoMLConfig, data: PreparedData,
                       budget: Budget) -> None:
    if data.explain_index is not None and not run.store.list(run.study, "experiment", HOLDOUT):
        run.store.upload_object(run.study, "experiment", HOLDOUT, data.explain_index)
    model = run.store.latest_object(run.study, best.number, "model.joblib")
    if model is None:  # else refitted earlier, by get_model() or a finalization that was cut short
        started = time.perf_counter()
        logger.info("refitting the best run %s on %d rows", best.id, len(data.y_full))
        model = fit_run_model(run, best, data.featurizer, data.X_full, data.y_full, config.task,
                              config.random_state)
        logger.info("refitted in %.1f s", time.perf_counter() - started)
        run.store.upload_object(run.study, best.number, "model.joblib", model)
    if not config.model_explainability:
        return
    rows, labels, source = _explained_rows(config, data)
    seed = config.random_state or 0
    training = data.X_raw.iloc[data.fit_index]
    background = training.sample(min(BACKGROUND_ROWS, len(training)), random_state=seed)
    started = time.perf_counter()
    left = budget.left()
    seconds = budget.explain_seconds()
    if left is not None:
        seconds = max(2.0, min(seconds, 0.8 * left))
    logger.info("explaining the best run %s (about %.0f s at most)", best.id, seconds)
    explainer = model_explainer(model, background, random_state=seed)
    rows, labels, source = _affordable_rows(explainer, rows, labels, source,
                                            seconds - (time.perf_counter() - started))
    explanation = explainer.explain(rows)
    if explanation.fidelity.is_surrogate:
        explanation = with_model_agreement(explanation, model, rows)
    # the explainer that produced the stored explanation, for scoring and dashboards
    run.store.upload_object(run.study, best.number, EXPLAINER, explainer)
    explanation = with_cancellation_notes(
        with_fidelity_fields(explanation, explained_rows=f"{len(rows):,} {source}"))
    client = ExplanationClient.from_run(RunFiles(run.store, run.study, best.number))
    if config.feature_groups is not None:
        groups = (near_duplicate_groups(training, explanation) if isinstance(config.feature_groups, str)
                  else config.feature_groups)
        if groups:
            client.upload_model_explanation(explanation, comment="best model, per column")
            explanation = group_explanation(explanation, groups)
            logger.info("explained as groups: %s", ", ".join(groups))
    client.upload_model_explanation(explanation, comment="best model")
    # the explained rows and their labels, so a dashboard can show them beside the explanation
    run.store.upload_object(run.study, best.number, EXPLAINED_ROWS,
                            {"X": rows, "y": labels, "source": source})
    logger.info("explained the best run %s with %s on %d %s", best.id, explanation.method, len(rows),
                source)


def _affordable_rows(explainer: ModelExplainer, rows: pd.DataFrame, labels: np.ndarray, source: str,
                     seconds: float) -> tuple[pd.DataFrame, np.ndarray, str]:
    """As many of ``rows`` as fit in ``seconds``, measured on :data:`PROBE_ROWS` of them.

    Exact TreeSHAP on deep forests costs up to seconds per row; a random sample keeps the
    best model's explanation within its time, and the explanation says how many of the
    held-out rows it covers (all of them when there are at most :data:`MIN_EXPLAINED_ROWS`).
    The first call also builds what the explainer builds once (TreeSHAP's tables, a
    surrogate's fit): when it says the rows would not all fit, two more calls, on
    :data:`PROBE_ROWS` and ``WARM_PROBES x PROBE_ROWS`` further rows, measure the cost per row
    without it, as the slope between them (on a 100,000-row table the first call put it at five
    times what the rows then took; a warm call's average, at ten times for a blend).
    """
    if len(rows) <= MIN_EXPLAINED_ROWS:
        return rows, labels, source
    start = time.perf_counter()
    explainer.explain(rows.iloc[:PROBE_ROWS])
    per_row, fixed = (time.perf_counter() - start) / PROBE_ROWS, 0.0
    limit = min(seconds, EXPLAIN_SECONDS)
    warm = WARM_PROBES * PROBE_ROWS
    if per_row * len(rows) > limit - (time.perf_counter() - start) and len(rows) > 2 * PROBE_ROWS + warm:
        # two warm calls: the slope between them is the cost per row, apart from a call's fixed
        # cost (the raw explanation, the explanation object: 0.3 s of a blend's 80-row call)
        probe = time.perf_counter()
        explainer.explain(rows.iloc[PROBE_ROWS:2 * PROBE_ROWS])
        small = time.perf_counter() - probe
        probe = time.perf_counter()
        explainer.explain(rows.iloc[2 * PROBE_ROWS:2 * PROBE_ROWS + warm])
        large = time.perf_counter() - probe
        per_row = (large - small) / (warm - PROBE_ROWS)
        if per_row <= 0.0:  # timing noise: the large call's average
            per_row = large / warm
        fixed = max(0.0, small - PROBE_ROWS * per_row)
    affordable = max(PROBE_ROWS, int((limit - (time.perf_counter() - start) - fixed) / max(per_row, 1e-9)))
    if affordable >= len(rows):
        return rows, labels, source
    keep = np.sort(np.random.default_rng(0).choice(len(rows), affordable, replace=False))
    logger.info("explaining %d of the %d %s (about %.2g s per row)", affordable, len(rows), source, per_row)
    return rows.iloc[keep], labels[keep], f"{source}, sampled at random from {len(rows):,}"


def _explained_rows(config: AutoMLConfig, data: PreparedData) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Rows the final model was not fitted on: the validation data (a sample of up to 5,000 rows),
    else the held-out slice of the training data."""
    if data.explain_index is not None:
        return (data.X_raw.iloc[data.explain_index], config.data.y[data.explain_index],
                "held-out rows (not used to fit the model)")
    X, y = config.data.X_valid, config.data.y_valid
    assert X is not None and y is not None  # no held-out slice only with validation data
    seed = config.random_state or 0
    positions = np.sort(np.random.default_rng(seed).choice(len(X), min(EXPLAIN_ROWS, len(X)), replace=False))
    source = "rows of the validation data (not used to fit the model)"
    return X.iloc[positions], np.asarray(y)[positions], source


def _add_ensemble(run: AutoMLRun, config: AutoMLConfig, data: PreparedData, budget: Budget) -> None:
    """Add a weighted ensemble of the best runs when it beats the best single run.

    Classifiers are blended in margin space (see :class:`WeightedEnsemble`), so a blend of
    members with exact explainers is explained exactly; the score a probability average
    would have had is recorded beside it (``probability_blend_score``). With a time budget,
    only runs whose refits together fit in the time left are blended (:func:`_affordable`).
    """
    completed = [c for c in run.get_children()
                 if c.status == "Completed" and c.estimator != "Ensemble" and c.score is not None]
    sign = 1.0 if config.metric.greater_is_better else -1.0
    completed.sort(key=lambda c: -sign * float(c.score or 0.0))
    candidates, oofs, margins = [], [], []
    for child in _affordable(completed[:ENSEMBLE_CANDIDATES], data, budget):
        oof = run.store.latest_object(run.study, child.number, "oof.joblib")
        if oof is None:
            continue
        oof = np.asarray(oof, dtype=np.float64)
        if config.task == "classification":  # stored as float32: make rows sum to 1 again
            oof = oof / oof.sum(axis=1, keepdims=True)
            margin = run.store.latest_object(run.study, child.number, "oof_margin.joblib")
            margins.append(np.log(np.clip(oof, MIN_PROBABILITY, None)) if margin is None
                           else np.asarray(margin, dtype=np.float64))
        candidates.append(child)
        oofs.append(oof)
    if len(candidates) < 2:
        return
    classification = config.task == "classification"
    weights, score = select_ensemble(margins if classification else oofs, data.y_oof, config.metric,
                                     data.classes, link=softmax if classification else None)
    chosen = [i for i, w in enumerate(weights) if w > 0]
    if len(chosen) < 2:
        return
    members = [candidates[i].number for i in chosen]
    for child in run.get_children():
        if child.estimator == "Ensemble" and child.trial.user_attrs.get("members") == members:
            return  # this ensemble is already a run
    blend = sum(weights[i] * (margins if classification else oofs)[i] for i in chosen)
    scores = softmax(blend) if classification else blend
    extra = {}
    if classification:
        extra = {"combine": "margin",
                 "probability_blend_score": float(select_ensemble(oofs, data.y_oof, config.metric,
                                                                  data.classes)[1])}
    trial = optuna.trial.create_trial(
        state=TrialState.COMPLETE, value=score, params={}, distributions={},
        user_attrs={"estimator": "Ensemble", "members": members,
                    "weights": [float(weights[i]) for i in chosen],
                    "params": {"members": members, "weights": [round(float(weights[i]), 4) for i in chosen]},
                    "metrics": secondary_metrics(scores, data.y_oof, data.classes, config.task), **extra},
    )
    run.study.add_trial(trial)
    logger.info("ensemble of runs %s: %s %.4f (best single run %.4f)", members,
                config.primary_metric, score, completed[0].score)

"""``AutoML``: the Optuna search over featurization + estimator pipelines, resumable."""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import optuna
from optuna.trial import TrialState

from automl._budget import Budget
from automl._callbacks import EarlyStopping, Progress, search_trials_done, show_progress
from automl._config import AutoMLConfig
from automl._estimators import GROWN_ON_ROWS, get_estimator
from automl._exceptions import ConfigError, SearchError
from automl._explanations import engineered_explainer, with_fidelity_fields
from automl._finalize import finalize
from automl._folds import PreparedData, prepare
from automl._lock import experiment_lock
from automl._loop import SearchLoop
from automl._runs import ONE_SPLIT_ATTR, AutoMLRun, RunFiles
from automl._setup import open_experiment
from automl._stale import fail_stale_trials
from automl._store import ExperimentStore
from automl._trial import Limits, TrialTimeout, evaluate
from explain import ExplanationClient, ExplanationError
from featurization import UnknownCategoryWarning

__all__ = ["AutoML"]

logger = logging.getLogger("automl")
PROBE_ROWS = 1
MAX_RUN_ROWS = 100
SLOPE_ROWS = 10  # rows the second call of a run's explanation adds (the cost per row)
MIN_PROBE_SECONDS = 0.25  # what that call may take, when a tenth of the fit is less
QUADRATIC_FAMILIES = ("KNN",)  # prediction cost grows with training rows x predicted rows


class AutoML:
    """Search featurization + estimator pipelines with Optuna, and explain the results.

    Parameters
    ----------
    config : AutoMLConfig
        What to search and on which data.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.datasets import load_breast_cancer
    >>> from automl import AutoML, AutoMLConfig
    >>> data = load_breast_cancer(as_frame=True).frame
    >>> storage = f"sqlite:///{tempfile.mkdtemp()}/runs.db"
    >>> config = AutoMLConfig("classification", training_data=data, label_column_name="target",
    ...                       iterations=4, n_cross_validations=3, storage=storage,
    ...                       experiment_name="doctest", random_state=0, verbosity=logging.WARNING)
    >>> run = AutoML(config).fit()
    >>> best, model = run.get_output()
    >>> best.status
    'Completed'
    """

    def __init__(self, config: AutoMLConfig) -> None:
        if not isinstance(config, AutoMLConfig):
            raise ConfigError(f"AutoML: expected an AutoMLConfig, got {type(config).__name__}.")
        self.config = config
        self._budget = Budget(config.experiment_timeout_minutes)

    def fit(self) -> AutoMLRun:
        """Run (or resume) the search, then the ensemble and the best model's explanation.

        Trials of an earlier run of the same experiment in the same storage are kept and
        count towards ``iterations``; trials an earlier run left running when it was killed
        are marked failed with the reason, and killed default trials are queued again.

        Returns
        -------
        AutoMLRun
            The parent run.

        Raises
        ------
        ConfigError
            When the stored experiment of that name was created with other settings or data.
        SearchError
            When no trial completed (every one failed or ran out of time).
        StorageError
            When the database or the artifact folder cannot be written.
        """
        config = self.config
        self._budget = budget = Budget(config.experiment_timeout_minutes)
        show_progress(config.logger_level)
        # failed trials are reported by our progress callback, in one line (Optuna prints tracebacks)
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        if config.mlflow is not None:  # MLflow is optional: imported only when asked for
            from automl._mlflow import check_tracking
            check_tracking(config)  # an unreachable tracking store is said before the search, not after
        store = ExperimentStore(config.storage, config.artifact_path)
        with (store.translate_errors(f"run experiment {config.experiment_name!r}"),
              _unseen_categories_expected()):
            study = open_experiment(config, store)
            run = AutoMLRun(store, study)
            logger.info(config.metric_note)
            pinned = study.user_attrs.get(ONE_SPLIT_ATTR)  # a resumed search validates as it began
            data = prepare(config, budget.left(), one_split=pinned)
            if pinned is None:
                study.set_user_attr(ONE_SPLIT_ATTR, data.row_steps is not None)
            with experiment_lock(store.storage.engine, study.study_name, "search"):
                fail_stale_trials(study)
            finished = search_trials_done(study)
            if finished < config.iterations:
                logger.info("experiment %r: %d of %d trials done, searching %s%s", config.experiment_name,
                            finished, config.iterations, ", ".join(self._models(data)),
                            "" if budget.left() is None else f" ({budget.left():.0f} s of the budget left)")
                self._optimize(study, store, data, finished)
            else:
                logger.info("experiment %r already has %d finished trials", config.experiment_name,
                            finished)
            _check_some_run_completed(run.refresh(), config)
            finalize(run, config, data, budget)
            if config.mlflow is not None:  # MLflow is optional: imported only when asked for
                from automl._mlflow import log_search
                log_search(run.refresh(), config)
            logger.info("done in %.1f s%s", budget.elapsed(),
                        "" if budget.seconds is None else f" (budget {budget.seconds:.0f} s)")
            return run.refresh()

    def _models(self, data: PreparedData) -> list[str]:
        """The families searched: on a large table, none whose cost grows faster than its rows
        (k-nearest neighbours), unless nothing else is allowed."""
        models = list(self.config.models)
        if data.row_steps is not None and len(models) > 1:
            models = [m for m in models if m not in QUADRATIC_FAMILIES] or models
        return models

    # ------------------------------------------------------------------ search
    def _optimize(self, study: optuna.Study, store: ExperimentStore, data: PreparedData,
                  finished: int) -> None:
        config, budget = self.config, self._budget
        deadline = lambda: budget.search_deadline(study, data, config.ensemble)  # noqa: E731
        progress = Progress(config, study, finished, deadline, enabled=config.logger_level <= logging.INFO)
        callbacks: list[Any] = [progress]
        if config.enable_early_stopping:
            early = EarlyStopping(patience=20)
            callbacks.append(lambda study, trial: early.should_stop(study))
        objective = lambda trial: self._objective(trial, study, store, data)  # noqa: E731
        loop = SearchLoop(study, store.storage.engine, objective, iterations=config.iterations,
                          deadline=deadline, callbacks=callbacks, n_jobs=config.n_jobs)
        try:
            loop.run()
        finally:
            progress.close()

    def _objective(self, trial: optuna.Trial, study: optuna.Study, store: ExperimentStore,
                   data: PreparedData) -> float:
        config, budget = self.config, self._budget
        name = trial.suggest_categorical("estimator", config.models)
        params = get_estimator(name).suggest(trial, config.task)
        trial.set_user_attr("estimator", name)
        if name not in self._models(data):
            raise optuna.TrialPruned(f"not tried: {name}'s cost grows faster than the rows of a table "
                                     "this large")
        default = bool(trial.user_attrs.get("default", False))
        # on a large table the default of a forest or of the elastic net is fitted on growing
        # samples like any trial, and the pruner may stop it there: fully grown trees (or
        # thousands of solver passes) cost tens of seconds on all rows, and a forest far behind
        # the boosted runs on a sample stays behind (causaldata's mortgages: 0.71-0.73 against
        # 0.78 on 17,500 rows, then 40 s each on all rows)
        prunable = not default or (data.row_steps is not None and name in GROWN_ON_ROWS)
        completed = bool(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        limits = Limits(
            trial_seconds=None if config.iteration_timeout_minutes is None
            else config.iteration_timeout_minutes * 60,
            deadline=budget.search_deadline(study, data, config.ensemble), may_prune=prunable,
            grow_rows=name in GROWN_ON_ROWS,
            must_finish=not completed, hard_deadline=budget.deadline,
        )
        try:
            result = evaluate(trial, name, params, data, config.metric, config.task,
                              config.random_state, limits)
        except optuna.TrialPruned as exc:
            trial.set_user_attr("error", str(exc))
            raise
        except TrialTimeout as exc:
            trial.set_user_attr("error", str(exc))
            raise
        except Exception as exc:  # record why the trial failed; the search goes on (catch=)
            trial.set_user_attr("error", f"{type(exc).__name__}: {exc}")
            raise
        trial.set_user_attr("metrics", result.secondary)
        trial.set_user_attr("fit_seconds", result.fit_seconds)
        trial.set_user_attr("fold_fit_seconds", result.fold_fit_seconds)
        trial.set_user_attr("fit_rows", result.fit_rows)
        trial.set_user_attr("fold_scores", result.fold_scores)
        store.upload_object(study, trial.number, "oof.joblib", result.oof.astype(np.float32))
        if result.oof_margin is not None:  # what a margin blend of this run adds up
            store.upload_object(study, trial.number, "oof_margin.joblib",
                                result.oof_margin.astype(np.float32))
        if config.explain_runs:
            self._explain_trial(trial, study, store, data, result.last_fold_model, result.fit_seconds)
        return result.score

    def _explain_trial(self, trial: optuna.Trial, study: optuna.Study, store: ExperimentStore,
                       data: PreparedData, model: Any, fit_seconds: float) -> None:
        """A cheap engineered + raw explanation of the trial's last fold model on its fold.

        The number of explained rows (1 to 100) is set so the explanation costs about a tenth
        of the trial's fitting time: one explainer explains one row (building what it builds
        on first use, e.g. TreeSHAP tables), then the same row again (a call without the
        set-up), then up to eleven rows, as many as that call's cost allows in a tenth of the
        fit or :data:`MIN_PROBE_SECONDS` (exact TreeSHAP on a deep forest can cost seconds per
        row), then as many as the time allows. The slope between the last two calls is the cost
        per row the budget's reserve for the best model's explanation is estimated from; the
        warm one-row call when no slope was affordable. (A call's fixed cost read as the cost
        per row of 5,000 rows reserved 18 s for an explanation that took 4 s.)
        """
        start = time.perf_counter()
        fold = data.folds[-1]
        if fold.feature_map is None:
            trial.set_user_attr("explain_error", "the featurization's lineage cannot be traced")
            return
        try:
            explainer, prepare = engineered_explainer(model, fold.X_train[:300], fold.feature_map)
            explanation = explainer.explain_global(prepare(fold.X_valid[:PROBE_ROWS]))
            setup = time.perf_counter() - start
            allowed = 0.1 * fit_seconds
            n_valid = fold.X_valid.shape[0]
            probe = time.perf_counter()
            explainer.explain_global(prepare(fold.X_valid[:PROBE_ROWS]))
            one = time.perf_counter() - probe
            # as many rows as fit in the probe's time at the one-row call's cost (an upper bound)
            affordable = int(max(allowed, MIN_PROBE_SECONDS) / max(one, 1e-9) * PROBE_ROWS)
            second = min(PROBE_ROWS + SLOPE_ROWS, n_valid, affordable)
            measured = second >= PROBE_ROWS + 2
            probe = time.perf_counter()
            if measured:
                explanation = explainer.explain_global(prepare(fold.X_valid[:second]))
            warm = time.perf_counter() - probe
            # a call's fixed cost (the raw explanation, the explanation object) is part of every
            # call: the cost per row is the slope between two calls
            per_row = max(warm - one, 0.0) / (second - PROBE_ROWS) if measured else one / PROBE_ROWS
            trial.set_user_attr("explain_setup_seconds", setup)
            trial.set_user_attr("explain_row_seconds", per_row)
            left = allowed - (time.perf_counter() - start)
            rows = int(min(MAX_RUN_ROWS, max(left / max(per_row, 1e-9), PROBE_ROWS)))
            if rows > (second if measured else PROBE_ROWS):
                started = time.perf_counter()
                explanation = explainer.explain_global(prepare(fold.X_valid[:rows]))
                if measured and rows >= 2 * second:
                    slope = (time.perf_counter() - started - warm) / (rows - second)
                    trial.set_user_attr("explain_row_seconds", max(slope, 0.0))
        except (ExplanationError, ValueError) as exc:  # an explanation is optional for a run
            trial.set_user_attr("explain_error", f"{type(exc).__name__}: {exc}")
            return
        explanation = with_fidelity_fields(
            explanation, explained_rows=f"{explanation.num_examples} rows of the run's last cross-validation "
                                        "fold (not used to fit it)")
        ExplanationClient.from_run(RunFiles(store, study, trial.number)).upload_model_explanation(
            explanation, comment="run")
        trial.set_user_attr("explain_seconds", time.perf_counter() - start)


def _check_some_run_completed(run: AutoMLRun, config: AutoMLConfig) -> None:
    """Raise :class:`SearchError` when the search has no completed run, saying why."""
    children = [c for c in run.get_children() if c.estimator != "Ensemble"]
    if any(c.status == "Completed" for c in children):
        return
    errors = [c.error or "" for c in children if c.status in ("Failed", "Pruned")]
    if any("iteration_timeout_minutes" in e for e in errors):
        hint = (f" {sum('iteration_timeout_minutes' in e for e in errors)} of them ran past "
                f"iteration_timeout_minutes={config.iteration_timeout_minutes}: raise it.")
    elif config.experiment_timeout_minutes is not None and (
            not errors or any("experiment_timeout_minutes" in e for e in errors)):
        hint = (f" experiment_timeout_minutes={config.experiment_timeout_minutes} left no time for "
                "one: raise it.")
    elif errors:
        hint = f" The first error: {errors[0]}"
    else:
        hint = ""
    raise SearchError(
        f"AutoML: experiment {config.experiment_name!r} has no completed run after "
        f"{len(children)} trials.{hint} The trials are stored; run.leaderboard() lists their errors."
    )


@contextlib.contextmanager
def _unseen_categories_expected() -> Iterator[None]:
    """Unknown-category warnings silenced while the search transforms its own validation folds
    and held-out rows: a category too rare to be in every fold's fitting rows is expected there,
    and the warning (with a scikit-learn file name) told the user nothing to act on. A model's
    ``predict`` on new data still warns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownCategoryWarning)
        yield

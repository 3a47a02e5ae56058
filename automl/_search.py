"""``AutoML``: the Optuna search over featurization + estimator pipelines, resumable."""

from __future__ import annotations

import logging
import time
import uuid
import warnings
from typing import Any

import numpy as np
import optuna
from optuna.trial import TrialState

from automl._callbacks import EarlyStopping, MaxSearchTrials, Progress, search_trials_done
from automl._config import AutoMLConfig
from automl._estimators import DEFAULT_ORDER, get_estimator
from automl._exceptions import ConfigError
from automl._explanations import explain_engineered_rows
from automl._finalize import finalize
from automl._folds import PreparedData, make_featurizer, prepare
from automl._runs import AutoMLRun, RunFiles
from automl._store import ExperimentStore
from automl._trial import Limits, TrialTimeout, evaluate
from explain import ExplanationClient, ExplanationError

__all__ = ["AutoML"]

logger = logging.getLogger("automl")
# Optuna cannot change a parameter's choices within a study: "models" are the estimator's
PROBE_ROWS = 1
MAX_RUN_ROWS = 100
_SETTINGS_THAT_MUST_MATCH = ("task", "primary_metric", "features", "models")


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
        self._deadline: float | None = None

    def fit(self) -> AutoMLRun:
        """Run (or resume) the search, then the ensemble and the best model's explanation.

        Trials of an earlier run of the same experiment in the same storage are kept and
        count towards ``iterations``.

        Returns
        -------
        AutoMLRun
            The parent run.
        """
        config = self.config
        logging.getLogger("automl").setLevel(config.logger_level)
        # failed trials are reported by our progress callback, in one line (Optuna prints tracebacks)
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        store = ExperimentStore(config.storage, config.artifact_path)
        study = self._study(store)
        run = AutoMLRun(store, study)
        finished = search_trials_done(study)
        started = time.perf_counter()
        data = prepare(config)
        if finished < config.iterations:
            logger.info("experiment %r: %d of %d trials done, searching %s", config.experiment_name,
                        finished, config.iterations, ", ".join(config.models))
            self._optimize(study, store, data, finished)
        else:
            logger.info("experiment %r already has %d finished trials", config.experiment_name, finished)
        finalize(run.refresh(), config, data)
        logger.info("done in %.1f s", time.perf_counter() - started)
        return run.refresh()

    # ------------------------------------------------------------------ study
    def _sampler(self, seed: int | None) -> optuna.samplers.BaseSampler:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.TPESampler(
                seed=seed, multivariate=True, group=True, constant_liar=True,
                n_startup_trials=max(5, len(self.config.models)),
            )

    def _worker_seed(self, study: optuna.Study) -> int | None:
        """``random_state`` for the first worker of a study, a distinct seed for each next one.

        Workers sharing one config (and so one ``random_state``) would otherwise draw the same
        random start-up trials. Each ``fit`` registers itself in the study; its rank among the
        registered workers offsets the seed, so a single worker stays reproducible.
        """
        worker = uuid.uuid4().hex
        study.set_user_attr(f"worker:{worker}", time.time())
        workers = sorted((v, k) for k, v in study.user_attrs.items() if k.startswith("worker:"))
        rank = [k for _, k in workers].index(f"worker:{worker}")
        if self.config.random_state is None:
            return None
        return self.config.random_state + 7919 * rank

    def _study(self, store: ExperimentStore) -> optuna.Study:
        config = self.config
        study = optuna.create_study(
            study_name=config.experiment_name, storage=store.storage, sampler=self._sampler(None),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
            direction="maximize" if config.metric.greater_is_better else "minimize",
            load_if_exists=True,
        )
        settings = {**config.describe(), "random_state": config.random_state}
        stored = study.user_attrs.get("settings")
        if stored is None:
            study.set_user_attr("settings", settings)
            store.upload_object(study, "experiment", "training_data.joblib",
                                {"X": config.data.X, "y": config.data.y})
            store.upload_object(study, "experiment", "featurizer.joblib", make_featurizer(config))
            self._enqueue_defaults(study)
        else:
            for key in _SETTINGS_THAT_MUST_MATCH:
                if stored.get(key) != settings[key]:
                    raise ConfigError(
                        f"AutoML: experiment {config.experiment_name!r} in {config.storage} was "
                        f"created with {key}={stored.get(key)!r}, not {settings[key]!r}; use another "
                        "experiment_name to start a new search."
                    )
        study.sampler = self._sampler(self._worker_seed(study))
        return study

    def _enqueue_defaults(self, study: optuna.Study) -> None:
        """Try each family's plain defaults first (as many as ``iterations`` allows)."""
        names = [name for name in DEFAULT_ORDER if name in self.config.models]
        for name in names[:self.config.iterations]:
            spec = get_estimator(name)
            study.enqueue_trial({"estimator": name, **spec.prefixed(spec.defaults)},
                                user_attrs={"default": True})

    # ------------------------------------------------------------------ search
    def _optimize(self, study: optuna.Study, store: ExperimentStore, data: PreparedData,
                  finished: int) -> None:
        config = self.config
        timeout = None if config.experiment_timeout_minutes is None \
            else config.experiment_timeout_minutes * 60
        self._deadline = None if timeout is None else time.perf_counter() + timeout
        callbacks: list[Any] = [MaxSearchTrials(config.iterations)]
        if config.enable_early_stopping:
            callbacks.append(EarlyStopping(patience=20))
        progress = Progress(config, finished, timeout, enabled=config.logger_level <= logging.INFO)
        callbacks.append(progress)
        try:
            study.optimize(lambda trial: self._objective(trial, study, store, data),
                           timeout=timeout, callbacks=callbacks, catch=(Exception,),
                           n_jobs=config.n_jobs, gc_after_trial=False)
        finally:
            progress.close()

    def _objective(self, trial: optuna.Trial, study: optuna.Study, store: ExperimentStore,
                   data: PreparedData) -> float:
        config = self.config
        name = trial.suggest_categorical("estimator", config.models)
        params = get_estimator(name).suggest(trial, config.task)
        trial.set_user_attr("estimator", name)
        default = bool(trial.user_attrs.get("default", False))
        completed = bool(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        limits = Limits(
            trial_seconds=None if config.iteration_timeout_minutes is None
            else config.iteration_timeout_minutes * 60,
            deadline=self._deadline, may_prune=not default, must_finish=not completed,
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
        store.upload_object(study, trial.number, "oof.joblib", result.oof.astype(np.float32))
        if config.explain_runs:
            self._explain_trial(trial, study, store, data, result.last_fold_model, result.fit_seconds)
        return result.score

    def _explain_trial(self, trial: optuna.Trial, study: optuna.Study, store: ExperimentStore,
                       data: PreparedData, model: Any, fit_seconds: float) -> None:
        """A cheap engineered + raw explanation of the trial's last fold model on its fold.

        The number of explained rows (1 to 100) is set so the explanation costs about a tenth
        of the trial's fitting time: one row is explained first to measure the cost per row
        (exact TreeSHAP on a deep forest can cost seconds per row).
        """
        start = time.perf_counter()
        fold = data.folds[-1]
        if fold.feature_map is None:
            trial.set_user_attr("explain_error", "the featurization's lineage cannot be traced")
            return
        try:
            explanation = explain_engineered_rows(model, fold.X_train[:300], fold.X_valid[:PROBE_ROWS],
                                                  fold.feature_map)
            per_row = (time.perf_counter() - start) / PROBE_ROWS
            rows = int(min(MAX_RUN_ROWS, max(0.1 * fit_seconds / max(per_row, 1e-9), PROBE_ROWS)))
            if rows > PROBE_ROWS:
                explanation = explain_engineered_rows(model, fold.X_train[:300], fold.X_valid[:rows],
                                                      fold.feature_map)
        except (ExplanationError, ValueError) as exc:  # an explanation is optional for a run
            trial.set_user_attr("explain_error", f"{type(exc).__name__}: {exc}")
            return
        ExplanationClient.from_run(RunFiles(store, study, trial.number)).upload_model_explanation(
            explanation, comment="run")
        trial.set_user_attr("explain_seconds", time.perf_counter() - start)

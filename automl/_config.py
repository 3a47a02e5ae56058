"""``AutoMLConfig``: what to search, on which data, validated field by field on construction."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd

from automl._azure_settings import translate_azure_settings, translate_model_names
from automl._data import TrainingData, as_frame, check_labels, check_numbers_as_text, split_label
from automl._defaults import DEFAULT_STORAGE
from automl._estimators import estimator_names
from automl._exceptions import ConfigError, ConfigTypeError, DataError
from automl._groups import check_feature_groups
from automl._metrics import Metric, get_metric
from automl._mlflow_target import MlflowTarget, mlflow_target

__all__ = ["AutoMLConfig", "TrainingData"]

TASKS = ("classification", "regression")


class AutoMLConfig:
    """Configuration of an AutoML experiment, validated on construction.

    Parameters follow Azure AutoML's ``AutoMLConfig``. Give the data either as
    ``training_data`` + ``label_column_name`` or as ``X`` + ``y``.

    Parameters
    ----------
    task : {"classification", "regression"}
        The learning task.
    training_data : DataFrame, default=None
        Features and label in one frame.
    label_column_name : str, default=None
        The label column of ``training_data`` (and ``validation_data``).
    X : DataFrame or ndarray, default=None
        Features, when not given as ``training_data``.
    y : array-like, default=None
        Labels, with ``X``.
    validation_data : DataFrame, default=None
        Held-out rows (with the label column) to score on instead of cross-validation.
    n_cross_validations : int, default=5
        Folds of cross-validation when there is no validation data.
    primary_metric : str, default=None
        Azure AutoML's name (``"accuracy"``, ``"AUC_weighted"``, ``"norm_macro_recall"``,
        ``"r2_score"``, ``"normalized_root_mean_squared_error"``, ...) or scikit-learn's
        (``"roc_auc"``, ``"r2"``, ...). Default: ``AUC_weighted`` for classification (it stays
        meaningful on imbalanced classes; ``accuracy`` on them warns), ``r2_score`` for
        regression.
    iterations : int, default=50
        Number of trials (finished trials of an earlier, interrupted search count).
    experiment_timeout_minutes : float, default=None
        Time limit of the whole search.
    iteration_timeout_minutes : float, default=None
        Time limit of one trial, checked after each fold.
    featurization : "auto", "off" or a transformer, default="auto"
        ``"auto"``: :class:`featurization.AutoFeaturizer`; ``"off"``: the data are used as
        they are (numeric); a scikit-learn transformer: used as given (refitted).
    allowed_models, blocked_models : list of str, default=None
        Estimator families to search or skip (see :func:`automl.estimator_names`).
    model_explainability : bool, default=True
        Explain the best model (engineered and raw).
    explain_runs : bool, default=True
        Also explain each completed trial, cheaply.
    enable_early_stopping : bool, default=True
        Stop when the best score has not improved for 20 trials.
    ensemble : bool, default=True
        Try a weighted ensemble of the best trials as a final run.
    experiment_name : str, default="automl"
        The Optuna study name; the same name and storage resume a search.
    storage : str, default=None
        An Optuna RDB storage URL; default ``sqlite:///./automl_runs/automl.db``.
    artifact_path : str, default=None
        Folder of Optuna's artifact store (models, explanations); default ``artifacts``
        beside a SQLite database, else ``./automl_runs/artifacts``. Workers of one study
        must share it.
    n_jobs : int, default=1
        Trials run in parallel threads; every model uses one thread.
    random_state : int, default=None
        Seed of the sampler, the folds and the models.
    verbosity : int, default=logging.INFO
        Logging level; ``logging.WARNING`` or above also hides the progress bar.
    feature_groups : "auto" or dict, default=None
        Explain groups of raw columns as one feature in the best model's explanation (their
        values summed: exact, and still adding up): ``"auto"`` groups near-duplicate columns
        (numeric columns with a rank correlation of 0.95 or more, and columns whose
        contributions cancel each other); a mapping ``{name: [columns]}`` gives the groups.
        The explanation per column is stored too (comment ``"best model, per column"``).
    overwrite : bool, default=False
        What to do when ``experiment_name`` exists in ``storage`` with other data or settings
        (task, metric, features, models): ``False`` refuses with an error that says what
        differs; ``True`` deletes the stored experiment (its trials, models and explanations)
        and starts again. With the same data and settings the search resumes either way.
    mlflow : bool, str or dict, default=None
        Also log the search to MLflow (``pip install 'automl-explain[mlflow]'``; see
        :mod:`automl._mlflow`): ``True`` (MLflow's default tracking store), a tracking URI
        (``"http://127.0.0.1:5000"``), an MLflow experiment name, or ``{"tracking_uri": ...,
        "experiment_name": ...}``. The MLflow experiment defaults to ``experiment_name``.
    """

    def __init__(self, task: str, training_data: pd.DataFrame | None = None,
                 label_column_name: str | None = None, X: Any = None, y: Any = None,
                 validation_data: pd.DataFrame | None = None, n_cross_validations: int = 5,
                 primary_metric: str | None = None, iterations: int = 50,
                 experiment_timeout_minutes: float | None = None,
                 iteration_timeout_minutes: float | None = None, featurization: Any = "auto",
                 allowed_models: list[str] | None = None, blocked_models: list[str] | None = None,
                 model_explainability: bool = True, explain_runs: bool = True,
                 enable_early_stopping: bool = True, ensemble: bool = True,
                 experiment_name: str = "automl", storage: str | None = None,
                 artifact_path: str | None = None, n_jobs: int = 1, random_state: int | None = None,
                 verbosity: int = logging.INFO, feature_groups: Any = None, overwrite: bool = False,
                 mlflow: Any = None, **azure_settings: Any) -> None:
        if task not in TASKS:
            raise ConfigError(f"AutoMLConfig: task must be one of {TASKS}, got {task!r}.")
        # --- Azure AutoML's other AutoMLConfig settings (automl/_azure_settings.py): translated
        # (experiment_timeout_hours, max_concurrent_iterations, enable_voting_ensemble,
        # whitelist_models, blacklist_models, Azure model names), accepted as no-ops with a
        # warning when they ask for something, or refused with a ConfigError saying what to do.
        given = translate_azure_settings(azure_settings, {
            "experiment_timeout_minutes": experiment_timeout_minutes, "n_jobs": n_jobs, "ensemble": ensemble,
            "allowed_models": allowed_models, "blocked_models": blocked_models})
        experiment_timeout_minutes, n_jobs, ensemble = (given["experiment_timeout_minutes"], given["n_jobs"],
                                                        given["ensemble"])
        names = estimator_names(task, include_unavailable=True)
        allowed_models = translate_model_names(given["allowed_models"], "allowed_models", names)
        blocked_models = translate_model_names(given["blocked_models"], "blocked_models", names)
        num_classes = given.get("_num_classes")
        # --- end of Azure's settings
        self.task = task
        self.metric: Metric = get_metric(primary_metric, task)
        self.primary_metric = self.metric.name
        self.n_cross_validations = _positive_int(n_cross_validations, "n_cross_validations", 2)
        self.iterations = _positive_int(iterations, "iterations", 1)
        self.experiment_timeout_minutes = _positive_float(experiment_timeout_minutes,
                                                          "experiment_timeout_minutes")
        self.iteration_timeout_minutes = _positive_float(iteration_timeout_minutes,
                                                         "iteration_timeout_minutes")
        self.featurization = _check_featurization(featurization)
        self.models = _resolve_models(allowed_models, blocked_models, task)
        self.model_explainability = bool(model_explainability)
        self.explain_runs = bool(explain_runs)
        self.enable_early_stopping = bool(enable_early_stopping)
        self.ensemble = bool(ensemble)
        if not isinstance(experiment_name, str) or not experiment_name.strip():
            raise ConfigError("AutoMLConfig: experiment_name must be a non-empty string.")
        self.experiment_name = experiment_name
        self.storage = storage or DEFAULT_STORAGE
        if not isinstance(self.storage, str) or "://" not in self.storage:
            raise ConfigError(
                f"AutoMLConfig: storage must be a database URL such as {DEFAULT_STORAGE!r} or "
                f"'postgresql://user@host/db', got {storage!r}."
            )
        self.artifact_path = artifact_path
        self.n_jobs = _positive_int(n_jobs, "n_jobs", 1)
        if random_state is not None and (not isinstance(random_state, int) or isinstance(random_state, bool)):
            raise ConfigTypeError(f"AutoMLConfig: random_state must be an int or None, got {random_state!r}.")
        self.random_state = random_state
        self.verbosity = verbosity
        if not isinstance(overwrite, bool):
            raise ConfigTypeError(f"AutoMLConfig: overwrite must be True or False, got {overwrite!r}.")
        self.overwrite = overwrite
        # --- MLflow tracking (automl/_mlflow_target.py checks it; automl/_mlflow.py logs the search)
        self.mlflow: MlflowTarget | None = mlflow_target(mlflow, experiment_name)
        # --- end of MLflow tracking
        self.label_column_name = label_column_name
        self.data = self._data(training_data, label_column_name, X, y, validation_data)
        self.feature_groups = check_feature_groups(feature_groups, list(self.data.X.columns))
        self.metric_note = _metric_note(primary_metric, self.primary_metric, self.data.y, task)
        if num_classes is not None and (self.data.classes is None or num_classes != len(self.data.classes)):
            found = "a regression" if self.data.classes is None else f"{len(self.data.classes)} classes"
            raise ConfigError(f"AutoMLConfig: num_classes={num_classes!r} but the training labels have "
                              f"{found}; leave num_classes out (it is read from the labels).")

    def _data(self, training_data: Any, label: str | None, X: Any, y: Any,
              validation_data: Any) -> TrainingData:
        if training_data is not None and X is not None:
            raise ConfigError("AutoMLConfig: give training_data or X, not both.")
        if training_data is not None:
            features, labels = split_label(training_data, label, "training_data")
        elif X is not None:
            if y is None:
                raise ConfigError("AutoMLConfig: y is required with X.")
            features, labels = X, y
        else:
            raise ConfigError("AutoMLConfig: training_data (with label_column_name) or X and y "
                              "are required.")
        features = as_frame(features, "training data")
        labels = check_labels(labels, features.shape[0], self.task,
                              "y" if training_data is None else f"column {label!r}")
        X_valid = y_valid = None
        if validation_data is not None:
            X_valid, y_valid = split_label(validation_data, label, "validation_data")
            X_valid = as_frame(X_valid, "validation_data")
            y_valid = check_labels(y_valid, X_valid.shape[0], self.task,
                                   "validation label" if label is None else f"validation column {label!r}")
            missing = sorted(set(features.columns) - set(X_valid.columns))
            if missing:
                raise ConfigError(f"AutoMLConfig: validation_data lacks columns {missing[:5]}.")
            X_valid = check_numbers_as_text(features, X_valid[list(features.columns)])
        classes = (self._check_classes(labels, folds=validation_data is None)
                   if self.task == "classification" else None)
        if classes is not None and y_valid is not None:
            unseen = sorted(set(np.unique(y_valid).tolist()) - set(classes.tolist()))
            if unseen:
                raise DataError(f"AutoMLConfig: validation labels {unseen[:5]} do not occur in training.")
        return TrainingData(features, labels, X_valid, y_valid, classes)

    def _check_classes(self, y: np.ndarray, folds: bool) -> np.ndarray:
        classes, counts = np.unique(y.astype(str) if y.dtype == object else y, return_counts=True)
        if classes.size < 2:
            raise DataError(
                f"AutoMLConfig: the label has a single class ({classes.tolist()[0]!r}); classification "
                "needs at least two."
            )
        if folds and counts.min() < self.n_cross_validations:  # validation_data: no folds
            rare = [c for c, n in zip(classes.tolist(), counts, strict=True) if n < self.n_cross_validations]
            raise DataError(
                f"AutoMLConfig: classes {rare[:5]} have fewer rows than n_cross_validations="
                f"{self.n_cross_validations}; lower n_cross_validations or drop those rows."
            )
        return np.unique(y)

    @property
    def logger_level(self) -> int:
        """The logging level of the search."""
        return int(self.verbosity)

    def describe(self) -> dict[str, Any]:
        """The settings (not the data) as a JSON-ready dict, stored with the experiment."""
        return {
            "task": self.task, "primary_metric": self.primary_metric,
            "label_column_name": self.label_column_name,
            "n_cross_validations": self.n_cross_validations, "iterations": self.iterations,
            "featurization": self.featurization if isinstance(self.featurization, str)
            else type(self.featurization).__name__,
            "models": list(self.models), "ensemble": self.ensemble,
            "features": list(self.data.X.columns),
        }


IMBALANCED_SHARE = 0.2


def _metric_note(given: str | None, metric: str, y: np.ndarray, task: str) -> str:
    """Why the primary metric is what it is; warns when accuracy meets imbalanced classes."""
    if task != "classification":
        return f"primary metric {metric}" + (" (the default)" if given is None else "")
    if given is None:
        return (f"primary metric {metric} (the default for classification: it stays meaningful when "
                "classes are imbalanced; set primary_metric to choose another)")
    _, counts = np.unique(y.astype(str) if y.dtype == object else y, return_counts=True)
    share = counts.min() / counts.sum()
    if metric == "accuracy" and share < IMBALANCED_SHARE:
        message = (f"AutoMLConfig: primary_metric='accuracy' on imbalanced classes (the smallest is "
                   f"{share:.1%} of the rows): predicting the majority class already scores "
                   f"{counts.max() / counts.sum():.1%}, so accuracy can pick a model that never finds "
                   "the minority; consider 'AUC_weighted', 'log_loss' or 'balanced_accuracy'.")
        warnings.warn(message, UserWarning, stacklevel=3)
        return message.removeprefix("AutoMLConfig: ")
    return f"primary metric {metric}"


def _positive_int(value: Any, name: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"AutoMLConfig: {name} must be an integer >= {minimum}, got {value!r}.")
    return value


def _positive_float(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"AutoMLConfig: {name} must be a positive number of minutes, got {value!r}.")
    return float(value)


def _check_featurization(featurization: Any) -> Any:
    if isinstance(featurization, str):
        if featurization not in ("auto", "off"):
            raise ConfigError(
                f"AutoMLConfig: featurization must be 'auto', 'off' or a transformer, got {featurization!r}."
            )
        return featurization
    if not (hasattr(featurization, "fit") and hasattr(featurization, "transform")):
        raise ConfigTypeError(
            "AutoMLConfig: featurization must be 'auto', 'off' or a scikit-learn transformer "
            f"(with fit and transform), got {type(featurization).__name__}."
        )
    return featurization


def _resolve_models(allowed: list[str] | None, blocked: list[str] | None, task: str) -> list[str]:
    available = estimator_names(task)
    for field, names in (("allowed_models", allowed), ("blocked_models", blocked)):
        if names is None:
            continue
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise ConfigTypeError(f"AutoMLConfig: {field} must be a list of model names.")
        unknown = [n for n in names if n not in estimator_names(task, include_unavailable=True)]
        if unknown:
            raise ConfigError(
                f"AutoMLConfig: {field} has unknown {task} models {unknown[:5]}; choose from {available}."
            )
    models = [m for m in available if allowed is None or m in allowed]
    models = [m for m in models if blocked is None or m not in blocked]
    if not models:
        raise ConfigError(
            f"AutoMLConfig: allowed_models and blocked_models leave no model to search "
            f"(available: {available})."
        )
    return models

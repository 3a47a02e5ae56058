"""``AutoMLConfig``: what to search, on which data, validated field by field on construction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl._estimators import estimator_names
from automl._exceptions import ConfigError, ConfigTypeError, DataError
from automl._metrics import Metric, get_metric

__all__ = ["AutoMLConfig", "TrainingData"]

TASKS = ("classification", "regression")
DEFAULT_STORAGE = "sqlite:///./automl_runs/automl.db"
MAX_ABS_VALUE = 1e38  # skrub featurizes numbers as float32, whose largest value is 3.4e38


@dataclass(frozen=True)
class TrainingData:
    """Validated training (and optional validation) data.

    Parameters
    ----------
    X : DataFrame
        Features, with string column names.
    y : ndarray of shape (n_rows,)
        Labels.
    X_valid, y_valid : DataFrame and ndarray, or None
        Validation data, when given.
    classes : ndarray or None
        Sorted class labels (classification).
    """

    X: pd.DataFrame
    y: np.ndarray
    X_valid: pd.DataFrame | None
    y_valid: np.ndarray | None
    classes: np.ndarray | None


def _to_pandas(frame: Any) -> Any:
    """A polars DataFrame or a pyarrow Table as a pandas DataFrame (columns kept by name)."""
    module = type(frame).__module__.split(".", 1)[0]
    if module in ("polars", "pyarrow") and hasattr(frame, "to_pandas"):
        return frame.to_pandas()
    return frame


def _split_label(frame: Any, label: str | None, field: str) -> tuple[pd.DataFrame, np.ndarray]:
    frame = _to_pandas(frame)
    if not isinstance(frame, pd.DataFrame):
        raise ConfigTypeError(
            f"AutoMLConfig: {field} must be a pandas or polars DataFrame or a pyarrow Table, got "
            f"{type(frame).__name__}."
        )
    if label is None:
        raise ConfigError(f"AutoMLConfig: label_column_name is required with {field}.")
    if label not in frame.columns:
        shown = ", ".join(repr(str(c)) for c in list(frame.columns)[:5])
        raise ConfigError(
            f"AutoMLConfig: label_column_name {label!r} is not a column of {field} "
            f"(columns: {shown}{', ...' if frame.shape[1] > 5 else ''})."
        )
    return frame.drop(columns=[label]), frame[label].to_numpy()


def _as_frame(X: Any, field: str) -> pd.DataFrame:
    X = _to_pandas(X)
    if isinstance(X, pd.DataFrame):
        frame = X.copy()
    elif isinstance(X, np.ndarray) and X.ndim == 2:
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    else:
        raise ConfigTypeError(
            f"AutoMLConfig: {field} must be a DataFrame or a 2-D array, got {type(X).__name__}."
        )
    names = [str(c) for c in frame.columns]
    if len(set(names)) < len(names):
        seen: dict[str, list[Any]] = {}
        for original, name in zip(frame.columns, names, strict=True):
            seen.setdefault(name, []).append(original)
        clashes = [" and ".join(repr(c) for c in group) for group in seen.values() if len(group) > 1]
        raise DataError(
            f"AutoMLConfig: {field} has columns whose names are the same as text: "
            f"{'; '.join(clashes[:5])}; rename them so every column name is distinct."
        )
    frame.columns = names
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataError(f"AutoMLConfig: {field} is empty (shape {frame.shape}).")
    _check_finite(frame, field)
    return frame


def _check_finite(frame: pd.DataFrame, field: str) -> None:
    """Refuse infinite values (no featurizer or model can use them; NaN means missing) and
    values beyond :data:`MAX_ABS_VALUE`, which the featurization's float32 cannot hold."""
    infinite: list[str] = []
    huge: list[str] = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_float_dtype(column.dtype) or pd.api.types.is_integer_dtype(column.dtype):
            values = np.abs(column.to_numpy(dtype=np.float64, na_value=np.nan))
        elif pd.api.types.is_object_dtype(column.dtype):  # numbers among other objects; not the text "inf"
            values = np.fromiter((abs(float(v)) if isinstance(v, float | int | np.number) and
                                  not isinstance(v, bool) else np.nan for v in column),
                                 dtype=np.float64, count=len(column))
        else:
            continue
        for found, rows in ((infinite, np.flatnonzero(np.isinf(values))),
                            (huge, np.flatnonzero(np.isfinite(values) & (values > MAX_ABS_VALUE)))):
            if rows.size:
                found.append(f"{name!r} ({rows.size} at rows {rows[:3].tolist()})")
    if infinite:
        raise DataError(
            f"AutoMLConfig: {field} has infinite values in columns {', '.join(infinite[:5])}; replace "
            "them with a finite value, or with NaN to mark them missing."
        )
    if huge:
        raise DataError(
            f"AutoMLConfig: {field} has values beyond +-{MAX_ABS_VALUE:.0e} in columns "
            f"{', '.join(huge[:5])}; featurization stores numbers as float32 (at most 3.4e38): "
            "rescale those columns (e.g. take a log)."
        )


def _check_numbers_as_text(X: pd.DataFrame, X_valid: pd.DataFrame) -> pd.DataFrame:
    """Validation columns that are numbers in training must hold numbers (text that parses is converted).

    The featurizer would turn text it cannot read as a number into a missing value and impute
    it: a score computed on values that are not the user's.
    """
    out = X_valid.copy()
    for name in X.columns:
        if not pd.api.types.is_numeric_dtype(X[name].dtype) or pd.api.types.is_numeric_dtype(out[name].dtype):
            continue
        values = out[name]
        parsed = pd.to_numeric(values, errors="coerce")
        unreadable = values[parsed.isna() & values.notna()]
        if len(unreadable):
            shown = ", ".join(repr(v) for v in unreadable.unique()[:5])
            raise DataError(
                f"AutoMLConfig: validation_data column {name!r} is numeric in the training data but has "
                f"{len(unreadable)} values that are not numbers ({shown}); fix them, or replace them "
                "with NaN to mark them missing."
            )
        out[name] = parsed
    return out


def _label_types(y: np.ndarray) -> list[str]:
    if y.dtype != object:
        return [y.dtype.name]
    return sorted({type(v).__name__ for v in y if v is not None and not (isinstance(v, float) and v != v)})


def _check_labels(y: np.ndarray, n_rows: int, task: str, field: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n_rows:
        raise DataError(f"AutoMLConfig: {field} has shape {y.shape}, expected ({n_rows},).")
    missing = pd.isna(pd.Series(y))
    if missing.any():
        raise DataError(
            f"AutoMLConfig: the label ({field}) has {int(missing.sum())} missing values, e.g. at "
            f"rows {np.flatnonzero(missing.to_numpy())[:5].tolist()}; drop or fill those rows."
        )
    if y.dtype == object:  # one Python type throughout (e.g. all ints) becomes that NumPy dtype
        y = pd.Series(y).infer_objects().to_numpy()
    if y.dtype == object:
        types = _label_types(y)
        numeric = {"int", "float", "int64", "float64", "int32", "float32"}
        if len(types) > 1 and not set(types) <= numeric:
            examples = {type(v).__name__: v for v in y}
            shown = " and ".join(f"{name} (e.g. {examples[name]!r})" for name in types[:5])
            raise DataError(
                f"AutoMLConfig: the label ({field}) mixes value types: {shown}; convert it to one "
                "type, e.g. y.astype(str)."
            )
    if task == "regression":
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"AutoMLConfig: task='regression' needs a numeric label: {exc}") from exc
        if not np.isfinite(y).all():
            raise DataError(f"AutoMLConfig: the label ({field}) contains infinite values.")
    return y


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
        (``"roc_auc"``, ``"r2"``, ...). Default: accuracy / r2_score.
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
    overwrite : bool, default=False
        What to do when ``experiment_name`` exists in ``storage`` with other data or settings
        (task, metric, features, models): ``False`` refuses with an error that says what
        differs; ``True`` deletes the stored experiment (its trials, models and explanations)
        and starts again. With the same data and settings the search resumes either way.
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
                 verbosity: int = logging.INFO, overwrite: bool = False) -> None:
        if task not in TASKS:
            raise ConfigError(f"AutoMLConfig: task must be one of {TASKS}, got {task!r}.")
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
        self.label_column_name = label_column_name
        self.data = self._data(training_data, label_column_name, X, y, validation_data)

    def _data(self, training_data: Any, label: str | None, X: Any, y: Any,
              validation_data: Any) -> TrainingData:
        if training_data is not None and X is not None:
            raise ConfigError("AutoMLConfig: give training_data or X, not both.")
        if training_data is not None:
            features, labels = _split_label(training_data, label, "training_data")
        elif X is not None:
            if y is None:
                raise ConfigError("AutoMLConfig: y is required with X.")
            features, labels = X, y
        else:
            raise ConfigError("AutoMLConfig: training_data (with label_column_name) or X and y "
                              "are required.")
        features = _as_frame(features, "training data")
        labels = _check_labels(labels, features.shape[0], self.task, "y")
        X_valid = y_valid = None
        if validation_data is not None:
            X_valid, y_valid = _split_label(validation_data, label, "validation_data")
            X_valid = _as_frame(X_valid, "validation_data")
            y_valid = _check_labels(y_valid, X_valid.shape[0], self.task, "validation label")
            missing = sorted(set(features.columns) - set(X_valid.columns))
            if missing:
                raise ConfigError(f"AutoMLConfig: validation_data lacks columns {missing[:5]}.")
            X_valid = _check_numbers_as_text(features, X_valid[list(features.columns)])
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

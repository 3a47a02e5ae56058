"""Azure AutoML's ``AutoMLConfig`` settings beyond the ones :class:`~automl.AutoMLConfig` names.

Azure's SDK v1 ``AutoMLConfig`` takes many settings; ported code passes them. Each one here
is either translated to this library's setting, accepted as a no-op when it has no effect on
one machine (a :class:`~explain._exceptions.CompatibilityWarning` says so when the value
asks for something), or refused with a :class:`~automl.ConfigError` that names it and says
what to do. Settings that are in none of these tables are refused as unknown.
"""

from __future__ import annotations

import warnings
from typing import Any

from automl._exceptions import ConfigError, ConfigTypeError
from explain._exceptions import CompatibilityWarning

__all__ = ["AZURE_MODEL_NAMES", "REFUSED", "translate_azure_settings", "translate_model_names"]

# Azure model names that are spelled differently here; None: no such model here
AZURE_MODEL_NAMES: dict[str, str | None] = {
    "XGBoostClassifier": "XGBoost", "XGBoostRegressor": "XGBoost",
    "GradientBoosting": "HistGradientBoosting", "ExtremeRandomTrees": "ExtremeRandomTrees",
    "SVM": None, "LinearSVM": None, "DecisionTree": None, "MultinomialNaiveBayes": None,
    "BernoulliNaiveBayes": None, "LassoLars": None, "TensorFlowDNN": None,
    "TensorFlowLinearClassifier": None, "TensorFlowLinearRegressor": None, "TCNForecaster": None,
    "Prophet": None, "AutoArima": None, "Arimax": None, "Average": None, "Naive": None,
    "SeasonalAverage": None, "SeasonalNaive": None, "ExponentialSmoothing": None,
}

# settings with no effect on one machine: (value that is a no-op, what happens here)
NO_OPS: dict[str, tuple[Any, str]] = {
    "max_cores_per_iteration": (1, "every model trains on one thread; n_jobs (Azure's "
                                   "max_concurrent_iterations) runs trials in parallel"),
    "enforce_time_on_windows": (True, "time limits are enforced the same way on every system"),
    "mem_in_mb": (None, "no memory limit is set on trials"),
    "enable_onnx_compatible_models": (False, "models are not exported to ONNX"),
    "enable_tf": (False, "there are no TensorFlow models"),
    "enable_dnn": (False, "there are no deep-learning models"),
    "enable_code_generation": (False, "no training code is generated"),
    "enable_local_managed": (False, "the search runs in this process"),
    "exclude_nan_labels": (True, "rows whose label is missing are refused, not excluded: drop them "
                                 "first"),
    "y_min": (None, "normalized regression metrics use the range of the training labels"),
    "y_max": (None, "normalized regression metrics use the range of the training labels"),
    "debug_log": ("automl.log", "the search logs to Python's 'automl' logger; add a "
                                "logging.FileHandler to it to write a file"),
    "path": (None, "there is no project folder to snapshot; the search runs here"),
}

REFUSED: dict[str, str] = {
    "compute_target": "the search runs on this machine; for several machines, run AutoML(config).fit() "
                      "on each against one PostgreSQL storage URL (storage=...)",
    "spark_context": "Spark is not used; for several machines share one PostgreSQL storage",
    "X_valid": "give validation_data (a frame with the label column) and label_column_name",
    "y_valid": "give validation_data (a frame with the label column) and label_column_name",
    "validation_size": "give validation_data, or use n_cross_validations",
    "test_data": "score the model on test data yourself: run.get_output()[1].predict(X_test)",
    "test_size": "score the model on test data yourself: run.get_output()[1].predict(X_test)",
    "cv_splits_indices": "folds are made by the search; set n_cross_validations",
    "cv_split_column_names": "folds are made by the search; set n_cross_validations",
    "sample_weight": "sample weights are not supported; drop or duplicate rows instead",
    "sample_weight_valid": "sample weights are not supported",
    "weight_column_name": "sample weights are not supported; drop the column",
    "positive_label": "binary metrics use the second of the sorted classes as positive; relabel if needed",
    "experiment_exit_score": "the search stops on iterations, experiment_timeout_minutes or early "
                             "stopping; set those",
    "enable_stack_ensemble": "only the weighted (voting) ensemble is built: enable_voting_ensemble",
    "forecasting_parameters": "forecasting is not supported; task must be classification or regression",
    "time_column_name": "forecasting is not supported; task must be classification or regression",
    "max_horizon": "forecasting is not supported; task must be classification or regression",
    "grain_column_names": "forecasting is not supported; task must be classification or regression",
}


_DEFAULTS = {"n_jobs": 1, "ensemble": True}


def translate_azure_settings(settings: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """``config`` (this library's settings as given) updated with Azure's ``settings``.

    Raises
    ------
    ConfigError
        For a refused or unknown setting, or one given in both spellings.
    """
    out = dict(config)
    renamed = {"experiment_timeout_hours": "experiment_timeout_minutes",
               "max_concurrent_iterations": "n_jobs", "enable_voting_ensemble": "ensemble",
               "whitelist_models": "allowed_models", "blacklist_models": "blocked_models"}
    for name, value in settings.items():
        if name in renamed:
            target = renamed[name]
            if out.get(target) is not None and out[target] != _DEFAULTS.get(target):
                raise ConfigError(f"AutoMLConfig: give {name} or {target}, not both.")
            out[target] = _hours(value) if name == "experiment_timeout_hours" else value
        elif name in NO_OPS:
            _no_op(name, value)
        elif name == "num_classes":
            out["_num_classes"] = value
        elif name in REFUSED and not _neutral(name, value):
            raise ConfigError(f"AutoMLConfig: {name} is Azure's setting, not supported here: "
                              f"{REFUSED[name]}.")
        elif name not in REFUSED:
            raise ConfigError(f"AutoMLConfig: unknown setting {name!r}; see help(AutoMLConfig) and "
                              "automl._azure_settings for Azure's settings.")
    return out


def translate_model_names(names: list[str] | None, field: str, available: list[str]) -> list[str] | None:
    """Azure's model names in ``allowed_models`` / ``blocked_models`` as this library's."""
    if names is None or isinstance(names, str):
        return names
    out, missing = [], []
    for name in names:
        if isinstance(name, str) and name in AZURE_MODEL_NAMES and name not in available:
            target = AZURE_MODEL_NAMES[name]
            if target is None:
                missing.append(name)
                continue
            name = target
        out.append(name)
    if missing and field == "allowed_models":
        if not out:
            raise ConfigError(f"AutoMLConfig: allowed_models {missing[:5]} are not available here; choose "
                              f"from {available}.")
        warnings.warn(f"AutoMLConfig: allowed_models {missing[:5]} are not available here and are left "
                      "out of the search.", CompatibilityWarning, stacklevel=4)
    return out


def _hours(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"AutoMLConfig: experiment_timeout_hours must be a positive number, got {value!r}.")
    return float(value) * 60.0


def _neutral(name: str, value: Any) -> bool:
    """Whether a refused setting was given its do-nothing value (None, False, 'local')."""
    return value is None or value is False or (name == "compute_target" and value == "local")


def _no_op(name: str, value: Any) -> None:
    neutral, what = NO_OPS[name]
    if name in ("y_min", "y_max") and value is not None and not isinstance(value, int | float):
        raise ConfigTypeError(f"AutoMLConfig: {name} must be a number, got {value!r}.")
    if value is not None and value != neutral:
        warnings.warn(f"AutoMLConfig: {name}={value!r} is accepted for Azure's signature, but {what}.",
                      CompatibilityWarning, stacklevel=4)

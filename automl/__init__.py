"""Optuna-driven model search with explanations for every run and the best model.

:class:`AutoMLConfig` says what to search, :class:`AutoML` searches (resumably, on one
machine or as several workers on one PostgreSQL study), :class:`AutoMLRun` reads the
experiment back: children, best model, leaderboard, explanations and the report.
"""

from automl._compat import explain_model, retrieve_model_explanation
from automl._config import AutoMLConfig
from automl._estimators import estimator_names
from automl._exceptions import (
    AutoMLError,
    ConfigError,
    ConfigTypeError,
    DataError,
    RunNotFoundError,
    SearchError,
    StorageError,
)
from automl._metrics import metric_names
from automl._runs import AutoMLRun, ChildRun
from automl._search import AutoML

__all__ = [
    "AutoML",
    "AutoMLConfig",
    "AutoMLError",
    "AutoMLRun",
    "ChildRun",
    "ConfigError",
    "ConfigTypeError",
    "DataError",
    "RunNotFoundError",
    "SearchError",
    "StorageError",
    "estimator_names",
    "explain_model",
    "metric_names",
    "retrieve_model_explanation",
]

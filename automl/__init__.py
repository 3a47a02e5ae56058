"""Optuna-driven model search with explanations for every run and the best model.

:class:`AutoMLConfig` says what to search, :class:`AutoML` searches (resumably, on one
machine or as several workers on one PostgreSQL study), :class:`AutoMLRun` reads the
experiment back: children, best model, leaderboard, explanations and the report.
"""

# Public names are imported on first use, so `automl --help` and `import automl` do not wait for
# scikit-learn, LightGBM, Optuna and the explainers (seconds); `from automl import AutoML` works as before.
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# where each public name is defined
_SOURCES = {
    "explain_model": "automl._compat",
    "retrieve_model_explanation": "automl._compat",
    "AutoMLConfig": "automl._config",
    "estimator_names": "automl._estimators",
    "AutoMLError": "automl._exceptions",
    "ConfigError": "automl._exceptions",
    "ConfigTypeError": "automl._exceptions",
    "DataError": "automl._exceptions",
    "RunNotFoundError": "automl._exceptions",
    "SearchError": "automl._exceptions",
    "StorageError": "automl._exceptions",
    "metric_names": "automl._metrics",
    "AutoMLRun": "automl._runs",
    "ChildRun": "automl._runs",
    "AutoML": "automl._search",
}


def __getattr__(name: str) -> Any:
    """Import a public name of :mod:`automl` on first use (PEP 562)."""
    if name not in _SOURCES:
        raise AttributeError(f"module 'automl' has no attribute {name!r}")
    value = getattr(importlib.import_module(_SOURCES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

"""``AutoMLConfig(mlflow=...)``: where a search is logged in MLflow, checked without importing MLflow."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from automl._exceptions import ConfigError, ConfigTypeError

__all__ = ["MlflowTarget", "mlflow_target"]

_URI_PREFIXES = ("file:", "databricks", "sqlite:", "postgresql", "mysql", "mssql")


@dataclass(frozen=True)
class MlflowTarget:
    """An MLflow tracking store and experiment.

    Attributes
    ----------
    tracking_uri : str or None
        ``None``: MLflow's default (``MLFLOW_TRACKING_URI``, else ``./mlruns``).
    experiment_name : str
        The MLflow experiment the search is logged to.
    """

    tracking_uri: str | None
    experiment_name: str


def mlflow_target(value: Any, experiment_name: str) -> MlflowTarget | None:
    """Read ``AutoMLConfig``'s ``mlflow`` argument.

    ``None`` / ``False``: no MLflow. ``True``: MLflow's default tracking store, the MLflow
    experiment named like the AutoML experiment. A string: a tracking URI when it looks like one
    (``http://...``, ``file:...``, ``sqlite:///...``, ``databricks``), else an MLflow experiment
    name. A mapping: ``{"tracking_uri": ..., "experiment_name": ...}`` (either may be left out).

    Raises
    ------
    ConfigTypeError
        For another kind of value or unknown keys.
    ConfigError
        For an empty name, or when MLflow is not installed (naming the extra).

    Examples
    --------
    >>> mlflow_target("http://127.0.0.1:5000", "churn")  # doctest: +SKIP
    MlflowTarget(tracking_uri='http://127.0.0.1:5000', experiment_name='churn')
    """
    if value is None or value is False:
        return None
    if value is True:
        target = MlflowTarget(None, experiment_name)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ConfigError("AutoMLConfig: mlflow must be True, a tracking URI or an MLflow experiment "
                              "name; got an empty string.")
        looks_like_uri = "://" in text or text.startswith(_URI_PREFIXES)
        target = MlflowTarget(text, experiment_name) if looks_like_uri else MlflowTarget(None, text)
    elif isinstance(value, dict):
        unknown = sorted(str(k) for k in set(value) - {"tracking_uri", "experiment_name"})
        if unknown:
            raise ConfigTypeError(f"AutoMLConfig: mlflow has unknown keys {unknown[:5]}; allowed: "
                                  "'tracking_uri', 'experiment_name'.")
        uri, name = value.get("tracking_uri"), value.get("experiment_name", experiment_name)
        for key, given in (("tracking_uri", uri), ("experiment_name", name)):
            if given is not None and (not isinstance(given, str) or not given.strip()):
                raise ConfigError(f"AutoMLConfig: mlflow[{key!r}] must be a non-empty string, got {given!r}.")
        target = MlflowTarget(uri, name)
    else:
        raise ConfigTypeError(
            "AutoMLConfig: mlflow must be True, a tracking URI, an MLflow experiment name or "
            f"{{'tracking_uri': ..., 'experiment_name': ...}}; got {type(value).__name__}.")
    if importlib.util.find_spec("mlflow") is None:
        raise ConfigError("AutoMLConfig: mlflow=... needs MLflow: pip install 'automl-explain[mlflow]'.")
    return target

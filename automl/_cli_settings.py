"""``automl run``'s settings: from a CSV and flags, a YAML file, or a shipped example."""

from __future__ import annotations

import argparse
import inspect
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automl._exceptions import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

# pandas, NumPy, YAML and AutoMLConfig are imported by the functions that need them: the parser
# (automl._cli) reads EXAMPLES, and `automl --help` must not wait for them.

__all__ = ["EXAMPLES", "infer_task", "read_csv", "run_settings"]

EXAMPLES = {"breast_cancer": ("load_breast_cancer", "classification", "AUC_weighted"),
            "wine": ("load_wine", "classification", "log_loss"),
            "diabetes": ("load_diabetes", "regression", "r2_score")}
EXAMPLE_ITERATIONS, EXAMPLE_TIMEOUT_MINUTES = 30, 1.0  # the whole fit in about a minute
MAX_INFERRED_CLASSES = 20
_FLAGS = {"label": "label_column_name", "task": "task", "metric": "primary_metric",
          "iterations": "iterations", "timeout_minutes": "experiment_timeout_minutes",
          "storage": "storage", "experiment": "experiment_name", "artifact_path": "artifact_path",
          "cv": "n_cross_validations", "seed": "random_state"}


def run_settings(args: argparse.Namespace) -> tuple[dict[str, Any], str, list[str]]:
    """AutoMLConfig's keyword arguments, a description of the data, and notes to print."""
    given = [name for name, value in (("CONFIG.yaml", args.config), ("--data", args.data),
                                      ("--example", args.example)) if value]
    if len(given) != 1:
        raise ConfigError("give one of --data train.csv, CONFIG.yaml or --example NAME"
                          + (f", not {' and '.join(given)}" if given else ""))
    if args.example:
        settings, source = _example_settings(args.example)
    elif args.config:
        settings, source = _yaml_settings(Path(args.config)), args.config
    else:
        settings = {"training_data": read_csv(args.data), "experiment_name": Path(args.data).stem}
        source = args.data
    settings.update({key: getattr(args, flag) for flag, key in _FLAGS.items()
                     if getattr(args, flag) is not None})
    if args.validation:
        settings["validation_data"] = read_csv(args.validation)
    if args.quiet:
        settings["verbosity"] = logging.WARNING
    if getattr(args, "overwrite", False):
        settings["overwrite"] = True
    frame, label = settings["training_data"], settings.get("label_column_name")
    if label is None:
        raise ConfigError(f"the label column of {source} is required: pass --label COLUMN")
    if label not in frame.columns:
        shown = ", ".join(repr(str(c)) for c in list(frame.columns)[:8])
        raise ConfigError(f"label column {label!r} is not a column of {source} (columns: {shown}"
                          f"{', ...' if frame.shape[1] > 8 else ''}).")
    notes = []
    if settings.get("task") is None:
        settings["task"], why = infer_task(frame[label])
        notes.append(f"task {settings['task']} inferred: {why} (pass --task to override)")
    return settings, source, notes


def _example_settings(name: str) -> tuple[dict[str, Any], str]:
    """The settings of a scikit-learn example, and its description."""
    import numpy as np
    import sklearn.datasets

    loader, task, metric = EXAMPLES[name]
    bunch = getattr(sklearn.datasets, loader)(as_frame=True)
    frame = bunch.frame
    if task == "classification":  # class names read better than 0 / 1 in per-class importances
        frame["target"] = np.asarray(bunch.target_names)[frame["target"].to_numpy()]
    settings = {"training_data": frame, "label_column_name": "target", "task": task,
                "primary_metric": metric, "experiment_name": name, "iterations": EXAMPLE_ITERATIONS,
                "experiment_timeout_minutes": EXAMPLE_TIMEOUT_MINUTES, "random_state": 0}
    return settings, f"scikit-learn's {name.replace('_', ' ')} data set"


def _yaml_settings(path: Path) -> dict[str, Any]:
    """The settings of a YAML configuration file, its CSVs read."""
    import yaml

    from automl._config import AutoMLConfig

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path} must hold a mapping of settings, got {type(loaded).__name__}.")
    allowed = {"data", *inspect.signature(AutoMLConfig).parameters} - {"training_data", "X", "y"}
    unknown = sorted(str(k) for k in set(loaded) - allowed)
    if unknown:
        raise ConfigError(f"{path} has unknown keys {unknown[:5]}; allowed: {', '.join(sorted(allowed))}.")
    if "data" not in loaded:
        raise ConfigError(f"{path} needs a 'data' key: the path of the training CSV.")
    settings = dict(loaded)
    for key in ("data", "validation_data"):
        value = settings.pop(key, None)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{path}: {key} must be the path of a CSV file, got {value!r}.")
        if value is not None:
            settings["training_data" if key == "data" else key] = read_csv(path.parent / value)
    settings.setdefault("experiment_name", path.stem)
    return settings


def read_csv(path: str | Path) -> pd.DataFrame:
    """``pd.read_csv``, its parse errors as :class:`DataError`."""
    import pandas as pd

    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path} as CSV: {exc}") from exc


def infer_task(label: pd.Series) -> tuple[str, str]:
    """``(task, why)`` for a label column: classification for strings or few integer values."""
    import numpy as np
    import pandas as pd

    values = label.dropna()
    distinct = int(values.nunique())
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "classification", f"the label {label.name!r} is not numeric ({distinct} distinct values)"
    integral = bool(np.all(np.mod(values.to_numpy(dtype=np.float64), 1.0) == 0.0))
    if integral and distinct <= MAX_INFERRED_CLASSES:
        return "classification", f"the label {label.name!r} has {distinct} distinct integer values"
    kind = "integer" if integral else "numeric"
    return "regression", f"the label {label.name!r} has {distinct} distinct {kind} values"

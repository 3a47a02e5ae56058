"""Azure AutoML's ``AutoMLConfig`` settings: translated, accepted as no-ops, or refused by name."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
import pytest

from automl import AutoMLConfig, ConfigError
from automl._azure_settings import NO_OPS, REFUSED
from explain import CompatibilityWarning
from tests._synthetic import make_ground_truth


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    X, y = make_ground_truth("binary", n_rows=60, n_features=4)
    return X.assign(label=y)


def config(table: pd.DataFrame, **kwargs: Any) -> AutoMLConfig:
    return AutoMLConfig("classification", training_data=table, label_column_name="label",
                        n_cross_validations=3, **kwargs)


def test_renamed_settings_are_translated(table: pd.DataFrame) -> None:
    cfg = config(table, experiment_timeout_hours=0.5, max_concurrent_iterations=2,
                 enable_voting_ensemble=False, whitelist_models=["LightGBM", "XGBoostClassifier"])
    assert cfg.experiment_timeout_minutes == 30.0 and cfg.n_jobs == 2 and cfg.ensemble is False
    assert set(cfg.models) <= {"LightGBM", "XGBoost"} and "LightGBM" in cfg.models
    assert "LightGBM" not in config(table, blacklist_models=["LightGBM", "SVM"]).models
    with pytest.raises(ConfigError, match="give experiment_timeout_hours or experiment_timeout_minutes"):
        config(table, experiment_timeout_hours=1, experiment_timeout_minutes=10)
    with pytest.raises(ConfigError, match="give max_concurrent_iterations or n_jobs"):
        config(table, max_concurrent_iterations=2, n_jobs=3)
    with pytest.raises(ConfigError, match="experiment_timeout_hours must be a positive number"):
        config(table, experiment_timeout_hours=0)


def test_azure_model_names(table: pd.DataFrame) -> None:
    assert config(table, allowed_models=["GradientBoosting"]).models == ["HistGradientBoosting"]
    with pytest.warns(CompatibilityWarning, match=r"allowed_models \['SVM'\] are not available here"):
        assert config(table, allowed_models=["SVM", "RandomForest"]).models == ["RandomForest"]
    with pytest.raises(ConfigError, match=r"allowed_models \['SVM', 'DecisionTree'\] are not available"):
        config(table, allowed_models=["SVM", "DecisionTree"])


@pytest.mark.parametrize("name", sorted(NO_OPS))
def test_no_op_settings_are_accepted_and_warn_when_they_ask_for_something(table: pd.DataFrame,
                                                                         name: str) -> None:
    neutral, _ = NO_OPS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompatibilityWarning)
        config(table, **{name: neutral})
    asking = {bool: not neutral, int: 4, str: "other.log", type(None): 7}[type(neutral)]
    with pytest.warns(CompatibilityWarning, match=f"{name}=.* is accepted for Azure's signature, but"):
        config(table, **{name: asking})


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_settings_name_themselves_and_say_what_to_do(table: pd.DataFrame, name: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} is Azure's setting, not supported here: .+"):
        config(table, **{name: "something"})
    config(table, **{name: None})  # the do-nothing value is accepted


def test_local_compute_target_and_num_classes(table: pd.DataFrame) -> None:
    assert config(table, compute_target="local", num_classes=2).data.classes.size == 2
    with pytest.raises(ConfigError, match="num_classes=3 but the training labels have 2 classes"):
        config(table, num_classes=3)


def test_debug_log_of_azure_is_accepted(table: pd.DataFrame) -> None:
    with pytest.warns(CompatibilityWarning, match="add a logging.FileHandler"):
        config(table, debug_log="my.log")


def test_unknown_settings_are_refused(table: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        config(table, colour="red")

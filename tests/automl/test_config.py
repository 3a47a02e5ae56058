"""``AutoMLConfig``: every field validated on construction, with a message naming it."""

from __future__ import annotations

import json
import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

from automl import AutoML, AutoMLConfig, AutoMLError, ConfigError, ConfigTypeError, DataError
from automl._estimators import estimator_names
from tests._synthetic import make_ground_truth, make_mixed_table


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    X, y = make_ground_truth("binary", n_rows=60, n_features=4)
    return X.assign(label=y)


def config(table: pd.DataFrame, **kwargs: Any) -> AutoMLConfig:
    settings = {"task": "classification", "training_data": table, "label_column_name": "label",
                "n_cross_validations": 3, **kwargs}
    return AutoMLConfig(**settings)


def test_a_valid_config(table: pd.DataFrame) -> None:
    cfg = config(table, primary_metric="roc_auc", blocked_models=["KNN"], random_state=3)
    assert cfg.primary_metric == "AUC_weighted" and cfg.metric.direction == "maximize"
    assert "KNN" not in cfg.models and "LightGBM" in cfg.models
    assert list(cfg.data.X.columns) == ["f0", "f1", "f2", "f3"] and cfg.data.y.shape == (60,)
    assert list(cfg.data.classes) == ["no", "yes"] and cfg.data.X_valid is None
    assert cfg.storage == "sqlite:///./automl_runs/automl.db" and cfg.logger_level == logging.INFO
    described = cfg.describe()
    assert json.loads(json.dumps(described)) == described
    assert described["features"] == ["f0", "f1", "f2", "f3"] and described["models"] == cfg.models


def test_defaults_per_task() -> None:
    X, y = make_ground_truth("regression", n_rows=40, n_features=3)
    cfg = AutoMLConfig("regression", X=X.to_numpy(), y=y)
    assert cfg.primary_metric == "r2_score" and cfg.models == estimator_names("regression")
    assert list(cfg.data.X.columns) == ["x0", "x1", "x2"] and cfg.data.y.dtype == np.float64
    assert cfg.data.classes is None and cfg.n_cross_validations == 5 and cfg.iterations == 50


def test_column_names_become_strings() -> None:
    X = pd.DataFrame(np.arange(20.0).reshape(10, 2), columns=[0, 1])
    cfg = AutoMLConfig("regression", X=X, y=np.arange(10.0), n_cross_validations=2)
    assert list(cfg.data.X.columns) == ["0", "1"]


def test_the_errors_share_one_root_and_the_builtins() -> None:
    assert issubclass(ConfigError, AutoMLError) and issubclass(ConfigError, ValueError)
    assert issubclass(ConfigTypeError, AutoMLError) and issubclass(ConfigTypeError, TypeError)
    assert issubclass(DataError, AutoMLError) and issubclass(DataError, ValueError)


# ---------------------------------------------------------------------- data
def test_missing_label_column(table: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match=r"label_column_name 'target' is not a column of training_data "
                                          r"\(columns: 'f0', 'f1', 'f2', 'f3', 'label'\)"):
        config(table, label_column_name="target")
    with pytest.raises(ConfigError, match="label_column_name is required with training_data"):
        config(table, label_column_name=None)


def test_single_class_target(table: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"the label has a single class \('no'\)"):
        config(table.assign(label="no"))


def test_label_with_missing_values(table: pd.DataFrame) -> None:
    labels = table["label"].astype(object).copy()
    labels.iloc[[3, 7]] = None
    # the label column is named when the label comes from training_data
    with pytest.raises(DataError,
                       match=r"the label \(column 'label'\) has 2 missing values, e.g. at rows \[3, 7\]"):
        config(table.assign(label=labels))
    X, y = make_ground_truth("regression", n_rows=30, n_features=3)
    y = y.copy()
    y[5] = np.nan
    with pytest.raises(DataError, match=r"the label \(y\) has 1 missing values"):
        AutoMLConfig("regression", X=X, y=y)


def test_regression_label_must_be_numeric_and_finite() -> None:
    X, y = make_ground_truth("regression", n_rows=30, n_features=3)
    with pytest.raises(DataError, match="task='regression' needs a numeric label"):
        AutoMLConfig("regression", X=X, y=np.where(y > 0, "high", "low"))
    y = y.copy()
    y[0] = np.inf
    with pytest.raises(DataError, match="contains infinite values"):
        AutoMLConfig("regression", X=X, y=y)


def test_empty_frames(table: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"training data is empty \(shape \(0, 4\)\)"):
        config(table.iloc[:0])
    with pytest.raises(DataError, match=r"training data is empty \(shape \(60, 0\)\)"):
        config(table[["label"]])


def test_training_data_and_x_are_exclusive(table: pd.DataFrame) -> None:
    X, y = table.drop(columns="label"), table["label"]
    with pytest.raises(ConfigError, match="give training_data or X, not both"):
        config(table, X=X, y=y)
    with pytest.raises(ConfigError, match="y is required with X"):
        AutoMLConfig("classification", X=X)
    with pytest.raises(ConfigError, match=r"training_data .* or X and y are required"):
        AutoMLConfig("classification")


def test_data_types(table: pd.DataFrame) -> None:
    with pytest.raises(ConfigTypeError, match="training_data must be a pandas or polars DataFrame or a "
                                              "pyarrow Table, got dict"):
        config(dict(table))  # type: ignore[arg-type]
    with pytest.raises(ConfigTypeError, match="training data must be a DataFrame or a 2-D array, got list"):
        AutoMLConfig("classification", X=[[1, 2]], y=[0])
    with pytest.raises(DataError, match=r"y has shape \(59,\), expected \(60,\)"):
        AutoMLConfig("classification", X=table.drop(columns="label"), y=table["label"][1:])


def test_a_class_with_fewer_rows_than_folds(table: pd.DataFrame) -> None:
    rare = table.copy()
    rare.loc[:1, "label"] = "maybe"
    with pytest.raises(DataError, match=r"classes \['maybe'\] have fewer rows than n_cross_validations=3"):
        config(rare)
    assert config(rare, n_cross_validations=2).data.classes.tolist() == ["maybe", "no", "yes"]


def test_validation_data(table: pd.DataFrame) -> None:
    train, valid = table.iloc[:40], table.iloc[40:]
    cfg = config(train, validation_data=valid[["label", "f3", "f2", "f1", "f0"]])
    assert list(cfg.data.X_valid.columns) == ["f0", "f1", "f2", "f3"] and cfg.data.y_valid.shape == (20,)
    with pytest.raises(ConfigError, match=r"validation_data lacks columns \['f1', 'f2'\]"):
        config(train, validation_data=valid.drop(columns=["f1", "f2"]))
    with pytest.raises(ConfigError, match="label_column_name 'label' is not a column of validation_data"):
        config(train, validation_data=valid.drop(columns="label"))
    with pytest.raises(DataError, match=r"validation labels \['maybe'\] do not occur in training"):
        config(train, validation_data=valid.assign(label="maybe"))
    with pytest.raises(DataError, match="validation_data is empty"):
        config(train, validation_data=valid.iloc[:0])


def test_validation_data_needs_no_rows_per_fold(table: pd.DataFrame) -> None:
    rare = table.copy()
    rare.loc[:1, "label"] = "maybe"  # 2 rows: fewer than the folds, but there are no folds
    cfg = config(rare.iloc[:45], validation_data=rare.iloc[45:], n_cross_validations=5)
    assert cfg.data.classes.tolist() == ["maybe", "no", "yes"]


def test_infinite_feature_values_are_refused_naming_the_column(table: pd.DataFrame) -> None:
    bad = table.copy()
    bad.loc[[3, 7], "f2"] = [np.inf, -np.inf]
    with pytest.raises(DataError, match=r"training data has infinite values in columns 'f2' "
                                        r"\(2 at rows \[3, 7\]\); replace them .* NaN to mark them missing"):
        config(bad)
    with pytest.raises(DataError, match=r"validation_data has infinite values in columns 'f2'"):
        config(table.iloc[:40], validation_data=bad.iloc[:10])
    objects = table.astype({"f1": object})
    objects.loc[5, "f1"] = float("inf")
    with pytest.raises(DataError, match=r"columns 'f1' \(1 at rows \[5\]\)"):
        config(objects)
    text = table.assign(f1=np.where(table["f0"] > 0, "inf", "finite"))  # the word is a category
    assert config(text).data.X["f1"].tolist()[:3] == text["f1"].tolist()[:3]


def test_values_float32_cannot_hold_are_refused_naming_the_column(table: pd.DataFrame) -> None:
    huge = table.copy()
    huge.loc[2, "f3"] = 3.4028235677973366e38  # rounds to infinity in float32
    with pytest.raises(DataError, match=r"training data has values beyond \+-1e\+38 in columns 'f3' "
                                        r"\(1 at rows \[2\]\); featurization stores numbers as float32"):
        config(huge)


def test_labels_of_one_python_type_become_that_type(table: pd.DataFrame) -> None:
    y = np.array([0, 1] * 30, dtype=object)  # e.g. read from JSON: scikit-learn calls it "unknown"
    cfg = AutoMLConfig("classification", X=table.drop(columns="label"), y=y, n_cross_validations=3)
    assert cfg.data.y.dtype.kind == "i" and cfg.data.classes.tolist() == [0, 1]


def test_column_names_that_collide_as_text_are_refused(table: pd.DataFrame) -> None:
    X = table.drop(columns="label")
    X.columns = [1, "1", "f2", "f3"]
    with pytest.raises(DataError, match=r"training data has columns whose names are the same as text: "
                                        r"1 and '1'; rename them"):
        AutoMLConfig("classification", X=X, y=table["label"], n_cross_validations=3)
    X.columns = ["f0", "f0", "f2", "f3"]
    with pytest.raises(DataError, match="'f0' and 'f0'"):
        AutoMLConfig("classification", X=X, y=table["label"], n_cross_validations=3)


def test_labels_mixing_types_are_refused(table: pd.DataFrame) -> None:
    y = np.array([1, "1", 0, "0"] * 15, dtype=object)
    with pytest.raises(DataError, match=r"the label \(y\) mixes value types: int \(e\.g\. \d\) and str "
                                        r"\(e\.g\. '\d'\); convert it to one type"):
        AutoMLConfig("classification", X=table.drop(columns="label"), y=y, n_cross_validations=3)
    numbers = np.array([1, 0.0] * 30, dtype=object)  # ints and floats compare as numbers: fine
    assert AutoMLConfig("classification", X=table.drop(columns="label"), y=numbers,
                        n_cross_validations=3).data.classes.tolist() == [0, 1]


def test_validation_text_in_a_numeric_column_is_refused_or_parsed(table: pd.DataFrame) -> None:
    train, valid = table.iloc[:40], table.iloc[40:].copy()
    as_text = valid.assign(f1=valid["f1"].map(repr))  # every value parses: converted
    cfg = config(train, validation_data=as_text)
    np.testing.assert_array_equal(cfg.data.X_valid["f1"].to_numpy(), valid["f1"].to_numpy())
    broken = as_text.copy()
    broken.loc[broken.index[:2], "f1"] = ["n.a.", "1,5"]
    with pytest.raises(DataError, match=r"validation_data column 'f1' is numeric in the training data "
                                        r"but has 2 values that are not numbers \('n\.a\.', '1,5'\)"):
        config(train, validation_data=broken)


@pytest.mark.parametrize("kind", ["polars", "pyarrow"])
def test_polars_and_arrow_tables_are_read_by_column_name(table: pd.DataFrame, kind: str) -> None:
    if kind == "polars":
        polars = pytest.importorskip("polars")
        other = polars.from_pandas(table[["label", "f3", "f0", "f2", "f1"]])
    else:
        pyarrow = pytest.importorskip("pyarrow")
        other = pyarrow.Table.from_pandas(table[["label", "f3", "f0", "f2", "f1"]], preserve_index=False)
    cfg = config(table.iloc[:40], validation_data=other.slice(40, 20))
    pd.testing.assert_frame_equal(cfg.data.X_valid.reset_index(drop=True),
                                  table.iloc[40:].drop(columns="label").reset_index(drop=True))


def test_overwrite_must_be_a_bool(table: pd.DataFrame) -> None:
    with pytest.raises(ConfigTypeError, match="overwrite must be True or False, got 'yes'"):
        config(table, overwrite="yes")


def test_the_default_classification_metric_stays_meaningful_on_imbalanced_classes() -> None:
    X, _ = make_ground_truth("binary", n_rows=200, n_features=3)
    y = np.where(np.arange(200) < 10, "fraud", "ok")  # 5 % positives
    cfg = AutoMLConfig("classification", X=X, y=y, n_cross_validations=3)
    assert cfg.primary_metric == "AUC_weighted" and cfg.metric.needs_proba
    assert cfg.metric_note.startswith("primary metric AUC_weighted (the default for classification: it "
                                      "stays meaningful when classes are imbalanced")


def test_accuracy_on_imbalanced_classes_warns_with_the_balance_and_better_choices() -> None:
    X, _ = make_ground_truth("binary", n_rows=200, n_features=3)
    y = np.where(np.arange(200) < 10, "fraud", "ok")
    with pytest.warns(UserWarning, match=r"primary_metric='accuracy' on imbalanced classes \(the smallest "
                                         r"is 5\.0% of the rows\): predicting the majority class already "
                                         r"scores 95\.0%.*consider 'AUC_weighted', 'log_loss' or "
                                         r"'balanced_accuracy'"):
        cfg = AutoMLConfig("classification", X=X, y=y, n_cross_validations=3, primary_metric="accuracy")
    assert "imbalanced" in cfg.metric_note
    balanced = np.where(np.arange(200) % 2 == 0, "a", "b")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AutoMLConfig("classification", X=X, y=balanced, n_cross_validations=3, primary_metric="accuracy")


# ---------------------------------------------------------------------- settings
def test_task(table: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match=r"task must be one of \('classification', 'regression'\), "
                                          "got 'clustering'"):
        config(table, task="clustering")


@pytest.mark.parametrize(("metric", "match"), [
    ("accuracy_weighted", "primary_metric 'accuracy_weighted' is not a classification metric;"),
    ("r2_score", "primary_metric 'r2_score' is not a classification metric — it is a regression metric"),
    ("r2", "primary_metric 'r2' is not a classification metric — it is a regression metric"),
])
def test_unknown_or_wrong_task_metric(table: pd.DataFrame, metric: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        config(table, primary_metric=metric)


def test_classification_metric_for_regression() -> None:
    X, y = make_ground_truth("regression", n_rows=30, n_features=3)
    with pytest.raises(ConfigError, match="'AUC_weighted' is not a regression metric — it is a classification"
                                          " metric"):
        AutoMLConfig("regression", X=X, y=y, primary_metric="AUC_weighted")


@pytest.mark.parametrize(("field", "value", "match"), [
    # Azure's names (SVM, Prophet, ...) are translated or left out with a warning (test_azure_settings)
    ("allowed_models", ["LightGBM", "SVMX"], r"allowed_models has unknown classification models \['SVMX'\]"),
    ("blocked_models", ["Profit"], r"blocked_models has unknown classification models \['Profit'\]"),
    ("allowed_models", ["ElasticNet"], r"allowed_models has unknown classification models \['ElasticNet'\]"),
])
def test_unknown_model_names(table: pd.DataFrame, field: str, value: list[str], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        config(table, **{field: value})


def test_model_lists_must_be_lists(table: pd.DataFrame) -> None:
    with pytest.raises(ConfigTypeError, match="allowed_models must be a list of model names"):
        config(table, allowed_models="LightGBM")
    with pytest.raises(ConfigTypeError, match="blocked_models must be a list of model names"):
        config(table, blocked_models=[1])


def test_blocking_every_model(table: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="allowed_models and blocked_models leave no model to search"):
        config(table, blocked_models=estimator_names("classification"))
    with pytest.raises(ConfigError, match="leave no model"):
        config(table, allowed_models=["LightGBM"], blocked_models=["LightGBM"])
    assert config(table, allowed_models=["LightGBM", "KNN"], blocked_models=["KNN"]).models == ["LightGBM"]


@pytest.mark.parametrize(("field", "value", "match"), [
    ("iterations", 0, "iterations must be an integer >= 1, got 0"),
    ("iterations", 2.5, "iterations must be an integer >= 1, got 2.5"),
    ("iterations", True, "iterations must be an integer >= 1, got True"),
    ("n_cross_validations", 1, "n_cross_validations must be an integer >= 2, got 1"),
    ("n_cross_validations", "5", "n_cross_validations must be an integer >= 2, got '5'"),
    ("n_jobs", 0, "n_jobs must be an integer >= 1, got 0"),
    ("experiment_timeout_minutes", 0, "experiment_timeout_minutes must be a positive number of minutes, "
                                      "got 0"),
    ("experiment_timeout_minutes", -1.5, "experiment_timeout_minutes must be a positive number"),
    ("iteration_timeout_minutes", "1", "iteration_timeout_minutes must be a positive number of minutes, "
                                       "got '1'"),
    ("iteration_timeout_minutes", float("nan"), "iteration_timeout_minutes must be a positive number"),
    ("iteration_timeout_minutes", True, "iteration_timeout_minutes must be a positive number"),
    ("featurization", "none", "featurization must be 'auto', 'off' or a transformer, got 'none'"),
    ("experiment_name", " ", "experiment_name must be a non-empty string"),
    ("storage", "runs.db", "storage must be a database URL such as .* got 'runs.db'"),
])
def test_bad_settings(table: pd.DataFrame, field: str, value: Any, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        config(table, **{field: value})


@pytest.mark.parametrize(("field", "value", "match"), [
    ("featurization", 42, "featurization must be 'auto', 'off' or a scikit-learn transformer .* got int"),
    ("random_state", "0", "random_state must be an int or None, got '0'"),
    ("random_state", 1.0, "random_state must be an int or None"),
])
def test_bad_setting_types(table: pd.DataFrame, field: str, value: Any, match: str) -> None:
    with pytest.raises(ConfigTypeError, match=match):
        config(table, **{field: value})


def test_featurization_choices(table: pd.DataFrame) -> None:
    assert config(table, featurization="off").featurization == "off"
    scaler = StandardScaler()
    assert config(table, featurization=scaler).featurization is scaler
    assert config(table, featurization=scaler).describe()["featurization"] == "StandardScaler"


def test_featurization_off_needs_numeric_columns(tmp_path: Any) -> None:
    X, y = make_mixed_table("binary", n_rows=60)
    cfg = AutoMLConfig("classification", X=X, y=y, featurization="off", n_cross_validations=3,
                       storage=f"sqlite:///{tmp_path}/runs.db", verbosity=logging.WARNING)
    with pytest.raises(DataError, match=r"featurization='off' needs numeric columns; \['region', 'segment'"):
        AutoML(cfg).fit()


def test_automl_needs_a_config() -> None:
    with pytest.raises(ConfigError, match="AutoML: expected an AutoMLConfig, got dict"):
        AutoML({"task": "classification"})  # type: ignore[arg-type]


# ---------------------------------------------------------------------- resuming
@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The settings of a one-trial experiment already in the storage."""
    X, y = make_ground_truth("binary", n_rows=60, n_features=4)
    settings = {"task": "classification", "X": X, "y": y, "iterations": 1, "n_cross_validations": 3,
                "allowed_models": ["LogisticRegression"], "model_explainability": False,
                "explain_runs": False, "ensemble": False, "random_state": 0,
                "storage": f"sqlite:///{tmp_path_factory.mktemp('resume')}/runs.db",
                "experiment_name": "first", "verbosity": logging.WARNING}
    AutoML(AutoMLConfig(**settings)).fit()
    return settings


@pytest.mark.parametrize(("change", "match"), [
    ({"primary_metric": "log_loss"}, "created with primary_metric='AUC_weighted', not 'log_loss'"),
    ({"task": "regression", "y": None, "allowed_models": None},
     "created with task='classification', not 'regression'"),
    ({"drop": "f3"}, r"created with features=\['f0', 'f1', 'f2', 'f3'\], not \['f0', 'f1', 'f2'\]"),
    # Optuna cannot change the choices of the "estimator" parameter within a study
    ({"allowed_models": ["LogisticRegression", "KNN"]},
     r"created with models=\['LogisticRegression'\], not \['LogisticRegression', 'KNN'\]"),
])
def test_a_resumed_experiment_must_keep_its_task_metric_features_and_models(
        stored: dict[str, Any], change: dict[str, Any], match: str) -> None:
    settings = {**stored, **change}
    if "drop" in settings:
        settings["X"] = settings["X"].drop(columns=settings.pop("drop"))
    if settings["y"] is None:
        settings["y"] = np.arange(60.0)
    with pytest.raises(ConfigError, match=f"AutoML: experiment 'first' in .* does not match this "
                                          f"configuration: it was {match}[;.].* use another experiment_name"):
        AutoML(AutoMLConfig(**settings)).fit()


def test_a_resumed_experiment_with_the_same_settings_keeps_its_trials(stored: dict[str, Any]) -> None:
    run = AutoML(AutoMLConfig(**{**stored, "iterations": 2})).fit()
    assert [c.status for c in run.get_children()] == ["Completed", "Completed"]

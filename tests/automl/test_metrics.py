"""Primary metrics by Azure AutoML's and scikit-learn's names, checked against scikit-learn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn import metrics as skm

from automl import ConfigError, metric_names
from automl._metrics import get_metric

LABELS = np.array(["a", "b", "c"])
Y3 = np.array(["a", "b", "c", "a", "b", "c", "a", "b", "c", "a"])
PROBA3 = np.array([
    [0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.3, 0.4, 0.3], [0.5, 0.4, 0.1],
    [0.2, 0.2, 0.6], [0.6, 0.1, 0.3], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4], [0.4, 0.35, 0.25],
])
PRED3 = LABELS[PROBA3.argmax(axis=1)]
Y2 = np.array(["no", "yes", "yes", "no", "yes", "no", "no", "yes"])
P_YES = np.array([0.2, 0.9, 0.4, 0.3, 0.8, 0.6, 0.1, 0.7])
PROBA2 = np.column_stack([1 - P_YES, P_YES])
Y_REG = np.array([3.0, -0.5, 2.0, 7.0, 4.2, 1.1])
P_REG = np.array([2.5, 0.0, 2.1, 7.8, 3.9, 1.5])


def score(name: str, task: str, y: np.ndarray, prediction: np.ndarray, labels: np.ndarray | None) -> float:
    metric = get_metric(name, task)
    value = metric.score(y, prediction, labels)
    assert isinstance(value, float)
    return value


@pytest.mark.parametrize(("name", "proba", "expected"), [
    ("accuracy", False, skm.accuracy_score(Y3, PRED3)),
    ("AUC_weighted", True, skm.roc_auc_score(Y3, PROBA3, multi_class="ovr", average="weighted")),
    ("AUC_macro", True, skm.roc_auc_score(Y3, PROBA3, multi_class="ovr", average="macro")),
    ("norm_macro_recall", False, skm.balanced_accuracy_score(Y3, PRED3, adjusted=True)),
    ("balanced_accuracy", False, skm.balanced_accuracy_score(Y3, PRED3)),
    ("precision_score_weighted", False, skm.precision_score(Y3, PRED3, average="weighted", zero_division=0)),
    ("recall_score_weighted", False, skm.recall_score(Y3, PRED3, average="weighted")),
    ("f1_score_weighted", False, skm.f1_score(Y3, PRED3, average="weighted")),
    ("f1_score_macro", False, skm.f1_score(Y3, PRED3, average="macro")),
    ("log_loss", True, skm.log_loss(Y3, PROBA3, labels=LABELS)),
])
def test_multiclass_metrics_match_scikit_learn(name: str, proba: bool, expected: float) -> None:
    assert get_metric(name, "classification").needs_proba is proba
    value = score(name, "classification", Y3, PROBA3 if proba else PRED3, LABELS)
    assert value == pytest.approx(expected, rel=1e-12)


def test_norm_macro_recall_is_azure_s_rescaled_macro_recall() -> None:
    recall = skm.recall_score(Y3, PRED3, average="macro")
    assert score("norm_macro_recall", "classification", Y3, PRED3, LABELS) == \
        pytest.approx((recall - 1 / 3) / (1 - 1 / 3))
    assert score("norm_macro_recall", "classification", Y3, Y3, LABELS) == 1.0
    # always predicting one class: macro recall 1/3, normalized to 0
    assert score("norm_macro_recall", "classification", Y3, np.full(10, "a"), LABELS) == pytest.approx(0.0)


@pytest.mark.parametrize("name", ["AUC_weighted", "AUC_macro", "roc_auc"])
def test_binary_auc_is_the_auc_of_the_positive_class(name: str) -> None:
    labels = np.array(["no", "yes"])
    expected = skm.roc_auc_score(Y2 == "yes", P_YES)
    assert score(name, "classification", Y2, PROBA2, labels) == pytest.approx(expected)
    # and equals the class-weighted average of both classes' AUC
    assert expected == pytest.approx(skm.roc_auc_score(Y2, P_YES))


def test_binary_label_metrics() -> None:
    labels = np.array(["no", "yes"])
    pred = labels[PROBA2.argmax(axis=1)]
    assert score("precision_score_weighted", "classification", Y2, pred, labels) == \
        pytest.approx(skm.precision_score(Y2, pred, average="weighted"))
    assert score("norm_macro_recall", "classification", Y2, pred, labels) == \
        pytest.approx(2 * skm.balanced_accuracy_score(Y2, pred) - 1)
    assert score("log_loss", "classification", Y2, PROBA2, labels) == pytest.approx(skm.log_loss(Y2, PROBA2))


@pytest.mark.parametrize(("name", "expected"), [
    ("r2_score", skm.r2_score(Y_REG, P_REG)),
    ("r2", skm.r2_score(Y_REG, P_REG)),
    ("spearman_correlation", spearmanr(Y_REG, P_REG).statistic),
    ("normalized_root_mean_squared_error", skm.root_mean_squared_error(Y_REG, P_REG) / 7.5),
    ("normalized_mean_absolute_error", skm.mean_absolute_error(Y_REG, P_REG) / 7.5),
    ("root_mean_squared_error", skm.root_mean_squared_error(Y_REG, P_REG)),
    ("neg_root_mean_squared_error", skm.root_mean_squared_error(Y_REG, P_REG)),
    ("mean_absolute_error", skm.mean_absolute_error(Y_REG, P_REG)),
])
def test_regression_metrics_match_scikit_learn(name: str, expected: float) -> None:
    assert score(name, "regression", Y_REG, P_REG, None) == pytest.approx(expected, rel=1e-12)


def test_degenerate_regression_inputs() -> None:
    constant = np.full(4, 2.0)
    # a constant target: no spread to normalize by, so the plain error is reported
    assert score("normalized_root_mean_squared_error", "regression", constant, constant + 1, None) == 1.0
    # a constant prediction has no rank correlation: 0 rather than NaN, and no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert score("spearman_correlation", "regression", Y_REG[:4], constant, None) == 0.0


@pytest.mark.parametrize(("name", "task", "canonical", "direction"), [
    ("roc_auc", "classification", "AUC_weighted", "maximize"),
    ("roc_auc_ovr_weighted", "classification", "AUC_weighted", "maximize"),
    ("roc_auc_ovr", "classification", "AUC_macro", "maximize"),
    ("neg_log_loss", "classification", "log_loss", "minimize"),
    ("f1_weighted", "classification", "f1_score_weighted", "maximize"),
    ("precision_weighted", "classification", "precision_score_weighted", "maximize"),
    ("accuracy_score", "classification", "accuracy", "maximize"),
    ("r2", "regression", "r2_score", "maximize"),
    ("rmse", "regression", "root_mean_squared_error", "minimize"),
    ("neg_mean_absolute_error", "regression", "mean_absolute_error", "minimize"),
    ("normalized_root_mean_squared_error", "regression", "normalized_root_mean_squared_error", "minimize"),
    ("spearman_correlation", "regression", "spearman_correlation", "maximize"),
    (None, "classification", "AUC_weighted", "maximize"),
    (None, "regression", "r2_score", "maximize"),
])
def test_names_resolve_to_azure_s_with_a_direction(name: str | None, task: str, canonical: str,
                                                   direction: str) -> None:
    metric = get_metric(name, task)
    assert (metric.name, metric.task, metric.direction) == (canonical, task, direction)
    assert metric.greater_is_better is (direction == "maximize")


def test_metric_names() -> None:
    classification, regression = metric_names("classification"), metric_names("regression")
    assert classification == sorted(classification) and regression == sorted(regression)
    azure = {"accuracy", "AUC_weighted", "norm_macro_recall", "precision_score_weighted"}
    assert azure <= set(classification)
    assert {"r2_score", "normalized_root_mean_squared_error", "spearman_correlation"} <= set(regression)
    assert not set(classification) & set(regression)
    for name in classification:
        get_metric(name, "classification")
    for name in regression:
        get_metric(name, "regression")


@pytest.mark.parametrize(("name", "task", "match"), [
    ("auc", "classification", r"primary_metric 'auc' is not a classification metric; choose one of \["),
    ("r2_score", "classification", "it is a regression metric"),
    ("roc_auc", "regression", "'roc_auc' is not a regression metric — it is a classification metric"),
    ("AUC_weighted", "regression", "it is a classification metric"),
])
def test_unknown_names(name: str, task: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        get_metric(name, task)

"""Tests of the metric resolution for permutation importance against scikit-learn's metrics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from explain.explainers._metrics import Metric, resolve_metric

BINARY = np.array(["no", "yes"])
MULTI = np.array(["a", "b", "c"])


@pytest.fixture(scope="module")
def binary_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y_true, predicted labels, probabilities) with string labels, positive class 'yes'."""
    rng = np.random.default_rng(0)
    y = rng.choice(BINARY, size=80)
    p_yes = np.clip(0.6 * (y == "yes") + 0.4 * rng.random(80), 0.01, 0.99)
    predicted = np.where(rng.random(80) < 0.8, y, np.where(y == "yes", "no", "yes"))
    return y, predicted, np.column_stack([1 - p_yes, p_yes])


@pytest.fixture(scope="module")
def multi_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y_true, predicted labels, probabilities) with three string classes, unbalanced."""
    rng = np.random.default_rng(1)
    y = rng.choice(MULTI, size=90, p=[0.5, 0.3, 0.2])
    predicted = np.where(rng.random(90) < 0.7, y, rng.choice(MULTI, size=90))
    scores = rng.random((90, 3)) + 1.5 * (y[:, None] == MULTI[None, :])
    return y, predicted, scores / scores.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("name", "task", "key"),
    [
        ("accuracy", "classification", "accuracy"),
        ("accuracy_score", "classification", "accuracy"),
        ("f1", "classification", "f1"),
        ("f1_score", "classification", "f1"),
        ("F1_Score", "classification", "f1"),
        ("roc_auc", "classification", "roc_auc"),
        ("roc_auc_score", "classification", "roc_auc"),
        ("precision_score", "classification", "precision"),
        ("balanced_accuracy_score", "classification", "balanced_accuracy"),
        ("log_loss", "classification", "log_loss"),
        ("r2", "regression", "r2"),
        ("r2_score", "regression", "r2"),
        ("explained_variance_score", "regression", "explained_variance"),
        ("mean_absolute_error", "regression", "mean_absolute_error"),
        ("mean_squared_error", "regression", "mean_squared_error"),
    ],
)
def test_names_with_and_without_score_suffix(name: str, task: str, key: str) -> None:
    labels = BINARY if task == "classification" else None
    metric = resolve_metric(name, None, False, task, labels)
    assert isinstance(metric, Metric)
    assert metric.name == key


@pytest.mark.parametrize(
    ("name", "needs", "is_error"),
    [
        ("accuracy", "label", False),
        ("f1", "label", False),
        ("roc_auc", "proba", False),
        ("average_precision", "proba", False),
        ("log_loss", "proba", True),
    ],
)
def test_classification_metric_kinds(name: str, needs: str, is_error: bool) -> None:
    metric = resolve_metric(name, None, False, "classification", BINARY)
    assert (metric.needs, metric.is_error) == (needs, is_error)


@pytest.mark.parametrize(
    ("name", "is_error"),
    [("r2", False), ("explained_variance", False), ("mean_absolute_error", True),
     ("mean_squared_error", True), ("root_mean_squared_error", True), ("median_absolute_error", True)],
)
def test_regression_metric_kinds(name: str, is_error: bool) -> None:
    metric = resolve_metric(name, None, False, "regression", None)
    assert (metric.needs, metric.is_error) == ("value", is_error)


def test_regression_metrics_equal_sklearn() -> None:
    rng = np.random.default_rng(2)
    y = rng.normal(size=50)
    prediction = y + 0.3 * rng.normal(size=50)
    for name, reference in [("r2_score", skm.r2_score), ("mean_absolute_error", skm.mean_absolute_error),
                            ("mean_squared_error", skm.mean_squared_error)]:
        value = resolve_metric(name, None, False, "regression", None)(y, prediction)
        assert isinstance(value, float)
        assert value == pytest.approx(reference(y, prediction), abs=1e-12)


def test_default_metrics() -> None:
    classification = resolve_metric(None, None, False, "classification", MULTI)
    assert (classification.name, classification.needs, classification.is_error) == ("f1", "label", False)
    regression = resolve_metric(None, None, False, "regression", None)
    assert (regression.name, regression.needs, regression.is_error) == ("mean_absolute_error", "value", True)


def test_default_classification_metric_is_micro_f1(multi_case: tuple, binary_case: tuple) -> None:
    for (y, predicted, _), labels in [(multi_case, MULTI), (binary_case, BINARY)]:
        metric = resolve_metric(None, None, False, "classification", labels)
        assert metric(y, predicted) == pytest.approx(skm.f1_score(y, predicted, average="micro"))


def test_default_binary_metric_does_not_warn(binary_case: tuple) -> None:
    # Regression test: pos_label was set together with average="micro", and scikit-learn
    # warned "pos_label ... is ignored when average != 'binary'" on every permutation.
    y, predicted, _ = binary_case
    metric = resolve_metric(None, None, False, "classification", BINARY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metric(y, predicted)


@pytest.mark.parametrize("name", ["f1", "precision", "recall"])
def test_multiclass_averaging_defaults_to_weighted(name: str, multi_case: tuple) -> None:
    y, predicted, _ = multi_case
    reference = getattr(skm, f"{name}_score")
    value = resolve_metric(name, None, False, "classification", MULTI)(y, predicted)
    assert value == pytest.approx(reference(y, predicted, average="weighted"), abs=1e-12)
    # weighted differs from macro on this unbalanced sample, so the default is really used
    assert value != pytest.approx(reference(y, predicted, average="macro"), abs=1e-6)


def test_multiclass_average_can_be_overridden(multi_case: tuple) -> None:
    y, predicted, _ = multi_case
    metric = resolve_metric("f1_score", {"average": "macro"}, False, "classification", MULTI)
    assert metric(y, predicted) == pytest.approx(skm.f1_score(y, predicted, average="macro"), abs=1e-12)


@pytest.mark.parametrize("name", ["f1", "precision", "recall"])
def test_binary_label_metrics_use_second_label_as_positive(name: str, binary_case: tuple) -> None:
    y, predicted, _ = binary_case
    reference = getattr(skm, f"{name}_score")
    value = resolve_metric(name, None, False, "classification", BINARY)(y, predicted)
    assert value == pytest.approx(reference(y, predicted, pos_label="yes"), abs=1e-12)
    swapped = resolve_metric(name, None, False, "classification", BINARY[::-1])(y, predicted)
    assert swapped == pytest.approx(reference(y, predicted, pos_label="no"), abs=1e-12)


def test_binary_roc_auc_uses_positive_class_column(binary_case: tuple) -> None:
    y, _, proba = binary_case
    metric = resolve_metric("roc_auc", None, False, "classification", BINARY)
    expected = skm.roc_auc_score(y == "yes", proba[:, 1])
    assert metric(y, proba) == pytest.approx(expected, abs=1e-12)
    assert metric(y, proba) > 0.8
    # a model whose class order is ("yes", "no") reports P(no) in column 1
    swapped = resolve_metric("roc_auc_score", None, False, "classification", BINARY[::-1])
    assert swapped(y, proba[:, ::-1]) == pytest.approx(expected, abs=1e-12)


def test_binary_roc_auc_without_labels(binary_case: tuple) -> None:
    # A function model given no classes has no labels; scikit-learn's own inference applies
    # (this raised TypeError: 'NoneType' object is not subscriptable before).
    y, _, proba = binary_case
    y01 = (y == "yes").astype(int)
    metric = resolve_metric("roc_auc", None, False, "classification", None)
    assert metric(y01, proba) == pytest.approx(skm.roc_auc_score(y01, proba[:, 1]), abs=1e-12)
    ap = resolve_metric("average_precision", None, False, "classification", None)
    assert ap(y01, proba) == pytest.approx(skm.average_precision_score(y01, proba[:, 1]), abs=1e-12)


def test_multiclass_roc_auc_is_weighted_one_vs_rest(multi_case: tuple) -> None:
    y, _, proba = multi_case
    metric = resolve_metric("roc_auc", None, False, "classification", MULTI)
    expected = skm.roc_auc_score(y, proba, multi_class="ovr", average="weighted", labels=MULTI)
    assert metric(y, proba) == pytest.approx(expected, abs=1e-12)
    macro = resolve_metric("roc_auc", {"average": "macro"}, False, "classification", MULTI)
    assert macro(y, proba) == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=MULTI), abs=1e-12
    )


def test_log_loss_with_string_labels(binary_case: tuple, multi_case: tuple) -> None:
    for (y, _, proba), labels in [(binary_case, BINARY), (multi_case, MULTI)]:
        metric = resolve_metric("log_loss", None, False, "classification", labels)
        assert metric.is_error
        assert metric(y, proba) == pytest.approx(skm.log_loss(y, proba, labels=labels), abs=1e-12)


def test_average_precision_matches_sklearn(binary_case: tuple, multi_case: tuple) -> None:
    y, _, proba = binary_case
    metric = resolve_metric("average_precision", None, False, "classification", BINARY)
    assert metric(y, proba) == pytest.approx(skm.average_precision_score(y == "yes", proba[:, 1]))
    y, _, proba = multi_case
    onehot = (y[:, None] == MULTI[None, :]).astype(int)
    metric = resolve_metric("average_precision", None, False, "classification", MULTI)
    assert metric(y, proba) == pytest.approx(skm.average_precision_score(onehot, proba, average="weighted"))


def test_callable_metric_receives_metric_args() -> None:
    calls = []

    def weighted_error(y_true: np.ndarray, y_pred: np.ndarray, *, power: float) -> float:
        calls.append(power)
        return float(np.mean(np.abs(y_true - y_pred) ** power))

    metric = resolve_metric(weighted_error, {"power": 3.0}, True, "regression", None)
    assert (metric.name, metric.needs, metric.is_error) == ("weighted_error", "value", True)
    assert metric(np.array([0.0, 1.0]), np.array([2.0, 1.0])) == pytest.approx(4.0)
    assert calls == [3.0]


def test_callable_classification_metric_takes_labels() -> None:
    metric = resolve_metric(skm.accuracy_score, None, False, "classification", BINARY)
    assert (metric.needs, metric.is_error) == ("label", False)
    assert metric(np.array(["yes", "no"]), np.array(["yes", "yes"])) == pytest.approx(0.5)


def test_callable_without_name_is_custom() -> None:
    class Scorer:
        def __call__(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
            return 1.0

    assert resolve_metric(Scorer(), None, False, "regression", None).name == "custom"


def test_unknown_metric_name_lists_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown classification metric 'nope'.*'accuracy'.*'roc_auc'"):
        resolve_metric("nope", None, False, "classification", BINARY)
    with pytest.raises(ValueError, match=r"unknown regression metric 'accuracy'.*'r2'"):
        resolve_metric("accuracy", None, False, "regression", None)
    with pytest.raises(ValueError, match="unknown classification metric 'r2_score'"):
        resolve_metric("r2_score", None, False, "classification", BINARY)


def test_metric_of_wrong_type_is_rejected() -> None:
    with pytest.raises(TypeError, match="metric must be a name or a callable, got int"):
        resolve_metric(3, None, False, "regression", None)

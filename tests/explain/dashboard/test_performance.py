import numpy as np
import pytest
from sklearn import metrics

from explain import ExplanationValueError
from explain.dashboard._performance import (
    HISTOGRAM_BINS,
    MAX_CATEGORIES,
    bin_values,
    cohort_metrics,
    numeric_edges,
)


def binary_case(n: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    truth = rng.choice(["no", "yes"], n, p=[0.6, 0.4])
    p_yes = np.clip(0.35 * (truth == "yes") + rng.uniform(0, 0.65, n), 0, 1)
    proba = np.column_stack([1 - p_yes, p_yes])
    predicted = np.where(p_yes > 0.5, "yes", "no")
    return truth, predicted, proba


def test_binary_metrics_with_string_labels_equal_scikit_learns():
    truth, predicted, proba = binary_case()
    found = cohort_metrics(truth, predicted, proba, "classification", ("no", "yes"))
    assert found["rows"] == 200
    assert found["accuracy"] == pytest.approx(metrics.accuracy_score(truth, predicted))
    assert found["precision"] == pytest.approx(metrics.precision_score(truth, predicted, pos_label="yes"))
    assert found["recall"] == pytest.approx(metrics.recall_score(truth, predicted, pos_label="yes"))
    assert found["F1"] == pytest.approx(metrics.f1_score(truth, predicted, pos_label="yes"))
    assert found["ROC AUC"] == pytest.approx(metrics.roc_auc_score(truth == "yes", proba[:, 1]))
    tn, fp, fn, tp = metrics.confusion_matrix(truth, predicted, labels=["no", "yes"]).ravel()
    assert min(tn, fp, fn, tp) > 0
    assert found["false positive rate"] == pytest.approx(fp / (fp + tn))
    assert found["false negative rate"] == pytest.approx(fn / (fn + tp))
    assert 0 < found["precision"] < 1 and 0 < found["recall"] < 1


def test_positive_class_is_the_last_of_classes():
    truth, predicted, proba = binary_case()
    flipped = cohort_metrics(truth, predicted, proba[:, ::-1], "classification", ("yes", "no"))
    assert flipped["precision"] == pytest.approx(metrics.precision_score(truth, predicted, pos_label="no"))
    assert flipped["ROC AUC"] == pytest.approx(metrics.roc_auc_score(truth == "no", proba[:, 0]))


def test_labels_default_to_the_sorted_observed_ones():
    truth, predicted, _ = binary_case()
    found = cohort_metrics(truth, predicted, None, "classification", None)
    assert found["recall"] == pytest.approx(metrics.recall_score(truth, predicted, pos_label="yes"))
    assert found["ROC AUC"] is None  # no probabilities


def test_numeric_labels_compare_with_numeric_classes():
    truth, predicted, proba = binary_case()
    truth01, predicted01 = (truth == "yes").astype(int), (predicted == "yes").astype(int)
    found = cohort_metrics(truth01, predicted01, proba, "classification", (0, 1))
    assert found["F1"] == pytest.approx(metrics.f1_score(truth01, predicted01))
    assert found["accuracy"] == pytest.approx(metrics.accuracy_score(truth01, predicted01))


def test_integer_labels_are_positions_of_named_classes():
    """The model's 0/1 with classes named otherwise: the labels are matched by position (they
    used to count every row as an error)."""
    truth, predicted, proba = binary_case()
    truth01, predicted01 = (truth == "yes").astype(int), (predicted == "yes").astype(int)
    named = cohort_metrics(truth, predicted, proba, "classification", ("no", "yes"))
    for classes, model_classes in ((("no", "yes"), (0, 1)), (("no", "yes"), None)):
        found = cohort_metrics(truth01, predicted01, proba, "classification", classes, model_classes)
        assert found == named
    mixed = cohort_metrics(truth01, predicted, proba, "classification", ("no", "yes"), (0, 1))
    assert mixed == named


def test_labels_matching_no_class_are_refused():
    truth, predicted, proba = binary_case()
    with pytest.raises(ExplanationValueError,
                       match=r"cohort_metrics: true_y does not match the classes\. Labels found: 'no', "
                             r"'yes'; not among the classes: 'no', 'yes'; classes: 'a', 'b'"):
        cohort_metrics(truth, predicted, proba, "classification", ("a", "b"))


def test_multiclass_metrics_are_macro_averages_and_one_vs_rest_auc():
    rng = np.random.default_rng(1)
    truth = rng.choice(["a", "b", "c"], 300)
    scores = rng.uniform(size=(300, 3)) + 0.6 * (truth[:, None] == np.array(["a", "b", "c"]))
    proba = scores / scores.sum(axis=1, keepdims=True)
    predicted = np.array(["a", "b", "c"])[proba.argmax(axis=1)]
    found = cohort_metrics(truth, predicted, proba, "classification", ["a", "b", "c"])
    assert found["accuracy"] == pytest.approx(metrics.accuracy_score(truth, predicted))
    for name, score in (("precision", metrics.precision_score), ("recall", metrics.recall_score),
                        ("F1", metrics.f1_score)):
        assert found[name] == pytest.approx(score(truth, predicted, average="macro"))
    assert found["ROC AUC"] == pytest.approx(metrics.roc_auc_score(truth, proba, multi_class="ovr"))
    assert "false positive rate" not in found and "false negative rate" not in found


def test_multiclass_auc_is_none_when_a_class_is_missing_from_the_cohort():
    truth = np.array(["a", "b", "a", "b"])
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4]])
    predicted = np.array(["a", "b", "a", "c"])
    found = cohort_metrics(truth, predicted, proba, "classification", ["a", "b", "c"])
    assert found["ROC AUC"] is None
    assert found["accuracy"] == pytest.approx(0.75)


def test_roc_auc_is_none_for_a_single_class_cohort():
    truth, predicted, proba = binary_case()
    keep = truth == "yes"
    found = cohort_metrics(truth[keep], predicted[keep], proba[keep], "classification", ("no", "yes"))
    assert found["ROC AUC"] is None
    assert found["recall"] == pytest.approx(np.mean(predicted[keep] == "yes"))
    assert found["false positive rate"] is None  # no negatives in the cohort
    assert found["false negative rate"] == pytest.approx(np.mean(predicted[keep] == "no"))


def test_regression_metrics_equal_scikit_learns():
    rng = np.random.default_rng(2)
    truth = rng.normal(size=100)
    predicted = truth + rng.normal(scale=0.4, size=100)
    found = cohort_metrics(truth, predicted, None, "regression", None)
    assert found["rows"] == 100
    assert found["MAE"] == pytest.approx(metrics.mean_absolute_error(truth, predicted))
    assert found["RMSE"] == pytest.approx(np.sqrt(metrics.mean_squared_error(truth, predicted)))
    assert found["R²"] == pytest.approx(metrics.r2_score(truth, predicted))
    assert set(found) == {"rows", "MAE", "RMSE", "R²"}
    one = cohort_metrics(truth[:1], predicted[:1], None, "regression", None)
    assert one["R²"] is None and one["MAE"] == pytest.approx(abs(truth[0] - predicted[0]))


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_empty_cohort_has_only_a_row_count(task):
    empty = np.array([], dtype=object if task == "classification" else float)
    assert cohort_metrics(empty, empty, None, task, ("a", "b") if task == "classification" else None) == \
        {"rows": 0}


def test_numeric_shares_sum_to_one_over_forty_bins():
    values = np.random.default_rng(3).normal(size=1000)
    centres, shares = bin_values(values)
    assert len(centres) == len(shares) == HISTOGRAM_BINS
    assert shares.sum() == pytest.approx(1.0)
    assert np.all(np.diff(centres) > 0)
    assert centres[0] > values.min() and centres[-1] < values.max()
    edges = numeric_edges(values)
    assert centres == pytest.approx(((edges[:-1] + edges[1:]) / 2).tolist())
    counts, _ = np.histogram(values, bins=edges)
    np.testing.assert_allclose(shares, counts / 1000)


@pytest.mark.filterwarnings("ignore:Converting input from bool:RuntimeWarning")  # numpy's histogram
def test_integer_and_boolean_columns_bin_numerically():
    _, shares = bin_values(np.arange(10))
    assert shares.sum() == pytest.approx(1.0)
    _, shares = bin_values(np.array([True, False, True, True]))
    assert shares.sum() == pytest.approx(1.0) and shares.max() == pytest.approx(0.75)


def test_shares_are_of_all_rows_so_non_finite_values_count_against_them():
    values = np.array([1.0, 2.0, np.nan, np.inf, 3.0])
    _, shares = bin_values(values)
    assert shares.sum() == pytest.approx(3 / 5)
    assert numeric_edges(values)[[0, -1]].tolist() == [1.0, 3.0]


def test_shared_edges_make_cohorts_comparable():
    values = np.linspace(0, 10, 101)
    edges = numeric_edges(values)
    cohort = values[values > 5]
    centres, shares = bin_values(cohort, edges)
    full_centres, _ = bin_values(values)
    assert centres == full_centres
    assert shares.sum() == pytest.approx(1.0)
    assert np.all(shares[:HISTOGRAM_BINS // 2] == 0)
    _, outside = bin_values(np.array([-5.0, 5.0]), edges)
    assert outside.sum() == pytest.approx(0.5)  # -5 lies outside the shared range


def test_constant_column_falls_in_one_bin():
    edges = numeric_edges(np.full(7, 4.0))
    assert edges[0] == pytest.approx(3.5) and edges[-1] == pytest.approx(4.5)
    assert len(edges) == HISTOGRAM_BINS + 1
    centres, shares = bin_values(np.full(7, 4.0))
    assert shares.sum() == pytest.approx(1.0)
    assert np.count_nonzero(shares) == 1
    assert abs(centres[int(np.argmax(shares))] - 4.0) < 1.0 / HISTOGRAM_BINS


def test_edges_of_no_finite_values_are_the_unit_interval():
    edges = numeric_edges(np.array([np.nan, np.inf]))
    np.testing.assert_allclose(edges, np.linspace(0, 1, HISTOGRAM_BINS + 1))
    assert bin_values(np.array([])) == ([], pytest.approx(np.zeros(0)))


def test_categories_are_most_frequent_first_and_capped():
    values = np.array(["b"] * 5 + ["a"] * 3 + ["c"] * 5 + ["d"])
    kinds, shares = bin_values(values)
    assert kinds == ["b", "c", "a", "d"]  # ties keep alphabetical order
    np.testing.assert_allclose(shares, [5 / 14, 5 / 14, 3 / 14, 1 / 14])
    many = np.array([f"k{i:02d}" for i in range(40) for _ in range(i + 1)])
    kinds, shares = bin_values(many)
    assert len(kinds) == MAX_CATEGORIES
    assert kinds[:2] == ["k39", "k38"] and "k00" not in kinds
    assert shares.sum() == pytest.approx(sum(range(11, 41)) / many.size)
    assert shares.sum() < 1


def test_object_columns_bin_as_text():
    kinds, shares = bin_values(np.array(["x", None, "x", 3], dtype=object))
    assert kinds == ["x", "3", "None"]
    np.testing.assert_allclose(shares, [0.5, 0.25, 0.25])

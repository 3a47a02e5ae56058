"""Tests of PFIExplainer: ground truth per metric and task, a reference implementation, errors."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy import stats
from sklearn import metrics as skm
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neural_network import MLPRegressor

from explain import PFIExplainer, load_explanation, save_explanation
from tests._synthetic import assert_informative_first, make_ground_truth

TASKS = ["regression", "binary", "multiclass"]
N_FIT = 400


@pytest.fixture(scope="module")
def problems() -> dict[str, tuple[Any, pd.DataFrame, np.ndarray]]:
    """task -> (fitted model, evaluation rows, their true labels); string labels for classifiers."""
    out = {}
    for task in TASKS:
        X, y = make_ground_truth(task, n_rows=600)
        if task == "regression":
            model = MLPRegressor(hidden_layer_sizes=(32,), max_iter=1000, random_state=0)
        elif task == "binary":
            model = GradientBoostingClassifier(n_estimators=50, random_state=0)
        else:
            model = RandomForestClassifier(n_estimators=50, random_state=0, n_jobs=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MLP convergence; quality is checked below
            model.fit(X.iloc[:N_FIT], y[:N_FIT])
        X_eval, y_eval = X.iloc[N_FIT:].reset_index(drop=True), y[N_FIT:]
        assert model.score(X_eval, y_eval) > 0.85
        out[task] = (model, X_eval, y_eval)
    return out


def _reference_importances(predict: Callable[[np.ndarray], np.ndarray],
                           metric: Callable[[np.ndarray, np.ndarray], float], X: np.ndarray,
                           y: np.ndarray, columns: list[int], n_repeats: int, seed: int,
                           is_error: bool) -> np.ndarray:
    """Straightforward permutation importance, one model call per (feature, repeat).

    Uses the explainer's permutation order: one generator, features outer, repeats inner.
    """
    rng = np.random.default_rng(seed)
    baseline = metric(y, predict(X))
    scores = np.empty((len(columns), n_repeats))
    for i, column in enumerate(columns):
        for r in range(n_repeats):
            permutation = rng.permutation(X.shape[0])
            shuffled = X.copy()
            shuffled[:, column] = X[permutation, column]
            scores[i, r] = metric(y, predict(shuffled))
    return scores - baseline if is_error else baseline - scores


# ---------------------------------------------------------------------- ground truth
@pytest.mark.parametrize(
    ("metric", "is_error"),
    [("r2_score", False), ("r2", False), ("mean_absolute_error", False),
     (skm.mean_squared_error, True), (None, False)],
)
def test_regression_ranks_informative_first(metric: Any, is_error: bool, problems: dict) -> None:
    model, X, y = problems["regression"]
    explanation = PFIExplainer(model, metric=metric, is_error_metric=is_error).explain_global(X, y)
    assert_informative_first(explanation.get_ranked_global_names())
    assert np.all(explanation.global_values[:3] > 0.1)  # positive: shuffling hurts, whatever the sign
    assert explanation.method == "permutation_importance"
    assert explanation.output_space == "metric"
    assert explanation.local_values is None
    assert explanation.features == tuple(X.columns)
    assert explanation.num_examples == len(X)


@pytest.mark.parametrize("task", ["binary", "multiclass"])
@pytest.mark.parametrize("metric", ["accuracy", "accuracy_score", "f1_score", "roc_auc", "log_loss",
                                    "balanced_accuracy", "average_precision", None])
def test_classification_ranks_informative_first(task: str, metric: str | None, problems: dict) -> None:
    model, X, y = problems[task]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. scikit-learn's warning on an ignored pos_label
        explanation = PFIExplainer(model, metric=metric).explain_global(X, y)
    assert_informative_first(explanation.get_ranked_global_names())
    assert np.all(explanation.global_values[:3] > 0.02)
    assert explanation.classes == (("no", "yes") if task == "binary" else ("a", "b", "c"))
    assert explanation.model_task == "classification"


def test_callable_classification_metric(problems: dict) -> None:
    model, X, y = problems["binary"]

    def error_rate(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return float(np.mean(y_true != y_pred))

    explanation = PFIExplainer(model, metric=error_rate, is_error_metric=True).explain_global(X, y)
    assert_informative_first(explanation.get_ranked_global_names())
    accuracy = PFIExplainer(model, metric="accuracy").explain_global(X, y)
    np.testing.assert_allclose(explanation.global_values, accuracy.global_values, atol=1e-12)
    assert "metric: error_rate" in explanation.fidelity.notes


# ---------------------------------------------------------------------- exact values
def test_regression_values_match_reference(problems: dict) -> None:
    model, X, y = problems["regression"]
    explanation = PFIExplainer(model, metric="r2_score", n_repeats=4, seed=7).explain_global(X, y)
    reference = _reference_importances(lambda A: model.predict(pd.DataFrame(A, columns=X.columns)),
                                       skm.r2_score, X.to_numpy(), y, list(range(8)), 4, 7, False)
    np.testing.assert_allclose(explanation.global_values, reference.mean(axis=1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(explanation.fidelity.importance_std, reference.std(axis=1, ddof=1),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("metric", "reference_metric", "is_error", "needs_proba"),
    [
        ("accuracy", skm.accuracy_score, False, False),
        ("log_loss", lambda y, p: skm.log_loss(y, p, labels=["no", "yes"]), True, True),
        ("roc_auc", lambda y, p: skm.roc_auc_score(y == "yes", p[:, 1]), False, True),
    ],
)
def test_classification_values_match_reference(metric: str, reference_metric: Callable, is_error: bool,
                                               needs_proba: bool, problems: dict) -> None:
    model, X, y = problems["binary"]
    explanation = PFIExplainer(model, metric=metric, n_repeats=3, seed=1).explain_global(X, y)

    def predict(A: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame(A, columns=X.columns)
        return model.predict_proba(frame) if needs_proba else model.predict(frame)

    reference = _reference_importances(predict, reference_metric, X.to_numpy(), y, list(range(8)),
                                       3, 1, is_error)
    np.testing.assert_allclose(explanation.global_values, reference.mean(axis=1), rtol=0, atol=1e-12)


def test_agrees_with_sklearn_permutation_importance(problems: dict) -> None:
    model, X, y = problems["regression"]
    ours = PFIExplainer(model, metric="r2_score", n_repeats=10).explain_global(X, y)
    theirs = permutation_importance(model, X, y, scoring="r2", n_repeats=10, random_state=0, n_jobs=1)
    their_top = {X.columns[i] for i in np.argsort(-theirs.importances_mean)[:3]}
    assert set(ours.get_ranked_global_names(3)) == their_top
    np.testing.assert_allclose(ours.global_values[:3], theirs.importances_mean[:3], rtol=0.15)
    np.testing.assert_allclose(ours.global_values[3:], theirs.importances_mean[3:], atol=0.02)
    assert stats.spearmanr(ours.global_values[:3], theirs.importances_mean[:3]).statistic == 1.0


# ---------------------------------------------------------------------- fidelity
def test_fidelity_fields(problems: dict) -> None:
    model, X, y = problems["binary"]
    explanation = PFIExplainer(model, metric="accuracy", n_repeats=6).explain_global(X, y)
    fidelity = explanation.fidelity
    mean = explanation.global_values
    assert fidelity.importance_std.shape == (8,)
    assert fidelity.confidence_interval.shape == (2, 8)
    assert np.all(fidelity.confidence_interval[0] <= mean)
    assert np.all(mean <= fidelity.confidence_interval[1])
    half = stats.t.ppf(0.975, 5) * fidelity.importance_std / np.sqrt(6)
    np.testing.assert_allclose(fidelity.confidence_interval, np.vstack([mean - half, mean + half]),
                               atol=1e-12)
    assert fidelity.confidence_level == 0.95
    assert fidelity.n_repeats == 6
    assert fidelity.notes == ("metric: accuracy",)
    assert fidelity.surrogate_score is None
    assert "6 repeats" in fidelity.summary()


def test_single_repeat_has_zero_spread(problems: dict) -> None:
    model, X, y = problems["regression"]
    explanation = PFIExplainer(model, metric="r2", n_repeats=1).explain_global(X, y)
    np.testing.assert_array_equal(explanation.fidelity.importance_std, np.zeros(8))
    np.testing.assert_array_equal(explanation.fidelity.confidence_interval,
                                  np.vstack([explanation.global_values] * 2))
    assert explanation.fidelity.n_repeats == 1


def test_seed_controls_the_permutations(problems: dict) -> None:
    model, X, y = problems["regression"]
    first = PFIExplainer(model, metric="r2", seed=3).explain_global(X, y)
    again = PFIExplainer(model, metric="r2", seed=3).explain_global(X, y)
    other = PFIExplainer(model, metric="r2", seed=4).explain_global(X, y)
    np.testing.assert_array_equal(first.global_values, again.global_values)
    assert not np.array_equal(first.global_values, other.global_values)


# ---------------------------------------------------------------------- inputs
def test_sparse_input_equals_dense() -> None:
    X, y = make_ground_truth("binary", n_rows=300)
    dense = np.where(np.abs(X.to_numpy()) < 0.7, 0.0, X.to_numpy())
    model = LogisticRegression().fit(dense, y)
    for metric in ("accuracy", "roc_auc"):
        on_dense = PFIExplainer(model, metric=metric).explain_global(dense, y)
        on_sparse = PFIExplainer(model, metric=metric).explain_global(sp.csr_matrix(dense), y)
        np.testing.assert_allclose(on_sparse.global_values, on_dense.global_values, rtol=0, atol=1e-12)
        np.testing.assert_allclose(on_sparse.fidelity.importance_std, on_dense.fidelity.importance_std,
                                   rtol=0, atol=1e-12)
    # columns without names rank by position, as interpret-community's did
    assert set(on_sparse.get_ranked_global_names(3)) == {0, 1, 2}


def test_function_model_without_n_features_in() -> None:
    X, y = make_ground_truth("regression", n_rows=300)
    model = Ridge().fit(X.to_numpy(), y)
    calls: list[tuple[type, int]] = []

    def predict(data: np.ndarray) -> np.ndarray:
        calls.append((type(data), data.shape[1]))
        return model.predict(data)

    assert not hasattr(predict, "n_features_in_")
    explainer = PFIExplainer(predict, is_function=True, model_task="regression", metric="r2", n_repeats=2)
    explanation = explainer.explain_global(X, y)
    assert explanation.features == tuple(X.columns)
    assert explanation.model_type == "predict"
    assert all(kind is np.ndarray and width == 8 for kind, width in calls)
    assert_informative_first(explanation.get_ranked_global_names())
    reference = _reference_importances(model.predict, skm.r2_score, X.to_numpy(), y, list(range(8)), 2, 0,
                                       False)
    np.testing.assert_allclose(explanation.global_values, reference.mean(axis=1), rtol=0, atol=1e-12)


def test_function_classifier_with_classes() -> None:
    X, y = make_ground_truth("binary", n_rows=300)
    model = LogisticRegression().fit(X.to_numpy(), y)
    explainer = PFIExplainer(model.predict_proba, is_function=True, model_task="classification",
                             classes=["no", "yes"], metric="accuracy")
    explanation = explainer.explain_global(X.to_numpy(), y)
    assert explanation.classes == ("no", "yes")
    assert explanation.features == tuple(f"x{i}" for i in range(8))
    direct = PFIExplainer(model, metric="accuracy").explain_global(X.to_numpy(), y)
    np.testing.assert_allclose(explanation.global_values, direct.global_values, atol=1e-12)
    roc = PFIExplainer(model.predict_proba, is_function=True, model_task="classification",
                       metric="roc_auc").explain_global(X.to_numpy(), (y == "yes").astype(int))
    assert set(roc.get_ranked_global_names(3)) == {0, 1, 2}  # positions of unnamed columns


def test_explain_subset_permutes_only_those() -> None:
    X, y = make_ground_truth("regression", n_rows=200)
    model = Ridge().fit(X.to_numpy(), y)
    original = X.to_numpy()
    changed: set[int] = set()

    def predict(data: np.ndarray) -> np.ndarray:
        for block in range(data.shape[0] // 200):
            rows = data[block * 200:(block + 1) * 200]
            changed.update(np.flatnonzero((rows != original).any(axis=0)).tolist())
        return model.predict(data)

    explainer = PFIExplainer(predict, is_function=True, model_task="regression", metric="r2",
                             explain_subset=["f4", 1], n_repeats=3)
    explanation = explainer.explain_global(X, y)
    assert changed == {1, 4}
    assert explanation.features == ("f4", "f1")
    assert explanation.fidelity.importance_std.shape == (2,)
    assert explanation.fidelity.confidence_interval.shape == (2, 2)
    reference = _reference_importances(model.predict, skm.r2_score, original, y, [4, 1], 3, 0, False)
    np.testing.assert_allclose(explanation.global_values, reference.mean(axis=1), rtol=0, atol=1e-12)


def test_dataframe_columns_are_aligned_by_name(problems: dict) -> None:
    model, X, y = problems["binary"]
    in_order = PFIExplainer(model, metric="accuracy").explain_global(X, y)
    shuffled = PFIExplainer(model, metric="accuracy").explain_global(X[X.columns[::-1]], y)
    assert shuffled.features == tuple(X.columns)
    np.testing.assert_array_equal(shuffled.global_values, in_order.global_values)


def test_stacked_calls_are_split_into_chunks(problems: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    model, X, y = problems["binary"]
    whole = PFIExplainer(model, metric="log_loss", n_repeats=3).explain_global(X, y)
    sizes: list[int] = []
    predict_proba = model.predict_proba

    def recording(data: Any) -> np.ndarray:
        sizes.append(len(data))
        return predict_proba(data)

    monkeypatch.setattr("explain.explainers._pfi._CELLS_PER_CALL", 5 * len(X) * X.shape[1])
    monkeypatch.setattr(model, "predict_proba", recording)
    chunked = PFIExplainer(model, metric="log_loss", n_repeats=3).explain_global(X, y)
    assert sizes == [len(X)] + [5 * len(X)] * 4 + [4 * len(X)]  # baseline, then 24 permuted copies
    np.testing.assert_array_equal(chunked.global_values, whole.global_values)


def test_dataframe_names_are_used_for_a_model_fitted_on_arrays() -> None:
    X, y = make_ground_truth("regression", n_rows=200)
    model = Ridge().fit(X.to_numpy(), y)
    assert PFIExplainer(model, metric="r2").explain_global(X, y).features == tuple(X.columns)


# ---------------------------------------------------------------------- errors
def test_explain_local_is_not_available(problems: dict) -> None:
    model, X, _ = problems["regression"]
    with pytest.raises(ValueError, match="global only"):
        PFIExplainer(model).explain_local(X)


def test_true_labels_are_required(problems: dict) -> None:
    model, X, _ = problems["regression"]
    with pytest.raises(TypeError, match="true_labels is required"):  # as a missing argument
        PFIExplainer(model).explain_global(X)


@pytest.mark.parametrize("bad", [np.zeros(10), np.zeros((200, 2))])
def test_true_labels_of_wrong_shape(bad: np.ndarray, problems: dict) -> None:
    model, X, _ = problems["regression"]
    with pytest.raises(ValueError, match=r"true_labels must have shape \(200,\)"):
        PFIExplainer(model).explain_global(X, bad)


def test_true_labels_with_nan(problems: dict) -> None:
    model, X, y = problems["regression"]
    with pytest.raises(ValueError, match="true_labels contains NaN"):
        PFIExplainer(model).explain_global(X, np.where(np.arange(len(y)) == 3, np.nan, y))


def test_unknown_metric_lists_choices(problems: dict) -> None:
    model, X, y = problems["multiclass"]
    with pytest.raises(ValueError, match=r"unknown classification metric 'r2_score'; choose one of \[.*'acc"):
        PFIExplainer(model, metric="r2_score").explain_global(X, y)


@pytest.mark.parametrize("n_repeats", [0, -1, 2.5, True])
def test_invalid_n_repeats(n_repeats: Any, problems: dict) -> None:
    model = problems["regression"][0]
    with pytest.raises(ValueError, match="n_repeats must be a positive integer"):
        PFIExplainer(model, n_repeats=n_repeats)


def test_unexpected_keyword(problems: dict) -> None:
    model, X, y = problems["regression"]
    with pytest.raises(ValueError, match=r"unexpected arguments \['sampling_policy'\]"):
        PFIExplainer(model).explain_global(X, y, sampling_policy=None)


def test_function_without_evaluation_rows_names_the_argument() -> None:
    # Regression test: the message used to name the set-up's "initialization_examples".
    explainer = PFIExplainer(lambda A: A[:, 0], is_function=True, model_task="regression")
    with pytest.raises(ValueError, match=r"PFIExplainer.explain_global: evaluation_examples is required"):
        explainer.explain_global(None, np.zeros(3))
    with pytest.raises(ValueError, match=r"explain_global: evaluation_examples is empty"):
        explainer.explain_global(np.zeros((0, 3)), np.zeros(0))


def test_function_task_is_detected_from_the_data() -> None:
    X, y = make_ground_truth("regression", n_rows=100)
    regression = PFIExplainer(lambda A: A @ np.arange(8.0), is_function=True, metric="r2")
    assert regression.explain_global(X, y).model_task == "regression"
    probabilities = PFIExplainer(lambda A: np.column_stack([np.full(len(A), 0.3), np.full(len(A), 0.7)]),
                                 is_function=True, metric="log_loss")
    assert probabilities.explain_global(X, (y > 0).astype(int)).model_task == "classification"


# ---------------------------------------------------------------------- save / load
def test_save_load_round_trip(problems: dict, tmp_path: Path) -> None:
    model, X, y = problems["multiclass"]
    explanation = PFIExplainer(model, metric="log_loss", n_repeats=3).explain_global(X, y)
    loaded = load_explanation(save_explanation(explanation, tmp_path / "pfi.npz"))
    np.testing.assert_array_equal(loaded.global_values, explanation.global_values)
    np.testing.assert_array_equal(loaded.fidelity.importance_std, explanation.fidelity.importance_std)
    np.testing.assert_array_equal(loaded.fidelity.confidence_interval,
                                  explanation.fidelity.confidence_interval)
    assert loaded.fidelity.scalars() == explanation.fidelity.scalars()
    assert loaded.fidelity.notes == ("metric: log_loss",)
    assert loaded.fidelity.n_repeats == 3
    assert loaded.fidelity.confidence_level == 0.95
    for name in ("method", "model_task", "features", "classes", "output_space", "num_examples",
                 "model_type"):
        assert getattr(loaded, name) == getattr(explanation, name), name
    assert loaded.local_values is None


# ---------------------------------------------------------------------- labels and classes
@pytest.fixture(scope="module")
def walkthrough() -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """interpret-community's walkthrough set-up: integer labels, class names in ``classes=``."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    X = StandardScaler().fit_transform(data.data)
    order = np.random.default_rng(0).permutation(len(X))
    train, test = order[:400], order[400:]
    model = LogisticRegression(max_iter=1000).fit(X[train], data.target[train])
    assert model.score(X[test], data.target[test]) > 0.9
    return model, X[test], data.target[test], data.target_names


@pytest.mark.parametrize("metric", ["roc_auc", "accuracy", "f1", "log_loss", "average_precision"])
def test_integer_labels_with_class_names_in_classes(metric: str, walkthrough: tuple) -> None:
    """Integer labels are the model's own labels, matched by position to the named classes;
    the names themselves give the same importances (they used to raise 'Mix of label input
    types', and roc_auc gave NaN importances after ~150 UndefinedMetricWarnings)."""
    model, X, y, names = walkthrough
    unnamed = PFIExplainer(model, metric=metric).explain_global(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        by_position = PFIExplainer(model, metric=metric, classes=names).explain_global(X, y)
        by_name = PFIExplainer(model, metric=metric, classes=names).explain_global(X, names[y])
    assert by_position.classes == tuple(names)
    assert np.isfinite(by_position.global_values).all() and by_position.global_values.max() > 0
    np.testing.assert_allclose(by_position.global_values, unnamed.global_values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(by_name.global_values, unnamed.global_values, rtol=0, atol=1e-12)


def test_callable_metric_gets_the_class_labels(walkthrough: tuple) -> None:
    model, X, y, names = walkthrough
    seen: list[set[Any]] = []

    def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        seen.append(set(y_true.tolist()) | set(y_pred.tolist()))
        return float(np.mean(y_true == y_pred))

    explained = PFIExplainer(model, metric=accuracy, classes=names, n_repeats=2).explain_global(X, y)
    assert set().union(*seen) == set(names)
    reference = PFIExplainer(model, metric="accuracy", n_repeats=2).explain_global(X, y)
    np.testing.assert_allclose(explained.global_values, reference.global_values, rtol=0, atol=1e-12)


def test_labels_that_match_no_class_are_refused(walkthrough: tuple) -> None:
    model, X, y, names = walkthrough
    explainer = PFIExplainer(model, metric="accuracy", classes=names)
    with pytest.raises(ValueError, match=r"true_labels does not match the classes\. Labels found: 'no', "
                                         r"'yes'; not among the classes: 'no', 'yes'; classes: 'malignant', "
                                         r"'benign'; the model's classes_: 0, 1\. Pass labels"):
        explainer.explain_global(X, np.where(y == 1, "yes", "no"))
    with pytest.raises(ValueError, match=r"the metric roc_auc cannot be computed on true_labels: Only one"):
        PFIExplainer(model, metric="roc_auc").explain_global(X[y == 1], y[y == 1])


def test_classes_in_another_order_than_the_model_are_refused(problems: dict) -> None:
    model, X, y = problems["binary"]
    with pytest.raises(ValueError, match=r"classes 'yes', 'no' name the model's own labels 'no', 'yes' at"):
        PFIExplainer(model, metric="accuracy", classes=["yes", "no"]).explain_global(X, y)


def test_regression_targets_must_be_numbers(problems: dict) -> None:
    model, X, y = problems["regression"]
    with pytest.raises(TypeError, match=r"true_labels of a regression must be numbers, got values such as a"):
        PFIExplainer(model).explain_global(X, np.full(len(y), "a"))


def test_polars_and_pyarrow_frames_are_aligned_by_name(problems: dict) -> None:
    import polars as pl
    import pyarrow as pa

    model, X, y = problems["binary"]
    reference = PFIExplainer(model, metric="accuracy").explain_global(X, y)
    reordered = X[X.columns[::-1]]
    for frame, labels in ((pl.from_pandas(reordered), pl.Series(y)),
                          (pa.Table.from_pandas(reordered), pa.array(y))):
        explained = PFIExplainer(model, metric="accuracy").explain_global(frame, labels)
        assert explained.features == tuple(X.columns)
        np.testing.assert_array_equal(explained.global_values, reference.global_values)


def test_raw_rows_of_a_pipeline_from_polars_are_aligned_by_name() -> None:
    import polars as pl
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(3)
    X = pd.DataFrame({"age": rng.normal(40, 10, 200), "city": rng.choice(["oslo", "rome"], 200),
                      "income": rng.normal(50, 5, 200)})
    y = (X["age"] + 10 * (X["city"] == "rome") + rng.normal(0, 3, 200) > 45).astype(int).to_numpy()
    featurize = ColumnTransformer([("num", StandardScaler(), ["age", "income"]),
                                   ("cat", OneHotEncoder(), ["city"])])
    model = make_pipeline(featurize, LogisticRegression()).fit(X, y)
    reordered = X[["income", "city", "age"]]
    reference = PFIExplainer(model, metric="accuracy", classes=["low", "high"]).explain_global(reordered, y)
    explained = PFIExplainer(model, metric="accuracy", classes=["low", "high"]).explain_global(
        pl.from_pandas(reordered), pl.Series(np.array(["low", "high"])[y]))
    assert explained.is_raw and explained.features == reference.features == ("income", "city", "age")
    np.testing.assert_array_equal(explained.global_values, reference.global_values)
    assert explained.get_ranked_global_names(2) == ["age", "city"]

"""Tests of KernelExplainer (the explainer class; the algorithm is in test_kernel_shap.py)."""

from __future__ import annotations

import functools
import warnings
from math import factorial
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin, is_regressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC

from explain import ExplanationTypeError, KernelExplainer, ModelCallError
from tests._synthetic import assert_informative_first, make_ground_truth

N_EVAL = 30  # 8 features: every coalition is enumerated, keep the evaluation set small


def _estimator(kind: str, task: str) -> Any:
    regression = task == "regression"
    if kind == "mlp":
        return (MLPRegressor if regression else MLPClassifier)(
            hidden_layer_sizes=(16,), max_iter=500, random_state=0)
    if kind == "svm_pipeline":
        svm = SVR() if regression else SVC(probability=True, random_state=0)
        return make_pipeline(StandardScaler(), svm)
    if kind == "knn":
        return KNeighborsClassifier(n_neighbors=15)
    raise ValueError(kind)


@functools.cache
def _fitted(kind: str, task: str) -> tuple[Any, pd.DataFrame]:
    X, y = make_ground_truth(task, n_rows=300)
    with warnings.catch_warnings():
        # SVC(probability=True) is deprecated in scikit-learn 1.9; small MLPs may not converge
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _estimator(kind, task).fit(X, y), X


def _model_output(model: Any, X: pd.DataFrame) -> np.ndarray:
    """``predict_proba`` of classifiers, ``predict`` of regressors: (n_outputs, n_rows)."""
    output = model.predict(X) if is_regressor(model) else model.predict_proba(X)
    return np.asarray(output, dtype=np.float64).reshape(len(X), -1).T


def _interactions(Z: np.ndarray) -> np.ndarray:
    """A 10-feature function with two- and three-way interactions."""
    Z = np.asarray(Z, dtype=np.float64)
    out = 2 * np.sin(Z[:, 0]) + Z[:, 1] * Z[:, 2] + 0.5 * Z[:, 3] ** 2 - Z[:, 4]
    return out + 0.4 * Z[:, 6] * Z[:, 7] * Z[:, 8] + 0.3 * Z[:, 5:].sum(axis=1)


def _brute_force_shapley(predict: Any, X: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Exact Shapley values from the definition, shape (n_outputs, n_rows, n_features).

    ``v(S) = mean over background rows b of f(x_S, b_notS)`` and
    ``phi_i = sum over S without i of |S|! (M - |S| - 1)! / M! * (v(S + i) - v(S))``.
    Coalition ``S`` is numbered by its bit code, so ``code | (1 << i)`` adds feature ``i``.
    """
    n_features = X.shape[1]
    codes = np.arange(2**n_features)
    masks = ((codes[:, None] >> np.arange(n_features)) & 1).astype(bool)
    sizes = masks.sum(axis=1)
    weight = np.array([factorial(s) * factorial(n_features - s - 1) / factorial(n_features)
                       for s in range(n_features)])
    result = []
    for x in X:
        synthetic = np.where(masks[:, None, :], x, background[None])
        output = np.asarray(predict(synthetic.reshape(-1, n_features)), dtype=np.float64)
        v = output.reshape(codes.size, background.shape[0], -1).mean(axis=1)
        phi = np.zeros((v.shape[1], n_features))
        for i in range(n_features):
            without = codes[~masks[:, i]]
            phi[:, i] = weight[sizes[without]] @ (v[without | (1 << i)] - v[without])
        result.append(phi)
    return np.stack(result, axis=1)


@functools.cache
def _ten_feature_problem() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(background of 5 rows, 8 evaluation rows, exact Shapley values) for ``_interactions``."""
    rng = np.random.default_rng(0)
    background, rows = rng.normal(size=(5, 10)), rng.normal(size=(8, 10))
    return background, rows, _brute_force_shapley(_interactions, rows, background)


# ---------------------------------------------------------------------- ground truth

MODEL_CASES = [
    ("mlp", "regression"),
    ("mlp", "binary"),
    ("mlp", "multiclass"),
    ("svm_pipeline", "regression"),
    ("svm_pipeline", "binary"),
    ("knn", "multiclass"),
]


@pytest.mark.parametrize(("kind", "task"), MODEL_CASES)
def test_ground_truth_features_rank_first(kind: str, task: str) -> None:
    model, X = _fitted(kind, task)
    explainer = KernelExplainer(model, X)  # 300 rows: summarized to 10 k-means centres
    explanation = explainer.explain_global(X.iloc[:N_EVAL])
    assert explainer.background_.shape == (10, 8)
    assert explanation.method == "shap.kernel"
    assert explanation.fidelity.exact is True
    assert_informative_first(explanation.get_ranked_global_names())


# ---------------------------------------------------------------------- additivity


@pytest.mark.parametrize(("kind", "task"), MODEL_CASES)
def test_local_values_add_up_to_predict_proba_or_predict(kind: str, task: str) -> None:
    model, X = _fitted(kind, task)
    rows = X.iloc[100:110]
    explanation = KernelExplainer(model, X.iloc[:20]).explain_local(rows)
    output = _model_output(model, rows)
    local, expected = explanation.local_values, np.asarray(explanation.expected_values_)
    assert explanation.output_space == ("raw" if task == "regression" else "probability")
    assert local.shape[0] == output.shape[0]
    residual = local.sum(axis=2) + expected[:, None] - output
    assert np.max(np.abs(residual)) < 1e-6
    assert explanation.fidelity.additivity_error < 1e-6
    np.testing.assert_allclose(expected, _model_output(model, X.iloc[:20]).mean(axis=1), atol=1e-12)


def test_binary_probabilities_give_mirrored_class_values() -> None:
    model, X = _fitted("mlp", "binary")
    explanation = KernelExplainer(model, X.iloc[:20]).explain_local(X.iloc[100:110])
    assert explanation.classes == ("no", "yes")
    local = np.asarray(explanation.local_importance_values)
    assert local.shape == (2, 10, 8)
    # p(no) = 1 - p(yes), so the two classes' values mirror each other
    np.testing.assert_allclose(local[0], -local[1], rtol=0, atol=1e-12)
    assert sum(explanation.expected_values) == pytest.approx(1.0, abs=1e-12)


# ---------------------------------------------------------------------- exact and sampled values


def test_exact_mode_equals_brute_force_shapley_values() -> None:
    background, rows, exact = _ten_feature_problem()
    explainer = KernelExplainer(_interactions, background, is_function=True)
    explanation = explainer.explain_local(rows)
    np.testing.assert_array_equal(explainer.background_, background)  # no k-means summary
    assert explanation.model_task == "regression"
    np.testing.assert_allclose(explanation.local_values, exact, rtol=0, atol=1e-8)
    assert explanation.fidelity.exact is True
    assert explanation.fidelity.max_standard_error == 0.0
    assert explanation.expected_values_[0] == pytest.approx(_interactions(background).mean(), abs=1e-12)


def test_exact_mode_equals_brute_force_for_classifier_probabilities() -> None:
    model, X = _fitted("mlp", "multiclass")
    background, rows = X.iloc[:6].to_numpy(), X.iloc[100:104].to_numpy()
    explanation = KernelExplainer(model, X.iloc[:6]).explain_local(X.iloc[100:104])
    exact = _brute_force_shapley(lambda Z: model.predict_proba(pd.DataFrame(Z, columns=X.columns)),
                                 rows, background)
    assert explanation.local_values.shape == exact.shape == (3, 4, 8)
    np.testing.assert_allclose(explanation.local_values, exact, rtol=0, atol=1e-8)


@pytest.mark.parametrize("random_state", [0, 1, 2])
def test_sampled_mode_is_within_five_percent_of_exact(random_state: int) -> None:
    background, rows, exact = _ten_feature_problem()
    explainer = KernelExplainer(_interactions, background, is_function=True, nsamples=400,
                                model_task="regression", random_state=random_state)
    explanation = explainer.explain_local(rows)
    relative_error = np.abs(explanation.local_values - exact).sum() / np.abs(exact).sum()
    assert relative_error < 0.05
    assert explanation.fidelity.exact is False
    assert explanation.fidelity.max_standard_error > 0
    assert explanation.fidelity.standard_errors.shape == (1, 8, 10)
    # efficiency is imposed exactly even when sampling
    assert explanation.fidelity.additivity_error < 1e-10


def test_sampled_values_do_not_depend_on_batching() -> None:
    background, rows, _ = _ten_feature_problem()
    explainer = KernelExplainer(_interactions, background, is_function=True, nsamples=400,
                                model_task="regression")
    full = explainer.explain_global(rows)
    batched = explainer.explain_global(rows, include_local=False, batch_size=3)
    np.testing.assert_allclose(batched.global_values, full.global_values, rtol=0, atol=1e-10)
    assert batched.fidelity.max_standard_error == pytest.approx(full.fidelity.max_standard_error)


def test_more_than_twelve_features_are_sampled_under_auto() -> None:
    rng = np.random.default_rng(1)
    background, rows = rng.normal(size=(3, 13)), rng.normal(size=(2, 13))
    explanation = KernelExplainer(lambda Z: Z @ np.arange(13.0), background, is_function=True,
                                  model_task="regression").explain_local(rows)
    assert explanation.fidelity.exact is False
    # a linear function is recovered exactly even from sampled coalitions
    np.testing.assert_allclose(np.asarray(explanation.local_importance_values),
                               np.arange(13.0) * (rows - background.mean(axis=0)), atol=1e-8)


def test_budget_covering_all_coalitions_enumerates_them() -> None:
    background, rows, exact = _ten_feature_problem()
    explanation = KernelExplainer(_interactions, background, is_function=True, nsamples=2000,
                                  model_task="regression").explain_local(rows)
    assert explanation.fidelity.exact is True
    np.testing.assert_allclose(explanation.local_values, exact, rtol=0, atol=1e-8)


# ---------------------------------------------------------------------- functions and inputs


def test_regression_function_task_is_detected() -> None:
    background, rows, _ = _ten_feature_problem()
    explanation = KernelExplainer(_interactions, background, is_function=True).explain_local(rows)
    assert explanation.model_task == "regression"
    assert explanation.output_space == "raw"
    assert explanation.features == tuple(f"x{i}" for i in range(10))
    assert np.shape(explanation.local_importance_values) == (8, 10)
    assert explanation.model_type == "_interactions"


def test_probability_function_is_explained_as_a_classifier() -> None:
    model, X = _fitted("mlp", "multiclass")

    def probabilities(Z: np.ndarray) -> np.ndarray:
        return model.predict_proba(pd.DataFrame(Z, columns=X.columns))

    detected = KernelExplainer(probabilities, X.iloc[:10], is_function=True).explain_local(X.iloc[:4])
    assert detected.model_task == "classification"
    assert detected.classes is None
    assert np.shape(detected.local_importance_values) == (3, 4, 8)
    labelled = KernelExplainer(probabilities, X.iloc[:10], is_function=True,
                               model_task="classification", classes=["a", "b", "c"])
    explanation = labelled.explain_local(X.iloc[:4])
    assert explanation.classes == ("a", "b", "c")
    np.testing.assert_allclose(explanation.local_values, detected.local_values, atol=1e-12)
    assert explanation.fidelity.additivity_error < 1e-6


def test_numpy_and_reordered_frame_rows_give_the_same_values() -> None:
    model, X = _fitted("mlp", "regression")
    explainer = KernelExplainer(model, X.iloc[:10])
    rows = X.iloc[100:105]
    reference = explainer.explain_local(rows)
    np.testing.assert_array_equal(explainer.explain_local(rows.to_numpy()).local_values,
                                  reference.local_values)
    np.testing.assert_array_equal(explainer.explain_local(rows[list(reversed(X.columns))]).local_values,
                                  reference.local_values)


def test_small_initialization_examples_are_the_background() -> None:
    model, X = _fitted("mlp", "regression")
    explainer = KernelExplainer(model, X.iloc[:100], nclusters=10)  # 100 <= 10 * nclusters
    np.testing.assert_array_equal(explainer.background_, X.iloc[:100].to_numpy())
    summarized = KernelExplainer(model, X.iloc[:101], nclusters=10)
    assert summarized.background_.shape == (10, 8)
    assert summarized.background_weights_.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("subset", [["f1", "f0", "f6"], [1, 0, 6]], ids=["names", "indices"])
def test_explain_subset_groups_the_other_features(subset: list[Any]) -> None:
    model, X = _fitted("mlp", "multiclass")
    explainer = KernelExplainer(model, X.iloc[:10], explain_subset=subset)
    explanation = explainer.explain_local(X.iloc[100:110])
    assert explainer.n_players_ == 4  # three features and the rest as one player
    assert explanation.features == ("f1", "f0", "f6")
    assert np.shape(explanation.local_importance_values) == (3, 10, 3)
    assert np.shape(explanation.per_class_values) == (3, 3)
    assert np.shape(explanation.global_importance_values) == (3,)
    assert explanation.fidelity.additivity_error < 1e-10
    assert explanation.fidelity.exact is True


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize("nsamples", [0, -1, "many", 1.5, True, None])
def test_bad_nsamples_is_refused(nsamples: Any) -> None:
    model, X = _fitted("mlp", "regression")
    with pytest.raises(ValueError, match="nsamples must be 'auto' or a positive integer"):
        KernelExplainer(model, X.iloc[:10], nsamples=nsamples)


def test_too_small_nsamples_is_refused_at_construction() -> None:
    model, X = _fitted("mlp", "regression")
    with pytest.raises(ValueError, match="nsamples=5 is too small for 8 players; use at least 18"):
        KernelExplainer(model, X.iloc[:10], nsamples=5)


@pytest.mark.parametrize("nclusters", [0, -2, 2.0, None, True])
def test_bad_nclusters_is_refused(nclusters: Any) -> None:
    model, X = _fitted("mlp", "regression")
    with pytest.raises(ValueError, match="nclusters must be a positive integer"):
        KernelExplainer(model, X.iloc[:10], nclusters=nclusters)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_nan_is_refused_for_svc() -> None:
    X, y = make_ground_truth("binary", n_rows=100)
    model = SVC(probability=True, random_state=0).fit(X, y)
    rows = X.iloc[:3].copy()
    rows.iloc[1, 2] = np.nan
    explainer = KernelExplainer(model, X.iloc[:10])
    with pytest.raises(ValueError, match="contains NaN in 'f2', and the model does not accept"):
        explainer.explain_local(rows)


class _Exploding(RegressorMixin, BaseEstimator):
    """A fitted-looking regressor whose predict always fails."""

    def predict(self, X: Any) -> np.ndarray:
        raise RuntimeError("kaboom")


def test_model_raising_in_predict_gives_model_call_error() -> None:
    # the background's output is computed at set-up, so the error comes at once
    X, _ = make_ground_truth("regression", n_rows=20)
    with pytest.raises(ModelCallError, match=r"the model _Exploding raised RuntimeError .*kaboom"):
        KernelExplainer(_Exploding(), X.iloc[:5])
    assert issubclass(ModelCallError, ValueError)


def test_function_raising_when_explaining_gives_model_call_error() -> None:
    def broken(Z: np.ndarray) -> np.ndarray:
        if Z.shape[0] > 300:  # the background, the set-up's timing (256 rows), the rows pass
            raise ZeroDivisionError("no")
        return Z.sum(axis=1)

    X, _ = make_ground_truth("regression", n_rows=20)
    explainer = KernelExplainer(broken, X.iloc[:5], is_function=True, model_task="regression")
    with pytest.raises(ValueError, match="the model broken raised ZeroDivisionError"):
        explainer.explain_local(X.iloc[:2])


def test_is_function_with_a_non_callable_is_refused() -> None:
    X, _ = make_ground_truth("regression", n_rows=20)
    with pytest.raises(ExplanationTypeError, match="is_function=True but the model is a ndarray"):
        KernelExplainer(np.zeros(3), X.iloc[:5], is_function=True, model_task="regression")


def test_model_without_predict_is_refused() -> None:
    X, _ = make_ground_truth("regression", n_rows=20)
    with pytest.raises(TypeError, match="the model must have a predict method"):
        KernelExplainer(object(), X.iloc[:5], model_task="regression")


@pytest.mark.parametrize("model_task", ["unknown", "classification"])
def test_classifier_without_predict_proba_is_refused_at_set_up(model_task: str) -> None:
    # Kernel SHAP explains probabilities; LinearSVC has only a decision function
    X, y = make_ground_truth("binary", n_rows=100)
    with pytest.raises(ValueError, match="needs predict_proba, and LinearSVC has none"):
        KernelExplainer(LinearSVC().fit(X, y), X.iloc[:10], model_task=model_task)


class _DuckRegressor:
    """A model with only ``predict``: not a scikit-learn estimator."""

    def predict(self, X: Any) -> np.ndarray:
        return 2.0 * np.asarray(X, dtype=np.float64)[:, 0]


def test_duck_typed_model_with_declared_task_is_explained() -> None:
    X, _ = make_ground_truth("regression", n_rows=20)
    explanation = KernelExplainer(_DuckRegressor(), X.iloc[:5], model_task="regression").explain_local(
        X.iloc[:3])
    np.testing.assert_allclose(np.asarray(explanation.local_importance_values)[:, 0],
                               2.0 * (X["f0"].iloc[:3] - X["f0"].iloc[:5].mean()), atol=1e-12)


def test_duck_typed_model_task_is_detected() -> None:
    X, _ = make_ground_truth("regression", n_rows=20)
    explanation = KernelExplainer(_DuckRegressor(), X.iloc[:5]).explain_local(X.iloc[:3])
    assert explanation.model_task == "regression"
    assert explanation.model_type == "_DuckRegressor"


def test_function_raising_during_task_detection_gives_model_call_error() -> None:
    def broken(Z: np.ndarray) -> np.ndarray:
        raise ValueError("no")

    X, _ = make_ground_truth("regression", n_rows=20)
    with pytest.raises(ModelCallError, match="the prediction function raised ValueError"):
        KernelExplainer(broken, X.iloc[:5], is_function=True)


def test_logistic_regression_can_be_forced_through_kernel_shap() -> None:
    # any model with predict_proba works, even one that has an exact explainer
    X, y = make_ground_truth("binary", n_rows=200)
    model = LogisticRegression().fit(X, y)
    explanation = KernelExplainer(model, X.iloc[:10]).explain_local(X.iloc[:5])
    assert explanation.output_space == "probability"
    residual = explanation.local_values.sum(axis=2) + np.asarray(explanation.expected_values_)[:, None] \
        - model.predict_proba(X.iloc[:5]).T
    assert np.max(np.abs(residual)) < 1e-6


def test_sampled_standard_errors_cover_exact_values() -> None:
    background, rows, exact = _ten_feature_problem()
    covered = []
    for random_state in range(3):
        explanation = KernelExplainer(_interactions, background, is_function=True, nsamples=200,
                                      model_task="regression", random_state=random_state).explain_local(rows)
        errors = explanation.fidelity.standard_errors
        covered.append(np.mean(np.abs(explanation.local_values - exact) <= 2 * errors))
    assert np.mean(covered) >= 0.85


# ---------------------------------------------------------------------- parallel chunks


@functools.cache
def _twenty_rows() -> tuple[np.ndarray, np.ndarray]:
    """(background of 5 rows, 20 evaluation rows) for ``_interactions``: 3 chunks of 7."""
    rng = np.random.default_rng(3)
    return rng.normal(size=(5, 10)), rng.normal(size=(20, 10))


@pytest.mark.parametrize("nsamples", [400, "auto"], ids=["sampled", "exact"])
def test_parallel_chunks_equal_one_chunk_exactly(nsamples: Any) -> None:
    background, rows = _twenty_rows()
    options = {"is_function": True, "model_task": "regression", "nsamples": nsamples}
    serial = KernelExplainer(_interactions, background, n_jobs=1, **options)
    parallel = KernelExplainer(_interactions, background, n_jobs=2, **options)
    assert (serial.n_jobs, parallel.n_jobs) == (1, 2)
    one_chunk = serial.explain_local(rows, batch_size=len(rows))
    chunked = parallel.explain_local(rows, batch_size=7)
    np.testing.assert_array_equal(chunked.local_values, one_chunk.local_values)
    np.testing.assert_array_equal(chunked.fidelity.standard_errors, one_chunk.fidelity.standard_errors)
    np.testing.assert_array_equal(chunked.expected_values_, one_chunk.expected_values_)
    assert chunked.fidelity.exact is (nsamples == "auto")


def test_parallel_chunks_of_a_classifier_equal_one_chunk() -> None:
    model, X = _fitted("mlp", "multiclass")
    explainer = KernelExplainer(model, X.iloc[:8], explain_subset=[0, 1, 2], n_jobs=2)
    rows = X.iloc[100:120]
    chunked = explainer.explain_local(rows, batch_size=7)
    explainer.n_jobs = 1
    one_chunk = explainer.explain_local(rows, batch_size=len(rows))
    # the MLP's matrix products see different row counts per chunk: equal up to BLAS rounding
    np.testing.assert_allclose(chunked.local_values, one_chunk.local_values, rtol=0, atol=1e-12)


def test_local_values_do_not_write_to_the_explainer() -> None:
    background, rows = _twenty_rows()
    explainer = KernelExplainer(_interactions, background, is_function=True, nsamples=400,
                                model_task="regression")
    before = dict(vars(explainer))
    explainer.explain_local(rows, batch_size=7)
    assert vars(explainer).keys() == before.keys()
    assert all(vars(explainer)[name] is value for name, value in before.items())


def test_random_state_none_fixes_one_seed_for_every_chunk() -> None:
    background, rows = _twenty_rows()
    explainer = KernelExplainer(_interactions, background, is_function=True, nsamples=400,
                                model_task="regression", random_state=None, n_jobs=2)
    assert explainer.random_state is None and isinstance(explainer.seed_, int)
    np.testing.assert_array_equal(explainer.explain_local(rows, batch_size=7).local_values,
                                  explainer.explain_local(rows, batch_size=len(rows)).local_values)


def test_int_random_state_is_the_seed() -> None:
    background, rows = _twenty_rows()
    options = {"is_function": True, "nsamples": 400, "model_task": "regression"}
    explainer = KernelExplainer(_interactions, background, random_state=np.int64(4), **options)
    assert explainer.seed_ == 4 and type(explainer.seed_) is int
    other = KernelExplainer(_interactions, background, random_state=5, **options)
    assert not np.array_equal(explainer.explain_local(rows[:2]).local_values,
                              other.explain_local(rows[:2]).local_values)


@pytest.mark.parametrize("n_jobs", [0, 1.5, True, "2"])
def test_bad_n_jobs_is_refused(n_jobs: Any) -> None:
    background, _ = _twenty_rows()
    with pytest.raises(ValueError, match="KernelExplainer: n_jobs must be a non-zero integer"):
        KernelExplainer(_interactions, background, is_function=True, model_task="regression",
                        n_jobs=n_jobs)


@pytest.mark.parametrize("random_state", [-1, 1.5, True, "0", np.random.default_rng(0)])
def test_bad_random_state_is_refused(random_state: Any) -> None:
    background, _ = _twenty_rows()
    with pytest.raises(ValueError, match=r"KernelExplainer: random_state must be a non-negative "
                                         r"integer or None, got .*; pass an int seed"):
        KernelExplainer(_interactions, background, is_function=True, model_task="regression",
                        random_state=random_state)

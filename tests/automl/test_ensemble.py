"""Greedy ensemble selection and the ``WeightedEnsemble`` of fitted models."""

from __future__ import annotations

import lightgbm
import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from automl._ensemble import WeightedEnsemble, select_ensemble, softmax
from automl._metrics import Metric, get_metric
from explain.explainers import BlendExplainer
from explain.explainers._margins import MIN_PROBABILITY
from tests._synthetic import make_ground_truth

RNG = np.random.default_rng(0)
Y_REG = RNG.normal(size=200)
NOISE = RNG.normal(size=200)


def blend(weights: np.ndarray, oofs: list[np.ndarray]) -> np.ndarray:
    return sum(w * o for w, o in zip(weights, oofs, strict=True))


def regression_candidates() -> list[np.ndarray]:
    """Two models erring in opposite directions (their mean is exact) and a poor third."""
    return [Y_REG + NOISE, Y_REG - 1.2 * NOISE, Y_REG + 3 * np.random.default_rng(1).normal(size=200)]


@pytest.mark.parametrize("metric", ["r2_score", "normalized_root_mean_squared_error", "mean_absolute_error"])
def test_blending_opposite_errors_beats_the_best_single_model(metric: str) -> None:
    resolved = get_metric(metric, "regression")
    oofs = regression_candidates()
    singles = [resolved.score(Y_REG, oof, None) for oof in oofs]
    best_single = max(singles) if resolved.greater_is_better else min(singles)
    weights, score = select_ensemble(oofs, Y_REG, resolved, None)
    assert weights.sum() == pytest.approx(1.0) and (weights >= 0).all()
    assert weights[0] > 0 and weights[1] > 0 and weights[2] == 0
    assert weights[0] == pytest.approx(weights[1], abs=0.1)  # about half each: errors cancel
    assert score == pytest.approx(resolved.score(Y_REG, blend(weights, oofs), None))
    assert (score > best_single) if resolved.greater_is_better else (score < best_single)


def test_the_best_ensemble_of_the_rounds_is_kept() -> None:
    # Rounds alternate between the two halves: 1:1 cancels the errors exactly, 2:1 does not.
    # With 3 rounds the last ensemble is 2:1; the 1:1 one met at round 2 is the one returned.
    y = np.zeros(4)
    oofs = [np.array([1.0, -1.0, 1.0, -1.0]), np.array([-1.0, 1.0, -1.0, 1.0])]
    weights, score = select_ensemble(oofs, y, get_metric("mean_absolute_error", "regression"), None, rounds=3)
    np.testing.assert_allclose(weights, [0.5, 0.5])
    assert score == 0.0


def test_a_single_dominant_model_gets_all_the_weight() -> None:
    oofs = [Y_REG + 0.01 * NOISE, Y_REG + 2 * NOISE, Y_REG - 2 * NOISE + 1]
    weights, score = select_ensemble(oofs, Y_REG, get_metric("r2_score", "regression"), None)
    np.testing.assert_array_equal(weights, [1.0, 0.0, 0.0])
    assert score == pytest.approx(get_metric("r2_score", "regression").score(Y_REG, oofs[0], None))


@pytest.mark.parametrize("metric", ["accuracy", "AUC_weighted", "log_loss"])
def test_classification_selection_scores_blended_probabilities(metric: str) -> None:
    classes = np.array(["a", "b", "c"])
    rng = np.random.default_rng(2)  # each test draws its own numbers: any test order
    y = classes[rng.integers(0, 3, size=300)]
    truth = (y[:, None] == classes).astype(float)

    def model(noise: float) -> np.ndarray:
        scores = truth + noise * rng.random((300, 3))
        return scores / scores.sum(axis=1, keepdims=True)

    oofs = [model(1.5), model(1.5), model(6.0)]
    resolved = get_metric(metric, "classification")
    singles = [_score(resolved, y, oof, classes) for oof in oofs]
    weights, score = select_ensemble(oofs, y, resolved, classes)
    assert weights.sum() == pytest.approx(1.0)
    best_single = max(singles) if resolved.greater_is_better else min(singles)
    assert (score >= best_single) if resolved.greater_is_better else (score <= best_single)
    assert score == pytest.approx(_score(resolved, y, blend(weights, oofs), classes))


def _score(metric: Metric, y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    prediction = proba if metric.needs_proba else classes[proba.argmax(axis=1)]
    return metric.score(y, prediction, classes)


# ---------------------------------------------------------------------- WeightedEnsemble
def test_weighted_ensemble_of_classifiers() -> None:
    X, y = make_ground_truth("multiclass", n_rows=120, n_features=4)
    members = [LogisticRegression().fit(X, y), DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y),
               DummyClassifier().fit(X, y)]
    ensemble = WeightedEnsemble.from_fitted(members, [0.5, 0.3, 0.2], "classification", probe=X)
    assert is_classifier(ensemble) and list(ensemble.classes_) == ["a", "b", "c"]
    assert ensemble.n_features_in_ == 4
    assert ensemble.native_margins_ == [True, False, False]  # the logistic regression's own scores
    # margins: the logistic regression's decision function, the others' clipped log-probabilities
    margins = [members[0].decision_function(X)] + [np.log(np.clip(m.predict_proba(X), MIN_PROBABILITY, None))
                                                  for m in members[1:]]
    blend = sum(w * m for w, m in zip([0.5, 0.3, 0.2], margins, strict=True))
    np.testing.assert_allclose(ensemble.decision_function(X), blend)
    proba = ensemble.predict_proba(X)
    np.testing.assert_allclose(proba, softmax(blend))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(ensemble.predict(X), ensemble.classes_[proba.argmax(axis=1)])


def test_a_binary_blend_adds_log_odds_and_explains_exactly() -> None:
    X, y = make_ground_truth("binary", n_rows=200, n_features=4)
    members = [LogisticRegression().fit(X, y),
               lightgbm.LGBMClassifier(n_estimators=20, verbose=-1, n_jobs=1).fit(X, y)]
    ensemble = WeightedEnsemble.from_fitted(members, [0.3, 0.7], "classification", probe=X)
    log_odds = 0.3 * members[0].decision_function(X) + 0.7 * members[1].predict(X, raw_score=True)
    np.testing.assert_allclose(ensemble.decision_function(X), log_odds)
    np.testing.assert_allclose(ensemble.predict_proba(X)[:, 1], 1 / (1 + np.exp(-log_odds)))
    explanation = BlendExplainer(members, [0.3, 0.7], X, model_task="classification",
                                 native_margins=ensemble.native_margins_,
                                 classes=ensemble.classes_).explain_local(X.iloc[:50])
    values = explanation.local_values[1].sum(axis=1) + explanation.expected_values_[1]
    np.testing.assert_allclose(values, log_odds[:50], atol=1e-9)
    assert explanation.fidelity.exact and explanation.fidelity.additivity_error < 1e-9


def test_an_ensemble_stored_before_margins_averages_probabilities() -> None:
    X, y = make_ground_truth("multiclass", n_rows=120, n_features=4)
    members = [LogisticRegression().fit(X, y), DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)]
    old = WeightedEnsemble.from_fitted(members, [0.5, 0.5], "classification")
    del old.combine  # as unpickled from an earlier version
    expected = sum(0.5 * m.predict_proba(X) for m in members)
    np.testing.assert_allclose(old.predict_proba(X), expected)
    with pytest.raises(AttributeError, match="only a classifier blend of margins"):
        old.decision_function(X)


def test_weighted_ensemble_of_regressors_refits() -> None:
    X, y = make_ground_truth("regression", n_rows=80, n_features=4)
    ensemble = WeightedEnsemble([LinearRegression(), LinearRegression(fit_intercept=False)], [0.75, 0.25],
                                "regression").fit(X, y)
    assert is_regressor(ensemble) and not hasattr(ensemble, "classes_")
    first, second = ensemble.members
    np.testing.assert_allclose(ensemble.predict(X), 0.75 * first.predict(X) + 0.25 * second.predict(X))
    assert ensemble.get_params()["weights"] == [0.75, 0.25]

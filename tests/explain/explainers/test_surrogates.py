"""Tests of the explainable surrogate models: estimator contract, exact SHAP values, parameters."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from explain.models import (
    DecisionTreeExplainableModel,
    ExplainableModel,
    LGBMExplainableModel,
    LinearExplainableModel,
    SGDExplainableModel,
)

SURROGATES = [LGBMExplainableModel, LinearExplainableModel, SGDExplainableModel,
              DecisionTreeExplainableModel]


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, real-valued target, label-index target with 3 classes) depending on x0, x1, x2."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 6))
    y = 3 * X[:, 0] - 2 * X[:, 1] + X[:, 2] + 0.1 * rng.normal(size=240)
    labels = np.column_stack([X[:, 0], -X[:, 1], X[:, 2]]).argmax(axis=1)
    return X, y, labels


def _independent_output(surrogate: ExplainableModel, X: np.ndarray) -> np.ndarray:
    """The surrogate's output in its explained space, computed from the underlying model (k, n)."""
    model = surrogate.model_
    if isinstance(surrogate, LGBMExplainableModel):
        raw = model.booster_.predict(X, raw_score=True)
        return np.asarray(raw, dtype=float).reshape(X.shape[0], -1).T
    if isinstance(surrogate, DecisionTreeExplainableModel):
        if surrogate.classification:
            return model.predict_proba(X).T
        return model.predict(X).reshape(1, -1)
    scaled = surrogate.scaler_.transform(X)
    out = model.decision_function(scaled) if surrogate.classification else model.predict(scaled)
    return np.asarray(out, dtype=float).reshape(X.shape[0], -1).T


@pytest.mark.parametrize("surrogate_class", SURROGATES)
@pytest.mark.parametrize("classification", [False, True])
def test_shap_values_are_additive_and_match_the_model(
    surrogate_class: type[ExplainableModel], classification: bool, data: tuple
) -> None:
    X, y, labels = data
    surrogate = surrogate_class(classification=classification, random_state=0)
    assert surrogate.fit(X, labels if classification else y) is surrogate
    assert surrogate.n_features_in_ == X.shape[1]
    values, expected, output = surrogate.shap_values(X[:50])
    k = 3 if classification else 1
    assert values.shape == (k, 50, X.shape[1])
    assert expected.shape == (k,)
    assert output.shape == (k, 50)
    np.testing.assert_allclose(output, _independent_output(surrogate, X[:50]), atol=1e-8)
    np.testing.assert_allclose(values.sum(axis=2) + expected[:, None], output, atol=1e-8)


@pytest.mark.parametrize("surrogate_class", SURROGATES)
@pytest.mark.parametrize("classification", [False, True])
def test_surrogates_rank_informative_features_first(
    surrogate_class: type[ExplainableModel], classification: bool, data: tuple
) -> None:
    X, y, labels = data
    surrogate = surrogate_class(classification=classification).fit(X, labels if classification else y)
    importance = np.abs(surrogate.shap_values(X)[0]).mean(axis=(0, 1))
    assert set(np.argsort(-importance)[:3]) == {0, 1, 2}


@pytest.mark.parametrize("surrogate_class", SURROGATES)
def test_predict(surrogate_class: type[ExplainableModel], data: tuple) -> None:
    X, y, labels = data
    regressor = surrogate_class().fit(X, y)
    assert regressor.predict(X).shape == (X.shape[0],)
    assert np.corrcoef(regressor.predict(X), y)[0, 1] > 0.9
    classifier = surrogate_class(classification=True).fit(X, labels)
    assert set(np.unique(classifier.predict(X))) <= {0, 1, 2}
    assert np.mean(classifier.predict(X) == labels) > 0.8


@pytest.mark.parametrize(
    ("surrogate_class", "regression_space", "classification_space"),
    [
        (LGBMExplainableModel, "raw", "log_odds"),
        (LinearExplainableModel, "raw", "log_odds"),
        (SGDExplainableModel, "raw", "margin"),
        (DecisionTreeExplainableModel, "raw", "probability"),
    ],
)
def test_output_space(surrogate_class: type[ExplainableModel], regression_space: str,
                      classification_space: str) -> None:
    assert surrogate_class(classification=False).output_space == regression_space
    assert surrogate_class(classification=True).output_space == classification_space


@pytest.mark.parametrize("surrogate_class", SURROGATES)
def test_unfitted_surrogate_raises(surrogate_class: type[ExplainableModel], data: tuple) -> None:
    X = data[0]
    with pytest.raises(NotFittedError):
        surrogate_class().predict(X)
    with pytest.raises(NotFittedError):
        surrogate_class().shap_values(X)


@pytest.mark.parametrize("surrogate_class", SURROGATES)
def test_is_a_scikit_learn_estimator(surrogate_class: type[ExplainableModel]) -> None:
    surrogate = surrogate_class(classification=True, random_state=3, n_jobs=1, params={"a": 1})
    assert surrogate.get_params() == {"classification": True, "random_state": 3, "n_jobs": 1,
                                      "params": {"a": 1}}
    assert clone(surrogate).get_params() == surrogate.get_params()


def test_lgbm_params_reach_the_booster(data: tuple) -> None:
    X, y, labels = data
    surrogate = LGBMExplainableModel(params={"n_estimators": 7, "num_leaves": 4}, random_state=5).fit(X, y)
    assert surrogate.model_.booster_.num_trees() == 7
    assert surrogate.model_.get_params()["num_leaves"] == 4
    assert surrogate.model_.get_params()["random_state"] == 5
    assert surrogate.model_.get_params()["n_jobs"] == 1
    default = LGBMExplainableModel(classification=True).fit(X, labels)
    assert default.model_.n_estimators == 100
    assert default.model_.booster_.num_trees() == 100 * 3  # one tree per class and round


def test_other_params_reach_their_models(data: tuple) -> None:
    X, y, labels = data
    tree = DecisionTreeExplainableModel(params={"max_depth": 2}).fit(X, y)
    assert tree.model_.get_depth() == 2
    logistic = LinearExplainableModel(classification=True, params={"C": 0.25}).fit(X, labels)
    assert (logistic.model_.C, logistic.model_.max_iter) == (0.25, 1000)
    sgd = SGDExplainableModel(classification=True, params={"alpha": 0.01}).fit(X, labels)
    assert (sgd.model_.alpha, sgd.model_.loss) == (0.01, "log_loss")
    hinge = SGDExplainableModel(classification=True, params={"loss": "hinge"}).fit(X, labels)
    assert hinge.model_.loss == "hinge"


@pytest.mark.parametrize("surrogate_class", SURROGATES)
def test_random_state_in_params_wins(surrogate_class: type[ExplainableModel], data: tuple) -> None:
    # Regression test: random_state (and n_jobs for LightGBM) given in params was passed twice,
    # raising "got multiple values for keyword argument".
    X, y, labels = data
    for classification, target in ((False, y), (True, labels)):
        if surrogate_class is LinearExplainableModel and not classification:
            continue  # LinearRegression has no random_state
        surrogate = surrogate_class(classification=classification, random_state=0,
                                    params={"random_state": 9}).fit(X, target)
        assert surrogate.model_.get_params()["random_state"] == 9


def test_lgbm_n_jobs_in_params_wins(data: tuple) -> None:
    X, y, _ = data
    surrogate = LGBMExplainableModel(n_jobs=1, params={"n_jobs": 2, "n_estimators": 5}).fit(X, y)
    assert surrogate.model_.get_params()["n_jobs"] == 2


def test_lgbm_categorical_features(data: tuple) -> None:
    X, y, _ = data
    rng = np.random.default_rng(1)
    Xc = X.copy()
    Xc[:, 3] = rng.integers(0, 4, size=X.shape[0])
    infos = LGBMExplainableModel().fit(Xc, y + Xc[:, 3], [3]).model_.booster_.dump_model()["feature_infos"]
    assert infos["Column_3"]["values"], "column 3 should be categorical"
    assert not infos["Column_0"]["values"]
    numeric = LGBMExplainableModel().fit(Xc, y + Xc[:, 3]).model_.booster_.dump_model()["feature_infos"]
    assert not numeric["Column_3"]["values"]


def test_linear_surrogate_is_explained_in_original_units(data: tuple) -> None:
    X, y, _ = data
    scales = np.array([1e-3, 1.0, 10.0, 1e3, 1.0, 5.0])
    Xs = X * scales
    surrogate = LinearExplainableModel().fit(Xs, y)
    # Ordinary least squares by numpy: scikit-learn 1.9's LinearRegression itself returns
    # wrong coefficients on columns scaled this differently (coef_[0] ~ 0 instead of ~3000).
    design = np.column_stack([Xs, np.ones(len(Xs))])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    coef, intercept = solution[:-1], solution[-1]
    np.testing.assert_allclose(surrogate.coef_[0], coef, rtol=1e-6, atol=1e-9)
    assert coef[0] == pytest.approx(3000, rel=0.01)
    values, expected, output = surrogate.shap_values(Xs[:20])
    np.testing.assert_allclose(values[0], coef * (Xs[:20] - Xs.mean(axis=0)), atol=1e-8)
    np.testing.assert_allclose(expected, [Xs.mean(axis=0) @ coef + intercept], atol=1e-8)
    np.testing.assert_allclose(output[0], Xs[:20] @ coef + intercept, atol=1e-8)


@pytest.mark.parametrize("surrogate_class", [LGBMExplainableModel, LinearExplainableModel])
def test_sparse_input_gives_dense_results(surrogate_class: type[ExplainableModel], data: tuple) -> None:
    X, y, _ = data
    X = np.where(np.abs(X) < 0.6, 0.0, X)
    dense = surrogate_class().fit(X, y).shap_values(X[:40])
    sparse = surrogate_class().fit(sp.csr_matrix(X), y).shap_values(sp.csr_matrix(X[:40]))
    for a, b in zip(dense, sparse, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-8)


@pytest.mark.parametrize("surrogate_class", [SGDExplainableModel, DecisionTreeExplainableModel])
def test_sparse_input_is_additive(surrogate_class: type[ExplainableModel], data: tuple) -> None:
    # SGD (uncentered scaling) and a fully grown tree (ties between equal splits) fit slightly
    # different models on sparse data, so only additivity is checked.
    X, y, _ = data
    Xs = sp.csr_matrix(np.where(np.abs(X) < 0.6, 0.0, X))
    values, expected, output = surrogate_class().fit(Xs, y).shap_values(Xs[:40])
    np.testing.assert_allclose(values.sum(axis=2) + expected[:, None], output, atol=1e-8)


@pytest.mark.parametrize("surrogate_class", SURROGATES)
def test_same_random_state_same_surrogate(surrogate_class: type[ExplainableModel], data: tuple) -> None:
    X, y, _ = data
    first = surrogate_class(random_state=4).fit(X, y).shap_values(X[:30])
    second = surrogate_class(random_state=4).fit(X, y).shap_values(X[:30])
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_tree_surrogates_use_the_compiled_tree_shap():
    """The LightGBM and decision-tree surrogates agree with LightGBM's and shap's TreeSHAP."""
    import shap
    from sklearn.datasets import make_regression

    from explain.explainers._surrogates import DecisionTreeExplainableModel, LGBMExplainableModel

    X, y = make_regression(400, 6, random_state=0)
    lgbm = LGBMExplainableModel(params={"n_estimators": 20}).fit(X, y)
    values, expected, output = lgbm._shap_values(X[:50])
    contrib = lgbm.model_.booster_.predict(X[:50], pred_contrib=True)
    np.testing.assert_allclose(values[0], contrib[:, :6], atol=1e-9 * np.abs(y).max())
    np.testing.assert_allclose(values.sum(axis=2) + expected[:, None], output, atol=1e-8 * np.abs(y).max())
    tree = DecisionTreeExplainableModel(params={"max_depth": 6}).fit(X, y)
    values, expected, _ = tree._shap_values(X[:50])
    reference = shap.TreeExplainer(tree.model_).shap_values(X[:50])
    np.testing.assert_allclose(values[0], reference, atol=1e-9 * np.abs(y).max())

"""The compiled TreeSHAP (FastTreeSHAP v2 tables) against LightGBM, shap and brute force."""

from __future__ import annotations

import itertools
import pickle
from math import factorial

import lightgbm as lgb
import numpy as np
import pytest
import scipy.sparse as sp
import shap
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from explain import ExplanationTypeError, ExplanationValueError, TreeExplainer
from explain.explainers._fast_tree_shap import build_tables, tree_shap_values
from explain.explainers._tree_ensemble import from_lightgbm, from_sklearn

TOL = 1e-9


def _lgbm_contrib(model, X):
    contrib = model.booster_.predict(X, pred_contrib=True, num_threads=1)
    if isinstance(contrib, list) or sp.issparse(contrib):
        raise AssertionError("dense input expected")
    n_features = X.shape[1]
    k = contrib.shape[1] // (n_features + 1)
    blocks = contrib.reshape(X.shape[0], k, n_features + 1).transpose(1, 0, 2)
    return blocks[:, :, :n_features], blocks[:, 0, n_features]


def _fast(model, X, **kwargs):
    tables = build_tables(from_lightgbm(model.booster_), **kwargs)
    return tree_shap_values(tables, X), tables.expected


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(1500, 12, n_informative=6, random_state=0)
    return X, y


@pytest.mark.parametrize("params", [
    {},
    {"num_leaves": 63, "min_child_samples": 5},
    {"max_depth": 3},
])
def test_lightgbm_binary_equals_pred_contrib(classification, params):
    X, y = classification
    model = lgb.LGBMClassifier(n_estimators=40, verbose=-1, n_jobs=1, **params).fit(X, y)
    values, expected = _fast(model, X[:300])
    theirs, bias = _lgbm_contrib(model, X[:300])
    np.testing.assert_allclose(values, theirs, atol=TOL)
    np.testing.assert_allclose(expected, bias, atol=TOL)


def test_lightgbm_multiclass_and_regression():
    X, y = make_classification(1200, 8, n_informative=5, n_classes=3, random_state=1)
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1, n_jobs=1).fit(X, y)
    values, expected = _fast(model, X[:200])
    theirs, bias = _lgbm_contrib(model, X[:200])
    assert values.shape == (3, 200, 8)
    np.testing.assert_allclose(values, theirs, atol=TOL)
    np.testing.assert_allclose(expected, bias, atol=TOL)
    Xr, yr = make_regression(800, 6, random_state=2)
    reg = lgb.LGBMRegressor(n_estimators=30, verbose=-1, n_jobs=1).fit(Xr, yr)
    values, expected = _fast(reg, Xr[:100])
    theirs, bias = _lgbm_contrib(reg, Xr[:100])
    np.testing.assert_allclose(values, theirs, atol=1e-7 * np.abs(yr).max())
    np.testing.assert_allclose(expected, bias, atol=1e-7 * np.abs(yr).max())


@pytest.mark.parametrize("params", [
    {},  # missing type NaN
    {"zero_as_missing": True},  # missing type Zero
    {"use_missing": False},  # missing type None: NaN counts as 0
])
def test_lightgbm_missing_value_rules(params):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2000, 6))
    y = (X[:, 0] + np.nan_to_num(X[:, 1]) > 0).astype(int)
    X[rng.random(X.shape) < 0.15] = np.nan
    X[rng.random(X.shape) < 0.1] = 0.0
    model = lgb.LGBMClassifier(n_estimators=25, verbose=-1, n_jobs=1, **params).fit(X, y)
    rows = X[:400].copy()
    rows[:5, :] = np.nan
    rows[5:10, :] = 0.0
    rows[10:15, :] = 1e-40  # inside LightGBM's zero threshold
    values, expected = _fast(model, rows)
    theirs, bias = _lgbm_contrib(model, rows)
    np.testing.assert_allclose(values, theirs, atol=TOL)
    np.testing.assert_allclose(expected, bias, atol=TOL)


def test_lightgbm_categorical_splits():
    rng = np.random.default_rng(4)
    n = 3000
    cat = rng.integers(0, 40, n).astype(float)
    other = rng.normal(size=n)
    y = ((cat % 3 == 0) ^ (other > 0.3)).astype(int)
    X = np.column_stack([cat, other, rng.normal(size=n)])
    model = lgb.LGBMClassifier(n_estimators=30, verbose=-1, n_jobs=1, min_data_per_group=5,
                               cat_smooth=1).fit(X, y, categorical_feature=[0])
    rows = X[:300].copy()
    rows[:6, 0] = [np.nan, -1.0, -0.5, 1000.0, 5e9, 39.7]  # missing, negative, unseen, overflow
    values, expected = _fast(model, rows)
    theirs, bias = _lgbm_contrib(model, rows)
    np.testing.assert_allclose(values, theirs, atol=TOL)
    np.testing.assert_allclose(expected, bias, atol=TOL)


def test_lightgbm_best_iteration_and_random_forest_mode(classification):
    X, y = classification
    model = lgb.LGBMClassifier(n_estimators=200, verbose=-1, n_jobs=1).fit(
        X[:1000], y[:1000], eval_set=[(X[1000:], y[1000:])],
        callbacks=[lgb.early_stopping(5, verbose=False)])
    assert 0 < model.booster_.best_iteration < 200
    values, expected = _fast(model, X[:100])
    theirs, bias = _lgbm_contrib(model, X[:100])
    np.testing.assert_allclose(values, theirs, atol=TOL)
    np.testing.assert_allclose(expected, bias, atol=TOL)
    forest = lgb.LGBMClassifier(boosting_type="rf", n_estimators=20, subsample=0.7,
                                subsample_freq=1, verbose=-1, n_jobs=1).fit(X, y)
    values, expected = _fast(forest, X[:100])
    # LightGBM's pred_contrib (and raw_score) sum a random forest's trees; its probabilities
    # come from their mean, which is what these values explain
    theirs, bias = _lgbm_contrib(forest, X[:100])
    np.testing.assert_allclose(values * 20, theirs, atol=TOL)
    np.testing.assert_allclose(expected * 20, bias, atol=TOL)
    margin = values.sum(axis=2) + expected[:, None]
    np.testing.assert_allclose(1 / (1 + np.exp(-margin[0])), forest.predict_proba(X[:100])[:, 1])
    explanation = TreeExplainer(forest, X).explain_local(X[:100])
    assert explanation.fidelity.additivity_error < 1e-9


def _shap_values(model, X):
    explainer = shap.TreeExplainer(model)
    raw = explainer.shap_values(X, check_additivity=False)
    array = np.asarray(raw, dtype=float)
    array = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return array, np.atleast_1d(explainer.expected_value)


@pytest.mark.parametrize("make", [
    lambda: RandomForestClassifier(n_estimators=15, max_depth=8, random_state=0),
    lambda: ExtraTreesClassifier(n_estimators=10, max_depth=10, random_state=0),
    lambda: RandomForestRegressor(n_estimators=10, max_depth=9, random_state=0),
    lambda: ExtraTreesRegressor(n_estimators=10, random_state=0, min_samples_leaf=5),
    lambda: DecisionTreeClassifier(max_depth=12, random_state=0),
    lambda: DecisionTreeRegressor(random_state=0, min_samples_leaf=3),
])
def test_sklearn_trees_equal_shap(make):
    X, y = make_classification(800, 10, n_informative=5, n_classes=3, random_state=5)
    model = make()
    if not hasattr(model, "predict_proba"):
        y = X[:, 0] * 2 + X[:, 1] ** 2
    model.fit(X[:500], y[:500])
    n_outputs = len(model.classes_) if hasattr(model, "classes_") else 1
    tables = build_tables(from_sklearn(model, n_outputs))
    values = tree_shap_values(tables, X[500:])
    theirs, expected = _shap_values(model, X[500:])
    scale = max(1.0, float(np.abs(theirs).max()))
    np.testing.assert_allclose(values, theirs, atol=TOL * scale)
    np.testing.assert_allclose(tables.expected, expected, atol=TOL * scale)


def test_sklearn_missing_values_follow_the_learned_side():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(1500, 5))
    y = (X[:, 0] > 0).astype(int)
    X[rng.random(X.shape) < 0.2] = np.nan
    model = RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0).fit(X, y)
    tables = build_tables(from_sklearn(model, 2))
    values = tree_shap_values(tables, X[:300])
    theirs, _ = _shap_values(model, X[:300])
    np.testing.assert_allclose(values, theirs, atol=TOL)
    output = values.sum(axis=2) + tables.expected[:, None]
    np.testing.assert_allclose(output.T, model.predict_proba(X[:300]), atol=TOL)


def _path_dependent_game(tree, x, subset):
    """E[f(x) | x_S] of TreeSHAP's path-dependent game, by walking the tree (scikit-learn)."""
    def walk(node):
        left, right = tree.children_left[node], tree.children_right[node]
        if left < 0:
            value = tree.value[node, 0]
            return value / value.sum()
        feature = tree.feature[node]
        if feature in subset:
            return walk(left if x[feature] <= tree.threshold[node] else right)
        cover = tree.weighted_n_node_samples
        return (cover[left] * walk(left) + cover[right] * walk(right)) / cover[node]
    return walk(0)


def test_exact_shapley_values_by_enumeration():
    """Shapley values of the path-dependent game from the classical formula over all subsets."""
    X, y = make_classification(600, 6, n_informative=4, n_redundant=0, random_state=7)
    model = DecisionTreeClassifier(max_depth=6, random_state=0).fit(X, y)
    tables = build_tables(from_sklearn(model, 2))
    rows = X[:8]
    values = tree_shap_values(tables, rows)
    n = X.shape[1]
    for r, x in enumerate(rows):
        exact = np.zeros((2, n))
        for i in range(n):
            others = [j for j in range(n) if j != i]
            for size in range(n):
                weight = factorial(size) * factorial(n - size - 1) / factorial(n)
                for subset in itertools.combinations(others, size):
                    with_i = _path_dependent_game(model.tree_, x, set(subset) | {i})
                    without = _path_dependent_game(model.tree_, x, set(subset))
                    exact[:, i] += weight * (with_i - without)
        np.testing.assert_allclose(values[:, r, :], exact, atol=1e-12)


def test_quadrature_without_tables_equals_tables(classification):
    X, y = classification
    model = lgb.LGBMClassifier(n_estimators=30, num_leaves=40, verbose=-1, n_jobs=1).fit(X, y)
    with_tables, _ = _fast(model, X[:200])
    tables = build_tables(from_lightgbm(model.booster_), table_budget=0)
    assert (tables.table_start < 0).all()
    np.testing.assert_allclose(tree_shap_values(tables, X[:200]), with_tables, atol=1e-12)


def test_paths_deeper_than_the_table_limit():
    """A path with more than 16 distinct features is evaluated by quadrature, still exactly."""
    rng = np.random.default_rng(8)
    X = rng.normal(size=(4000, 30))
    y = X @ rng.normal(size=30) + rng.normal(size=4000)
    model = DecisionTreeRegressor(random_state=0, min_samples_leaf=1).fit(X, y)
    tables = build_tables(from_sklearn(model, 1))
    assert tables.leaf_d.max() > 16
    values = tree_shap_values(tables, X[:50])
    theirs, _ = _shap_values(model, X[:50])
    np.testing.assert_allclose(values, theirs, atol=1e-8 * np.abs(theirs).max())


def test_explainer_uses_fast_path_and_matches_native(classification):
    X, y = classification
    model = lgb.LGBMClassifier(n_estimators=30, verbose=-1, n_jobs=1).fit(X, y)
    fast = TreeExplainer(model, X)
    native = TreeExplainer(model, X, algorithm="native")
    assert fast.algorithm_ == "fast" and native.algorithm_ == "native"
    a, b = fast.explain_local(X[:200]), native.explain_local(X[:200])
    np.testing.assert_allclose(a.local_importance_values, b.local_importance_values, atol=TOL)
    np.testing.assert_allclose(a.expected_values, b.expected_values, atol=TOL)
    assert a.fidelity.additivity_error < 1e-9
    parallel = TreeExplainer(model, X, n_jobs=2).explain_local(X[:1200], batch_size=100)
    serial = fast.explain_local(X[:1200])
    np.testing.assert_array_equal(parallel.local_importance_values,
                                  serial.local_importance_values)


def test_explainer_sparse_input_and_pickling(classification):
    X, y = classification
    model = RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0).fit(X, y)
    explainer = TreeExplainer(model, X)
    assert explainer.algorithm_ == "fast" and explainer.output_space_ == "probability"
    dense = explainer.explain_local(X[:50])
    sparse = explainer.explain_local(sp.csr_matrix(X[:50]))
    np.testing.assert_allclose(dense.local_importance_values, sparse.local_importance_values)
    explainer.tables()
    copy = pickle.loads(pickle.dumps(explainer))
    assert copy.compiled_._tables is None
    np.testing.assert_allclose(copy.explain_local(X[:50]).local_importance_values,
                               dense.local_importance_values)


def test_algorithm_argument_is_checked():
    X, y = make_regression(300, 4, random_state=0)
    boosting = GradientBoostingRegressor(n_estimators=5).fit(X, y)
    assert TreeExplainer(boosting, X).algorithm_ == "native"
    with pytest.raises(ExplanationValueError, match="algorithm='fast' supports"):
        TreeExplainer(boosting, X, algorithm="fast")
    with pytest.raises(ExplanationValueError, match="algorithm must be one of"):
        TreeExplainer(boosting, X, algorithm="v2")


def test_lightgbm_linear_trees_are_not_tree_models():
    from explain.explainers._tree import is_tree_model

    X = np.random.default_rng(9).random((300, 4))
    y = 3 * X[:, 0] + X[:, 1]
    model = lgb.LGBMRegressor(n_estimators=5, linear_tree=True, verbose=-1, n_jobs=1).fit(X, y)
    assert not is_tree_model(model)
    with pytest.raises(ExplanationTypeError, match="not a supported tree model"):
        TreeExplainer(model, X)

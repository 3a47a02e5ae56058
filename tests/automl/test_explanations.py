"""Tests of how runs are explained: shap's own TreeSHAP for forests of very many leaves."""

from __future__ import annotations

import numpy as np
import pytest
from lightgbm import LGBMClassifier
from sklearn.ensemble import ExtraTreesRegressor, RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import automl._explanations
from automl._explanations import _explainer, _tree_options
from tests._synthetic import make_ground_truth


def test_a_forest_of_very_many_leaves_is_explained_by_shaps_tree_shap(
        monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = make_ground_truth("regression", n_rows=300, n_features=4)
    forest = ExtraTreesRegressor(n_estimators=5, random_state=0, n_jobs=1).fit(X, y)
    leaves = sum(t.tree_.n_leaves for t in forest.estimators_)
    assert _tree_options(forest) == {}  # few leaves: the fast algorithm
    monkeypatch.setattr(automl._explanations, "LARGE_FOREST_LEAVES", leaves - 1)
    assert _tree_options(forest) == {"algorithm": "native"}
    scaled = Pipeline([("scale", StandardScaler()), ("model", forest)])
    assert _tree_options(scaled) == {"algorithm": "native"}
    explainer = _explainer(forest, X.iloc[:50], None, 30, 0)
    assert explainer.explainer.algorithm_ == "native"
    explanation = explainer.explain_global(X.iloc[:3])
    np.testing.assert_allclose(explanation.local_values[0].sum(axis=1) + explanation.expected_values_[0],
                               forest.predict(X.iloc[:3]), atol=1e-6)


def test_other_models_keep_their_explainers_defaults() -> None:
    X, y = make_ground_truth("binary", n_rows=200, n_features=4)
    assert _tree_options(LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)) == {}
    assert _tree_options(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)) == {}

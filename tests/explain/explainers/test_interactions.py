"""SHAP interaction values of tree models: consistency with the local values, ground truth,
raw mapping, selection and storage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from xgboost import XGBClassifier

from explain import (
    ExplanationValueError,
    TabularExplainer,
    TreeExplainer,
    load_explanation,
    save_explanation,
)
from tests._synthetic import make_ground_truth

MODELS = {
    "lightgbm-binary": ("binary", lambda: LGBMClassifier(n_estimators=30, n_jobs=1, verbose=-1), 1e-9),
    "lightgbm-regression": ("regression", lambda: LGBMRegressor(n_estimators=30, n_jobs=1, verbose=-1), 1e-9),
    "forest-multiclass": ("multiclass", lambda: RandomForestClassifier(20, max_depth=5, random_state=0,
                                                                       n_jobs=1), 1e-9),
    "forest-regression": ("regression", lambda: RandomForestRegressor(20, max_depth=5, random_state=0,
                                                                      n_jobs=1), 1e-9),
    "xgboost-multiclass": ("multiclass", lambda: XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1), 1e-5),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_matrix_row_sums_to_the_local_value_and_is_symmetric(name: str) -> None:
    task, build, atol = MODELS[name]
    X, y = make_ground_truth(task, n_rows=300)
    if name.startswith("xgboost"):
        y = np.unique(y, return_inverse=True)[1]
    model = build().fit(X, y)
    explanation = TabularExplainer(model, X).explain_local(X.iloc[:15], interactions=True)
    values = explanation.interaction_values
    n_outputs = explanation.local_values.shape[0]
    assert values.shape == (n_outputs, 15, 8, 8)
    np.testing.assert_allclose(values.sum(axis=3), explanation.local_values, atol=atol)
    np.testing.assert_allclose(values, values.transpose(0, 1, 3, 2), atol=atol)
    expected = values if task != "regression" else values[0]
    np.testing.assert_array_equal(explanation.local_interaction_values, expected)


def test_the_interacting_pair_is_found_and_an_additive_model_has_none() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(2000, 5)), columns=[f"f{i}" for i in range(5)])
    y = 2 * X["f0"] * X["f1"] + X["f2"]
    model = LGBMRegressor(n_estimators=200, n_jobs=1, verbose=-1).fit(X, y)
    values = TreeExplainer(model).explain_local(X.iloc[:200], interactions=True).interaction_values[0]
    strength = np.abs(values).mean(axis=0)
    np.fill_diagonal(strength, 0.0)
    assert set(np.unravel_index(np.argmax(strength), strength.shape)) == {0, 1}
    stumps = LGBMRegressor(n_estimators=100, max_depth=1, num_leaves=2, n_jobs=1, verbose=-1).fit(X, y)
    additive = TreeExplainer(stumps).explain_local(X.iloc[:50], interactions=True).interaction_values[0]
    off_diagonal = additive - np.einsum("nii->ni", additive)[:, :, None] * np.eye(5)[None]
    assert np.abs(off_diagonal).max() < 1e-9


def test_raw_interactions_of_a_pipeline_sum_to_raw_local_values() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.normal(40, 10, 500), "income": rng.normal(size=500),
                          "region": rng.choice(["north", "south", "east"], 500)})
    y = np.where((frame["region"] == "south") ^ (frame["age"] > 45), 1, 0)
    pipeline = make_pipeline(ColumnTransformer([("num", StandardScaler(), ["age", "income"]),
                                                ("cat", OneHotEncoder(), ["region"])]),
                             LGBMClassifier(n_estimators=30, n_jobs=1, verbose=-1)).fit(frame, y)
    explainer = TabularExplainer(pipeline, frame.iloc[:100])
    explanation = explainer.explain_local(frame.iloc[:10], interactions=True)
    assert explanation.is_raw and explanation.interaction_values.shape == (2, 10, 3, 3)
    np.testing.assert_allclose(explanation.interaction_values.sum(axis=3), explanation.local_values,
                               atol=1e-9)
    engineered = explanation.engineered_explanation
    assert engineered.interaction_values.shape == (2, 10, 5, 5)
    # the age x region interaction the label is made of is the strongest raw pair
    strength = np.abs(explanation.interaction_values[1]).mean(axis=0)
    np.fill_diagonal(strength, 0.0)
    assert set(np.unravel_index(np.argmax(strength), strength.shape)) == {0, 2}


def test_top_k_and_save_load_keep_interactions(tmp_path) -> None:
    X, y = make_ground_truth("regression", n_rows=300)
    model = LGBMRegressor(n_estimators=30, n_jobs=1, verbose=-1).fit(X, y)
    explanation = TreeExplainer(model).explain_local(X.iloc[:10], interactions=True)
    top = explanation.top_k(3)
    order = [explanation.features.index(f) for f in top.features]
    kept = explanation.interaction_values[:, :, order][..., order]
    np.testing.assert_array_equal(top.interaction_values, kept)
    path = save_explanation(explanation, tmp_path / "i.npz")
    loaded = load_explanation(path)
    np.testing.assert_array_equal(loaded.interaction_values, explanation.interaction_values)
    import json
    import zipfile

    assert json.loads(zipfile.ZipFile(path).read("metadata.json"))["schema_version"] == 6  # with its data
    values_only = save_explanation(explanation, tmp_path / "v.npz", include_data=False)
    assert json.loads(zipfile.ZipFile(values_only).read("metadata.json"))["schema_version"] == 3


def test_interactions_need_a_tree_model_and_every_feature() -> None:
    X, y = make_ground_truth("regression", n_rows=200)
    with pytest.raises(ExplanationValueError, match="needs a tree model"):
        TabularExplainer(Ridge().fit(X, y), X).explain_local(X.iloc[:3], interactions=True)
    model = LGBMRegressor(n_estimators=10, n_jobs=1, verbose=-1).fit(X, y)
    with pytest.raises(ExplanationValueError, match="without explain_subset"):
        TreeExplainer(model, explain_subset=[0, 1]).explain_local(X.iloc[:3], interactions=True)


def test_interaction_values_must_match_the_local_values() -> None:
    from explain import Explanation

    local = np.zeros((1, 2, 3))
    with pytest.raises(ExplanationValueError, match="interaction_values"):
        Explanation.from_local(local, np.zeros(1), method="m", model_task="regression",
                               features=["a", "b", "c"], interaction_values=np.zeros((1, 2, 3, 2)))

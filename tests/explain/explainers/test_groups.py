"""``groups=``: columns explained as one feature, summed (tree, linear, mimic) or played as one
player (Kernel SHAP's grouped game)."""

from __future__ import annotations

from math import factorial
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import (
    ExplanationTypeError,
    ExplanationValueError,
    KernelExplainer,
    LinearExplainer,
    MimicExplainer,
    TabularExplainer,
    TreeExplainer,
)
from explain.models import LGBMExplainableModel
from tests._synthetic import make_ground_truth

GROUPS = {"front": ["f0", "f3"], "back": ["f1", "f5", "f7"]}
NAMES = ("front", "back", "f2", "f4", "f6")  # groups and ungrouped columns, by first column


def _members(features: tuple[str, ...]) -> list[list[int]]:
    """Column indices of every explained feature of ``NAMES`` among ``features``."""
    return [[features.index(c) for c in GROUPS.get(name, [name])] for name in NAMES]


def _assert_sums_of_members(grouped: Any, plain: Any) -> None:
    """Each group's local value is the sum of its columns' values; rows still add up."""
    assert grouped.features == NAMES and grouped.is_raw
    values, per_column = np.asarray(grouped.local_values), np.asarray(plain.local_values)
    for k, columns in enumerate(_members(plain.features)):
        np.testing.assert_allclose(values[..., k], per_column[..., columns].sum(axis=-1), atol=1e-10)
    np.testing.assert_allclose(values.sum(axis=-1), per_column.sum(axis=-1), atol=1e-10)
    engineered = grouped.engineered_explanation
    assert engineered is not None and engineered.features == plain.features
    np.testing.assert_allclose(engineered.local_values, per_column, atol=1e-12)


def test_tree_groups_are_sums_and_add_up_to_the_margin() -> None:
    X, y = make_ground_truth("regression", n_rows=300)
    model = LGBMRegressor(n_estimators=30, num_leaves=8, n_jobs=1, verbose=-1).fit(X, y)
    grouped = TreeExplainer(model, groups=GROUPS).explain_local(X.iloc[:20])
    _assert_sums_of_members(grouped, TreeExplainer(model).explain_local(X.iloc[:20]))
    values = np.asarray(grouped.local_values)[0]
    predicted = model.predict(X.iloc[:20])
    np.testing.assert_allclose(values.sum(axis=1) + grouped.expected_values_, predicted, atol=1e-8)


def test_linear_groups_are_sums_and_add_up_to_the_prediction() -> None:
    X, y = make_ground_truth("regression", n_rows=200)
    model = LinearRegression().fit(X, y)
    grouped = LinearExplainer(model, X, groups=GROUPS).explain_local(X.iloc[:15])
    _assert_sums_of_members(grouped, LinearExplainer(model, X).explain_local(X.iloc[:15]))
    values = np.asarray(grouped.local_values)[0]
    predicted = model.predict(X.iloc[:15])
    np.testing.assert_allclose(values.sum(axis=1) + grouped.expected_values_, predicted, atol=1e-8)


def test_mimic_and_tabular_take_groups() -> None:
    X, y = make_ground_truth("binary", n_rows=300)
    model = LogisticRegression().fit(X, y)
    options = {"explainable_model_args": {"n_estimators": 20, "n_jobs": 1}}
    grouped = MimicExplainer(model, X, LGBMExplainableModel, groups=GROUPS, **options).explain_local(
        X.iloc[:10])
    plain = MimicExplainer(model, X, LGBMExplainableModel, **options).explain_local(X.iloc[:10])
    _assert_sums_of_members(grouped, plain)
    tabular = TabularExplainer(model, X, groups=GROUPS).explain_global(X.iloc[:10])
    assert tabular.features == NAMES and tabular.method == "shap.linear"


def test_groups_of_raw_columns_compose_with_the_feature_map() -> None:
    rng = np.random.default_rng(0)
    raw = pd.DataFrame({"age": rng.normal(40, 10, 200), "city": rng.choice(["a", "b", "c"], 200),
                        "income": rng.normal(size=200)})
    y = (raw["age"] / 10 + (raw["city"] == "a") + raw["income"] > 5).astype(int)
    featurizer = ColumnTransformer([("num", StandardScaler(), ["age", "income"]),
                                    ("cat", OneHotEncoder(), ["city"])]).fit(raw)
    model = LGBMClassifier(n_estimators=20, num_leaves=6, n_jobs=1, verbose=-1)
    model.fit(featurizer.transform(raw), y)
    explainer = TreeExplainer(model, raw, transformations=featurizer, groups={"who": ["age", "city"]})
    grouped = explainer.explain_local(raw.iloc[:8])
    assert grouped.features == ("who", "income") and grouped.engineered_explanation is not None
    assert len(grouped.engineered_explanation.features) == 5  # age, income, three cities
    raw_values = TreeExplainer(model, raw, transformations=featurizer).explain_local(raw.iloc[:8])
    per_raw = np.asarray(raw_values.local_values)
    index = {name: i for i, name in enumerate(raw_values.features)}
    np.testing.assert_allclose(np.asarray(grouped.local_values)[..., 0],
                               per_raw[..., index["age"]] + per_raw[..., index["city"]], atol=1e-10)


# ---------------------------------------------------------------------- Kernel SHAP: the grouped game


def _smooth(Z: np.ndarray) -> np.ndarray:
    """A function of 8 columns with interactions inside and across the groups (the last term
    splits 2:1 between a group and a column when values are summed, 1:1 in the grouped game)."""
    Z = np.asarray(Z, dtype=np.float64)
    inside = np.sin(Z[:, 0] * Z[:, 3]) + Z[:, 1] * Z[:, 5] * Z[:, 7] + Z[:, 2] ** 2 + 0.5 * Z[:, 4]
    return inside - Z[:, 6] * Z[:, 0] + Z[:, 0] * Z[:, 3] * Z[:, 2]


def _grouped_game_values(X: np.ndarray, background: np.ndarray, weights: np.ndarray,
                         players: list[list[int]]) -> np.ndarray:
    """Exact Shapley values of the grouped game by the subset formula, (n_rows, n_players)."""
    n = len(players)
    codes = np.arange(2**n)
    on = ((codes[:, None] >> np.arange(n)) & 1).astype(bool)
    columns = np.zeros((codes.size, X.shape[1]), dtype=bool)
    for p, members in enumerate(players):
        columns[:, members] = on[:, [p]]
    sizes = on.sum(axis=1)
    out = np.zeros((X.shape[0], n))
    for r, x in enumerate(X):
        synthetic = np.where(columns[:, None, :], x, background[None])
        value = _smooth(synthetic.reshape(-1, X.shape[1])).reshape(codes.size, -1) @ weights
        for p in range(n):
            without = codes[~on[:, p]]
            kernel = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in sizes[without]])
            out[r, p] = kernel @ (value[without | (1 << p)] - value[without])
    return out


def test_kernel_groups_equal_the_exact_values_of_the_grouped_game() -> None:
    X, _ = make_ground_truth("regression", n_rows=40)
    explainer = KernelExplainer(_smooth, X.iloc[:12], is_function=True, model_task="regression",
                                groups=GROUPS)
    explanation = explainer.explain_local(X.iloc[20:26])
    assert explanation.features == NAMES and explainer.n_players_ == 5
    assert not explanation.is_raw and explanation.engineered_explanation is None  # no feature map
    exact = _grouped_game_values(X.iloc[20:26].to_numpy(), explainer.background_,
                                 explainer.background_weights_, _members(tuple(X.columns)))
    values = np.asarray(explanation.local_values)[0]
    np.testing.assert_allclose(values, exact, atol=1e-10)
    output = _smooth(X.iloc[20:26].to_numpy())
    np.testing.assert_allclose(values.sum(axis=1) + explanation.expected_values_, output, atol=1e-10)
    plain = KernelExplainer(_smooth, X.iloc[:12], is_function=True, model_task="regression").explain_local(
        X.iloc[20:26])
    member_sums = np.asarray(plain.local_values)[0][:, _members(tuple(X.columns))[0]].sum(axis=1)
    assert np.max(np.abs(member_sums - values[:, 0])) > 1e-3  # a grouped game, not summed values


def test_kernel_sampled_groups_add_up() -> None:
    X, _ = make_ground_truth("regression", n_rows=60, n_features=30)
    groups = {f"g{k}": [f"f{i}" for i in range(k, 30, 3)] for k in range(2)}  # 20 columns in 2 groups
    explainer = KernelExplainer(lambda Z: np.tanh(Z).sum(axis=1) + Z[:, 0] * Z[:, 1], X.iloc[:10],
                                is_function=True, model_task="regression", groups=groups)
    assert explainer.n_players_ == 12 and explainer.plan_.exact  # 2 groups + 10 columns
    explanation = explainer.explain_local(X.iloc[30:34])
    assert explanation.features[:3] == ("g0", "g1", "f2")
    assert explanation.fidelity.additivity_error < 1e-10


@pytest.mark.parametrize(("groups", "error", "match"), [
    ({"a": ["f0", "nope"]}, ExplanationValueError, r"groups\['a'\] names unknown columns 'nope'"),
    ({"a": []}, ExplanationValueError, r"groups\['a'\] is empty"),
    ({"a": ["f0", "f1"], "b": ["f1"]}, ExplanationValueError, r"columns 'f1' are in more than one group"),
    ({"a": ["f0", "f0"]}, ExplanationValueError, r"columns 'f0' are in more than one group"),
    ({"f2": ["f0"]}, ExplanationValueError, r"group names 'f2' are also the names of columns"),
    (["f0"], ExplanationTypeError, "groups must be a non-empty mapping"),
    ({}, ExplanationTypeError, "groups must be a non-empty mapping"),
    ({"a": "f0"}, ExplanationTypeError, r"groups\['a'\] must be a list of column names"),
])
@pytest.mark.parametrize("kind", ["tree", "kernel"])
def test_bad_groups_are_refused_naming_them(groups: Any, error: type, match: str, kind: str) -> None:
    X, y = make_ground_truth("regression", n_rows=60)
    with pytest.raises(error, match=match):
        if kind == "tree":
            TreeExplainer(LGBMRegressor(n_estimators=5, n_jobs=1, verbose=-1).fit(X, y), groups=groups)
        else:
            KernelExplainer(_smooth, X.iloc[:5], is_function=True, model_task="regression", groups=groups)


def test_kernel_groups_and_explain_subset_are_not_combined() -> None:
    X, _ = make_ground_truth("regression", n_rows=30)
    with pytest.raises(ExplanationValueError, match="explain_subset cannot be combined with groups"):
        KernelExplainer(_smooth, X.iloc[:5], is_function=True, model_task="regression", groups=GROUPS,
                        explain_subset=["f2"])

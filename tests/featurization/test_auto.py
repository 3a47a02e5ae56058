"""AutoFeaturizer: automatic featurization of a mixed table, its feature map and summary."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from featurization import (
    AutoFeaturizer,
    FeatureMap,
    FeaturizationTypeError,
    FeaturizationValueError,
    feature_map_from,
)

N_ROWS = 120
TEXT_COMPONENTS = 4
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
DROPPED = {"const": "constant", "int_id": "ID-like (every value distinct)",
           "str_id": "ID-like (every value distinct)"}


def make_table(n_rows: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({
        "num": rng.normal(size=n_rows),
        "cat": rng.choice(["red", "green", "blue"], n_rows).astype(object),
        "high": [f"item{i}" for i in rng.integers(0, 60, n_rows)],
        "text": [" ".join(rng.choice(WORDS, 4)) for _ in range(n_rows)],
        "when": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, n_rows), unit="D"),
        "const": 7.0,
        "int_id": rng.permutation(n_rows),
        "str_id": [f"user{i:04d}" for i in rng.permutation(n_rows)],
    })
    table.loc[rng.choice(n_rows, 10, replace=False), "num"] = np.nan
    table.loc[rng.choice(n_rows, 8, replace=False), "cat"] = None
    return table


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_table()


@pytest.fixture(scope="module")
def fitted(table) -> AutoFeaturizer:
    return AutoFeaturizer(text_components=TEXT_COMPONENTS).fit(table)


def test_transform_has_no_nan_and_matches_names(fitted, table):
    out = fitted.transform(table)
    assert out.dtype == np.float64
    assert not np.isnan(out).any()
    assert out.shape == (N_ROWS, len(fitted.get_feature_names_out()))
    np.testing.assert_allclose(AutoFeaturizer(text_components=TEXT_COMPONENTS).fit_transform(table), out)
    assert list(fitted.feature_names_in_) == list(table.columns)
    assert fitted.n_features_in_ == table.shape[1]


def test_constant_and_id_columns_are_dropped_with_reasons(fitted):
    assert fitted.dropped_ == DROPPED
    assert fitted.kept_columns_ == ["num", "cat", "high", "text", "when"]


def test_describe(fitted):
    summary = fitted.describe()
    assert isinstance(summary, pd.DataFrame)
    assert list(summary.index) == list(fitted.feature_names_in_)
    assert {"kind", "dropped", "transformer", "n_engineered"} <= set(summary.columns)
    assert summary.loc["num", "kind"] == "numeric"
    assert summary.loc["cat", "kind"] == "categorical"
    assert summary.loc["when", "kind"] == "datetime"
    assert summary.loc["text", "kind"] == summary.loc["high", "kind"] == "text / high-cardinality"
    assert summary.loc["cat", "transformer"] == "OneHotEncoder"
    for name, reason in DROPPED.items():
        assert summary.loc[name, "dropped"] == reason
        assert summary.loc[name, "n_engineered"] == 0
        assert summary.loc[name, "transformer"] == ""
    assert (summary.loc[fitted.kept_columns_, "dropped"] == "").all()
    groups = fitted.feature_map_.groups()
    assert summary["n_engineered"].to_dict() == {k: len(v) for k, v in groups.items()}
    assert summary["n_engineered"].sum() == len(fitted.get_feature_names_out())


def test_feature_map_groups_each_raw_column_to_its_outputs(fitted):
    fmap = fitted.feature_map_
    assert isinstance(fmap, FeatureMap) and fmap.is_one_to_one()
    assert fmap.raw_feature_names == tuple(fitted.feature_names_in_)
    assert fmap.engineered_feature_names == tuple(fitted.get_feature_names_out())
    groups = fmap.groups()
    assert groups["num"] == ["num"]
    assert groups["cat"] == ["cat_blue", "cat_green", "cat_red", "cat_nan"]
    assert groups["when"] == ["when_year", "when_month", "when_day", "when_total_seconds"]
    assert len(groups["text"]) == len(groups["high"]) == TEXT_COMPONENTS
    assert all(name.startswith("text_") for name in groups["text"])
    assert all(groups[name] == [] for name in DROPPED)


def test_permuting_a_raw_column_moves_only_its_outputs(fitted, table):
    base = fitted.transform(table)
    names = list(fitted.get_feature_names_out())
    for raw, produced in fitted.feature_map_.groups().items():
        moved = table.copy()
        moved[raw] = table[raw].sample(frac=1.0, random_state=1).to_numpy()
        changed = {names[k] for k in np.flatnonzero(~np.isclose(base, fitted.transform(moved)).all(axis=0))}
        assert changed <= set(produced), raw
        assert bool(changed) == bool(produced), raw


def test_transform_on_new_rows_with_an_unseen_category(fitted):
    new = make_table(n_rows=30, seed=1)
    new.loc[0, "cat"] = "purple"
    new.loc[1, "high"] = "never seen before"
    with pytest.warns(UserWarning, match="unknown categories"):
        out = fitted.transform(new)
    assert out.shape == (30, len(fitted.get_feature_names_out()))
    assert not np.isnan(out).any()
    cat = [fitted.get_feature_names_out().tolist().index(n) for n in fitted.feature_map_.groups()["cat"]]
    assert (out[0, cat] == 0).all()


def test_transform_does_not_need_the_dropped_columns(fitted, table):
    out = fitted.transform(table.drop(columns=list(DROPPED))[::-1])
    np.testing.assert_allclose(out, fitted.transform(table)[::-1])


def test_missing_column_at_transform(fitted, table):
    with pytest.raises(FeaturizationValueError, match=r"lacks columns seen in fit: \['cat', 'when'\]"):
        fitted.transform(table.drop(columns=["cat", "when"]))


@pytest.mark.parametrize("empty", [pd.DataFrame(), make_table().iloc[:0]], ids=["no-columns", "no-rows"])
def test_empty_frame(empty):
    with pytest.raises(FeaturizationValueError, match=r"AutoFeaturizer.fit: X is empty \(shape"):
        AutoFeaturizer().fit(empty)


@pytest.mark.parametrize("bad", [[[1.0, 2.0]], np.arange(5.0), pd.Series([1.0, 2.0]), "table"],
                         ids=["list", "1-d-array", "series", "str"])
def test_non_dataframe_input(bad):
    with pytest.raises(FeaturizationTypeError, match="expected a pandas DataFrame or a 2-D array"):
        AutoFeaturizer().fit(bad)


def test_2d_array_is_accepted():
    X = np.random.default_rng(2).normal(size=(50, 3))
    featurizer = AutoFeaturizer().fit(X)
    assert list(featurizer.get_feature_names_out()) == ["x0", "x1", "x2"]
    np.testing.assert_allclose(featurizer.transform(X), X)
    with pytest.raises(FeaturizationTypeError, match=r"AutoFeaturizer.transform: expected"):
        featurizer.transform(X[0])


def test_all_columns_dropped(table):
    with pytest.raises(FeaturizationValueError, match=r"every column was dropped.*\['const', 'int_id'"):
        AutoFeaturizer().fit(table[["const", "int_id", "str_id"]])


def test_drop_switches(table):
    kept = AutoFeaturizer(drop_constant=False, drop_id_like=False, text_components=2).fit(
        table[["num", "const", "int_id"]])
    assert kept.dropped_ == {}
    assert kept.feature_map_.groups() == {"num": ["num"], "const": ["const"], "int_id": ["int_id"]}


def test_scikit_learn_api(fitted):
    unfitted = AutoFeaturizer(cardinality_threshold=10, text_components=3)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        check_is_fitted(unfitted)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        unfitted.transform(make_table())
    with pytest.raises(NotFittedError, match="not fitted yet"):
        unfitted.describe()
    params = unfitted.get_params()
    assert params == {"cardinality_threshold": 10, "text_components": 3, "drop_constant": True,
                      "drop_id_like": True, "random_state": 0}
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "feature_map_")
    check_is_fitted(fitted)
    with pytest.raises(TypeError, match="positional"):
        AutoFeaturizer(40)  # keyword-only


def test_feature_map_from_equals_feature_map(fitted):
    assert feature_map_from(fitted) == fitted.feature_map_


def test_inside_a_pipeline_with_a_classifier(table):
    y = np.where(table["num"].fillna(0.0) + (table["cat"] == "red") > 0.5, "yes", "no")
    # The featurizer does not scale (when_total_seconds is ~1e9), so a linear model needs a scaler.
    pipeline = make_pipeline(AutoFeaturizer(text_components=TEXT_COMPONENTS), StandardScaler(),
                             LogisticRegression(max_iter=500))
    pipeline.fit(table, y)
    assert pipeline.score(table, y) > 0.8
    assert set(pipeline.predict(make_table(n_rows=10, seed=3))) <= {"no", "yes"}
    assert feature_map_from(pipeline[:1]) == pipeline[0].feature_map_
    assert feature_map_from(pipeline[:2]) == pipeline[0].feature_map_  # the scaler is one-to-one

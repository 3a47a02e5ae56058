"""feature_map_from on fitted scikit-learn and skrub objects: raw -> engineered lineage.

Every map is checked three ways: against the expected groups written by hand, against the
fitted object's ``get_feature_names_out()`` order, and by perturbation (permuting a raw
column changes only the outputs the map attributes to it, and at least one of them).
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import SelectKBest, VarianceThreshold, f_regression
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    KBinsDiscretizer,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    PowerTransformer,
    QuantileTransformer,
    SplineTransformer,
    StandardScaler,
)

from featurization import (
    FeatureMap,
    FeaturizationError,
    FeaturizationTypeError,
    FeaturizationValueError,
    UnsupportedTransformationError,
    feature_map_from,
)

N_ROWS = 80


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """Mixed table: numeric with NaN, categorical with None, binary, rare levels, free text."""
    rng = np.random.default_rng(0)
    rare = np.array(["common"] * 50 + ["mid"] * 20 + ["r1"] * 6 + ["r2"] * 4, dtype=object)
    frame = pd.DataFrame({
        "age": rng.normal(40.0, 10.0, N_ROWS),
        "income": rng.lognormal(size=N_ROWS),
        "city": rng.choice(["paris", "rome", "oslo"], N_ROWS).astype(object),
        "sex": rng.choice(["f", "m"], N_ROWS).astype(object),
        "rare": rng.permutation(rare),
        "text": [" ".join(rng.choice(["red", "fox", "blue", "whale", "jumps"], 3)) for _ in range(N_ROWS)],
    })
    frame.loc[[0, 3, 9], "age"] = np.nan
    frame.loc[[1, 4], "city"] = None
    return frame


@pytest.fixture(scope="module")
def numeric() -> tuple[pd.DataFrame, np.ndarray]:
    """Numeric frame: ``a`` with NaN, ``b`` drives y, ``c`` nearly constant."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=N_ROWS), "b": rng.normal(size=N_ROWS),
                          "c": 5.0 + 1e-3 * rng.normal(size=N_ROWS)})
    frame.loc[[0, 7], "a"] = np.nan
    y = 2.0 * frame["b"].to_numpy() + 0.1 * rng.normal(size=N_ROWS)
    return frame, y


def _dense(out: Any) -> np.ndarray:
    return out.toarray() if sp.issparse(out) else np.asarray(out)


def _same(left: np.ndarray, right: np.ndarray) -> bool:
    if left.dtype.kind in "fiub" and right.dtype.kind in "fiub":
        return np.allclose(left, right, equal_nan=True)
    return pd.Series(left).equals(pd.Series(right))  # passed-through strings


def _permuted(X: Any, column: int) -> Any:
    order = np.random.default_rng(7).permutation(len(X))
    if isinstance(X, pd.DataFrame):
        X = X.copy()
        X.iloc[:, column] = X.iloc[order, column].to_numpy()
        return X
    X = np.array(X, copy=True)
    X[:, column] = X[order, column]
    return X


def check_lineage(fitted: Any, X: Any, fmap: FeatureMap, names_out: Any = None) -> None:
    """Names follow get_feature_names_out; permuting a raw column moves only its outputs."""
    names = list(fitted.get_feature_names_out() if names_out is None else names_out)
    assert list(fmap.engineered_feature_names) == [str(n) for n in names]
    base = _dense(fitted.transform(X))
    assert base.shape[1] == fmap.n_engineered
    groups = fmap.groups()
    for j, raw in enumerate(fmap.raw_feature_names):
        moved = _dense(fitted.transform(_permuted(X, j)))
        changed = {names[k] for k in range(len(names)) if not _same(base[:, k], moved[:, k])}
        assert changed <= set(groups[raw]), f"{raw}: {sorted(changed - set(groups[raw]))} not mapped"
        constant = pd.Series(_dense(X)[:, j]).nunique(dropna=False) <= 1
        if not constant:
            assert bool(changed) == bool(groups[raw]), f"{raw}: mapped {groups[raw]}, changed {changed}"


def fit_and_map(transformer: Any, X: Any, y: Any = None, **kwargs: Any) -> FeatureMap:
    transformer.fit(X, y)
    fmap = feature_map_from(transformer, **kwargs)
    check_lineage(transformer, X, fmap)
    return fmap


# ---------------------------------------------------------------- ColumnTransformer
def _numeric_pipe() -> Pipeline:
    return make_pipeline(SimpleImputer(), StandardScaler())


def _categorical_pipe() -> Pipeline:
    return make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(drop="first"))


NO_OUTPUT = {"age": [], "income": [], "city": [], "sex": [], "rare": [], "text": []}

COLUMN_TRANSFORMERS: dict[str, tuple[Callable[[], ColumnTransformer], dict[str, list[str]]]] = {
    "numeric-and-categorical-pipelines": (
        lambda: ColumnTransformer([("num", _numeric_pipe(), ["age", "income"]),
                                   ("cat", _categorical_pipe(), ["city", "sex"])]),
        {"age": ["num__age"], "income": ["num__income"], "city": ["cat__city_paris", "cat__city_rome"],
         "sex": ["cat__sex_m"]},
    ),
    "one-hot-if-binary": (
        lambda: ColumnTransformer([("cat", OneHotEncoder(drop="if_binary"), ["sex", "rare"])]),
        {"sex": ["cat__sex_m"],
         "rare": ["cat__rare_common", "cat__rare_mid", "cat__rare_r1", "cat__rare_r2"]},
    ),
    "one-hot-min-frequency": (
        lambda: ColumnTransformer([("cat", OneHotEncoder(min_frequency=10), ["rare", "sex"])]),
        {"rare": ["cat__rare_common", "cat__rare_mid", "cat__rare_infrequent_sklearn"],
         "sex": ["cat__sex_f", "cat__sex_m"]},
    ),
    "one-hot-max-categories-and-drop-first": (
        lambda: ColumnTransformer([("cat", OneHotEncoder(max_categories=3, drop="first"), ["sex", "rare"])]),
        {"sex": ["cat__sex_m"], "rare": ["cat__rare_mid", "cat__rare_infrequent_sklearn"]},
    ),
    "one-hot-infrequent-if-exist-remainder-passthrough": (
        lambda: ColumnTransformer(
            [("cat", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10), ["rare"])],
            remainder="passthrough"),
        {"age": ["remainder__age"], "income": ["remainder__income"], "city": ["remainder__city"],
         "sex": ["remainder__sex"], "text": ["remainder__text"],
         "rare": ["cat__rare_common", "cat__rare_mid", "cat__rare_infrequent_sklearn"]},
    ),
    "remainder-drop-and-drop-step": (
        lambda: ColumnTransformer([("num", StandardScaler(), ["income"]), ("gone", "drop", ["age"])],
                                  remainder="drop"),
        {"income": ["num__income"]},
    ),
    "selection-by-integer-index": (
        lambda: ColumnTransformer([("num", _numeric_pipe(), [0, 1]), ("cat", OneHotEncoder(), [3])]),
        {"age": ["num__age"], "income": ["num__income"], "sex": ["cat__sex_f", "cat__sex_m"]},
    ),
    "selection-by-boolean-mask": (
        lambda: ColumnTransformer([("num", _numeric_pipe(), [True, False, False, False, False, False]),
                                   ("pass", "passthrough", np.array([0, 1, 0, 1, 0, 0], dtype=bool))]),
        {"age": ["num__age"], "income": ["pass__income"], "sex": ["pass__sex"]},
    ),
    "selection-by-column-selector": (
        lambda: ColumnTransformer([
            ("num", _numeric_pipe(), make_column_selector(dtype_include="number")),
            ("cat", OneHotEncoder(drop="first"), make_column_selector(pattern="^(?:sex|rare)$")),
        ]),
        {"age": ["num__age"], "income": ["num__income"], "sex": ["cat__sex_m"],
         "rare": ["cat__rare_mid", "cat__rare_r1", "cat__rare_r2"]},
    ),
    "selection-by-label-slice": (
        lambda: ColumnTransformer([("pass", "passthrough", slice("income", "sex"))]),
        {"income": ["pass__income"], "city": ["pass__city"], "sex": ["pass__sex"]},
    ),
    "not-verbose-feature-names": (
        lambda: ColumnTransformer([("num", StandardScaler(), ["income"]), ("cat", OneHotEncoder(), ["sex"])],
                                  verbose_feature_names_out=False),
        {"income": ["income"], "sex": ["sex_f", "sex_m"]},
    ),
    "sparse-output": (
        lambda: ColumnTransformer([("num", StandardScaler(), ["income"]),
                                   ("cat", OneHotEncoder(sparse_output=True), ["sex", "rare"])],
                                  sparse_threshold=1.0),
        {"income": ["num__income"], "sex": ["cat__sex_f", "cat__sex_m"],
         "rare": ["cat__rare_common", "cat__rare_mid", "cat__rare_r1", "cat__rare_r2"]},
    ),
    "nested-column-transformer": (
        lambda: ColumnTransformer([
            ("inner", ColumnTransformer([("s", StandardScaler(), ["income"]),
                                         ("o", OneHotEncoder(), ["sex"])]), ["income", "sex"]),
            ("age", _numeric_pipe(), ["age"]),
        ]),
        {"income": ["inner__s__income"], "sex": ["inner__o__sex_f", "inner__o__sex_m"], "age": ["age__age"]},
    ),
}


@pytest.mark.parametrize("case", list(COLUMN_TRANSFORMERS))
def test_column_transformer(table, case):
    make, expected = COLUMN_TRANSFORMERS[case]
    transformer = make()
    fmap = fit_and_map(transformer, table)
    assert fmap.groups() == {**NO_OUTPUT, **expected}
    assert fmap.raw_feature_names == tuple(table.columns)
    assert fmap.is_one_to_one()


def test_sparse_output_is_sparse(table):
    transformer = COLUMN_TRANSFORMERS["sparse-output"][0]().fit(table)
    out = transformer.transform(table)
    assert sp.issparse(out)
    assert out.shape[1] == feature_map_from(transformer).n_engineered


def test_unknown_category_lands_in_the_infrequent_output_of_its_column(table):
    transformer = COLUMN_TRANSFORMERS["one-hot-infrequent-if-exist-remainder-passthrough"][0]().fit(table)
    fmap = feature_map_from(transformer)
    new = table.head(2).copy()
    new["rare"] = ["never-seen", "common"]
    out = pd.DataFrame(transformer.transform(new), columns=fmap.engineered_feature_names)
    assert out.loc[0, "cat__rare_infrequent_sklearn"] == 1
    assert out.loc[1, "cat__rare_common"] == 1
    assert "cat__rare_infrequent_sklearn" in fmap.groups()["rare"]


def test_column_transformer_inside_a_pipeline(table):
    inner = ColumnTransformer([("num", _numeric_pipe(), ["age", "income"]),
                               ("cat", _categorical_pipe(), ["city"])])
    pipeline = make_pipeline(inner, PowerTransformer())
    fmap = fit_and_map(pipeline, table)
    assert fmap.groups() == {**NO_OUTPUT, "age": ["num__age"], "income": ["num__income"],
                             "city": ["cat__city_paris", "cat__city_rome"]}


def test_column_transformer_fitted_on_an_array_takes_the_given_names(table):
    X = table[["age", "income", "sex"]].to_numpy()
    transformer = ColumnTransformer([("num", _numeric_pipe(), [0, 1]), ("cat", OneHotEncoder(), [2])]).fit(X)
    fmap = feature_map_from(transformer, ["age", "income", "sex"])
    assert fmap.groups() == {"age": ["num__age"], "income": ["num__income"],
                             "sex": ["cat__sex_f", "cat__sex_m"]}
    check_lineage(transformer, X, fmap, transformer.get_feature_names_out(["age", "income", "sex"]))
    default = feature_map_from(transformer)
    assert default.raw_feature_names == ("x0", "x1", "x2")
    assert default.groups()["x2"] == ["cat__x2_f", "cat__x2_m"]


def test_unfitted_column_transformer(table):
    unfitted = ColumnTransformer([("num", StandardScaler(), ["income"])])
    with pytest.raises(FeaturizationValueError, match=r"cannot tell the input columns.*raw_feature_names"):
        feature_map_from(unfitted)
    with pytest.raises(FeaturizationValueError, match="not fitted"):
        feature_map_from(unfitted, list(table.columns))


# ---------------------------------------------------------------- Pipelines and single transformers
def test_pipeline_to_one_hot_bins(numeric):
    X, _ = numeric
    pipeline = make_pipeline(SimpleImputer(), StandardScaler(),
                             KBinsDiscretizer(n_bins=3, encode="onehot", strategy="uniform"))
    fmap = fit_and_map(pipeline, X)
    assert fmap.groups() == {c: [f"{c}_{k}.0" for k in range(3)] for c in "abc"}


def test_ordinal_bins_are_one_to_one(numeric):
    X, _ = numeric
    bins = KBinsDiscretizer(n_bins=3, encode="ordinal", strategy="uniform")
    pipeline = make_pipeline(SimpleImputer(), bins)
    assert fit_and_map(pipeline, X).groups() == {"a": ["a"], "b": ["b"], "c": ["c"]}


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values:UserWarning")
def test_imputer_indicators_map_to_their_column_and_empty_columns_drop(numeric):
    X = numeric[0].assign(d=np.nan)
    fmap = fit_and_map(SimpleImputer(add_indicator=True), X)
    assert fmap.groups() == {"a": ["a", "missingindicator_a"], "b": ["b"], "c": ["c"],
                             "d": ["missingindicator_d"]}
    fmap = fit_and_map(make_pipeline(SimpleImputer(), StandardScaler()), X)
    assert fmap.groups() == {"a": ["a"], "b": ["b"], "c": ["c"], "d": []}
    kept = fit_and_map(SimpleImputer(keep_empty_features=True), X)
    assert kept.groups()["d"] == ["d"]


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values:UserWarning")
@pytest.mark.parametrize("strategy", ["most_frequent", "constant"])
def test_imputer_drops_empty_columns_of_object_or_constant_strategy(strategy):
    X = pd.DataFrame({"a": ["x", "y", None, "x"] * 5, "b": pd.Series([np.nan] * 20, dtype=object)})
    imputer = SimpleImputer(strategy=strategy, fill_value="missing").fit(X)
    assert feature_map_from(imputer).groups() == {"a": ["a"], "b": []}


def test_selectors(numeric):
    X, y = numeric
    fmap = fit_and_map(make_pipeline(SimpleImputer(), VarianceThreshold(0.01)), X)
    assert fmap.groups() == {"a": ["a"], "b": ["b"], "c": []}
    fmap = fit_and_map(make_pipeline(SimpleImputer(), SelectKBest(f_regression, k=1)), X, y)
    assert fmap.groups() == {"a": [], "b": ["b"], "c": []}


def test_feature_union(numeric):
    X, y = numeric
    union = FeatureUnion([("scaled", StandardScaler()), ("best", SelectKBest(f_regression, k=1)),
                          ("none", "drop")])
    fmap = fit_and_map(make_pipeline(SimpleImputer(), union), X, y)
    assert fmap.groups() == {"a": ["scaled__a"], "b": ["scaled__b", "best__b"], "c": ["scaled__c"]}


@pytest.mark.parametrize("make", [
    lambda: FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
    lambda: PowerTransformer(),
    lambda: QuantileTransformer(n_quantiles=20),
    lambda: make_pipeline(StandardScaler(), FunctionTransformer(np.tanh, feature_names_out="one-to-one")),
], ids=["function", "power", "quantile", "pipeline"])
def test_one_to_one_transformers(numeric, make):
    X = numeric[0][["a", "b"]].fillna(0.0).abs()
    fmap = fit_and_map(make(), X)
    assert fmap == FeatureMap.identity(["a", "b"])


def test_ordinal_encoder_is_one_to_one(table):
    fmap = fit_and_map(OrdinalEncoder(), table[["sex", "rare"]])
    assert fmap == FeatureMap.identity(["sex", "rare"])


def test_function_transformer_without_names_is_refused(numeric):
    pipeline = make_pipeline(SimpleImputer(), FunctionTransformer()).fit(numeric[0])
    with pytest.raises(FeaturizationTypeError, match="FunctionTransformer has no get_feature_names_out"):
        feature_map_from(pipeline)


# ---------------------------------------------------------------- several inputs -> several outputs
MIXERS = {
    "pca-in-pipeline": (lambda: make_pipeline(SimpleImputer(), PCA(n_components=2)), "PCA", ["a", "b", "c"]),
    "polynomial": (lambda: make_pipeline(SimpleImputer(), PolynomialFeatures(degree=2)),
                   "PolynomialFeatures", ["a", "b", "c"]),
    "pca-in-column-transformer": (
        lambda: ColumnTransformer([("pca", make_pipeline(SimpleImputer(), PCA(n_components=2)), ["a", "b"]),
                                   ("c", "passthrough", ["c"])]),
        "PCA", ["a", "b"]),
}


@pytest.mark.parametrize("case", list(MIXERS))
def test_mixing_transformers_need_permission(numeric, case):
    make, name, mixed = MIXERS[case]
    transformer = make().fit(numeric[0])
    message = f"^{name} turns.*allow_all_transformations"
    with pytest.raises(UnsupportedTransformationError, match=message) as info:
        feature_map_from(transformer)
    assert isinstance(info.value, ValueError) and isinstance(info.value, FeaturizationError)

    fmap = feature_map_from(transformer, allow_all_transformations=True)
    check_lineage(transformer, numeric[0], fmap)
    matrix = pd.DataFrame(fmap.to_matrix().toarray(), index=fmap.raw_feature_names,
                          columns=fmap.engineered_feature_names)
    mixed_outputs = [c for c in matrix.columns if not c.endswith("__c")]
    np.testing.assert_allclose(matrix.loc[mixed, mixed_outputs], 1.0 / len(mixed))
    assert (matrix.drop(index=mixed)[mixed_outputs] == 0).all().all()


def test_single_input_with_several_outputs(table):
    transformer = ColumnTransformer([
        ("spline", make_pipeline(SimpleImputer(), SplineTransformer(n_knots=3, degree=2)), ["age"]),
        ("tfidf", TfidfVectorizer(), "text"),
    ])
    fmap = fit_and_map(transformer, table)
    assert fmap.groups() == {**NO_OUTPUT,
                             "age": [f"spline__age_sp_{k}" for k in range(4)],
                             "text": [f"tfidf__{w}" for w in ["blue", "fox", "jumps", "red", "whale"]]}


# ---------------------------------------------------------------- skrub TableVectorizer
def test_table_vectorizer(table):
    skrub = pytest.importorskip("skrub")
    frame = table[["age", "city", "text"]].assign(
        when=pd.Timestamp("2021-01-01") + pd.to_timedelta(np.arange(N_ROWS) * 3, unit="D"))
    vectorizer = skrub.TableVectorizer(
        cardinality_threshold=5, high_cardinality=skrub.StringEncoder(n_components=3, random_state=0))
    vectorizer.fit(frame)
    fmap = feature_map_from(vectorizer)
    check_lineage(vectorizer, frame, fmap)
    assert fmap.groups() == {
        "age": ["age"],
        "city": ["city_oslo", "city_paris", "city_rome", "city_nan"],
        "text": ["text_0", "text_1", "text_2"],
        "when": ["when_year", "when_month", "when_day", "when_total_seconds"],
    }


# ---------------------------------------------------------------- lists of maps and bad input
def test_list_of_feature_maps_is_composed():
    first = FeatureMap.from_groups(["a", "b"], {"a": ["x"], "b": ["y", "z"]})
    second = FeatureMap.from_groups(["x", "y", "z"], {"x": ["p"], "y": ["p"], "z": ["q"]})
    third = FeatureMap.identity(["p", "q"])
    assert feature_map_from([first, second, third]) == first @ second @ third
    assert feature_map_from((first, second), raw_feature_names=["a", "b"]) == first @ second
    assert feature_map_from(first) is first


def test_raw_feature_names_must_match_the_maps():
    fmap = FeatureMap.identity(["a", "b"])
    with pytest.raises(FeaturizationValueError, match=r"raw_feature_names \['a', 'c'\] differ"):
        feature_map_from(fmap, raw_feature_names=["a", "c"])
    with pytest.raises(FeaturizationValueError, match=r"raw_feature_names .* differ"):
        feature_map_from([fmap, fmap], raw_feature_names=["b", "a"])


@pytest.mark.parametrize("obj", [42, "passthrough", [], {"a": 1}, LogisticRegression()],
                         ids=["int", "str", "empty-list", "dict", "estimator"])
def test_unsupported_objects(obj):
    with pytest.raises(TypeError, match="feature_map_from: expected a fitted ColumnTransformer"):
        feature_map_from(obj)


def _tile(x: Any) -> Any:
    return np.tile(np.asarray(x, dtype=float), (1, 3))


class _Identity(BaseEstimator):  # a custom transformer without get_feature_names_out
    def fit(self, X: Any, y: Any = None) -> "_Identity":
        return self

    def transform(self, X: Any) -> Any:
        return X


def test_column_transformer_step_without_names_is_traced_by_its_output_indices() -> None:
    """A FunctionTransformer of a function (no get_feature_names_out) in a ColumnTransformer:
    its outputs are counted from output_indices_, all owed to its one input column."""
    frame = pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6.0) ** 2})
    ct = ColumnTransformer([("keep", "passthrough", ["a"]),
                            ("copy", FunctionTransformer(_tile), ["b"])]).fit(frame)
    fmap = feature_map_from(ct)
    assert fmap.engineered_feature_names == ("keep__a", "copy__b_0", "copy__b_1", "copy__b_2")
    assert fmap.groups() == {"a": ["keep__a"], "b": ["copy__b_0", "copy__b_1", "copy__b_2"]}
    many = ColumnTransformer([("id", make_pipeline(StandardScaler(), _Identity()), ["a", "b"])]).fit(frame)
    with pytest.raises(UnsupportedTransformationError, match="turns 2 input columns"):
        feature_map_from(many)
    assert feature_map_from(many, allow_all_transformations=True).to_matrix().toarray().tolist() == \
        [[0.5, 0.5], [0.5, 0.5]]


def test_list_step_without_names_is_traced_by_the_outputs_on_example_rows() -> None:
    frame = pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6.0) ** 2})
    mapper = [(["a"], None), (["b"], FunctionTransformer(_tile).fit(frame[["b"]]))]
    with pytest.raises(FeaturizationTypeError, match="has no get_feature_names_out"):
        feature_map_from(mapper)
    fmap = feature_map_from(mapper, example=frame.iloc[:2])
    assert fmap.groups() == {"a": ["a"], "b": ["b_0", "b_1", "b_2"]}

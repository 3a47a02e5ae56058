"""The sklearn-pandas ``(columns, transformer)`` list form: ColumnMapper and feature_map_from."""

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import LabelBinarizer, LabelEncoder, OneHotEncoder, StandardScaler

from featurization import (
    ColumnMapper,
    FeatureMap,
    FeaturizationTypeError,
    FeaturizationValueError,
    UnsupportedTransformationError,
    as_transformer,
    feature_map_from,
)

N_ROWS = 40


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    data = pd.DataFrame({
        "age": rng.normal(40.0, 10.0, N_ROWS), "income": rng.lognormal(size=N_ROWS),
        "pet": rng.choice(["cat", "dog", "fish"], N_ROWS).astype(object),
        "owner": rng.choice(["no", "yes"], N_ROWS).astype(object),
    })
    data.loc[[2, 5], "age"] = np.nan
    return data


class Recorder(TransformerMixin, BaseEstimator):
    """Identity transformer that records what ``transform`` received."""

    def fit(self, X: Any, y: Any = None) -> "Recorder":
        self.n_features_in_ = 1 if np.ndim(X) == 1 else np.shape(X)[1]
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def transform(self, X: Any) -> np.ndarray:
        self.received_ = X
        return np.asarray(X, dtype=np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(input_features, dtype=object)


class DataFrameMapper:
    """Stands in for sklearn_pandas.DataFrameMapper (which no longer imports with scikit-learn)."""

    def __init__(self, features: list[tuple[Any, ...]], built: bool = True) -> None:
        self.features = features
        if built:
            self.built_features = features


def _fitted_features(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """A typical sklearn-pandas list: 1-D binarizers, 2-D scalers, passthrough, a chain, options."""
    age = frame[["age"]]
    imputer = SimpleImputer().fit(age)
    return [
        ("pet", LabelBinarizer().fit(frame["pet"])),
        ("owner", LabelBinarizer().fit(frame["owner"])),
        (["age", "income"], [SimpleImputer().fit(frame[["age", "income"]]),
                             StandardScaler().fit(SimpleImputer().fit_transform(frame[["age", "income"]]))]),
        ("income", None),
        (["age"], [imputer, StandardScaler().fit(imputer.transform(age))], {"alias": "age_scaled"}),
    ]


def _by_hand(frame: pd.DataFrame, features: list[tuple[Any, ...]]) -> np.ndarray:
    pet, owner, (imputer, scaler), _, (imputer2, scaler2) = (f[1] for f in features)
    return np.hstack([
        pet.transform(frame["pet"]), owner.transform(frame["owner"]),
        scaler.transform(imputer.transform(frame[["age", "income"]])),
        frame[["income"]].to_numpy(), scaler2.transform(imputer2.transform(frame[["age"]])),
    ])


EXPECTED_GROUPS = {
    "pet": ["pet_cat", "pet_dog", "pet_fish"],
    "owner": ["owner_yes"],
    "age": ["age", "age_1"],
    "income": ["income", "income_1"],
}


def check_permutations(mapper: ColumnMapper, frame: pd.DataFrame, fmap: FeatureMap) -> None:
    """Permuting a raw column changes only (and some of) the outputs the map gives it."""
    base = mapper.transform(frame)
    base = base.toarray() if sp.issparse(base) else base
    names = fmap.engineered_feature_names
    for raw, produced in fmap.groups().items():
        moved_frame = frame.copy()
        moved_frame[raw] = frame[raw].sample(frac=1.0, random_state=3).to_numpy()
        moved = mapper.transform(moved_frame)
        moved = moved.toarray() if sp.issparse(moved) else moved
        changed = {names[k] for k in range(len(names))
                   if not np.allclose(base[:, k], moved[:, k], equal_nan=True)}
        assert changed and changed <= set(produced), (raw, changed, produced)


# ---------------------------------------------------------------- transform
def test_transform_equals_doing_it_by_hand(frame):
    features = _fitted_features(frame)
    mapper = ColumnMapper(features)
    out = mapper.transform(frame)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_allclose(out, _by_hand(frame, features))
    assert mapper.input_columns == ["pet", "owner", "age", "income"]


def test_sparse_blocks_give_a_sparse_result(frame):
    encoder = OneHotEncoder(sparse_output=True).fit(frame[["pet", "owner"]])
    scaler = StandardScaler().fit(frame[["income"]])
    out = ColumnMapper([(["pet", "owner"], encoder), (["income"], scaler)]).transform(frame)
    assert sp.issparse(out) and out.format == "csr"
    expected = np.hstack([encoder.transform(frame[["pet", "owner"]]).toarray(),
                          scaler.transform(frame[["income"]])])
    np.testing.assert_allclose(out.toarray(), expected)


def test_a_name_is_passed_1d_and_a_list_2d(frame):
    one, two = Recorder().fit(frame["income"]), Recorder().fit(frame[["age", "income"]])
    three = Recorder().fit(frame[["age", "income"]].to_numpy())
    ColumnMapper([("income", one), (["age", "income"], two), (["age", "income"], three)]).transform(frame)
    assert isinstance(one.received_, np.ndarray) and one.received_.ndim == 1
    assert isinstance(two.received_, pd.DataFrame)  # fitted on a frame: gets a frame
    assert list(two.received_.columns) == ["age", "income"]
    assert isinstance(three.received_, np.ndarray) and three.received_.shape == (N_ROWS, 2)


def test_transformers_fitted_on_arrays_get_arrays(frame):
    scaler = StandardScaler().fit(frame[["income"]].to_numpy())  # as sklearn-pandas fits them
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ColumnMapper([(["income"], scaler)]).transform(frame)
    np.testing.assert_allclose(out, scaler.transform(frame[["income"]].to_numpy()))


def test_transform_checks_its_input(frame):
    mapper = ColumnMapper([(["age"], StandardScaler().fit(frame[["age"]])), ("pet", None)])
    with pytest.raises(FeaturizationValueError, match=r"missing columns \['pet'\]"):
        mapper.transform(frame.drop(columns="pet"))
    with pytest.raises(FeaturizationTypeError, match="expected a pandas DataFrame, got ndarray"):
        mapper.transform(frame.to_numpy())


# ---------------------------------------------------------------- feature maps
def test_feature_map_of_a_list(frame):
    features = _fitted_features(frame)
    fmap = feature_map_from(features)
    assert fmap.groups() == EXPECTED_GROUPS
    assert fmap.engineered_feature_names == (
        "pet_cat", "pet_dog", "pet_fish", "owner_yes", "age", "income", "income_1", "age_1")
    assert fmap == ColumnMapper(features).feature_map()
    assert fmap.is_one_to_one()
    check_permutations(ColumnMapper(features), frame, fmap)


def test_label_binarizer_and_label_encoder(frame):
    features = [("pet", LabelBinarizer().fit(frame["pet"])), ("owner", LabelEncoder().fit(frame["owner"]))]
    fmap = feature_map_from(features)
    assert fmap.groups() == {"pet": ["pet_cat", "pet_dog", "pet_fish"], "owner": ["owner"]}
    out = ColumnMapper(features).transform(frame)
    assert out.shape == (N_ROWS, fmap.n_engineered)
    check_permutations(ColumnMapper(features), frame, fmap)


def test_one_hot_encoder_over_a_list(frame):
    features = [(["pet", "owner"], OneHotEncoder(drop="if_binary").fit(frame[["pet", "owner"]]))]
    fmap = feature_map_from(features)
    assert fmap.groups() == {"pet": ["pet_cat", "pet_dog", "pet_fish"], "owner": ["owner_yes"]}
    check_permutations(ColumnMapper(features), frame, fmap)


def test_duplicate_output_names_are_made_unique(frame):
    features = [("income", None), (["income"], StandardScaler().fit(frame[["income"]])), ("income", None)]
    fmap = feature_map_from(features)
    assert fmap.engineered_feature_names == ("income", "income_1", "income_2")
    assert fmap.groups() == {"income": ["income", "income_1", "income_2"]}
    assert ColumnMapper(features).transform(frame).shape == (N_ROWS, 3)


def test_raw_feature_names(frame):
    features = [("income", None), ("pet", LabelBinarizer().fit(frame["pet"]))]
    fmap = feature_map_from(features, raw_feature_names=["age", "income", "pet"])
    assert fmap.groups() == {"age": [], "income": ["income"], "pet": ["pet_cat", "pet_dog", "pet_fish"]}
    with pytest.raises(FeaturizationValueError, match=r"unknown raw columns \['pet'\]"):
        feature_map_from(features, raw_feature_names=["income"])


def test_mixing_transformer_needs_permission(frame):
    data = frame[["age", "income"]].fillna(0.0)
    features = [(["age", "income"], PCA(n_components=2).fit(data))]
    with pytest.raises(UnsupportedTransformationError, match=r"^PCA turns.*allow_all_transformations"):
        feature_map_from(features)
    fmap = feature_map_from(features, allow_all_transformations=True)
    np.testing.assert_allclose(fmap.to_matrix().toarray(), 0.5)


# ---------------------------------------------------------------- DataFrameMapper and bad input
@pytest.mark.parametrize("built", [True, False], ids=["built_features", "features"])
def test_duck_typed_data_frame_mapper(frame, built):
    features = _fitted_features(frame)
    mapper = DataFrameMapper(features, built=built)
    assert feature_map_from(mapper) == feature_map_from(features)
    np.testing.assert_allclose(ColumnMapper(mapper).transform(frame), _by_hand(frame, features))
    assert isinstance(as_transformer(mapper), ColumnMapper)


def test_other_objects_with_features_are_not_mappers():
    class Mapper:
        def __init__(self) -> None:
            self.features = [("a", None)]

    with pytest.raises(TypeError, match="feature_map_from: expected a fitted ColumnTransformer"):
        feature_map_from(Mapper())
    with pytest.raises(FeaturizationTypeError, match="ColumnMapper: item 0 must be"):
        ColumnMapper(list(Mapper().features[0]))


@pytest.mark.parametrize(("features", "message"), [
    ([("a", None), ["b", None]], r"item 1 must be a \(columns, transformer\) tuple"),
    ([("a", None, {}, "extra")], r"item 0 must be a \(columns, transformer\) tuple"),
    ([(0, None)], "item 0 columns must be a name or a list of names, got 0"),
    ([(["a", 1], None)], r"item 0 columns must be a name or a list of names, got \['a', 1\]"),
    ([], "expected a list of .* tuples or a DataFrameMapper, got list"),
    (DataFrameMapper([]), "got DataFrameMapper"),
    (object(), "got object"),
])
def test_bad_items(features, message):
    with pytest.raises(FeaturizationTypeError, match=message):
        ColumnMapper(features)


def test_feature_map_from_refuses_lists_of_bad_items():
    with pytest.raises(TypeError, match="feature_map_from: expected"):
        feature_map_from([(0, None)])


def test_as_transformer(frame):
    scaler = StandardScaler().fit(frame[["income"]])
    assert isinstance(as_transformer([(["income"], scaler)]), ColumnMapper)
    assert as_transformer(scaler) is scaler
    assert as_transformer(FeatureMap.identity(["a"])) is None
    assert as_transformer([FeatureMap.identity(["a"])]) is None
    with pytest.raises(FeaturizationTypeError, match="as_transformer: int has no transform method"):
        as_transformer(3)


def test_columns_given_as_an_index_or_array_are_names() -> None:
    """interpret-community's lists came from ColumnTransformer.transformers_, with pandas.Index columns."""
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 0.0, 1.0]})
    scaler = StandardScaler().fit(frame[["a", "b"]])
    for columns in (pd.Index(["a", "b"]), np.array(["a", "b"])):
        mapper = ColumnMapper([(columns, scaler)])
        assert mapper.input_columns == ["a", "b"]
        np.testing.assert_allclose(mapper.transform(frame), scaler.transform(frame[["a", "b"]]))
        assert feature_map_from([(columns, scaler)]).groups() == {"a": ["a"], "b": ["b"]}

"""FeatureMap: the raw x engineered weight matrix, its invariants, algebra and serialization."""

import json

import numpy as np
import pytest
import scipy.sparse as sp

from featurization import FeatureMap, FeaturizationError, FeaturizationValueError


@pytest.fixture
def shared() -> FeatureMap:
    """a -> x, y; b -> y, z: ``y`` is shared, so split evenly."""
    return FeatureMap.from_groups(["a", "b"], {"a": ["x", "y"], "b": ["y", "z"]})


def _random_map(rng: np.random.Generator, n_raw: int, n_eng: int, prefix: str) -> FeatureMap:
    weights = rng.random((n_raw, n_eng)) * (rng.random((n_raw, n_eng)) < 0.6)
    weights[rng.integers(0, n_raw, n_eng), np.arange(n_eng)] += 0.5  # no empty column
    weights /= weights.sum(axis=0, keepdims=True)
    return FeatureMap([f"{prefix}{i}" for i in range(n_raw)],
                      [f"{prefix}o{j}" for j in range(n_eng)], weights)


# ---------------------------------------------------------------- construction invariants
def test_shape_mismatch_is_refused():
    with pytest.raises(FeaturizationValueError, match=r"shape \(2, 2\), expected \(2, 3\)"):
        FeatureMap(["a", "b"], ["x", "y", "z"], np.eye(2))


def test_columns_not_summing_to_one_are_named():
    matrix = np.array([[1.0, 0.5, 0.0], [0.0, 0.2, 0.0]])
    with pytest.raises(FeaturizationValueError, match=r"sum to 1.*\['y', 'z'\]") as info:
        FeatureMap(["a", "b"], ["x", "y", "z"], matrix)
    assert "'x'" not in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, FeaturizationError)


def test_at_most_five_offending_features_are_named():
    with pytest.raises(FeaturizationValueError, match=r"\['e0', 'e1', 'e2', 'e3', 'e4'\]\.$"):
        FeatureMap(["a"], [f"e{i}" for i in range(8)], np.zeros((1, 8)))


def test_names_are_strings_and_zeros_are_not_stored():
    fmap = FeatureMap([1, 2], ["x", 3], np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert fmap.raw_feature_names == ("1", "2")
    assert fmap.engineered_feature_names == ("x", "3")
    assert fmap.to_matrix().nnz == 2
    assert (fmap.n_raw, fmap.n_engineered) == (2, 2)


def test_identity():
    fmap = FeatureMap.identity(["a", "b", "c"])
    np.testing.assert_array_equal(fmap.to_matrix().toarray(), np.eye(3))
    assert fmap.raw_feature_names == fmap.engineered_feature_names == ("a", "b", "c")
    assert fmap.is_one_to_one()
    assert fmap.groups() == {"a": ["a"], "b": ["b"], "c": ["c"]}


def test_empty_map_of_dropped_columns():
    fmap = FeatureMap(["a", "b"], [], sp.csr_matrix((2, 0)))
    assert fmap.groups() == {"a": [], "b": []}
    assert fmap.map_values(np.zeros((3, 0))).shape == (3, 2)


# ---------------------------------------------------------------- from_groups
def test_from_groups_splits_shared_outputs_evenly(shared):
    np.testing.assert_allclose(shared.to_matrix().toarray(), [[1.0, 0.5, 0.0], [0.0, 0.5, 1.0]])
    assert shared.engineered_feature_names == ("x", "y", "z")
    assert not shared.is_one_to_one()


def test_from_groups_keeps_given_engineered_order_and_empty_groups():
    fmap = FeatureMap.from_groups(["a", "b", "c"], {"a": ["x"], "c": ["z", "y"]}, ["z", "y", "x"])
    assert fmap.engineered_feature_names == ("z", "y", "x")
    assert fmap.groups() == {"a": ["x"], "b": [], "c": ["z", "y"]}


def test_from_groups_unknown_raw_feature():
    with pytest.raises(FeaturizationValueError, match="unknown raw feature 'nope'"):
        FeatureMap.from_groups(["a"], {"nope": ["x"]})


def test_from_groups_unknown_engineered_feature():
    with pytest.raises(FeaturizationValueError, match="unknown engineered feature 'w'"):
        FeatureMap.from_groups(["a"], {"a": ["x", "w"]}, ["x"])


def test_from_groups_unattributed_engineered_feature():
    with pytest.raises(FeaturizationValueError, match=r"sum to 1.*\['y'\]"):
        FeatureMap.from_groups(["a"], {"a": ["x"]}, ["x", "y"])


# ---------------------------------------------------------------- reading
def test_to_matrix_is_sparse_and_a_copy(shared):
    matrix = shared.to_matrix()
    assert sp.issparse(matrix) and matrix.format == "csr"
    assert matrix.shape == (shared.n_raw, shared.n_engineered)
    matrix.data[:] = 99.0
    np.testing.assert_allclose(shared.to_matrix().toarray(), [[1.0, 0.5, 0.0], [0.0, 0.5, 1.0]])


def test_groups_follow_engineered_order_whatever_the_insertion_order():
    fmap = FeatureMap.from_groups(["a", "b"], {"a": ["p", "m"], "b": ["n"]}, ["m", "n", "p"])
    assert fmap.groups() == {"a": ["m", "p"], "b": ["n"]}
    assert list(fmap.groups()) == ["a", "b"]


# ---------------------------------------------------------------- map_values
def test_map_values_1d(shared):
    np.testing.assert_allclose(shared.map_values([1.0, 2.0, 4.0]), [2.0, 5.0])


def test_map_values_2d_keeps_row_sums(shared):
    values = np.random.default_rng(0).normal(size=(7, 3))
    mapped = shared.map_values(values)
    assert mapped.shape == (7, 2)
    np.testing.assert_allclose(mapped.sum(axis=1), values.sum(axis=1))
    np.testing.assert_allclose(mapped, values @ shared.to_matrix().toarray().T)


def test_map_values_3d_per_class(shared):
    values = np.random.default_rng(1).normal(size=(4, 5, 3))
    mapped = shared.map_values(values)
    assert mapped.shape == (4, 5, 2)
    np.testing.assert_allclose(mapped.sum(axis=-1), values.sum(axis=-1))
    for k in range(4):
        np.testing.assert_allclose(mapped[k], shared.map_values(values[k]))


@pytest.mark.parametrize("make", [sp.csr_matrix, sp.csc_matrix, sp.coo_array])
def test_map_values_sparse_stays_sparse(shared, make):
    dense = sp.random(6, 3, density=0.5, random_state=0).toarray()
    mapped = shared.map_values(make(dense))
    assert sp.issparse(mapped)
    np.testing.assert_allclose(mapped.toarray(), shared.map_values(dense))
    np.testing.assert_allclose(np.asarray(mapped.sum(axis=1)).ravel(), dense.sum(axis=1))


@pytest.mark.parametrize("values", [np.ones((2, 4)), np.ones(2), sp.csr_matrix(np.ones((2, 4))), 3.0])
def test_map_values_wrong_width(shared, values):
    with pytest.raises(FeaturizationValueError, match=r"map_values: values have shape .*\(\.\.\., 3\)"):
        shared.map_values(values)


# ---------------------------------------------------------------- algebra
def test_compose_is_the_matrix_product(shared):
    second = FeatureMap.from_groups(["x", "y", "z"], {"x": ["p"], "y": ["p", "q"], "z": ["r"]})
    composed = shared.compose(second)
    assert composed.raw_feature_names == ("a", "b")
    assert composed.engineered_feature_names == ("p", "q", "r")
    expected = shared.to_matrix().toarray() @ second.to_matrix().toarray()
    np.testing.assert_allclose(composed.to_matrix().toarray(), expected)
    assert shared @ second == composed
    values = np.random.default_rng(2).normal(size=(5, 3))
    np.testing.assert_allclose(composed.map_values(values),
                               shared.map_values(second.map_values(values)))


def test_compose_of_three_maps_is_associative():
    rng = np.random.default_rng(3)
    first, second, third = (_random_map(rng, 4, 5, "a"), _random_map(rng, 5, 6, "b"),
                            _random_map(rng, 6, 3, "c"))
    second = FeatureMap(first.engineered_feature_names, second.engineered_feature_names,
                        second.to_matrix())
    third = FeatureMap(second.engineered_feature_names, third.engineered_feature_names,
                       third.to_matrix())
    left, right = (first @ second) @ third, first @ (second @ third)
    np.testing.assert_allclose(left.to_matrix().toarray(), right.to_matrix().toarray())
    assert left.raw_feature_names == right.raw_feature_names == first.raw_feature_names
    assert left.engineered_feature_names == third.engineered_feature_names
    np.testing.assert_allclose(np.asarray(left.to_matrix().sum(axis=0)).ravel(), 1.0)


def test_compose_size_mismatch():
    with pytest.raises(FeaturizationValueError, match="first map has 2 outputs but the second has 3"):
        FeatureMap.identity(["a", "b"]).compose(FeatureMap.identity(["a", "b", "c"]))


def test_compose_matches_positionally_when_names_differ():
    # Only the count is checked: the second map's input names are not compared.
    composed = FeatureMap.identity(["a", "b"]) @ FeatureMap.from_groups(["u", "v"], {"u": ["p"], "v": ["q"]})
    assert composed.groups() == {"a": ["p"], "b": ["q"]}


# ---------------------------------------------------------------- serialization
def test_to_dict_from_dict_round_trip_through_json(shared):
    text = json.dumps(shared.to_dict())
    restored = FeatureMap.from_dict(json.loads(text))
    assert restored == shared
    assert restored.groups() == shared.groups()


def test_round_trip_of_an_arbitrary_map():
    fmap = _random_map(np.random.default_rng(4), 5, 7, "r")
    restored = FeatureMap.from_dict(json.loads(json.dumps(fmap.to_dict())))
    assert restored == fmap


@pytest.mark.parametrize("data", [
    {"raw_feature_names": ["a"], "engineered_feature_names": ["x"], "rows": [0], "columns": [0]},
    {"raw_feature_names": ["a"], "engineered_feature_names": ["x"], "rows": [0, 0], "columns": [0],
     "weights": [1.0]},
    {"raw_feature_names": ["a"], "engineered_feature_names": ["x"], "rows": [3], "columns": [0],
     "weights": [1.0]},
    None,
])
def test_from_dict_malformed(data):
    with pytest.raises(FeaturizationValueError, match="from_dict: malformed data"):
        FeatureMap.from_dict(data)


def test_from_dict_with_bad_weights_is_checked():
    data = {"raw_feature_names": ["a"], "engineered_feature_names": ["x"], "rows": [0],
            "columns": [0], "weights": [0.5]}
    with pytest.raises(FeaturizationValueError, match=r"sum to 1.*\['x'\]"):
        FeatureMap.from_dict(data)


# ---------------------------------------------------------------- equality, repr
def test_equality(shared):
    same = FeatureMap(["a", "b"], ["x", "y", "z"], shared.to_matrix().toarray())
    assert same == shared
    assert FeatureMap(["a", "c"], ["x", "y", "z"], shared.to_matrix()) != shared
    assert FeatureMap(["a", "b"], ["x", "y", "w"], shared.to_matrix()) != shared
    other_weights = np.array([[1.0, 0.25, 0.0], [0.0, 0.75, 1.0]])
    assert FeatureMap(["a", "b"], ["x", "y", "z"], other_weights) != shared
    assert shared != "not a map"
    with pytest.raises(TypeError, match="unhashable"):
        hash(shared)


def test_repr(shared):
    assert repr(shared) == "FeatureMap(2 raw -> 3 engineered features, shared outputs split)"
    assert repr(FeatureMap.identity(["a"])) == "FeatureMap(1 raw -> 1 engineered features, one-to-one)"

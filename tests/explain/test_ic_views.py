"""interpret-community's view of an Explanation (explain/_ic_views.py): lists, ranks, data()."""

import json

import numpy as np
import pytest

from explain import Explanation, load_explanation, save_explanation
from explain._explanation import FeatureNames


def classification(keep_local: bool = True) -> Explanation:
    local = np.array([
        [[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]],
        [[-1.0, 2.0, -0.5], [-3.0, 0.0, 1.0]],
    ])
    return Explanation.from_local(local, np.array([0.2, -0.2]), keep_local=keep_local, method="demo",
                                  model_task="classification", features=["a", "b", "c"],
                                  classes=["no", "yes"])


def regression() -> Explanation:
    return Explanation.from_local(np.array([[[1.0, -3.0], [2.0, 0.5]]]), np.array([7.0]), method="demo",
                                  model_task="regression", features=["x", "y"])


def test_importance_values_are_json_ready_lists():
    e = classification()
    assert json.loads(json.dumps(e.global_importance_values)) == [2.0, 1.0, 0.75]
    assert json.loads(json.dumps(e.local_importance_values)) == e.local_values.tolist()
    assert json.loads(json.dumps(e.per_class_values)) == [[2.0, 1.0, 0.75], [2.0, 1.0, 0.75]]
    assert json.dumps(e.expected_values) == "[0.2, -0.2]"
    assert regression().expected_values == [7.0]
    assert regression().local_importance_values == [[1.0, -3.0], [2.0, 0.5]]


def test_arrays_stay_available_under_their_names():
    e = regression()
    assert e.local_values.shape == (1, 2, 2) and not e.local_values.flags.writeable
    np.testing.assert_array_equal(e._local_importance_values, [[1.0, -3.0], [2.0, 0.5]])
    assert e._global_importance_values is e.global_values
    assert e._expected_values is e.expected_values_
    assert classification()._per_class_values.shape == (2, 3)


def test_ranks_and_counts():
    e = classification()
    assert e.global_importance_rank == [0, 1, 2]
    assert e.per_class_rank == [[0, 1, 2], [0, 1, 2]]
    assert e.get_local_importance_rank()[0][0] == [0, 2, 1]  # by signed value, largest first
    assert e.num_classes == 2 and regression().num_classes is None
    assert regression().per_class_rank is None
    assert e.is_local_sparse is False


def test_global_only_explanation_has_no_local_attributes():
    e = classification(keep_local=False)
    assert not hasattr(e, "local_importance_values")
    assert not hasattr(e, "is_local_sparse")
    with pytest.raises(ValueError, match="global only"):
        e.get_local_importance_rank()
    assert e.global_importance_values == [2.0, 1.0, 0.75]


def test_feature_names_equal_the_list_and_stay_immutable():
    e = classification()
    assert e.features == ["a", "b", "c"] and e.features == ("a", "b", "c")
    assert e.features != ["a", "c", "b"] and isinstance(e.features, FeatureNames)
    assert hash(e.features) == hash(("a", "b", "c"))
    with pytest.raises(TypeError):
        e.features[0] = "z"  # type: ignore[index]


def test_id_is_a_content_hash_that_survives_saving(tmp_path):
    e = classification()
    assert e.id == classification().id and len(e.id) == 32
    assert e.id != regression().id
    assert load_explanation(save_explanation(e, tmp_path / "e.npz")).id == e.id
    assert e.name == "Explanation (demo)"


def test_is_engineered_only_on_the_engineered_side_of_a_pair():
    e = classification()
    assert not e.is_engineered and not e.is_raw
    raw = e.get_raw_explanation([np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])], raw_feature_names=["p", "q"])
    assert raw.is_raw and not raw.is_engineered
    assert e.is_engineered  # as interpret-community: the explanation mapped to raw features
    assert raw.engineered_explanation is e


def test_data_has_interpret_cores_keys():
    e = classification()
    overall = e.data()
    assert overall == {"mli": [], "names": ["a", "b", "c"], "scores": [2.0, 1.0, 0.75],
                       "intercept": [0.2, -0.2]}
    everything = e.data(-1)
    assert set(everything) == {"overall", "specific", "mli"} and len(everything["specific"]) == 2
    assert [m["explanation_type"] for m in everything["mli"]] == ["local_feature_importance",
                                                                 "global_feature_importance"]
    row = e.data(1)
    assert row["scores"] == [[3.0, 0.0, -1.0], [-3.0, 0.0, 1.0]] and row["names"] == ["a", "b", "c"]
    assert regression().data(0)["scores"] == [1.0, -3.0]
    with pytest.raises(ValueError, match=r"key must be None, -1 or a row index in \[0, 2\)"):
        e.data(2)
    assert "specific" in classification(keep_local=False).data(-1)


def test_raw_feature_importances_sum_engineered_values():
    e = regression()
    maps = [np.array([[1.0, 0.0], [1.0, 1.0]])]  # column 0 shared by both raw features
    assert e.get_raw_feature_importances(maps) == [[0.5, 0.5 - 3.0], [1.0, 1.0 + 0.5]]
    with pytest.raises(ValueError, match="non-empty list"):
        e.get_raw_feature_importances(np.eye(2))
    with pytest.raises(ValueError, match="non-negative"):
        e.get_raw_feature_importances([-np.eye(2)])
    with pytest.raises(ValueError, match="lead to 3 features but the explanation has 2"):
        e.get_raw_feature_importances([np.ones((2, 3))])


def test_visualize_returns_a_plotly_figure():
    pytest.importorskip("plotly")
    import plotly.graph_objects as go

    e = classification()
    figure = e.visualize()
    assert isinstance(figure, go.Figure) and list(figure.data[0].y) == ["c", "b", "a"]
    row = e.visualize(key=0)
    np.testing.assert_allclose(sorted(row.data[0].x), [0.0, 0.0, 0.0])  # two classes of opposite sign
    with pytest.raises(ValueError, match="key must be None or a row index"):
        e.visualize(key=5)
    with pytest.raises(ValueError, match="global only"):
        classification(keep_local=False).visualize(key=0)


def test_get_raw_explanation_reads_interpret_communitys_matrices_as_it_did():
    """Columns are scaled to sum to one; an engineered feature no raw feature takes is left out."""
    e = classification()
    raw = e.get_raw_explanation([np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])], raw_feature_names=["p", "q"])
    assert raw.features == ["p", "q"]
    np.testing.assert_allclose(raw.local_values, e.local_values[:, :, :2])  # 'c' left out
    assert any("['c'] map to no raw feature" in note for note in raw.fidelity.notes)
    assert raw.engineered_explanation.features == ["a", "b"]
    with pytest.raises(ValueError, match="get_raw_explanation: each map must be a 2-D matrix"):
        e.get_raw_explanation([-np.eye(3)])


@pytest.mark.parametrize("name", ["init_data", "eval_data", "eval_y_predicted", "eval_y_predicted_proba"])
def test_data_attributes_absent_without_data(name):
    """A hand-built (or loaded) explanation holds no data: hasattr is False, the error says why."""
    e = classification()
    assert not hasattr(e, name)
    with pytest.raises(AttributeError, match=f"{name}: this explanation holds no data"):
        getattr(e, name)

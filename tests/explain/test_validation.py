import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from explain._validation import Tabular, align_features, check_features_argument, to_tabular


def tab(data, **kwargs):
    return to_tabular(data, argument="evaluation_examples", caller="explain_local", **kwargs)


def test_dataframe_columns_become_names_and_bools_become_floats():
    data = tab(pd.DataFrame({"age": [1, 2], "member": [True, False]}))
    assert data.columns == ("age", "member")
    assert data.values.dtype == np.float64
    np.testing.assert_array_equal(data.values, [[1.0, 1.0], [2.0, 0.0]])


def test_sparse_stays_sparse():
    data = tab(sp.random(5, 4, density=0.5, format="coo", random_state=0))
    assert sp.isspmatrix_csr(data.values) and data.columns is None


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        (None, ValueError, "evaluation_examples is required"),
        (np.zeros(3), ValueError, r"must be 2-D .* use X.reshape\(1, -1\)"),
        (pd.Series([1.0, 2.0]), ValueError, "got a pandas Series"),
        (np.zeros((0, 3)), ValueError, r"is empty \(shape \(0, 3\)\)"),
        (pd.DataFrame(), ValueError, "is empty"),
        (np.array([[1.0, np.inf]]), ValueError, "infinite values in 'column 1'"),
        (pd.DataFrame({"a": [1.0], "b": [-np.inf]}), ValueError, "infinite values in 'b'"),
        (pd.DataFrame({"a": [1.0], "city": ["x"]}), TypeError, "non-numeric columns 'city'"),
        (np.array([["a", "b"]], dtype=object), TypeError, r"non-numeric columns 'column 0' \(e.g. 'a'\), "),
        (np.array([["1", "b"]]), TypeError, r"non-numeric columns 'column 1' \(e.g. 'b'\);"),
    ],
)
def test_bad_data_is_refused_with_a_message_naming_it(data, error, match):
    with pytest.raises(error, match=match):
        tab(data)


def test_nan_is_refused_only_when_the_model_cannot_take_it():
    frame = pd.DataFrame({"a": [1.0, np.nan], "b": [np.nan, 2.0], "c": [1.0, 2.0]})
    assert np.isnan(tab(frame).values).sum() == 2
    with pytest.raises(ValueError, match="contains NaN in 'a', 'b', and the model does not accept"):
        tab(frame, allow_nan=False)


def test_object_arrays_are_read_cell_by_cell():
    """None and pd.NA are missing, numbers written as text are numbers, whatever the cell."""
    data = tab(np.array([[1, None, "2.5"], [pd.NA, True, 3.0]], dtype=object))
    np.testing.assert_array_equal(data.values, [[1.0, np.nan, 2.5], [np.nan, 1.0, 3.0]])
    with pytest.raises(TypeError, match=r"non-numeric columns 'b' \(e.g. Timestamp"):
        tab(np.array([[1.0, pd.Timestamp("2020-01-01")]], dtype=object), names=["a", "b"])


def test_many_offenders_are_abbreviated():
    frame = pd.DataFrame({f"c{i}": ["x"] for i in range(8)})
    with pytest.raises(TypeError, match=r"'c4' \(e.g. 'x'\) and 3 more"):
        tab(frame)


def test_features_argument():
    assert check_features_argument(None, 3, "E") is None
    assert check_features_argument(np.array(["a", "b"]), 2, "E") == ("a", "b")
    with pytest.raises(ValueError, match="features has 2 names but the data has 3 columns"):
        check_features_argument(["a", "b"], 3, "E")
    with pytest.raises(ValueError, match="duplicate names 'a'"):
        check_features_argument(["a", "a"], 2, "E")
    with pytest.raises(TypeError, match="must be a list of feature names"):
        check_features_argument("abc", 3, "E")


def test_align_reorders_by_name_and_names_missing_and_unknown():
    data = Tabular(values=np.array([[2.0, 1.0]]), columns=("b", "a"))
    np.testing.assert_array_equal(
        align_features(data, ("a", "b"), by_name=True, argument="X", caller="E"), [[1.0, 2.0]]
    )
    with pytest.raises(ValueError, match="missing: 'c'; unknown: 'b'"):
        align_features(data, ("a", "c"), by_name=True, argument="X", caller="E")
    with pytest.raises(ValueError, match="X has 2 columns but the explainer was set up with 3"):
        align_features(Tabular(np.zeros((1, 2)), None), ("a", "b", "c"), by_name=True,
                       argument="X", caller="E")

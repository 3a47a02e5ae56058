"""explain._labels: one rule that maps labels (true labels, predictions) to class positions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from explain import ExplanationTypeError, ExplanationValueError
from explain._labels import LabelMap, label_key, observed_classes, to_label_array

NAMES = ("malignant", "benign")


def test_labels_that_are_classes_map_by_value():
    labels = LabelMap.create(NAMES, [0, 1], caller="T")
    assert labels.codes(["benign", "malignant", "benign"], argument="y").tolist() == [1, 0, 1]


def test_the_models_own_labels_map_by_their_position():
    labels = LabelMap.create(NAMES, [0, 1], caller="T")
    assert labels.codes(np.array([1, 0, 0]), argument="y").tolist() == [1, 0, 0]
    assert labels.to_classes([1, 0], argument="y").tolist() == ["benign", "malignant"]
    shifted = LabelMap.create(["a", "b", "c"], [1, 2, 3], caller="T")
    assert shifted.codes([3, 1, 2, 2], argument="y").tolist() == [2, 0, 1, 1]


def test_integers_map_by_position_when_the_model_labels_are_unknown():
    labels = LabelMap.create(NAMES, None, caller="T")
    assert labels.codes([0, 1, 1], argument="y").tolist() == [0, 1, 1]
    assert labels.codes(np.array([1.0, 0.0]), argument="y").tolist() == [1, 0]
    assert labels.codes([True, False], argument="y").tolist() == [1, 0]


def test_numbers_text_and_booleans_are_one_label():
    assert {label_key(v) for v in (1, 1.0, True, np.int64(1), np.float32(1.0), "1")} == {"1"}
    assert label_key(0.5) == "0.5" and label_key("yes") == "yes"
    labels = LabelMap.create(["0", "1"], [0, 1], caller="T")
    assert labels.codes([1, "0", 1.0], argument="y").tolist() == [1, 0, 1]


def test_positions_are_not_used_when_integer_classes_stand_elsewhere():
    labels = LabelMap.create([5, 1, 7], None, caller="T")  # 1 stands at position 1: no clash
    assert labels.codes([1, 0, 2], argument="y").tolist() == [1, 0, 2]
    labels = LabelMap.create([1, 5], None, caller="T")  # 1 stands at position 0
    assert labels.codes([5, 1], argument="y").tolist() == [1, 0]  # by value
    with pytest.raises(ExplanationValueError, match=r"Labels found: 0, 1; not among the classes: 0; "):
        labels.codes([0, 1], argument="y")


def test_a_mismatch_shows_both_sets_at_most_five_and_how_to_fix():
    labels = LabelMap.create([f"c{i}" for i in range(7)], list(range(10, 17)), caller="PFI")
    with pytest.raises(ExplanationValueError) as caught:
        labels.codes([f"z{i}" for i in range(8)], argument="true_labels")
    message = str(caught.value)
    assert message.startswith("PFI: true_labels does not match the classes.")
    assert "'z0', 'z1', 'z2', 'z3', 'z4' and 3 more" in message
    assert "classes: 'c0', 'c1', 'c2', 'c3', 'c4' and 2 more" in message
    assert "the model's classes_: 10, 11, 12, 13, 14 and 2 more" in message
    assert "positions 0..6" in message and "classes= naming the model's outputs in order" in message


def test_missing_labels_are_refused():
    labels = LabelMap.create(NAMES, [0, 1], caller="T")
    with pytest.raises(ExplanationValueError, match=r"y has missing labels \(None or NaN\) in 2 rows"):
        labels.codes(["benign", None, np.nan], argument="y")
    with pytest.raises(ExplanationValueError, match="missing labels"):
        labels.codes(pd.Series([1, None], dtype="Int64"), argument="y")


@pytest.mark.parametrize(("classes", "model", "match"), [
    (["a", "a"], None, r"classes has repeated labels 'a'"),
    ([1, 1.0], None, r"classes has repeated labels '1'"),
    (["a", "b", "c"], [0, 1], r"classes has 3 labels but the model has 2 classes: 0, 1"),
    (["yes", "no"], ["no", "yes"], r"name the model's own labels 'no', 'yes' at other positions"),
    ([1, 2, 3], [0, 1, 2], r"at other positions \(1, 2\)"),
])
def test_classes_that_contradict_the_model_are_refused(classes, model, match):
    with pytest.raises(ExplanationValueError, match=match):
        LabelMap.create(classes, model, caller="T")


def test_label_arrays_from_other_libraries():
    expected = ["b", "a", "b"]
    for given in (pl.Series(expected), pa.array(expected), pa.chunked_array([expected]),
                  pd.Series(expected, dtype="category"), pd.DataFrame({"y": expected}),
                  pl.DataFrame({"y": expected}), np.array(expected)[:, None]):
        assert to_label_array(given, argument="y", caller="T").tolist() == expected
    with pytest.raises(ExplanationValueError, match=r"y must have shape \(4,\) to match evaluation_examples"):
        to_label_array(expected, argument="y", caller="T", n_rows=4)
    with pytest.raises(ExplanationValueError, match="must be one column of labels, got a frame with 2"):
        to_label_array(pd.DataFrame({"a": [1], "b": [2]}), argument="y", caller="T")
    with pytest.raises(ExplanationTypeError, match="LazyFrame; collect"):
        to_label_array(pl.DataFrame({"y": expected}).lazy(), argument="y", caller="T")


def test_observed_classes_are_sorted_numbers_first():
    assert observed_classes(np.array(["b", "a"]), np.array(["a", "c"])) == ("a", "b", "c")
    assert observed_classes(np.array([2, 1]), np.array([1.0, None], dtype=object)) == (1, 2)
    assert observed_classes(np.array([1, "x"], dtype=object)) == (1, "x")

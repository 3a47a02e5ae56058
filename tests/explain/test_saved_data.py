"""The rows and predictions an explanation keeps, in its file (schema_version 6)."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from explain import ExplanationFileError, load_explanation, save_explanation
from explain._datasets import ExplanationData
from tests.explain.test_serialization import GOLDEN, assert_same, golden_classification


def golden_data() -> ExplanationData:
    return ExplanationData(
        init_data=sp.csr_matrix(np.array([[0.0, 1.5, 0.0, 2.0], [3.0, 0.0, 0.0, 0.0]])),
        eval_data=np.arange(12, dtype=np.float64).reshape(3, 4) / 4,
        eval_y_predicted=np.array(["no", "yes", "no"]),
        eval_y_predicted_proba=np.array([[0.75, 0.25], [0.125, 0.875], [0.5, 0.5]]),
    )


def _assert_same_data(loaded: ExplanationData, original: ExplanationData) -> None:
    assert sp.issparse(loaded.init_data)
    np.testing.assert_array_equal(loaded.init_data.toarray(), original.init_data.toarray())
    for name in ("eval_data", "eval_y_predicted", "eval_y_predicted_proba"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(original, name))
        assert getattr(loaded, name).dtype == np.asarray(getattr(original, name)).dtype


def test_golden_file_of_schema_version_6_loads_with_its_data() -> None:
    loaded = load_explanation(GOLDEN / "explanation_v6_classification_data.npz")
    assert_same(golden_classification(), loaded)
    assert loaded.datasets is not None
    _assert_same_data(loaded.datasets, golden_data())
    assert loaded.eval_y_predicted == ["no", "yes", "no"]


def test_data_round_trips_and_raises_the_schema_version(tmp_path: Path) -> None:
    original = replace(golden_classification(), datasets=golden_data())
    path = save_explanation(original, tmp_path / "e.npz")
    with zipfile.ZipFile(path) as archive:
        metadata = json.loads(archive.read("metadata.json"))
        assert metadata["schema_version"] == 6
        assert metadata["data"] == {"init_data": "csr", "eval_data": "dense", "eval_y_predicted": "dense",
                                    "eval_y_predicted_proba": "dense"}
        assert "data/init_data/indptr.npy" in archive.namelist()
    loaded = load_explanation(path)
    assert loaded.datasets is not None
    _assert_same_data(loaded.datasets, original.datasets)
    values_only = load_explanation(save_explanation(original, tmp_path / "v.npz", include_data=False))
    assert values_only.datasets is None
    with zipfile.ZipFile(tmp_path / "v.npz") as archive:
        assert json.loads(archive.read("metadata.json"))["schema_version"] == 2


def test_numeric_frames_are_saved_by_value_and_mixed_objects_are_named_unsaved(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    mixed = np.array([["x", 1.0], ["y", 2.0]], dtype=object)
    data = ExplanationData(init_data=frame, eval_data=mixed, eval_y_predicted=np.array([1, 0]))
    loaded = load_explanation(save_explanation(replace(golden_classification(), datasets=data),
                                               tmp_path / "e.npz"))
    np.testing.assert_array_equal(loaded.init_data, [[1.0, 0.5], [2.0, 1.5]])
    assert loaded.eval_y_predicted == [1, 0]
    assert not hasattr(loaded, "eval_data")
    with pytest.raises(AttributeError, match="eval_data: the file this explanation was loaded from does not"):
        loaded.eval_data  # noqa: B018
    assert loaded.eval_y_predicted_proba is None  # never held: None, as before saving


def _edited(source: Path, target: Path, member: str, payload: bytes) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.namelist():
            new.writestr(item, payload if item == member else old.read(item))
    return target


def test_data_entries_and_members_are_checked(tmp_path: Path) -> None:
    path = save_explanation(replace(golden_classification(), datasets=golden_data()), tmp_path / "e.npz")
    with zipfile.ZipFile(path) as archive:
        metadata = json.loads(archive.read("metadata.json"))
    for data, match in ((["eval_data"], "data must be an object"),
                        ({"eval_data": "pickle"}, "data must map"),
                        ({"rows": "dense"}, r"unknown: \['rows'\]")):
        edited = _edited(path, tmp_path / "bad.npz", "metadata.json",
                         json.dumps({**metadata, "data": data}).encode())
        with pytest.raises(ExplanationFileError, match=match):
            load_explanation(edited)
    objects = np.array([{"a": 1}], dtype=object)
    import io
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, objects, allow_pickle=True)
    edited = _edited(path, tmp_path / "pickled.npz", "data/eval_data.npy", buffer.getvalue())
    with pytest.raises(ExplanationFileError, match="expected float64, int64, bool or unicode"):
        load_explanation(edited)

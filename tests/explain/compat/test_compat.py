"""explain.compat: interpret-community's constants, ExplanationAdapter, its saved files."""

import json

import numpy as np
import pytest

from explain import Explanation, ExplanationFileError
from explain.compat import (
    ExplainParams,
    ExplanationAdapter,
    InterpretData,
    ModelTask,
    ResetIndex,
    ShapValuesOutput,
    interpret_community_method,
    load_explanation,
)


def test_constants_have_interpret_communitys_values():
    assert ModelTask.Classification == "classification" and ModelTask("regression") is ModelTask.Regression
    assert ShapValuesOutput.TEACHER_PROBABILITY == "teacher_probability"
    assert ResetIndex.ResetTeacher == "reset_teacher"
    assert ExplainParams.LOCAL_IMPORTANCE_VALUES == "local_importance_values"
    assert ExplainParams.get_private("eval_data") == "_eval_data"
    assert "GLOBAL_IMPORTANCE_VALUES" in ExplainParams.get_serializable()
    assert InterpretData.OVERALL == "overall"


def test_adapter_regression_local_and_global():
    values = np.array([[1.0, -2.0], [3.0, 0.0]])
    adapter = ExplanationAdapter(features=["a", "b"], classification=False, method="shap")
    local = adapter.create_local(values, evaluation_examples=np.zeros((2, 2)), expected_values=0.5)
    assert local.local_importance_values == values.tolist() and local.expected_values == [0.5]
    assert local.method == "shap" and local.model_task == "regression"
    glob = adapter.create_global(values, include_local=False)
    assert glob.global_importance_values == [2.0, 1.0] and not hasattr(glob, "local_importance_values")


def test_adapter_classification_shapes():
    rows, features, classes = 4, 3, 3
    rng = np.random.default_rng(0)
    shap_046 = rng.normal(size=(rows, features, classes))  # shap >= 0.46: rows x features x classes
    adapter = ExplanationAdapter(features=["a", "b", "c"], classification=True)
    e = adapter.create_global(shap_046, expected_values=np.zeros(3))
    np.testing.assert_array_equal(e.local_values, np.moveaxis(shap_046, 2, 0))
    per_class = [shap_046[:, :, k] for k in range(classes)]  # a list of rows x features
    np.testing.assert_array_equal(adapter.create_local(per_class).local_values, e.local_values)
    positive = rng.normal(size=(rows, features))  # one margin: classes [-v, v]
    binary = adapter.create_local(positive, expected_values=0.2)
    np.testing.assert_array_equal(binary.local_values, [-positive, positive])
    assert binary.expected_values == [-0.2, 0.2] and binary.num_classes == 2


def test_adapter_errors():
    adapter = ExplanationAdapter(classification=False)
    with pytest.raises(ValueError, match="expected_values has 2 values for 1 outputs"):
        adapter.create_local(np.zeros((2, 3)), expected_values=[0.0, 1.0])
    with pytest.raises(ValueError, match="must be \\(rows, features\\)"):
        adapter.create_local(np.zeros(3))
    assert adapter.create_local(np.zeros((2, 3))).features == ["x0", "x1", "x2"]


def _save_interpret_community_directory(folder, is_local):
    """A directory in interpret-community's format (save_explanation there)."""
    folder.mkdir()
    meta = {"explanation_id": "x", "model_type": "classification", "data_type": "tabular",
            "model_task": "classification", "method": "shap_kernel", "model_class": None,
            "is_raw": False, "is_engineered": False, "global": True, "local": is_local,
            "num_classes": 2, "num_examples": 2 if is_local else 0, "num_features": 2,
            "serialization_version": 1}
    (folder / "explanation_metadata.json").write_text(json.dumps(meta))
    files = {"features": ["a", "b"], "classes": ["no", "yes"], "expected_values": [0.3, 0.7],
             "global_importance_values": [0.5, 0.25], "per_class_values": [[0.5, 0.25], [0.5, 0.25]]}
    if is_local:
        files["local_importance_values"] = [[[0.5, -0.25], [0.5, 0.25]], [[-0.5, 0.25], [-0.5, -0.25]]]
    for name, data in files.items():
        (folder / f"{name}.json").write_text(json.dumps({"metadata": "list", "data": data}))
    return folder


@pytest.mark.parametrize("is_local", [False, True])
def test_load_explanation_reads_interpret_communitys_directories(tmp_path, is_local):
    e = load_explanation(_save_interpret_community_directory(tmp_path / "saved", is_local))
    # interpret-community's method name read as this library names it
    assert e.method == "shap.kernel" and e.features == ["a", "b"] and e.classes == ("no", "yes")
    assert e.global_importance_values == [0.5, 0.25] and e.expected_values == [0.3, 0.7]
    assert hasattr(e, "local_importance_values") == is_local


def test_load_explanation_refuses_other_directories(tmp_path):
    with pytest.raises(ExplanationFileError, match=r"has no explanation_metadata\.json"):
        load_explanation(tmp_path)
    folder = _save_interpret_community_directory(tmp_path / "bad", True)
    (folder / "global_importance_values.json").write_text('{"metadata": "list", "data": [1.0]}')
    with pytest.raises(ExplanationFileError, match="is inconsistent"):
        load_explanation(folder)
    (folder / "features.json").write_text("not json")
    with pytest.raises(ExplanationFileError, match="is not JSON"):
        load_explanation(folder)


def test_load_explanation_reads_this_librarys_files_too(tmp_path):
    from explain import save_explanation

    e = Explanation(method="shap.tree", model_task="regression", features=["a"], global_values=[1.0])
    assert load_explanation(save_explanation(e, tmp_path / "e.npz")).global_importance_values == [1.0]
    assert interpret_community_method(e) == "shap_tree"

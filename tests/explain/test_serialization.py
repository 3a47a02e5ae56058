import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from explain import (
    Explanation,
    Fidelity,
    SchemaVersionError,
    load_explanation,
    save_explanation,
)
from explain._serialization import SCHEMA_VERSION

GOLDEN = Path(__file__).parent / "golden"


def golden_classification() -> Explanation:
    local = np.linspace(-1.0, 1.0, 2 * 3 * 4).reshape(2, 3, 4)
    return Explanation.from_local(
        local, np.array([0.25, 0.75]), method="shap.kernel", model_task="classification",
        features=["age", "income", "zip code", "score"], classes=["no", "yes"],
        output_space="probability", model_type="SVC",
        fidelity=Fidelity(additivity_error=1e-15, exact=False,
                          standard_errors=np.full((2, 3, 4), 0.01), max_standard_error=0.01),
    )


def golden_regression_global() -> Explanation:
    return Explanation(
        method="permutation_importance", model_task="regression", features=["a", "b"],
        global_values=np.array([0.5, 0.125]), output_space="metric", num_examples=10,
        fidelity=Fidelity(importance_std=np.array([0.1, 0.05]),
                          confidence_interval=np.array([[0.4, 0.1], [0.6, 0.15]]),
                          confidence_level=0.95, n_repeats=5, notes=("metric: r2",)),
    )


def assert_same(a: Explanation, b: Explanation) -> None:
    for name in ("method", "model_task", "features", "classes", "output_space", "is_raw",
                 "num_examples", "model_type"):
        assert getattr(a, name) == getattr(b, name), name
    for name in ("global_values", "local_values", "per_class_values_", "expected_values_"):
        left, right = getattr(a, name), getattr(b, name)
        assert (left is None) == (right is None), name
        if left is not None:
            np.testing.assert_array_equal(left, right)
    assert a.fidelity.scalars() == b.fidelity.scalars()
    assert a.fidelity.arrays().keys() == b.fidelity.arrays().keys()
    for key, value in a.fidelity.arrays().items():
        np.testing.assert_array_equal(value, b.fidelity.arrays()[key])


@pytest.mark.parametrize("factory", [golden_classification, golden_regression_global])
def test_round_trip_is_exact(tmp_path, factory):
    original = factory()
    path = save_explanation(original, tmp_path / "e.npz")
    assert_same(original, load_explanation(path))


def test_round_trip_keeps_class_label_types(tmp_path):
    local = np.zeros((3, 1, 1))
    for classes in ([0, 1, 2], [True, False, 2], ["a", "b", "c"], [0.5, 1.5, 2.5]):
        e = Explanation.from_local(local, np.zeros(3), method="m", model_task="classification",
                                   features=["x"], classes=classes)
        loaded = load_explanation(save_explanation(e, tmp_path / "c.npz", exist_ok=True))
        assert loaded.classes == tuple(classes)
        assert [type(c) for c in loaded.classes] == [type(c) for c in classes]


@pytest.mark.parametrize(
    ("name", "factory"),
    [("classification_local", golden_classification), ("regression_global", golden_regression_global)],
)
def test_golden_files_of_schema_version_1_still_load(name, factory):
    path = GOLDEN / f"explanation_v1_{name}.npz"
    assert_same(factory(), load_explanation(path))


def test_file_is_json_plus_npy_without_pickle(tmp_path):
    path = save_explanation(golden_classification(), tmp_path / "e.npz")
    with zipfile.ZipFile(path) as archive:
        metadata = json.loads(archive.read("metadata.json"))
        assert metadata["schema_version"] == 2  # the lowest version that holds it
        assert set(archive.namelist()) == {"metadata.json"} | {f"{n}.npy" for n in metadata["arrays"]}
    with np.load(path, allow_pickle=False) as arrays:
        np.testing.assert_array_equal(arrays["global_values"], golden_classification().global_values)


def _rewrite_metadata(source: Path, target: Path, **changes: object) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.namelist():
            data = old.read(item)
            if item == "metadata.json":
                metadata = json.loads(data)
                metadata.update(changes)
                data = json.dumps(metadata).encode()
            new.writestr(item, data)


def test_newer_schema_version_is_refused(tmp_path):
    path = save_explanation(golden_classification(), tmp_path / "e.npz")
    _rewrite_metadata(path, tmp_path / "future.npz", schema_version=SCHEMA_VERSION + 1)
    with pytest.raises(SchemaVersionError, match=f"schema_version {SCHEMA_VERSION + 1}; this library reads"):
        load_explanation(tmp_path / "future.npz")


def test_other_files_are_refused(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not an explanation file"):
        load_explanation(tmp_path / "junk.npz")
    path = save_explanation(golden_classification(), tmp_path / "e.npz")
    _rewrite_metadata(path, tmp_path / "other.npz", format="something-else")
    with pytest.raises(ValueError, match="not an explanation file"):
        load_explanation(tmp_path / "other.npz")
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not an explanation file"):
        load_explanation(tmp_path / "plain.npz")


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path, monkeypatch):
    target = tmp_path / "e.npz"
    save_explanation(golden_regression_global(), target)
    before = target.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("explain._serialization.os.replace", fail)
    with pytest.raises(OSError, match="disk full"):
        save_explanation(golden_classification(), target, exist_ok=True)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["e.npz"]


def test_save_errors(tmp_path):
    with pytest.raises(TypeError, match="expected an Explanation"):
        save_explanation({"not": "an explanation"}, tmp_path / "e.npz")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="exist_ok must be True or False"):
        save_explanation(golden_classification(), tmp_path / "e.npz", exist_ok="yes")  # type: ignore[arg-type]
    e = Explanation.from_local(np.zeros((2, 1, 1)), np.zeros(2), method="m",
                               model_task="classification", features=["x"],
                               classes=[object(), object()])
    with pytest.raises(TypeError, match="class labels must be str, int, float or bool"):
        save_explanation(e, tmp_path / "e.npz")


def test_saved_file_has_ordinary_permissions(tmp_path):
    import os

    path = save_explanation(golden_regression_global(), tmp_path / "e.npz")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_golden_file_of_schema_version_2_still_loads():
    """A raw explanation with its engineered one inside, written by schema version 2."""
    loaded = load_explanation(GOLDEN / "explanation_v2_classification_raw.npz")
    assert loaded.is_raw and loaded.features == ("age", "income", "place")
    assert_same(golden_classification(), loaded.engineered_explanation)
    np.testing.assert_allclose(loaded.local_values.sum(axis=2),
                               golden_classification().local_values.sum(axis=2))
    assert loaded.interaction_values is None


def test_existing_file_is_refused_unless_exist_ok(tmp_path):
    """As interpret-community's save_explanation(explanation, path, exist_ok=False)."""
    target = save_explanation(golden_regression_global(), tmp_path / "e.npz")
    with pytest.raises(ValueError, match="exists; pass exist_ok=True"):
        save_explanation(golden_classification(), target)
    assert load_explanation(target).model_task == "regression"
    save_explanation(golden_classification(), target, exist_ok=True)
    assert load_explanation(target).model_task == "classification"
    with pytest.raises(ValueError, match="is a directory, which is never replaced"):
        save_explanation(golden_classification(), tmp_path, exist_ok=True)


def test_missing_parent_directories_are_created(tmp_path):
    """interpret-community's tests save to os.path.join('brand', 'new', 'path')."""
    path = save_explanation(golden_classification(), tmp_path / "brand" / "new" / "path")
    assert path.is_file() and load_explanation(path).classes == golden_classification().classes

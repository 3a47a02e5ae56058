"""Tests of saving and loading scoring explainers: the round trip, the manifest, and every way
``load`` refuses a directory (checksums, missing files, bad manifests, versions) before
unpickling anything."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import (
    ExplanationError,
    ExplanationTypeError,
    KernelExplainer,
    LinearExplainer,
    TabularExplainer,
)
from explain.scoring import (
    KernelScoringExplainer,
    LinearScoringExplainer,
    ScoringExplainer,
    ScoringLoadError,
    TreeScoringExplainer,
    _persist,
    load,
    read_manifest,
    save,
)
from tests._synthetic import make_ground_truth

FILES = ("model.joblib", "explainer.joblib")
KINDS = {"income": "number", "age": "integer", "region": "string", "member": "boolean"}


# ------------------------------------------------------------------------------- scoring explainers
@functools.cache
def _mixed() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(5)
    n = 200
    X = pd.DataFrame({
        "income": rng.normal(50.0, 10.0, n),
        "age": rng.integers(18, 80, n),
        "region": rng.choice(["north", "south", "east"], n),
        "member": rng.random(n) < 0.5,
    })
    score = 0.1 * (X["income"] - 50) + 1.5 * (X["region"] == "south") + X["member"]
    return X, np.where(score > 0.7, "yes", "no")


@functools.cache
def _tree() -> ScoringExplainer:
    """A featurization + LightGBM pipeline: raw features, string classes, every column kind."""
    X, y = _mixed()
    featurizer = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["region"]),
                                    ("num", StandardScaler(), ["income", "age", "member"])])
    pipeline = Pipeline([("prep", featurizer),
                         ("model", LGBMClassifier(n_estimators=15, num_leaves=8, verbose=-1, n_jobs=1,
                                                  random_state=0))]).fit(X, y)
    return ScoringExplainer.for_explainer(TabularExplainer(pipeline, X.iloc[:80]))


@functools.cache
def _linear() -> ScoringExplainer:
    X, y = make_ground_truth("regression", n_rows=150, n_features=5, seed=2)
    return LinearScoringExplainer(LinearExplainer(Ridge().fit(X, y), X))


@functools.cache
def _kernel() -> ScoringExplainer:
    X, y = make_ground_truth("multiclass", n_rows=150, n_features=4, seed=2)
    model = KNeighborsClassifier(n_neighbors=7).fit(X, y)
    return KernelScoringExplainer(KernelExplainer(model, X.iloc[:25]))


def _rows(scoring: ScoringExplainer) -> pd.DataFrame:
    if scoring is _tree():
        return _mixed()[0].iloc[150:160]
    n_features = len(scoring.input_columns_)
    task = "regression" if scoring.model_task_ == "regression" else "multiclass"
    return make_ground_truth(task, n_rows=150, n_features=n_features, seed=2)[0].iloc[140:150]


BUILDERS: dict[str, Callable[[], ScoringExplainer]] = {"tree": _tree, "linear": _linear, "kernel": _kernel}


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A saved tree scoring explainer."""
    return save(_tree(), tmp_path / "scoring")


@pytest.fixture
def no_unpickling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything is unpickled."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        pytest.fail(f"joblib.load was called on {args[:1]}")

    monkeypatch.setattr(joblib, "load", refuse)


def _edit_manifest(directory: Path, edit: Callable[[dict[str, Any]], Any]) -> None:
    path = directory / "manifest.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))


def _flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    """Temporary folders (``.name.xxxx``) left beside a target."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ---------------------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("name", list(BUILDERS))
def test_round_trip_gives_the_same_explanations_and_predictions(name: str, tmp_path: Path) -> None:
    scoring = BUILDERS[name]()
    target = save(scoring, tmp_path / name)
    assert target == tmp_path / name
    assert sorted(p.name for p in target.iterdir()) == ["explainer.joblib", "manifest.json", "model.joblib"]
    loaded = load(target)
    assert type(loaded) is type(scoring)
    rows = _rows(scoring)
    np.testing.assert_array_equal(loaded.explain(rows), scoring.explain(rows))
    np.testing.assert_array_equal(loaded.predict(rows), scoring.predict(rows))
    before, after = scoring.score(rows), loaded.score(rows)
    np.testing.assert_array_equal(after.predictions, before.predictions)
    np.testing.assert_array_equal(after.values, before.values)
    np.testing.assert_array_equal(after.expected, before.expected)
    if scoring.model_task_ == "classification":
        np.testing.assert_array_equal(loaded.predict_proba(rows), scoring.predict_proba(rows))
    for attribute in ("method", "model_task_", "classes_", "features_", "raw_features_", "input_columns_",
                      "input_schema_", "output_space_"):
        assert getattr(loaded, attribute) == getattr(scoring, attribute), attribute
    assert type(loaded.model_) is type(scoring.model_)
    np.testing.assert_array_equal(loaded.model_.predict(rows), scoring.model_.predict(rows))
    assert _leftovers(tmp_path) == []


def test_raw_and_engineered_values_survive_the_round_trip(saved: Path) -> None:
    loaded, rows = load(saved), _rows(_tree())
    assert loaded.output_features() == tuple(_mixed()[0].columns)
    np.testing.assert_array_equal(loaded.explain(rows, get_raw=False), _tree().explain(rows, get_raw=False))


def test_manifest_fields(saved: Path) -> None:
    scoring = _tree()
    manifest = read_manifest(saved)
    assert manifest == json.loads((saved / "manifest.json").read_text())
    assert manifest["format"] == "automl-explain scoring explainer"
    assert manifest["format_version"] == _persist.FORMAT_VERSION == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["created"])
    assert manifest["kind"] == "TreeScoringExplainer"
    assert manifest["method"] == "shap.tree"
    assert manifest["model_task"] == "classification"
    assert manifest["model"] == "Pipeline"
    assert manifest["classes"] == ["no", "yes"]
    assert manifest["input_columns"] == ["income", "age", "region", "member"]
    assert manifest["input_schema"] == KINDS
    assert manifest["features"] == list(scoring.features_)
    assert "cat__region_south" in manifest["features"]
    assert manifest["raw_features"] == ["income", "age", "region", "member"]
    versions = manifest["versions"]
    assert versions["python"] == platform.python_version()
    for library in ("scikit-learn", "lightgbm", "numpy", "scipy", "pandas", "joblib", "shap"):
        assert versions[library] == metadata.version(library), library
    assert set(_persist.PINNED) | {"python"} == set(versions)
    assert manifest["files"] == {name: _sha256(saved / name) for name in FILES}
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in manifest["files"].values())


def test_manifest_of_a_regressor(tmp_path: Path) -> None:
    manifest = read_manifest(save(_linear(), tmp_path / "linear"))
    assert manifest["kind"] == "LinearScoringExplainer"
    assert manifest["model"] == "Ridge"
    assert manifest["model_task"] == "regression"
    assert manifest["classes"] is None
    assert manifest["raw_features"] is None
    assert manifest["input_schema"] == {f"f{i}": "number" for i in range(5)}


def test_read_manifest_unpickles_nothing(saved: Path, no_unpickling: None) -> None:
    assert read_manifest(saved)["kind"] == "TreeScoringExplainer"


def test_save_creates_missing_parent_folders(tmp_path: Path) -> None:
    target = save(_linear(), tmp_path / "a" / "b" / "scoring")
    assert isinstance(load(target), LinearScoringExplainer)
    assert _leftovers(tmp_path / "a" / "b") == []


def test_save_refuses_what_is_not_a_scoring_explainer(tmp_path: Path) -> None:
    with pytest.raises(ExplanationTypeError, match=r"save: expected a ScoringExplainer, got LinearExplainer"):
        save(_linear().explainer_, tmp_path / "x")
    assert not (tmp_path / "x").exists()


# --------------------------------------------------------------------------------------- exist_ok
def test_an_existing_folder_is_refused_without_exist_ok(saved: Path) -> None:
    before = (saved / "manifest.json").read_bytes()
    with pytest.raises(FileExistsError, match=r"exist_ok=True"):
        save(_linear(), saved)
    with pytest.raises(FileExistsError):
        save(_linear(), saved, exist_ok=False)
    assert (saved / "manifest.json").read_bytes() == before
    assert isinstance(load(saved), TreeScoringExplainer)
    empty = saved.parent / "empty"
    empty.mkdir()
    with pytest.raises(FileExistsError):
        save(_linear(), empty)


def test_exist_ok_overwrites(saved: Path) -> None:
    assert save(_linear(), saved, exist_ok=True) == saved
    manifest = read_manifest(saved)
    assert manifest["kind"] == "LinearScoringExplainer"
    assert manifest["files"] == {name: _sha256(saved / name) for name in FILES}
    loaded = load(saved)
    assert isinstance(loaded, LinearScoringExplainer)
    rows = _rows(_linear())
    np.testing.assert_array_equal(loaded.explain(rows), _linear().explain(rows))
    assert _leftovers(saved.parent) == []


def test_exist_ok_writes_into_an_existing_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "scoring").mkdir()
    target = save(_linear(), tmp_path / "scoring", exist_ok=True)
    assert isinstance(load(target), LinearScoringExplainer)
    assert _leftovers(tmp_path) == []


def test_a_failed_save_leaves_no_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_dump = joblib.dump

    def failing_dump(value: Any, filename: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(filename).name == "explainer.joblib":
            raise OSError("disk full")
        return real_dump(value, filename, *args, **kwargs)

    monkeypatch.setattr(joblib, "dump", failing_dump)
    with pytest.raises(OSError, match=r"disk full"):
        save(_linear(), tmp_path / "new")
    assert not (tmp_path / "new").exists()
    assert _leftovers(tmp_path) == []

    monkeypatch.setattr(joblib, "dump", real_dump)
    existing = save(_tree(), tmp_path / "existing")
    monkeypatch.setattr(joblib, "dump", failing_dump)
    with pytest.raises(OSError, match=r"disk full"):
        save(_linear(), existing, exist_ok=True)
    assert _leftovers(tmp_path) == []
    monkeypatch.setattr(joblib, "dump", real_dump)
    assert isinstance(load(existing), TreeScoringExplainer)  # the old one is intact


# ------------------------------------------------------------------------------------ tampering
@pytest.mark.parametrize("name", FILES)
def test_a_changed_byte_is_refused_before_unpickling(saved: Path, name: str, no_unpickling: None) -> None:
    _flip_middle_byte(saved / name)
    with pytest.raises(ScoringLoadError, match=rf"{re.escape(name)} does not match the SHA-256 in the "
                                               r"manifest.*refusing to unpickle"):
        load(saved)
    with pytest.raises(ScoringLoadError, match=r"SHA-256"):
        load(saved, check_versions=False)


def test_a_changed_byte_is_refused_for_every_kind(tmp_path: Path, no_unpickling: None) -> None:
    for name, build in BUILDERS.items():
        target = save(build(), tmp_path / name)
        _flip_middle_byte(target / "explainer.joblib")
        with pytest.raises(ScoringLoadError, match=r"SHA-256"):
            load(target)


def test_a_truncated_file_is_refused(saved: Path, no_unpickling: None) -> None:
    path = saved / "model.joblib"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ScoringLoadError, match=r"model\.joblib does not match the SHA-256"):
        load(saved)


def test_swapped_files_are_refused(saved: Path, no_unpickling: None) -> None:
    model, explainer = (saved / "model.joblib").read_bytes(), (saved / "explainer.joblib").read_bytes()
    (saved / "model.joblib").write_bytes(explainer)
    (saved / "explainer.joblib").write_bytes(model)
    with pytest.raises(ScoringLoadError, match=r"does not match the SHA-256"):
        load(saved)


def test_a_checksummed_file_that_is_not_a_scoring_explainer_is_refused(saved: Path) -> None:
    joblib.dump({"not": "an explainer"}, saved / "explainer.joblib")
    digest = _sha256(saved / "explainer.joblib")
    _edit_manifest(saved, lambda m: m["files"].update({"explainer.joblib": digest}))
    with pytest.raises(ScoringLoadError, match=r"explainer\.joblib holds a dict, not a scoring explainer"):
        load(saved)


# --------------------------------------------------------------------------- incomplete directories
@pytest.mark.parametrize("name", FILES)
def test_a_missing_file_is_refused(saved: Path, name: str, no_unpickling: None) -> None:
    (saved / name).unlink()
    with pytest.raises(ScoringLoadError, match=rf"{re.escape(name)} is missing"):
        load(saved)


def test_a_missing_manifest_is_refused(saved: Path, no_unpickling: None) -> None:
    (saved / "manifest.json").unlink()
    message = r"has no manifest\.json; it is not a saved scoring explainer"
    with pytest.raises(ScoringLoadError, match=message):
        load(saved)
    with pytest.raises(ScoringLoadError, match=message):
        read_manifest(saved)


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00garbage", b""])
def test_an_invalid_manifest_is_refused(saved: Path, content: bytes, no_unpickling: None) -> None:
    (saved / "manifest.json").write_bytes(content)
    with pytest.raises(ScoringLoadError, match=r"manifest\.json is not valid JSON"):
        load(saved)


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_a_wrong_format_version_is_refused(saved: Path, version: Any, no_unpickling: None) -> None:
    _edit_manifest(saved, lambda m: m.update({"format_version": version}))
    shown = re.escape(repr(version))
    with pytest.raises(ScoringLoadError, match=rf"has format_version {shown}; this library reads 1"):
        load(saved)


@pytest.mark.parametrize("manifest", [[], "text", 1])
def test_a_manifest_that_is_not_an_object_is_refused(saved: Path, manifest: Any, no_unpickling: None) -> None:
    (saved / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ScoringLoadError, match=r"has format_version None"):
        load(saved)


def test_a_missing_format_version_is_refused(saved: Path, no_unpickling: None) -> None:
    _edit_manifest(saved, lambda m: m.pop("format_version"))
    with pytest.raises(ScoringLoadError, match=r"has format_version None"):
        load(saved)


@pytest.mark.parametrize("edit", [
    lambda m: m["files"].update({"extra.joblib": "0" * 64}),
    lambda m: m["files"].pop("model.joblib"),
    lambda m: m.update({"files": {}}),
    lambda m: m.update({"files": ["model.joblib", "explainer.joblib"]}),
    lambda m: m.pop("files"),
], ids=["extra", "one-missing", "empty", "list", "absent"])
def test_a_manifest_listing_other_files_is_refused(saved: Path, edit: Callable[[dict[str, Any]], Any],
                                                   no_unpickling: None) -> None:
    _edit_manifest(saved, edit)
    with pytest.raises(ScoringLoadError, match=r"must list exactly model\.joblib, explainer\.joblib"):
        load(saved)


def test_a_wrong_checksum_in_the_manifest_is_refused(saved: Path, no_unpickling: None) -> None:
    _edit_manifest(saved, lambda m: m["files"].update({"model.joblib": "0" * 64}))
    with pytest.raises(ScoringLoadError, match=r"model\.joblib does not match the SHA-256"):
        load(saved)


@pytest.mark.parametrize("path", ["missing", "file.txt"])
def test_a_path_that_is_not_a_directory_is_refused(tmp_path: Path, path: str, no_unpickling: None) -> None:
    (tmp_path / "file.txt").write_text("{}")
    with pytest.raises(FileNotFoundError, match=r"No such directory"):
        load(tmp_path / path)
    with pytest.raises(FileNotFoundError, match=r"No such directory"):
        read_manifest(str(tmp_path / path))


def test_an_empty_directory_is_refused(tmp_path: Path, no_unpickling: None) -> None:
    with pytest.raises(ScoringLoadError, match=r"has no manifest\.json"):
        load(tmp_path)


def test_scoring_load_error_is_an_explanation_and_value_error() -> None:
    assert issubclass(ScoringLoadError, ExplanationError)
    assert issubclass(ScoringLoadError, ValueError)


# ----------------------------------------------------------------------------------------- versions
def test_a_version_mismatch_is_refused_naming_the_library(saved: Path, monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    _edit_manifest(saved, lambda m: m["versions"].update({"scikit-learn": "0.1.0"}))
    now = metadata.version("scikit-learn")
    with monkeypatch.context() as patch:
        patch.setattr(joblib, "load", lambda *a, **k: pytest.fail("unpickled despite a version mismatch"))
        with pytest.raises(ScoringLoadError, match=rf"other library versions: scikit-learn 0\.1\.0 "
                                                   rf"\(now {re.escape(now)}\).*check_versions=False"):
            load(saved)
    loaded = load(saved, check_versions=False)
    rows = _rows(_tree())
    np.testing.assert_array_equal(loaded.explain(rows), _tree().explain(rows))


def test_every_mismatched_library_is_named(saved: Path, no_unpickling: None) -> None:
    _edit_manifest(saved, lambda m: m["versions"].update({"python": "2.7.18", "numpy": "1.0.0"}))
    with pytest.raises(ScoringLoadError, match=r"python 2\.7\.18 \(now .*numpy 1\.0\.0 \(now "):
        load(saved)


def test_a_library_not_installed_now_is_a_mismatch(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _edit_manifest(saved, lambda m: m["versions"].update({"xgboost": "2.1.0"}))
    current = _persist._versions()
    monkeypatch.setattr(_persist, "_versions", lambda: {**current, "xgboost": None})
    with pytest.raises(ScoringLoadError, match=r"xgboost 2\.1\.0 \(now not installed\)"):
        load(saved)


def test_a_patch_release_and_unrecorded_libraries_are_accepted(saved: Path) -> None:
    major, minor = metadata.version("scikit-learn").split(".")[:2]
    _edit_manifest(saved, lambda m: m["versions"].update(
        {"scikit-learn": f"{major}.{minor}.999", "xgboost": None, "some-other-library": "9.9"}))
    assert isinstance(load(saved), TreeScoringExplainer)


def test_a_manifest_with_malformed_versions_is_refused(saved: Path, no_unpickling: None) -> None:
    _edit_manifest(saved, lambda m: m.update({"versions": ["scikit-learn", "0.1.0"]}))
    with pytest.raises(ScoringLoadError, match=r"versions"):
        load(saved)


# ------------------------------------------------------------------------ atomic replacement
KILLED = 86


def _arm(step: str) -> None:
    """In a forked child: end the process (as a kill would, no clean-up) at ``step`` of a save."""
    real_dump, real_exchange, real_rmtree = joblib.dump, _persist.exchange, shutil.rmtree

    def dump(value: Any, filename: Any, *args: Any, **kwargs: Any) -> Any:
        if step == "nothing written":
            os._exit(KILLED)
        if step == "model half written":
            Path(filename).write_bytes(b"partial")
            os._exit(KILLED)
        return real_dump(value, filename, *args, **kwargs)

    def exchange(first: Path, second: Path) -> None:
        if step == "bundle written":
            os._exit(KILLED)
        real_exchange(first, second)
        if step == "exchanged":
            os._exit(KILLED)

    def rmtree(path: Any, *args: Any, **kwargs: Any) -> None:
        if step == "old half deleted":
            (Path(path) / "model.joblib").unlink()
            os._exit(KILLED)
        real_rmtree(path, *args, **kwargs)

    joblib.dump, _persist.exchange, shutil.rmtree = dump, exchange, rmtree  # type: ignore[assignment]


def _save_killed_at(step: str, scoring: ScoringExplainer, target: Path) -> int:
    """Run ``save(scoring, target, exist_ok=True)`` in a forked process killed at ``step``."""
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        try:
            _arm(step)
            save(scoring, target, exist_ok=True)
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork to kill a save mid-way")
@pytest.mark.parametrize(("step", "survivor"), [
    ("nothing written", "TreeScoringExplainer"), ("model half written", "TreeScoringExplainer"),
    ("bundle written", "TreeScoringExplainer"), ("exchanged", "LinearScoringExplainer"),
    ("old half deleted", "LinearScoringExplainer"),
])
def test_a_save_killed_at_any_step_leaves_a_complete_bundle(saved: Path, step: str, survivor: str) -> None:
    _linear()  # built before forking
    assert _save_killed_at(step, _linear(), saved) == KILLED
    assert read_manifest(saved)["kind"] == survivor
    assert type(load(saved)).__name__ == survivor
    assert len(_leftovers(saved.parent)) == 1  # the killed save's staging folder
    save(_kernel(), saved, exist_ok=True)  # the next save removes it
    assert _leftovers(saved.parent) == []
    assert isinstance(load(saved), KernelScoringExplainer)


@pytest.mark.parametrize("failing_call", [1, 2, 3, 4])
def test_a_rename_failing_at_any_step_keeps_the_old_bundle_loadable(saved: Path, failing_call: int,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}

    def counted(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == failing_call:
                raise OSError("simulated failure")
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(os, "replace", counted(os.replace))
    monkeypatch.setattr(os, "rename", counted(os.rename))
    try:
        save(_linear(), saved, exist_ok=True)
    except OSError as exc:
        assert "simulated failure" in str(exc)
        expected = TreeScoringExplainer
    else:
        expected = LinearScoringExplainer
    monkeypatch.undo()
    assert isinstance(load(saved), expected)
    assert _leftovers(saved.parent) == []


def test_a_failed_exchange_keeps_the_old_bundle(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(first: Path, second: Path) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(_persist, "exchange", refuse)
    with pytest.raises(OSError, match="Input/output error"):
        save(_linear(), saved, exist_ok=True)
    assert isinstance(load(saved), TreeScoringExplainer)
    assert _leftovers(saved.parent) == []


def test_only_the_staging_folders_of_ended_processes_are_removed(saved: Path) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    dead, alive = int(ended.stdout), os.getpid()
    names = {f".scoring.{dead}.k2j4l_x9.saving": False, f".scoring.{alive}.abc123.saving": True,
             ".scoring.notes": True, f".scoring.old.{dead}.abc.saving": True}
    for name in names:
        (saved.parent / name).mkdir()
        (saved.parent / name / "model.joblib").write_bytes(b"leftover")
    save(_linear(), saved, exist_ok=True)
    assert _leftovers(saved.parent) == sorted(name for name, kept in names.items() if kept)
    assert isinstance(load(saved), LinearScoringExplainer)


def test_exist_ok_replaces_only_a_saved_bundle(saved: Path, tmp_path: Path) -> None:
    (saved / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match=r"other files than a saved scoring explainer \(notes\.txt\)"):
        save(_linear(), saved, exist_ok=True)
    assert (saved / "notes.txt").read_text() == "mine"
    assert isinstance(load(saved), TreeScoringExplainer)
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="not a folder"):
        save(_linear(), tmp_path / "file", exist_ok=True)
    assert (tmp_path / "file").read_text() == "x"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(("versions", "message"), [
    ({}, r"records no version of python, automl-explain, scikit-learn, numpy, scipy;"),
    ({"python": platform.python_version()},
     r"records no version of automl-explain, scikit-learn, numpy, scipy, pandas;"),
    ("drop numpy", r"records no version of numpy;"),
    ("numpy as a number", r"has versions that are not strings or null: numpy;"),
], ids=["empty", "python only", "one missing", "not a string"])
def test_a_manifest_that_does_not_record_every_version_is_refused(saved: Path, versions: Any, message: str,
                                                                  no_unpickling: None) -> None:
    def edit(manifest: dict[str, Any]) -> None:
        if versions == "drop numpy":
            manifest["versions"].pop("numpy")
        elif versions == "numpy as a number":
            manifest["versions"]["numpy"] = 2.1
        else:
            manifest["versions"] = versions

    _edit_manifest(saved, edit)
    with pytest.raises(ScoringLoadError, match=message + r" cannot check .*check_versions=False"):
        load(saved)

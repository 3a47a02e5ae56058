"""Saving and loading scoring explainers: pickles plus a manifest of checksums and versions.

A saved directory holds ``model.joblib`` (the model as given to the explainer),
``explainer.joblib`` (the scoring explainer's state) and ``manifest.json`` (kind, task,
classes, input columns and their kinds, feature names, the versions of the libraries the
pickles depend on, and the SHA-256 of every file). ``load`` reads the manifest first and
refuses, before unpickling anything, a directory whose files do not match their checksums or
that was written with other versions of those libraries.

.. warning::
   Loading unpickles ``explainer.joblib`` and ``model.joblib``: that runs code from the files.
   Only load directories you trust. The checksums catch corrupted or partly copied
   directories and accidental edits; they do not stop someone who can also rewrite the
   manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib

from explain._exceptions import ExplanationError, ExplanationTypeError
from explain.scoring._explainers import ScoringExplainer
from explain.scoring._swap import exchange
from featurization._imports import defer_pyplot

__all__ = ["FORMAT_VERSION", "ScoringLoadError", "load", "read_manifest", "save"]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
STAGING_SUFFIX = ".saving"
FILES = ("model.joblib", "explainer.joblib")
# Libraries whose objects live in the pickles: their major.minor must match to load safely.
PINNED = ("automl-explain", "scikit-learn", "numpy", "scipy", "pandas", "lightgbm", "xgboost", "shap",
          "torch", "skrub", "joblib")


class ScoringLoadError(ExplanationError, ValueError):
    """A saved scoring explainer that ``load`` refuses (tampered, incomplete or mismatched)."""


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PINNED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json_labels(classes: Any) -> list[Any] | None:
    if classes is None:
        return None
    return [c if isinstance(c, bool | int | float | str) else str(c) for c in classes]


def save(scoring_explainer: ScoringExplainer, directory: str | os.PathLike[str],
         exist_ok: bool = False) -> Path:
    """Save a scoring explainer, its model and a manifest to ``directory``; return its path.

    The files are written to a staging folder beside ``directory``, which then takes its place
    in one step: a new folder by a rename, an existing one (``exist_ok=True``) by exchanging the
    two folders atomically (``renameat2`` / ``renamex_np``), so that at every instant, even if the
    process is killed, ``directory`` holds either the complete old or the complete new saved
    explainer. The old one is then deleted. Staging folders left by saves that were killed are
    deleted by the next save to the same place.

    Parameters
    ----------
    scoring_explainer : ScoringExplainer
        What to save.
    directory : path-like
        Target folder; created.
    exist_ok : bool, default=False
        Replace an existing saved explainer (or an empty folder) instead of refusing.

    Raises
    ------
    FileExistsError
        If ``directory`` exists and ``exist_ok`` is False, or it is not a folder holding only a
        saved scoring explainer (nothing else is ever deleted).
    """
    if not isinstance(scoring_explainer, ScoringExplainer):
        raise ExplanationTypeError(
            f"save: expected a ScoringExplainer, got {type(scoring_explainer).__name__}.")
    target = Path(directory)
    if target.exists() and not exist_ok:
        raise FileExistsError(17, "File exists (pass exist_ok=True to overwrite)", str(target))
    if target.exists():
        _check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=STAGING_SUFFIX,
                                    dir=target.parent))
    try:
        _write_bundle(scoring_explainer, staging)
        if target.exists():
            _check_replaceable(target)
            exchange(staging, target)  # staging now holds the old explainer
        else:
            staging.rename(target)
        _fsync_directory(target.parent)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_bundle(scoring: ScoringExplainer, folder: Path) -> None:
    """The model, the explainer and the manifest (last), each flushed to disk."""
    joblib.dump(scoring.model_, folder / "model.joblib")
    joblib.dump(scoring, folder / "explainer.joblib")
    manifest = _manifest(scoring, {name: _sha256(folder / name) for name in FILES})
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    for name in (*FILES, MANIFEST):
        with (folder / name).open("rb") as handle:
            os.fsync(handle.fileno())
    _fsync_directory(folder)


def _check_replaceable(target: Path) -> None:
    """Refuse to replace what is not a saved scoring explainer (or an empty folder)."""
    if not target.is_dir():
        raise FileExistsError(17, "File exists and is not a folder; save writes a folder", str(target))
    others = sorted(p.name for p in target.iterdir() if p.name not in (*FILES, MANIFEST))
    if others:
        raise FileExistsError(
            17, f"Folder holds other files than a saved scoring explainer ({', '.join(others[:5])}); "
                "save(exist_ok=True) replaces only a saved scoring explainer or an empty folder",
            str(target))


def _remove_leftovers(target: Path) -> None:
    """Delete the staging folders of earlier saves to ``target`` whose process is gone."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.\w+{re.escape(STAGING_SUFFIX)}")
    for path in target.parent.iterdir():
        match = pattern.fullmatch(path.name)
        if match and path.is_dir() and not _is_running(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)


def _is_running(pid: int) -> bool:
    """Whether process ``pid`` exists (assumed so where this cannot be asked safely)."""
    if os.name != "posix":  # os.kill(pid, 0) would terminate it on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _fsync_directory(folder: Path) -> None:
    """Make renames in ``folder`` durable (POSIX; elsewhere folders cannot be opened)."""
    if os.name != "posix":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _manifest(scoring: ScoringExplainer, files: dict[str, str]) -> dict[str, Any]:
    return {
        "format": "automl-explain scoring explainer", "format_version": FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "kind": type(scoring).__name__, "method": scoring.method, "model_task": scoring.model_task_,
        "model": type(scoring.model_).__name__, "classes": _json_labels(scoring.classes_),
        "input_columns": list(scoring.input_columns_), "input_schema": scoring.input_schema_,
        "features": list(scoring.features_),
        "raw_features": None if scoring.raw_features_ is None else list(scoring.raw_features_),
        "versions": _versions(), "files": files,
    }


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a saved scoring explainer (JSON only: nothing is unpickled)."""
    path = Path(directory) / MANIFEST
    if not Path(directory).is_dir():
        raise FileNotFoundError(2, "No such directory", str(directory))
    if not path.is_file():
        raise ScoringLoadError(f"load: {directory} has no {MANIFEST}; it is not a saved scoring explainer "
                               "(or its save did not finish).")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ScoringLoadError(f"load: {path} is not valid JSON: {exc}") from exc
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version != FORMAT_VERSION:
        raise ScoringLoadError(f"load: {path} has format_version {version!r}; this library reads "
                               f"{FORMAT_VERSION}.")
    return manifest


def load(directory: str | os.PathLike[str], check_versions: bool = True) -> ScoringExplainer:
    """Load a scoring explainer saved by :func:`save`, after checking checksums and versions.

    Loading unpickles code from the directory: only load directories you trust.

    Parameters
    ----------
    directory : path-like
        A folder written by :func:`save`.
    check_versions : bool, default=True
        Refuse a directory written with another major.minor version of Python or of a library
        in the pickles (scikit-learn, LightGBM, NumPy, ...). ``False`` loads anyway.

    Raises
    ------
    ScoringLoadError
        If a file is missing, its checksum differs from the manifest's, or versions differ.
    """
    folder = Path(directory)
    manifest = read_manifest(folder)
    expected = manifest.get("files")
    if not isinstance(expected, dict) or set(expected) != set(FILES):
        raise ScoringLoadError(f"load: the manifest of {folder} must list exactly {', '.join(FILES)}.")
    for name, digest in expected.items():
        path = folder / name
        if not path.is_file():
            raise ScoringLoadError(f"load: {path} is missing.")
        if _sha256(path) != digest:
            raise ScoringLoadError(
                f"load: {path} does not match the SHA-256 in the manifest: the file was changed or "
                "damaged after saving; refusing to unpickle it.")
    if check_versions:
        versions = manifest.get("versions")
        if not isinstance(versions, dict):
            raise ScoringLoadError(f"load: the manifest of {folder} has no 'versions' object; cannot check "
                                   "the library versions (pass check_versions=False to load anyway).")
        _check_versions(versions, folder)
    scoring = _unpickled(folder / "explainer.joblib")
    if not isinstance(scoring, ScoringExplainer):
        raise ScoringLoadError(f"load: {folder / 'explainer.joblib'} holds a {type(scoring).__name__}, "
                               "not a scoring explainer.")
    scoring.model_ = _unpickled(folder / "model.joblib")
    return scoring


def _unpickled(path: Path) -> Any:
    defer_pyplot()  # a pickled featurization imports skrub, and skrub imports pyplot
    try:
        return joblib.load(path)
    except Exception as exc:  # unpickling runs the file's code, which can raise anything: report it
        raise ScoringLoadError(
            f"load: {path} could not be unpickled ({type(exc).__name__}: {str(exc)[:200]}); it matches "
            "its checksum, so it was written so, or it needs other library versions than the installed "
            "ones.") from exc


def _check_versions(saved: dict[str, Any], folder: Path) -> None:
    """Refuse other major.minor versions, and manifests that do not record every version."""
    current = _versions()
    unrecorded = [name for name in current if name not in saved]
    malformed = [name for name, version in saved.items() if not isinstance(version, str | None)]
    if unrecorded or malformed:
        problem = (f"records no version of {', '.join(unrecorded[:5])}" if unrecorded
                   else f"has versions that are not strings or null: {', '.join(map(str, malformed[:5]))}")
        raise ScoringLoadError(
            f"load: the manifest of {folder} {problem}; cannot check that the pickles fit the installed "
            "libraries (save it again, or pass check_versions=False to load anyway).")
    mismatched = []
    for name, version in saved.items():
        now = current.get(name)
        if version is None or name not in current:
            continue
        if now is None or _minor(now) != _minor(str(version)):
            mismatched.append(f"{name} {version} (now {now or 'not installed'})")
    if mismatched:
        raise ScoringLoadError(
            f"load: {folder} was saved with other library versions: {', '.join(mismatched[:5])}; "
            "install those versions, or pass check_versions=False to load anyway (pickles of other "
            "versions may fail or predict differently).")


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])

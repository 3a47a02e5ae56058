"""Saving and loading explanations in a versioned, pickle-free format.

File format (``schema_version`` 5)
----------------------------------
A ZIP archive (NumPy's ``.npz`` container) holding:

* ``metadata.json``: ``{"format": "automl-explain.explanation", "schema_version": 1,
  "library_version": ..., "method": ..., "model_task": ..., "features": [...],
  "classes": [...] | null, "output_space": ..., "is_raw": ..., "num_examples": ...,
  "model_type": ..., "fidelity": {scalar diagnostics}, "arrays": [names],
  "feature_map": FeatureMap.to_dict() | null, "engineered": {the same keys} | null}``;
* one ``<name>.npy`` member per array: ``global_values`` and, when present,
  ``local_values``, ``expected_values``, ``per_class_values``, ``fidelity.standard_errors``,
  ``fidelity.importance_std``, ``fidelity.confidence_interval``; a raw explanation's
  engineered explanation stores its arrays under ``engineered/<name>``.

Version history: 1 — no raw/engineered link; 2 — adds ``feature_map`` and ``engineered``;
3 — adds ``interaction_values``; 4 — adds the fidelity's ``sampled_from`` and
``sampling_method``; 5 — adds the fidelity's ``surrogate_model``, ``surrogate_share``,
``model_additivity_error`` and ``explained_rows`` (whose values these are, and on which rows);
6 — adds ``data``, the rows explained, the initialization rows and the model's predictions
(``data/...`` members, :mod:`explain._saved_data`). A file is written with the lowest version
that holds it (6 when it holds data, 5 when one of those fidelity fields is set, 4 when its
rows were sampled, 3 when it has interaction values), so older readers keep reading what they
can. Files of every listed version load.

Arrays are float64 and written with ``allow_pickle=False``; class labels must be JSON
scalars (str, int, float, bool). The file is written to a temporary file in the target
directory and moved into place with :func:`os.replace`, so a reader never sees half a file.
Loading reads the archive within a size limit and checks every member, field and shape before
building anything (:mod:`explain._archive`, :mod:`explain._file_metadata`); a damaged or
hostile file raises :class:`~explain.ExplanationFileError` naming the file and the cause.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from explain._archive import DEFAULT_MAX_BYTES, ExplanationArchive
from explain._exceptions import (
    ExplanationError,
    ExplanationFileError,
    ExplanationTypeError,
    ExplanationValueError,
    SchemaVersionError,
)
from explain._explanation import Explanation
from explain._fidelity import Fidelity
from explain._file_metadata import ARRAY_FIELDS as _ARRAY_FIELDS
from explain._file_metadata import FORMAT_NAME, check_fidelity_shapes, check_metadata
from explain._ic_shape import ICView
from explain._saved_data import data_from, data_members
from featurization import FeatureMap, FeaturizationError

__all__ = ["SCHEMA_VERSION", "load_explanation", "save_explanation"]

SCHEMA_VERSION = 6
READABLE_VERSIONS = (1, 2, 3, 4, 5, 6)


def save_explanation(explanation: Explanation, path: str | os.PathLike[str], exist_ok: bool = False, *,
                     include_data: bool = True) -> Path:
    """Save an explanation to ``path`` atomically, without pickle.

    Parameters
    ----------
    explanation : Explanation
        The explanation to save.
    path : str or path-like
        Target file; ``.npz`` is the conventional suffix. Missing parent directories are
        created. (interpret-community wrote a directory of JSON files at ``path``; this
        writes one file there.)
    exist_ok : bool, default=False
        Replace an existing file at ``path`` (atomically); with ``False``, as in
        interpret-community, an existing ``path`` is refused.
    include_data : bool, default=True
        Write the rows the explanation keeps (``eval_data``, ``init_data``) and the model's
        predictions on them, as interpret-community did; ``False`` writes the values alone
        (rows can be large or confidential).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    TypeError
        If ``explanation`` is not an :class:`Explanation` or a class label is not a JSON scalar.
    ValueError
        If ``path`` exists and ``exist_ok`` is false.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from explain import Explanation, save_explanation, load_explanation
    >>> e = Explanation(method="demo", model_task="regression", features=["a"],
    ...                 global_values=np.array([1.0]))
    >>> p = save_explanation(e, tempfile.mkdtemp() + "/e.npz")
    >>> load_explanation(p).features
    ('a',)
    """
    if not isinstance(explanation, Explanation):
        raise ExplanationTypeError(
            f"save_explanation: expected an Explanation, got {type(explanation).__name__}."
        )
    path = Path(path)
    if not isinstance(exist_ok, bool):
        raise ExplanationTypeError(f"save_explanation: exist_ok must be True or False, got {exist_ok!r}.")
    if path.exists() and (not exist_ok or path.is_dir()):
        raise ExplanationValueError(
            f"save_explanation: {str(path)!r} exists; pass exist_ok=True to replace the file"
            + (" (it is a directory, which is never replaced)." if path.is_dir() else "."))
    path.parent.mkdir(parents=True, exist_ok=True)
    if not isinstance(include_data, bool):
        raise ExplanationTypeError(
            f"save_explanation: include_data must be True or False, got {include_data!r}.")
    arrays: dict[str, np.ndarray] = {}
    metadata = _metadata_of(explanation, arrays, prefix="")
    data, data_arrays = data_members(explanation.datasets if include_data else None)
    if data is not None:
        metadata["data"], metadata["schema_version"] = data, 6
        arrays.update(data_arrays)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", json.dumps(metadata, indent=2, sort_keys=True))
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(f"{name}.npy", member.getvalue())
    _atomic_write(path, buffer.getvalue())
    return path


def load_explanation(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Explanation:
    """Load an explanation saved by :func:`save_explanation`.

    The file is checked as it is read, so that a damaged or hostile file is refused with
    :class:`~explain.ExplanationFileError` rather than exhausting memory or failing deep inside
    :mod:`zipfile`, :mod:`zlib` or :mod:`json`: only the expected members, stored or deflated,
    inflating to at most ``max_bytes`` in all (checked against the declared sizes before
    inflating and against the bytes actually inflated); metadata of the expected fields and
    types, nested at most 32 deep; float64 arrays (never pickled or object arrays) whose shapes
    agree with each other.

    Parameters
    ----------
    path : str or path-like
        File written by :func:`save_explanation`.
    max_bytes : int, default=2**30 (1 GiB)
        Most bytes the file's members may inflate to together (the arrays take about as much
        memory). Raise it to load larger explanations from files you trust.

    Returns
    -------
    Explanation

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    SchemaVersionError
        If the file was written with a schema version this library does not read.
    ExplanationFileError
        If the file is not an explanation file, is damaged or inconsistent, or its content is
        over ``max_bytes``; the message names the file and the cause.
    """
    path = Path(path)
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1:
        raise ExplanationValueError(f"load_explanation: max_bytes must be a positive integer, got "
                                    f"{max_bytes!r}.")
    with path.open("rb") as handle, ExplanationArchive(path, handle, max_bytes) as archive:
        if "metadata.json" not in archive.names:
            raise archive.error("it has no metadata.json")
        metadata = archive.read_json("metadata.json")
        _check_header(metadata, path)
        members = {"metadata.json", *check_metadata(metadata, archive.error)}
        unexpected, missing = sorted(archive.names - members), sorted(members - archive.names)
        if unexpected or missing:
            raise archive.error(f"its members do not match its metadata (unexpected: {unexpected[:5]}, "
                                f"missing: {missing[:5]})")
        try:
            explanation = _explanation_from(metadata, archive, prefix="")
            return explanation if metadata.get("data") is None else _with_saved_data(
                explanation, metadata["data"], archive)
        except ExplanationFileError:
            raise
        except (ExplanationError, FeaturizationError) as exc:  # the content breaks an invariant
            raise archive.error(f"its content is inconsistent ({exc})") from exc


def _metadata_of(explanation: Explanation, arrays: dict[str, np.ndarray],
                 prefix: str) -> dict[str, Any]:
    """Metadata of ``explanation``; its arrays are added to ``arrays`` under ``prefix``."""
    from explain import __version__

    own = {
        name: getattr(explanation, attribute)
        for name, attribute in _ARRAY_FIELDS.items()
        if getattr(explanation, attribute) is not None
    }
    for name, array in explanation.fidelity.arrays().items():
        own[f"fidelity.{name}"] = array
    arrays.update({prefix + name: value for name, value in own.items()})
    engineered = explanation.engineered_explanation
    fmap = explanation.feature_map
    return {
        "format": FORMAT_NAME,
        "schema_version": _version_of(explanation),
        "library_version": __version__,
        "method": explanation.method,
        "model_task": explanation.model_task,
        "features": list(explanation.features),
        "classes": _json_classes(explanation.classes),
        "output_space": explanation.output_space,
        "is_raw": explanation.is_raw,
        "num_examples": explanation.num_examples,
        "model_type": explanation.model_type,
        "fidelity": explanation.fidelity.scalars(),
        "arrays": sorted(own),
        "feature_map": None if fmap is None else fmap.to_dict(),
        "ic_view": _json_ic_view(explanation.ic_view),
        "engineered": None if engineered is None else _metadata_of(
            engineered, arrays, prefix=f"{prefix}engineered/"),
    }


def _json_ic_view(view: ICView | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {"call": view.call, "single_row": view.single_row,
            "labels": None if view.labels is None else list(view.labels)}


def _json_classes(classes: tuple[Any, ...] | None) -> list[Any] | None:
    if classes is None:
        return None
    out = []
    for label in classes:
        value = label.item() if isinstance(label, np.generic) else label
        if not isinstance(value, str | int | float | bool):
            raise ExplanationTypeError(
                f"save_explanation: class label {label!r} of type {type(label).__name__} cannot "
                "be saved; class labels must be str, int, float or bool."
            )
        out.append(value)
    return out


def _check_header(metadata: Any, path: Path) -> None:
    if not isinstance(metadata, dict):
        raise ExplanationFileError(f"load_explanation: {path} is not an explanation file (its metadata.json "
                                   f"holds a {type(metadata).__name__}, not an object).")
    found = metadata.get("format")
    if found != FORMAT_NAME:
        raise ExplanationFileError(
            f"load_explanation: {path} is not an explanation file (format {_shown(found)}, expected "
            f"{FORMAT_NAME!r}).")
    version = metadata.get("schema_version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise SchemaVersionError(
            f"load_explanation: {path} has schema_version {_shown(version)}; this library reads "
            f"schema_version {', '.join(map(str, READABLE_VERSIONS))}. Upgrade automl-explain "
            "to read newer files."
        )


def _shown(value: Any) -> str:
    """A short repr of a JSON value (a deep one is shown by its type)."""
    return repr(value)[:40] if isinstance(value, str | int | float | bool | None) else type(value).__name__


def _explanation_from(metadata: dict[str, Any], archive: ExplanationArchive,
                      prefix: str) -> Explanation:
    arrays = {name: archive.read_array(f"{prefix}{name}.npy") for name in metadata["arrays"]}
    fidelity_arrays = {
        name.removeprefix("fidelity."): value
        for name, value in arrays.items()
        if name.startswith("fidelity.")
    }
    check_fidelity_shapes(fidelity_arrays, arrays.get("local_values"), len(metadata["features"]),
                          archive.error, prefix)
    scalars = dict(metadata["fidelity"])
    scalars["notes"] = tuple(scalars.get("notes", ()))
    fidelity = Fidelity(**scalars, **fidelity_arrays)  # type: ignore[arg-type]
    fields = {attr: arrays.get(name) for name, attr in _ARRAY_FIELDS.items()}
    return Explanation(
        method=metadata["method"],
        model_task=metadata["model_task"],
        features=metadata["features"],
        classes=metadata["classes"],
        output_space=metadata["output_space"],
        is_raw=metadata["is_raw"],
        num_examples=metadata["num_examples"],
        model_type=metadata["model_type"],
        fidelity=fidelity,
        feature_map=None if metadata.get("feature_map") is None
        else FeatureMap.from_dict(metadata["feature_map"]),
        ic_view=_ic_view_from(metadata.get("ic_view")),
        engineered_explanation=None if metadata.get("engineered") is None
        else _explanation_from(metadata["engineered"], archive, f"{prefix}engineered/"),
        **fields,  # type: ignore[arg-type]
    )


def _with_saved_data(explanation: Explanation, kinds: dict[str, str],
                     archive: ExplanationArchive) -> Explanation:
    """``explanation`` (and its engineered side, which shares them) with the saved data."""
    data = data_from(kinds, lambda member: archive.read_array(member, data=True))
    engineered = explanation.engineered_explanation
    if engineered is not None:
        engineered = replace(engineered, datasets=data)
    return replace(explanation, datasets=data, engineered_explanation=engineered)


def _ic_view_from(view: dict[str, Any] | None) -> ICView | None:
    if view is None:
        return None
    labels = view.get("labels")
    return ICView(call=view["call"], single_row=view["single_row"],
                  labels=None if labels is None else tuple(labels))


def _atomic_write(path: Path, payload: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ExplanationValueError(f"save_explanation: directory {directory} does not exist.")
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(payload)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, 0o666 & ~_current_umask())  # mkstemp creates files as 0600
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _version_of(explanation: Explanation) -> int:
    """The lowest schema version that holds ``explanation``: 5 when its fidelity says whose values
    these are, 4 when sampled, 3 for interaction values, else 2."""
    engineered = explanation.engineered_explanation
    if explanation.fidelity.describes_its_subject or (
            engineered is not None and engineered.fidelity.describes_its_subject):
        return 5
    if explanation.fidelity.sampled or (engineered is not None and engineered.fidelity.sampled):
        return 4
    if explanation.interaction_values is not None or (
            engineered is not None and engineered.interaction_values is not None):
        return 3
    return 2

"""Reading explanations interpret-community saved (a directory of JSON files), and its method names."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from explain._archive import DEFAULT_MAX_BYTES
from explain._exceptions import ExplanationError, ExplanationFileError
from explain._explanation import Explanation
from explain._fidelity import Fidelity
from explain._serialization import load_explanation as _load_file

__all__ = ["interpret_community_method", "load_explanation"]

METADATA = "explanation_metadata.json"
_METHODS = {"shap.tree": "shap_tree", "shap.linear": "shap_linear", "shap.kernel": "shap_kernel",
            "shap.deep": "shap_deep", "permutation_importance": "pfi", "lime": "lime"}
_FROM_IC = {name: ours for ours, name in _METHODS.items()}
_VALUE_FILES = ("features", "classes", "expected_values", "global_importance_values",
                "local_importance_values", "per_class_values")


def interpret_community_method(explanation: Explanation) -> str:
    """The ``method`` interpret-community would have recorded (``"shap_tree"`` for ``"shap.tree"``).

    >>> import numpy as np
    >>> from explain import Explanation
    >>> interpret_community_method(Explanation(method="shap.kernel", model_task="regression",
    ...                                        features=["a"], global_values=np.ones(1)))
    'shap_kernel'
    """
    return _METHODS.get(explanation.method, explanation.method)


def load_explanation(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Explanation:
    """Load an explanation saved by this library (a file) or by interpret-community (a directory).

    A directory is read as interpret-community's JSON format (``explanation_metadata.json``
    and one ``<property>.json`` per value): the importance values, expected values, features
    and classes become an :class:`~explain.Explanation`, its method named as this library names
    it (``"shap_kernel"`` is ``"shap.kernel"``); the data rows and predictions it may
    hold are not read. Dense values only (interpret-community's sparse local values are
    refused). A file is read by :func:`explain.load_explanation`.

    Raises
    ------
    ExplanationFileError
        If the directory is not an interpret-community explanation or its content is
        inconsistent; the message names the path and the cause.
    """
    folder = Path(path)
    if not folder.is_dir():
        return _load_file(folder, max_bytes=max_bytes)
    metadata = _read_json(folder, METADATA, max_bytes, required=True)
    if not isinstance(metadata, dict) or "model_task" not in metadata:
        raise ExplanationFileError(f"load_explanation: {str(folder)!r} is not an interpret-community "
                                   f"explanation ({METADATA} has no model_task).")
    if metadata.get("is_local_sparse"):
        raise ExplanationFileError(f"load_explanation: {str(folder)!r} holds sparse local values, "
                                   "which this library does not read; save them dense.")
    values = {name: _read_json(folder, f"{name}.json", max_bytes) for name in _VALUE_FILES}
    try:
        return _explanation(metadata, values)
    except (ExplanationError, TypeError, ValueError) as exc:
        raise ExplanationFileError(f"load_explanation: {str(folder)!r} is inconsistent: {exc}") from exc


def _read_json(folder: Path, name: str, max_bytes: int, required: bool = False) -> Any:
    file = folder / name
    if not file.exists():
        if required:
            raise ExplanationFileError(f"load_explanation: {str(folder)!r} has no {name}; it is not a "
                                       "saved explanation.")
        return None
    if file.stat().st_size > max_bytes:
        raise ExplanationFileError(f"load_explanation: {str(file)!r} is over max_bytes={max_bytes}.")
    try:
        content = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExplanationFileError(f"load_explanation: {str(file)!r} is not JSON ({exc}).") from exc
    if name == METADATA:
        return content
    if not isinstance(content, dict) or "data" not in content:
        raise ExplanationFileError(f"load_explanation: {str(file)!r} has no 'data' entry.")
    return content["data"]


def _explanation(metadata: dict[str, Any], values: dict[str, Any]) -> Explanation:
    classification = metadata.get("model_type", metadata["model_task"]) == "classification"
    local = values["local_importance_values"]
    local_array = None if local is None else np.asarray(local, dtype=np.float64)
    if local_array is not None and local_array.ndim == 2:  # regression: rows x features
        local_array = local_array[None]
    expected = values["expected_values"]
    expected_array = None if expected is None else np.atleast_1d(np.asarray(expected, dtype=np.float64))
    n_features = int(metadata.get("num_features") or 0)
    features = values["features"] or [f"x{i}" for i in range(n_features)]
    global_values = values["global_importance_values"]
    if global_values is None:
        if local_array is None:
            raise ValueError("it has neither global nor local importance values")
        global_values = np.abs(local_array).mean(axis=(0, 1))
    per_class = values["per_class_values"]
    method = str(metadata.get("method") or "interpret_community")
    return Explanation(
        method=_FROM_IC.get(method, method),
        model_task="classification" if classification else "regression",
        features=tuple(str(f) for f in features),
        global_values=np.asarray(global_values, dtype=np.float64),
        local_values=local_array, expected_values_=expected_array,
        per_class_values_=None if per_class is None else np.asarray(per_class, dtype=np.float64),
        classes=values["classes"], is_raw=bool(metadata.get("is_raw", False)),
        model_type=metadata.get("model_class"),
        fidelity=Fidelity(notes=("loaded from interpret-community's saved format",)),
    )

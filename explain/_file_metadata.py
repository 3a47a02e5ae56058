"""The metadata of an explanation file: its fields, their JSON types, and the arrays they list.

:func:`check_metadata` checks a parsed ``metadata.json`` before anything is built from it, so
that a damaged or hand-edited file is refused with a message naming the field instead of
failing with a ``KeyError`` or ``TypeError`` while the explanation is assembled; and it returns
the members the metadata calls for, so the loader can refuse an archive with other members.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from explain._exceptions import ExplanationFileError
from explain._saved_data import DATA_FIELDS, DATA_KINDS, member_names

__all__ = ["ARRAY_FIELDS", "FORMAT_NAME", "check_fidelity_shapes", "check_metadata"]

FORMAT_NAME = "automl-explain.explanation"
# file array name -> Explanation attribute
ARRAY_FIELDS = {
    "global_values": "global_values",
    "local_values": "local_values",
    "expected_values": "expected_values_",
    "per_class_values": "per_class_values_",
    "interaction_values": "interaction_values",
}
IC_CALLS = ("explain_local", "explain_global")  # ICView.call
FIDELITY_ARRAYS = ("standard_errors", "importance_std", "confidence_interval")
ARRAY_NAMES = frozenset(ARRAY_FIELDS) | {f"fidelity.{name}" for name in FIDELITY_ARRAYS}

Error = Callable[[str], ExplanationFileError]
# JSON kinds a field takes: "str", "int" (not bool), "number" (int or float), "bool", "null"
_FIELDS = {
    "method": ("str",), "model_task": ("str",), "output_space": ("str",), "is_raw": ("bool",),
    "num_examples": ("int", "null"), "model_type": ("str", "null"),
}
_FIDELITY_FIELDS = {
    "additivity_error": ("number", "null"), "exact": ("bool", "null"),
    "max_standard_error": ("number", "null"), "surrogate_metric": ("str", "null"),
    "surrogate_score": ("number", "null"), "surrogate_holdout_rows": ("int", "null"),
    "confidence_level": ("number", "null"), "n_repeats": ("int", "null"),
    "sampled_from": ("int", "null"), "sampling_method": ("str", "null"),
    "surrogate_model": ("str", "null"), "surrogate_share": ("number", "null"),
    "model_additivity_error": ("number", "null"), "explained_rows": ("str", "null"),
}
_FEATURE_MAP_LISTS = {"raw_feature_names": "str", "engineered_feature_names": "str", "rows": "int",
                      "columns": "int", "weights": "number"}


def check_metadata(metadata: Mapping[str, Any], error: Error, prefix: str = "") -> set[str]:
    """Check the fields of ``metadata`` (and of its engineered explanation's); return the array
    members it lists (``<prefix><name>.npy``).

    Raises
    ------
    ExplanationFileError
        ``error(cause)`` for the first field that is missing or of the wrong JSON type.
    """
    for name, kinds in _FIELDS.items():
        _expect(metadata, name, kinds, error, prefix)
    _expect_list(metadata, "features", ("str",), error, prefix)
    if metadata.get("classes") is not None:
        _expect_list(metadata, "classes", ("str", "number", "bool"), error, prefix)
    if isinstance(metadata["num_examples"], int) and metadata["num_examples"] < 0:
        raise error(f"metadata field {prefix}num_examples is negative")
    _check_fidelity(metadata, error, prefix)
    arrays = _expect_list(metadata, "arrays", ("str",), error, prefix)
    unknown = sorted(set(arrays) - ARRAY_NAMES)
    if unknown or len(set(arrays)) != len(arrays) or "global_values" not in arrays:
        raise error(f"metadata field {prefix}arrays must list global_values and other known arrays once "
                    f"each; unknown: {[name[:40] for name in unknown[:5]]}")
    if metadata.get("feature_map") is not None:
        _check_feature_map(metadata, error, prefix)
    if metadata.get("ic_view") is not None:
        _check_ic_view(metadata, error, prefix)
    members = {f"{prefix.replace('.', '/')}{name}.npy" for name in arrays}
    if metadata.get("data") is not None:
        members |= _check_data(metadata["data"], error, prefix)
    engineered = metadata.get("engineered")
    if engineered is not None:
        if prefix or not isinstance(engineered, dict):
            raise error(f"metadata field {prefix}engineered must be an object, and only at the top level")
        members |= check_metadata(engineered, error, "engineered.")
    return members


def check_fidelity_shapes(arrays: Mapping[str, np.ndarray], local_values: np.ndarray | None,
                          n_features: int, error: Error, prefix: str = "") -> None:
    """Check that the fidelity's arrays fit the explanation (the explanation checks its own)."""
    expected = {"importance_std": (n_features,), "confidence_interval": (2, n_features)}
    standard_errors = arrays.get("standard_errors")
    if local_values is not None:
        expected["standard_errors"] = local_values.shape
    elif standard_errors is not None:  # kept without local values: (n_outputs, n_rows, n_features)
        expected["standard_errors"] = (*standard_errors.shape[:2], n_features)
    for name, array in arrays.items():
        if array.shape != expected[name]:
            raise error(f"array {prefix}fidelity.{name} has shape {array.shape}, expected "
                        f"{expected[name]}")


def _check_fidelity(metadata: Mapping[str, Any], error: Error, prefix: str) -> None:
    fidelity = metadata.get("fidelity")
    if not isinstance(fidelity, dict):
        raise error(f"metadata field {prefix}fidelity must be an object, got {_kind(fidelity)}")
    unknown = sorted(set(fidelity) - set(_FIDELITY_FIELDS) - {"notes"})
    if unknown:
        raise error(f"metadata field {prefix}fidelity has unknown keys {[k[:40] for k in unknown[:5]]}")
    for name, kinds in _FIDELITY_FIELDS.items():
        if name in fidelity:
            _expect(fidelity, name, kinds, error, f"{prefix}fidelity.")
    if "notes" in fidelity:
        _expect_list(fidelity, "notes", ("str",), error, f"{prefix}fidelity.")


def _check_data(kinds: Any, error: Error, prefix: str) -> set[str]:
    """Check the ``data`` entry (top level only); return its members."""
    if prefix or not isinstance(kinds, dict):
        raise error("metadata field data must be an object, and only at the top level")
    unknown = sorted(set(kinds) - set(DATA_FIELDS))
    if unknown or not all(isinstance(kind, str) and kind in DATA_KINDS for kind in kinds.values()):
        raise error(f"metadata field data must map {list(DATA_FIELDS)} to one of {list(DATA_KINDS)}; "
                    f"unknown: {[name[:40] for name in unknown[:5]]}")
    return member_names(kinds)


def _check_feature_map(metadata: Mapping[str, Any], error: Error, prefix: str) -> None:
    fmap = metadata["feature_map"]
    if not isinstance(fmap, dict):
        raise error(f"metadata field {prefix}feature_map must be an object, got {_kind(fmap)}")
    for name, kind in _FEATURE_MAP_LISTS.items():
        _expect_list(fmap, name, (kind,), error, f"{prefix}feature_map.")


def _check_ic_view(metadata: Mapping[str, Any], error: Error, prefix: str) -> None:
    view = metadata["ic_view"]
    if not isinstance(view, dict):
        raise error(f"metadata field {prefix}ic_view must be an object, got {_kind(view)}")
    if _expect(view, "call", ("str",), error, f"{prefix}ic_view.") not in IC_CALLS:
        raise error(f"metadata field {prefix}ic_view.call must be one of {list(IC_CALLS)}")
    _expect(view, "single_row", ("bool",), error, f"{prefix}ic_view.")
    if view.get("labels") is not None:
        labels = _expect_list(view, "labels", ("int",), error, f"{prefix}ic_view.")
        if len(labels) != len(metadata["features"]):
            raise error(f"metadata field {prefix}ic_view.labels must have one label per feature")


def _expect(record: Mapping[str, Any], name: str, kinds: tuple[str, ...], error: Error,
            prefix: str) -> Any:
    if name not in record:
        raise error(f"metadata field {prefix}{name} is missing")
    value = record[name]
    if _kind(value) not in kinds and not (_kind(value) == "int" and "number" in kinds):
        raise error(f"metadata field {prefix}{name} must be {' or '.join(kinds)}, got {_kind(value)}")
    return value


def _expect_list(record: Mapping[str, Any], name: str, kinds: tuple[str, ...], error: Error,
                 prefix: str) -> list[Any]:
    value = _expect(record, name, ("list",), error, prefix)
    wrong = [_kind(item) for item in value
             if _kind(item) not in kinds and not (_kind(item) == "int" and "number" in kinds)]
    if wrong:
        raise error(f"metadata field {prefix}{name} must hold {' or '.join(kinds)} only, got "
                    f"{', '.join(sorted(set(wrong)))}")
    return list(value)


def _kind(value: Any) -> str:
    """The JSON kind of a parsed value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    for kind, types in (("int", int), ("number", float), ("str", str), ("list", list), ("object", dict)):
        if isinstance(value, types):
            return kind
    return type(value).__name__

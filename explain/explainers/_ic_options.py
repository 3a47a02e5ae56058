"""interpret-community's tuning arguments, accepted by the explainer façades.

interpret-community's explainers took arguments that tuned its own internals (``use_gpu``,
``verbose``, ``show_progress``, ``shap_values_output``, ``reset_index``). Ported code passes
them, so :class:`TabularExplainer`, :class:`MimicExplainer` and :class:`PFIExplainer` accept
them: each either maps to this library's equivalent or is accepted with a
:class:`~explain._exceptions.CompatibilityWarning` saying what happens here instead. Unknown
arguments are refused naming the façade, never with a ``TypeError`` from an inner class.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from explain._exceptions import CompatibilityWarning, ExplanationTypeError, ExplanationValueError

__all__ = [
    "ProgressDefault",
    "as_rows",
    "check_shap_values_output",
    "check_unknown",
    "named_columns",
    "pop_progress",
    "pop_use_gpu",
]

SHAP_VALUES_OUTPUTS = ("default", "probability", "teacher_probability")


def warn(message: str, stacklevel: int = 4) -> None:
    """A :class:`CompatibilityWarning` pointing at the caller of the façade's constructor."""
    warnings.warn(message, CompatibilityWarning, stacklevel=stacklevel)


@dataclass(frozen=True)
class ProgressDefault:
    """The progress-bar default of a façade, set at construction (``show_progress`` / ``verbose``)."""

    show_progress: bool | None = None

    def resolve(self, show_progress: bool | None) -> bool | None:
        """The ``show_progress`` of one call: the call's own, else the constructor's."""
        return self.show_progress if show_progress is None else show_progress


def pop_progress(kwargs: dict[str, Any], caller: str) -> ProgressDefault:
    """Take ``show_progress`` and ``verbose`` out of ``kwargs``.

    Both set the default of ``explain_local`` / ``explain_global``'s ``show_progress`` (a tqdm
    progress bar over chunks of rows); ``verbose`` is interpret-community's LIME and mimic
    spelling. ``None`` keeps the automatic choice (a bar for long runs in a terminal).
    """
    show = kwargs.pop("show_progress", None)
    verbose = kwargs.pop("verbose", None)
    for name, value in (("show_progress", show), ("verbose", verbose)):
        if value is not None and not isinstance(value, bool | int):
            raise ExplanationValueError(f"{caller}: {name} must be True, False or None, got {value!r}.")
    if show is None and verbose is not None:
        show = bool(verbose)
    return ProgressDefault(None if show is None else bool(show))


def pop_use_gpu(kwargs: dict[str, Any], caller: str) -> None:
    """Take ``use_gpu`` out of ``kwargs``; ``True`` warns that everything runs on the CPU."""
    use_gpu = kwargs.pop("use_gpu", False)
    if not isinstance(use_gpu, bool):
        raise ExplanationValueError(f"{caller}: use_gpu must be True or False, got {use_gpu!r}.")
    if use_gpu:
        warn(f"{caller}: use_gpu=True is accepted for interpret-community's signature, but this "
             "library has no GPU explainer (interpret-community's GPUKernelExplainer needed "
             "RAPIDS cuML); the model is explained on the CPU. Use n_jobs for parallel chunks.")


def check_shap_values_output(value: Any, caller: str) -> str:
    """``shap_values_output`` as one of :data:`SHAP_VALUES_OUTPUTS` (a ShapValuesOutput or a string)."""
    text = getattr(value, "value", value)
    if text not in SHAP_VALUES_OUTPUTS:
        raise ExplanationValueError(
            f"{caller}: shap_values_output must be one of {SHAP_VALUES_OUTPUTS} "
            f"(explain.compat.ShapValuesOutput), got {value!r}.")
    return str(text)


def check_unknown(kwargs: dict[str, Any], accepted: Iterable[str], caller: str) -> None:
    """Refuse keyword arguments no explainer behind ``caller`` takes, naming ``caller``."""
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ExplanationTypeError(
            f"{caller}: unexpected keyword arguments {unknown[:5]}; it accepts "
            f"{sorted(set(accepted))} (see explain.compat for interpret-community's arguments).")


def named_columns(transformations: Any, raw_example: Any) -> Any:
    """A ``(columns, transformer)`` list with column positions replaced by column names.

    interpret-community accepted integer column positions in such lists (of NumPy data, or
    of a DataFrame); the lists here name columns. A position ``i`` becomes the ``i``-th
    column's name: the DataFrame's, or ``"x<i>"`` for arrays (the names raw arrays get).
    Anything else is returned as it is.
    """
    if not isinstance(transformations, list) or not all(
            isinstance(item, tuple) and len(item) in (2, 3) for item in transformations):
        return transformations
    if not any(_is_position(c) or (isinstance(c, list | tuple) and any(_is_position(i) for i in c))
               for c, *_ in transformations):
        return transformations
    n_columns = np.shape(raw_example)[1] if np.ndim(raw_example) == 2 else 0
    columns = getattr(raw_example, "columns", None)
    names = [str(c) for c in columns] if columns is not None else [f"x{i}" for i in range(n_columns)]

    def name(item: Any) -> Any:
        if not _is_position(item):
            return item
        if not 0 <= int(item) < len(names):
            raise ExplanationValueError(
                f"transformations: column position {item} is out of range for initialization_examples "
                f"with {len(names)} columns.")
        return names[int(item)]

    return [(name(c) if not isinstance(c, list | tuple) else [name(i) for i in c], *rest)
            for c, *rest in transformations]


def _is_position(item: Any) -> bool:
    return isinstance(item, int | np.integer) and not isinstance(item, bool)


def as_rows(evaluation_examples: Any) -> Any:
    """One row given as a 1-D array, list or Series becomes a table of one row.

    interpret-community's ``explain_local`` took a single row as a 1-D vector; everything
    else is returned unchanged (and validated by the explainer).
    """
    if isinstance(evaluation_examples, pd.Series):
        return evaluation_examples.to_frame().T.infer_objects()
    if isinstance(evaluation_examples, np.ndarray) and evaluation_examples.ndim == 1:
        return evaluation_examples.reshape(1, -1)
    if (isinstance(evaluation_examples, list) and evaluation_examples
            and all(np.isscalar(v) for v in evaluation_examples)):
        return [evaluation_examples]
    return evaluation_examples

"""Rows for a scoring explainer with a compiled featurization: the model's own input contract.

A scoring explainer whose featurization compiles (:func:`featurization.compile_featurizer`)
takes rows column by column in the contract of the fitted featurization
(:class:`featurization.ColumnSpec`): each column's kind (a number, a category, a date read
strictly, free text, or an unused column that may be left out), whether a missing value is
taken there (imputed, encoded, or passed on to a model that takes NaN), and the categories
``fit`` saw. A category ``fit`` did not see is accepted and reported (policy ``"accept"``, the
default) or refused (``"refuse"``). Every refusal names the row and the column in the user's
terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from explain._exceptions import ExplanationValueError
from explain._frames import to_pandas
from featurization import ColumnSpec, ColumnValueError, CompiledFeaturizer, Featurized
from featurization._column_plans import is_missing

__all__ = ["UNKNOWN_POLICIES", "as_setup_columns", "by_names", "check_names", "check_policy",
           "column_contract", "columns_of", "featurize", "missing_accepted", "positional"]

UNKNOWN_POLICIES = ("accept", "refuse")
Where = Callable[[int | None, str], str]


def check_policy(policy: Any, caller: str) -> str:
    """``policy`` if it is one of :data:`UNKNOWN_POLICIES`, else a ValueError naming it."""
    if not isinstance(policy, str) or policy not in UNKNOWN_POLICIES:
        raise ExplanationValueError(
            f"{caller}: unknown_categories must be 'accept' (encode them as the model's featurization does "
            f"and report them) or 'refuse' (an error naming them), got {policy!r}.")
    return policy


def missing_accepted(spec: ColumnSpec, model_takes_nan: bool) -> bool | None:
    """Whether a missing value is taken in the column (``None``: as an unknown category)."""
    if spec.missing == "unknown":
        return None
    return spec.missing != "passed" or model_takes_nan


def columns_of(examples: Any, names: Sequence[str], required: Sequence[str], caller: str
               ) -> tuple[dict[str, list[Any]], int]:
    """Rows as ``{column: values}``: a DataFrame (pandas, polars, pyarrow), a list of records
    (dicts) or a 2-D array in ``names`` order; missing or unknown columns are refused."""
    if isinstance(examples, list) and examples and all(isinstance(r, Mapping) for r in examples):
        given = list(dict.fromkeys(k for r in examples for k in r))
        check_names(given, names, required, caller)
        return {name: [r.get(name) for r in examples] for name in names}, len(examples)
    frame = to_pandas(examples, argument="evaluation_examples", caller=caller)
    if isinstance(frame, np.ndarray | list):
        array = np.asarray(frame, dtype=object)
        if array.ndim != 2 or array.shape[1] != len(names):
            raise ExplanationValueError(
                f"{caller}: evaluation_examples must have {len(names)} columns ({_listed(names)}), got "
                f"shape {array.shape}.")
        frame = pd.DataFrame(array, columns=list(names))
    if not isinstance(frame, pd.DataFrame):
        raise ExplanationValueError(f"{caller}: evaluation_examples must be a DataFrame, records or a 2-D "
                                    f"array, got {type(examples).__name__}.")
    if len(frame) == 0:
        raise ExplanationValueError(f"{caller}: evaluation_examples is empty (shape {frame.shape}).")
    given = [str(c) for c in frame.columns]
    check_names(given, names, required, caller)
    values = frame.to_numpy(dtype=object)  # one conversion: Python scalars, Timestamps, NaN
    return {name: values[:, given.index(name)].tolist() for name in names if name in given}, len(frame)


def positional(columns: pd.Index) -> bool:
    """Whether a frame's columns are the positions ``0 .. n-1`` (``DataFrame(array)``): no names."""
    return isinstance(columns, pd.RangeIndex) and columns.start == 0 and columns.step == 1


def as_setup_columns(frame: Any, setup: Sequence[str], input_columns: Sequence[str], where: str) -> Any:
    """A frame keyed by ``input_columns`` (``features=`` names) or by positions, renamed to the
    ``setup`` columns the explainer was set up with; a frame already in the set-up columns, or
    an array, as it is. Other names are refused naming the missing and unknown ones."""
    if tuple(setup) == tuple(input_columns) or not isinstance(frame, pd.DataFrame):
        return frame
    if positional(frame.columns) and frame.shape[1] == len(setup):
        return frame.set_axis(list(setup), axis=1)
    given = [str(c) for c in frame.columns]
    if set(given) == set(setup) and len(given) == len(setup):
        return frame
    return by_names(frame, input_columns, where).set_axis(list(setup), axis=1)


def by_names(frame: pd.DataFrame, names: Sequence[str], where: str) -> pd.DataFrame:
    """``frame``'s columns (as text) in the order of ``names``; other names are refused
    naming the missing and unknown ones."""
    given = [str(c) for c in frame.columns]
    check_names(given, names, names, where)
    return frame.set_axis(given, axis=1)[list(names)]


def check_names(given: list[str], names: Sequence[str], required: Sequence[str], caller: str) -> None:
    """A ValueError naming the missing (of ``required``) and unknown (not in ``names``) columns."""
    missing = [c for c in required if c not in given]
    unknown = [c for c in given if c not in names]
    if missing or unknown:
        parts = [f"{label}: {_listed(found)}" for label, found in (("missing", missing), ("unknown", unknown))
                 if found]
        raise ExplanationValueError(
            f"{caller}: evaluation_examples columns do not match the model's input columns; "
            f"{'; '.join(parts)}.")


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in list(names)[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def featurize(compiled: CompiledFeaturizer, columns: Mapping[str, Sequence[Any]], n_rows: int, *,
              policy: str, model_takes_nan: bool, where: Where,
              error: type[ExplanationValueError] = ExplanationValueError) -> Featurized:
    """The compiled featurization of the rows, with the contract's checks.

    Parameters
    ----------
    compiled : CompiledFeaturizer
        The featurization.
    columns : mapping of str to sequence
        The rows, column by column (required columns checked by the caller).
    n_rows : int
        How many rows.
    policy : {"accept", "refuse"}
        What to do with categories ``fit`` did not see.
    model_takes_nan : bool
        Whether the model takes NaN (for columns whose missing values reach it).
    where : callable
        ``where(row, column)``: how a message names a value, e.g. ``"data[3].age"``.
    error : type, default=ExplanationValueError
        The error raised (a subclass of it).
    """
    for name, spec in compiled.specs.items():
        if spec.missing == "passed" and not model_takes_nan and name in columns:
            for row, value in enumerate(columns[name]):
                if is_missing(value):
                    raise error(f"{where(row, name)}: missing value, but the model does not take missing "
                                "values in this column (its featurization passes them on as NaN).")
    try:
        featurized = compiled.transform_columns(columns, n_rows)
    except ColumnValueError as exc:
        raise error(f"{where(exc.row, exc.column)}: {exc.reason}.") from exc
    if featurized.unknown and policy == "refuse":
        row, name, value = featurized.unknown[0]
        spec = compiled.specs[name]
        known = spec.categories or ()
        what = "a missing value" if value is None else repr(value)
        raise error(
            f"{where(row, name)}: {what} is not a category the model was trained on (known: "
            f"{_listed(known)}; {len(known)} in all); this service refuses unknown categories "
            "(unknown_categories='refuse').")
    return featurized


def column_contract(compiled: CompiledFeaturizer | None, schema: Mapping[str, str], *, model_takes_nan: bool,
                    featurized: bool) -> list[dict[str, Any]]:
    """Each input column's contract as the service describes it (``/metadata``).

    Parameters
    ----------
    compiled : CompiledFeaturizer or None
        The compiled featurization, if any (its specs are the contract).
    schema : mapping of str to str
        Column kinds otherwise.
    model_takes_nan : bool
        Whether the model takes NaN.
    featurized : bool
        Whether an uncompiled featurization comes first (missing values are then checked per
        row: refused only where it passes them on to a model that does not take NaN).
    """
    if compiled is None:
        missing = "accepted" if model_takes_nan else "checked" if featurized else "refused"
        return [{"name": name, "kind": kind, "required": True, "missing": missing}
                for name, kind in schema.items()]
    infos = []
    for name, spec in compiled.specs.items():
        accepted = missing_accepted(spec, model_takes_nan)
        kind = spec.kind if spec.kind != "any" else schema.get(name, "any")
        infos.append({
            "name": name, "kind": kind, "required": spec.kind != "unused",
            "missing": "unknown_category" if accepted is None else "accepted" if accepted else "refused",
            "categories": None if spec.categories is None else list(spec.categories),
            "datetime_format": spec.datetime_format})
    return infos

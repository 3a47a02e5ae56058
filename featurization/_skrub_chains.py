"""Which compiled plan a column of a fitted ``TableVectorizer`` gets, from its chain of steps.

``TableVectorizer.all_processing_steps_[column]`` lists the fitted steps of a column, e.g.
``[CleanNullStrings, DropUninformative, ToStr, OneHotEncoder, {output: ToFloat}]``. The chains
skrub builds with its default encoders map to compiled plans; any other chain (other encoders,
periodic date encodings, time zones, specific transformers) gets a
:class:`~featurization._column_plans.FallbackPlan`, which runs the steps themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.preprocessing import OneHotEncoder

from featurization._column_plans import (
    CategoryPlan,
    ColumnPlan,
    DatetimePlan,
    FallbackPlan,
    NumberPlan,
    TextPlan,
    UnusedPlan,
)
from featurization._input_contract import ColumnSpec

__all__ = ["plan_for"]


def _name(step: Any) -> str:
    return type(step).__name__ if type(step).__module__.startswith("skrub") else ""


def plan_for(column: str, chain: list[Any], outputs: list[str], positions: np.ndarray,
             kind: str | None) -> ColumnPlan:
    """The plan of ``column`` given its fitted ``chain``, output names and positions.

    Parameters
    ----------
    column : str
        The raw column.
    chain : list
        Its ``all_processing_steps_`` entry.
    outputs : list of str
        Its output names (``input_to_outputs_``).
    positions : ndarray of int
        Where those outputs are among the vectorizer's outputs.
    kind : str or None
        The column's kind in the training data, if known (``"integer"``, ``"boolean"``, ...).
    """
    casts: dict[str, Any] = {}
    steps = []
    for step in chain:
        if isinstance(step, Mapping):  # the final ToFloat of each output
            casts.update({str(k): v for k, v in step.items()})
        else:
            steps.append(step)
    if any(_name(s) == "DropUninformative" and s.drop_ for s in steps) or not outputs:
        return UnusedPlan(ColumnSpec(column, "unused", "ignored"), np.array([], dtype=np.int64))
    steps = [s for s in steps if _name(s) != "DropUninformative"]
    nulls = None
    if steps and _name(steps[0]) == "CleanNullStrings":
        nulls = frozenset(steps[0].null_strings_)
    core = steps[1:] if nulls is not None else steps
    names = [_name(s) for s in core]
    cast_all = set(casts) == set(outputs) and all(_name(c) == "ToFloat" for c in casts.values())
    plan = _compiled_plan(column, core, names, outputs, positions, kind, nulls) if cast_all else None
    if plan is not None:
        return plan
    number = names[:1] == ["ToFloat"] and len(outputs) == 1
    spec = ColumnSpec(column, "number" if number else "any", "passed", outputs=tuple(outputs))
    return FallbackPlan(spec, positions, steps, casts, outputs, nulls)


def _compiled_plan(column: str, core: list[Any], names: list[str], outputs: list[str], positions: np.ndarray,
                   kind: str | None, nulls: frozenset[str] | None) -> ColumnPlan | None:
    """The compiled plan of a default skrub chain, or ``None``."""
    out = tuple(outputs)
    if names == ["ToFloat", "PassThrough"] and nulls is None and len(outputs) == 1:
        number_kind: Any = kind if kind in ("integer", "boolean") else "number"
        return NumberPlan(ColumnSpec(column, number_kind, "passed", outputs=out), positions)
    if len(core) == 2 and names[0] in ("ToStr", "CleanCategories") and _plain_one_hot(core[1]):
        plan = CategoryPlan(ColumnSpec(column, "category", "encoded", outputs=out), positions, core[1], nulls)
        categories = tuple(sorted(plan.lookup))
        plan.spec = ColumnSpec(column, "category", "encoded" if plan.null_known else "unknown",
                               categories=categories, outputs=out)
        return plan
    if names == ["ToDatetime", "DatetimeEncoder"]:
        to_datetime, encoder = core
        if encoder.periodic_encoding is not None or to_datetime.output_time_zone_ is not None \
                or len(encoder.extracted_features_) != len(outputs):
            return None
        spec = ColumnSpec(column, "datetime", "passed", datetime_format=to_datetime.format_, outputs=out)
        return DatetimePlan(spec, positions, to_datetime, encoder.extracted_features_, nulls)
    if names == ["ToStr", "StringEncoder"] and core[1].n_components_ == len(outputs):
        return TextPlan(ColumnSpec(column, "text", "encoded", outputs=out), positions, core[1], nulls)
    return None


def _plain_one_hot(encoder: Any) -> bool:
    """A fitted one-feature ``OneHotEncoder`` with dense output and no infrequent categories."""
    return (isinstance(encoder, OneHotEncoder) and len(encoder.categories_) == 1
            and not encoder.sparse_output and not getattr(encoder, "_infrequent_enabled", False)
            and encoder.handle_unknown in ("ignore", "infrequent_if_exist"))

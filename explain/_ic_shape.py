"""The call an explanation came from, for interpret-community's shapes and feature labels.

interpret-community's lists depended on how an explanation was made: ``explain_local`` on one
row given as a 1-D vector returned local values without the row axis; an explanation from
``explain_global`` answered ``get_raw_feature_importances`` with global importances and one
from ``explain_local`` with local ones; and features given as integers, or not given for data
without column names, ranked as integers (positions), which ``explain_subset`` reads back as
positions. Explainers record this on the explanation (:class:`ICView`, saved with it); the
explanation's own arrays are the same either way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = ["ICView", "feature_labels", "records_call"]

_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ICView:
    """How interpret-community would have shaped an explanation.

    Parameters
    ----------
    call : {"explain_local", "explain_global"}
        The explainer method that made it.
    single_row : bool, default=False
        ``explain_local`` was given one row as a 1-D vector (list, array or Series).
    labels : tuple of int, default=None
        interpret-community's label of each feature when it was an integer (features given
        as integers, or positions for data without column names); ``None``: the names.
    """

    call: str
    single_row: bool = False
    labels: tuple[int, ...] | None = None


def feature_labels(explainer: Any, features: tuple[str, ...]) -> tuple[int, ...] | None:
    """Integer labels of ``features`` as interpret-community ranked them, or ``None``.

    Names that are all integers (features given as integers, or integer column labels) are
    those integers; this library's default names of unnamed columns are their positions.
    """
    if not hasattr(explainer, "columns_"):  # a wrapper (TabularExplainer): its inner explainer
        explainer = getattr(explainer, "explainer", explainer)
    if features and all(_is_int_name(f) for f in features):
        return tuple(int(f) for f in features)
    columns = getattr(explainer, "columns_", None)
    if (columns is None or getattr(explainer, "by_name_", True)
            or tuple(getattr(explainer, "features_", ())) != tuple(columns)):
        return None
    position = {name: i for i, name in enumerate(columns)}
    if not all(f in position for f in features):
        return None
    return tuple(position[f] for f in features)


def _is_int_name(name: str) -> bool:
    text = name[1:] if name.startswith("-") else name
    return text.isdigit() and text.isascii() and str(int(name)) == name


def _is_single_row(rows: Any) -> bool:
    if isinstance(rows, pd.Series):
        return True
    if isinstance(rows, np.ndarray):
        return rows.ndim == 1
    return isinstance(rows, list) and bool(rows) and all(np.isscalar(v) for v in rows)


def records_call(call: str) -> Callable[[_F], _F]:
    """Decorate an explainer's ``explain_local`` / ``explain_global`` to record :class:`ICView`.

    The outermost decorated method wins: a wrapper explainer's record replaces its inner
    explainer's.
    """

    def decorate(method: _F) -> _F:
        @functools.wraps(method)
        def wrapper(self: Any, evaluation_examples: Any = None, *args: Any, **kwargs: Any) -> Any:
            explanation = method(self, evaluation_examples, *args, **kwargs)
            single = call == "explain_local" and _is_single_row(evaluation_examples)
            view = ICView(call=call, single_row=single and explanation.local_values is not None
                          and explanation.local_values.shape[1] == 1,
                          labels=feature_labels(self, tuple(explanation.features)))
            return replace(explanation, ic_view=view)

        return wrapper  # type: ignore[return-value]

    return decorate

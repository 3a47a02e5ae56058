"""Callback inputs from the browser, checked before use.

Every value a Dash callback receives was sent by a browser and may have been crafted: a
class index of ``"abc"``, a feature space that does not exist, a cohort store of the wrong
shape. Each check here returns the value in the type the callbacks use or raises
:class:`InputValueError` / :class:`InputTypeError` naming the control (its component id),
what it expected and what it got; :func:`shows_errors` turns those errors into a notice in
the page instead of an HTTP 500.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Collection
from typing import Any

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._explanation import Explanation
from explain.dashboard._cohorts import MAX_FILTER_CHARS, Cohort, CohortError
from explain.dashboard._data import DashboardData
from explain.dashboard._layout import ALL_DATA, NOTE

__all__ = ["ERROR_STYLE", "FIGURE", "InputTypeError", "InputValueError", "KEEP", "MAX_COHORTS",
           "MAX_COHORT_NAME_CHARS", "MAX_EDIT_ROWS", "MAX_SAVED_COHORTS", "MAX_VALUE_CHARS", "STYLE",
           "TEXT", "check_choice", "check_class", "check_cohort_names", "check_edits", "check_name",
           "check_point", "check_row", "check_space", "check_store", "check_text", "check_top_k",
           "chosen_cohorts", "importance_index", "output_index", "shown", "shows_errors"]

MAX_COHORTS = 3  # cohorts compared side by side
MAX_SAVED_COHORTS = 20
MAX_COHORT_NAME_CHARS = 100
MAX_EDIT_ROWS = 500  # the what-if table lists the row's 500 most important features
MAX_VALUE_CHARS = 1_000
FIGURE, TEXT, STYLE, KEEP = "figure", "text", "style", "keep"
ERROR_STYLE = {**NOTE, "color": "#b00"}


class InputValueError(ExplanationValueError):
    """A value sent by the browser that is out of range or unknown (shown in the page)."""


class InputTypeError(ExplanationTypeError):
    """A value sent by the browser whose type the control never sends (shown in the page)."""


def shown(value: Any) -> str:
    """``repr(value)``, cut to 60 characters: a crafted value may be a megabyte long."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def shows_errors(*kinds: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator of a callback: an input error becomes a notice in the page, never a 500.

    ``kinds`` says, per output in order, what the output shows on an error: ``FIGURE`` an
    empty figure with the message, ``TEXT`` the message (an alert), ``STYLE`` the error
    style, ``KEEP`` no update. When every output is ``KEEP`` the response is Dash's 204
    "prevent update". Only the package's value and type errors are caught: anything else is a
    bug and stays one.
    """
    def decorate(callback: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(callback)
        def guarded(*args: Any) -> Any:
            try:
                return callback(*args)
            except (ExplanationValueError, ExplanationTypeError) as exc:
                if all(kind == KEEP for kind in kinds):
                    from dash.exceptions import PreventUpdate

                    raise PreventUpdate from exc
                outputs = [_notice(kind, str(exc)) for kind in kinds]
                return outputs[0] if len(outputs) == 1 else tuple(outputs)
        return guarded
    return decorate


def _notice(kind: str, message: str) -> Any:
    from dash import html, no_update

    from explain.dashboard._charts import message_figure

    if kind == FIGURE:
        return message_figure(message)
    if kind == TEXT:
        return html.Span(message, role="alert", style={"color": "#b00"})
    if kind == STYLE:
        return ERROR_STYLE
    return no_update


def _integer(value: Any, control: str, expected: str) -> int:
    """A whole number: an ``int`` or an integral finite ``float`` (JSON has one number type)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputTypeError(f"{control}: expected {expected}, got {shown(value)} "
                             f"({type(value).__name__}).")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise InputValueError(f"{control}: expected {expected}, got {shown(value)}.")
    return int(value)


def _string(value: Any, control: str, max_chars: int) -> str:
    if not isinstance(value, str):
        raise InputTypeError(f"{control}: expected text, got {shown(value)} ({type(value).__name__}).")
    if len(value) > max_chars:
        raise InputValueError(f"{control}: at most {max_chars:,} characters, got {len(value):,}.")
    return value


def check_space(data: DashboardData, value: Any, control: str = "space") -> str:
    """The feature space (``"raw"`` or ``"engineered"``), one the explanation has."""
    if isinstance(value, str) and value in data.spaces:
        return value
    raise InputValueError(f"{control}: expected one of {', '.join(map(repr, data.space_names))}, got "
                          f"{shown(value)}; pick the feature space with the switch under the title.")


def check_class(data: DashboardData, value: Any, control: str) -> int | None:
    """A class index in ``range(len(data.classes))``, or ``None`` for "mean over classes" (-1 or None)."""
    if value is None:
        return None
    n_classes = len(data.classes) if data.classes is not None else 0
    expected = f"a class index from 0 to {n_classes - 1} or -1" if n_classes else "no class (-1 or None)"
    index = _integer(value, control, expected)
    if index == -1:
        return None
    if not 0 <= index < n_classes:
        raise InputValueError(f"{control}: expected {expected}, got {index}; choose one in the Class menu.")
    return index


def check_top_k(value: Any, control: str, limit: int, default: int = 10) -> int:
    """How many features to show: a whole number from 1 (``default`` when None), at most ``limit``
    (the number of features: asking for more shows them all)."""
    number = default if value is None else _integer(value, control, "a whole number of features")
    if number < 1:
        raise InputValueError(f"{control}: expected a whole number of features from 1, got {number}.")
    return min(number, limit)


def check_row(data: DashboardData, value: Any, control: str = "row-index") -> int:
    """A row index from 0 to ``n_rows - 1``."""
    expected = f"a row index from 0 to {data.n_rows - 1}"
    if value is None:
        raise InputValueError(f"{control}: enter {expected}.")
    row = _integer(value, control, expected)
    if not 0 <= row < data.n_rows:
        raise InputValueError(f"{control}: expected {expected}, got {row}.")
    return row


def check_choice(value: Any, allowed: Collection[str], control: str, what: str) -> str:
    """``value``, one of ``allowed`` (e.g. a column name of a dropdown)."""
    if not isinstance(value, str):
        raise InputTypeError(f"{control}: expected the name of a {what}, got {shown(value)} "
                             f"({type(value).__name__}).")
    if value not in allowed:
        known = ", ".join(repr(a) for a in list(allowed)[:5])
        raise InputValueError(f"{control}: unknown {what} {shown(value)}; known ones include {known}.")
    return value


def check_text(value: Any, control: str, max_chars: int) -> str:
    """Text typed in an input: at most ``max_chars`` characters, stripped (``""`` when None)."""
    return "" if value is None else _string(value, control, max_chars).strip()


def check_name(value: Any, control: str) -> str:
    """A cohort name: text of at most ``MAX_COHORT_NAME_CHARS`` characters, stripped (``""`` when None)."""
    return check_text(value, control, MAX_COHORT_NAME_CHARS)


def check_cohort_names(value: Any, control: str, default: str) -> list[str]:
    """Cohort names chosen in a dropdown: one name or a list of them (``[default]`` when None)."""
    if value is None:
        return [default]
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or len(names) > MAX_SAVED_COHORTS:
        raise InputTypeError(f"{control}: expected a cohort name or a list of at most {MAX_SAVED_COHORTS} "
                             f"of them, got {shown(value)}.")
    return [_string(name, control, MAX_COHORT_NAME_CHARS) for name in names]


def check_store(data: DashboardData, value: Any, control: str = "cohorts") -> list[Cohort]:
    """The saved cohorts sent back by the browser: a list of at most ``MAX_SAVED_COHORTS``
    ``{"name": str, "filter": str}`` with distinct names and filters that parse on ``data``."""
    if not isinstance(value, list) or len(value) > MAX_SAVED_COHORTS:
        raise InputTypeError(f"{control}: expected a list of at most {MAX_SAVED_COHORTS} saved cohorts, "
                             f"got {shown(value)}; reload the page.")
    cohorts: list[Cohort] = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"name", "filter"}:
            raise InputTypeError(f"{control}: each saved cohort is {{'name': ..., 'filter': ...}}, got "
                                 f"{shown(entry)}; reload the page.")
        name = check_name(entry["name"], f"{control}: a cohort name")
        if not name or any(c.name == name for c in cohorts):
            raise InputValueError(f"{control}: cohort names must be distinct and not blank, got "
                                  f"{shown(entry['name'])}; reload the page.")
        text = _string(entry["filter"], f"{control}: the filter of {name!r}", MAX_FILTER_CHARS)
        cohort = Cohort(name, text)
        try:
            data.mask(cohort)
        except CohortError as exc:
            raise InputValueError(f"{control}: saved cohort {name!r}: {exc}") from exc
        cohorts.append(cohort)
    return cohorts


def check_point(value: Any, control: str) -> dict[str, Any] | None:
    """The first clicked point of a graph's ``clickData`` (``None`` without a click)."""
    if value is None:
        return None
    points = value.get("points") if isinstance(value, dict) else None
    if not isinstance(points, list) or (points and not isinstance(points[0], dict)):
        raise InputTypeError(f"{control}: expected Plotly click data {{'points': [{{...}}]}}, got "
                             f"{shown(value)}.")
    return points[0] if points else None


def check_edits(value: Any, columns: Collection[str], control: str = "whatif-table") -> dict[str, Any]:
    """The what-if table's rows: ``{feature: value}`` of at most ``MAX_EDIT_ROWS`` distinct columns,
    each value text (at most ``MAX_VALUE_CHARS`` characters), a number, a boolean or empty."""
    if value is None:
        return {}
    if not isinstance(value, list) or len(value) > MAX_EDIT_ROWS:
        raise InputTypeError(f"{control}: expected a list of at most {MAX_EDIT_ROWS} rows, got "
                             f"{shown(value)}.")
    values: dict[str, Any] = {}
    for record in value:
        if not isinstance(record, dict) or "feature" not in record or "value" not in record:
            raise InputTypeError(f"{control}: each row is {{'feature': ..., 'value': ...}}, got "
                                 f"{shown(record)}.")
        feature = check_choice(record["feature"], columns, control, "feature")
        if feature in values:
            raise InputValueError(f"{control}: feature {feature!r} is listed twice.")
        item = record["value"]
        if isinstance(item, str):
            _string(item, f"{control}: the value of {feature!r}", MAX_VALUE_CHARS)
        elif item is not None and not isinstance(item, int | float):
            raise InputTypeError(f"{control}: the value of {feature!r} must be text or a number, got "
                                 f"{shown(item)}.")
        elif isinstance(item, float) and not math.isfinite(item):
            raise InputValueError(f"{control}: the value of {feature!r} must be finite, got {item!r}.")
        values[feature] = item
    return values


def chosen_cohorts(data: DashboardData, store: Any, names: Any, control: str) -> list[Cohort]:
    """The cohorts chosen in ``control`` (at most ``MAX_COHORTS``), from the checked store.

    A chosen name that is no longer saved is skipped (the browser may still send a cohort
    deleted a moment ago); "All data" stands in when none is left.
    """
    saved = {cohort.name: cohort for cohort in check_store(data, store)}
    chosen = [saved[n] for n in check_cohort_names(names, control, ALL_DATA) if n in saved][:MAX_COHORTS]
    return chosen or [Cohort(ALL_DATA)]


def _n_outputs(explanation: Explanation) -> int:
    if explanation.local_values is not None:
        return int(explanation.local_values.shape[0])
    per_class = explanation.per_class_values_
    return 1 if per_class is None else int(per_class.shape[0])


def output_index(explanation: Explanation, class_index: int | None, control: str) -> int:
    """The output of ``explanation`` explaining ``class_index``: the last one (a binary model's
    positive class) when ``None``, the only one of a single-output explanation."""
    n_outputs = _n_outputs(explanation)
    if n_outputs == 1:
        return 0
    if class_index is None:
        return n_outputs - 1
    if class_index >= n_outputs:
        raise InputValueError(f"{control}: class {class_index}, but the {_space_word(explanation)}"
                              f"explanation has {n_outputs} outputs; choose a class in the Class menu.")
    return class_index


def importance_index(explanation: Explanation, class_index: int | None, control: str) -> int | None:
    """Like :func:`output_index`, but ``None`` (the mean over outputs) stays ``None``, as does
    the class of a single-output explanation (its one output serves every class)."""
    if class_index is None or _n_outputs(explanation) == 1:
        return None
    return output_index(explanation, class_index, control)


def _space_word(explanation: Explanation) -> str:
    return "raw " if explanation.is_raw else "engineered "

"""The dashboard's callbacks about one row: its local importances, what-if edits and ICE curves.

Every input is checked by ``_inputs`` before use; a bad one becomes a notice in the page.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explain._exceptions import ExplanationValueError
from explain.dashboard import _charts as charts
from explain.dashboard._data import DashboardData
from explain.dashboard._inputs import (
    FIGURE,
    KEEP,
    MAX_EDIT_ROWS,
    TEXT,
    InputValueError,
    check_choice,
    check_class,
    check_edits,
    check_row,
    check_space,
    check_top_k,
    chosen_cohorts,
    output_index,
    shows_errors,
)
from explain.dashboard._layout import top_features_limit
from explain.dashboard._views import unit
from explain.dashboard._whatif import WhatIf

__all__ = ["fidelity_note", "register_row_callbacks"]

WHATIF_FEATURES = MAX_EDIT_ROWS  # the row's most important features are editable; the rest keep their values
ICE_ROWS = 21


def fidelity_note(data: DashboardData, space: str) -> str:
    explanation = data.spaces[space]
    return (f"{explanation.method} on {explanation.num_examples or data.n_rows} rows, in "
            f"{space} features · fidelity: {explanation.fidelity.summary()}")


def register_row_callbacks(app: Any, data: DashboardData, whatif: WhatIf | None) -> None:
    """The individual-importance callbacks, and what-if and ICE when ``whatif`` is given."""
    _individual_callbacks(app, data)
    if whatif is not None:
        _whatif_callbacks(app, data, whatif)
        _ice_callbacks(app, data, whatif)


def _local_figure(data: DashboardData, space: str, row: int, top_k: int, class_index: int | None) -> Any:
    explanation = data.spaces[space]
    if explanation.local_values is None:
        return charts.message_figure("This explanation has no local importances (global only).")
    k = output_index(explanation, class_index, "ind-class")
    values = explanation.local_values[k, row]
    order = np.argsort(-np.abs(values), kind="stable")[:top_k]
    label = "" if data.classes is None or explanation.local_values.shape[0] == 1 else (
        f" toward class {data.classes[k]}")
    return charts.local_importance_figure(
        [explanation.features[j] for j in order], values[order],
        f"Row {row}: top {len(order)} local importances{label}", f"contribution to the {unit(explanation)}")


def _individual_callbacks(app: Any, data: DashboardData) -> None:
    from dash import Input, Output

    limit = top_features_limit(data)

    @app.callback(Output("ind-bars", "figure"), Output("row-info", "children"),
                  Output("ind-fidelity", "children"),
                  Output("explorer-local", "figure"), Output("explorer-local-note", "children"),
                  Input("row-index", "value"), Input("ind-topk", "value"), Input("ind-class", "value"),
                  Input("space", "value"))
    @shows_errors(FIGURE, TEXT, TEXT, FIGURE, TEXT)
    def individual(row: Any, top_k: Any, class_value: Any, space: Any) -> Any:
        space, row = check_space(data, space), check_row(data, row)
        top_k = check_top_k(top_k, "ind-topk", limit)
        class_index = check_class(data, class_value, "ind-class")
        info = _row_info(data, row)
        figure = _local_figure(data, space, row, top_k, class_index)
        return figure, info, fidelity_note(data, space), figure, f"Selected: {info}"


def _row_info(data: DashboardData, row: int) -> str:
    parts = [f"row {row}"]
    if data.true_y is not None:
        parts.append(f"true: {data.true_y[row]}")
    if data.predicted_y is not None:
        parts.append(f"predicted: {data.predicted_y[row]}")
    if data.proba is not None:
        parts.append("probabilities: " + ", ".join(
            f"{c}={p:.3f}"
            for c, p in zip(data.classes or range(data.proba.shape[1]), data.proba[row], strict=False)))
    return " · ".join(parts)


def _whatif_callbacks(app: Any, data: DashboardData, whatif: WhatIf) -> None:
    from dash import Input, Output, State

    frame = data.frame
    assert frame is not None  # what-if runs only with a dataset (unavailable_reason)
    limit = top_features_limit(data)

    @app.callback(Output("whatif-table", "data"), Output("ice-feature", "value"), Input("row-index", "value"),
                  Input("space", "value"), State("ind-class", "value"))
    @shows_errors(KEEP, KEEP)  # the individual callback shows what is wrong with the same inputs
    def table(row: Any, space: Any, class_value: Any) -> Any:
        row, _ = check_row(data, row), check_space(data, space)  # the space only triggers a refresh
        class_index = check_class(data, class_value, "ind-class")
        primary = data.space_names[0]  # the dataset's own space
        explanation = data.spaces[primary]
        order = list(range(frame.shape[1]))
        if explanation.local_values is not None:
            local = explanation.local_values[output_index(explanation, class_index, "ind-class"), row]
            ranked = [data.column_for(primary, int(j)) for j in np.argsort(-np.abs(local), kind="stable")]
            order = [frame.columns.get_loc(c) for c in ranked if c is not None] or order
        records = [{"feature": str(frame.columns[j]), "original": _text(frame.iat[row, j]),
                    "value": _text(frame.iat[row, j])} for j in order[:WHATIF_FEATURES]]
        return records, str(frame.columns[order[0]])

    @app.callback(Output("whatif-result", "children"), Output("whatif-bars", "figure"),
                  Input("whatif-table", "data"), State("row-index", "value"), State("space", "value"),
                  State("ind-class", "value"), State("ind-topk", "value"))
    @shows_errors(TEXT, FIGURE)
    def what_if(records: Any, row: Any, space: Any, class_value: Any, top_k: Any) -> Any:
        row, space = check_row(data, row), check_space(data, space)
        class_index = check_class(data, class_value, "ind-class")
        top_k = check_top_k(top_k, "ind-topk", limit)
        # an edit is a value other than the row's own (the table's "original" column is not trusted)
        values = check_edits(records, frame.columns)
        edits = {f: v for f, v in values.items() if v != _text(frame[f].iat[row])}
        try:
            edited = whatif.edited_row(row, edits)
            prediction = whatif.predict(edited)[0]
            explained = whatif.explain(edited)
        except ExplanationValueError as exc:
            return f"Cannot use the edit: {exc}", charts.message_figure(str(exc))
        except Exception as exc:  # the user's model or explainer: show its failure, keep the page alive
            return f"The model failed on the edited row: {type(exc).__name__}: {exc}", charts.message_figure(
                "The model failed on the edited row.")
        return _prediction_text(data, prediction, edits), _whatif_figure(data, explained, space, row, top_k,
                                                                          class_index)


def _whatif_figure(data: DashboardData, explained: Any, space: str, row: int, top_k: int,
                   class_index: int | None) -> Any:
    target = explained.engineered_explanation if space == "engineered" and explained.is_raw \
        and explained.engineered_explanation is not None else explained
    if target.local_values is None:
        return charts.message_figure("The explainer returned no local importances.")
    values = target.local_values[output_index(target, class_index, "ind-class"), 0]
    order = np.argsort(-np.abs(values), kind="stable")[:top_k]
    names = [target.features[j] for j in order]
    original = data.spaces.get(space)
    before = None if original is None else original.local_values
    if before is not None and original is not None and original.features == target.features:
        return charts.local_importance_figure(
            names, before[output_index(original, class_index, "ind-class"), row][order],
            f"What-if explanation ({target.method}) against the original", f"contribution to the "
            f"{unit(target)}", compare=values[order])
    return charts.local_importance_figure(names, values[order], f"What-if explanation ({target.method})",
                                          f"contribution to the {unit(target)}")


def _ice_callbacks(app: Any, data: DashboardData, whatif: WhatIf) -> None:
    from dash import Input, Output, State

    frame = data.frame
    assert frame is not None

    @app.callback(Output("ice-graph", "figure"), Input("ice-feature", "value"), Input("row-index", "value"),
                  Input("ice-cohort", "value"), Input("ind-class", "value"), State("cohorts", "data"))
    @shows_errors(FIGURE)
    def ice(feature: Any, row: Any, cohort_name: Any, class_value: Any, store: Any) -> Any:
        row, cohort = check_row(data, row), chosen_cohorts(data, store, cohort_name, "ice-cohort")[0]
        chosen = check_class(data, class_value, "ind-class")
        if feature is None:
            return charts.message_figure("Choose a feature to vary.")
        feature = check_choice(feature, frame.columns, "ice-feature", "feature")
        output = 0 if data.proba is None else (chosen if chosen is not None else data.proba.shape[1] - 1)
        if data.proba is not None and output >= data.proba.shape[1]:
            raise InputValueError(f"ind-class: class {output}, but the model predicts "
                                  f"{data.proba.shape[1]} probabilities; choose a class in the Class menu.")
        try:
            grid, selected, others, categorical = whatif.ice(
                feature, row, data.sample(data.mask(cohort), ICE_ROWS), output)
        except Exception as exc:  # the user's model: show its failure, keep the page alive
            return charts.message_figure(f"ICE failed: {type(exc).__name__}: {exc}")
        label = data.value_label() if data.proba is None else (
            f"probability of {data.classes[output] if data.classes else output}")
        return charts.ice_figure(feature, grid, selected, others, label, categorical)


def _text(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return str(value)


def _prediction_text(data: DashboardData, prediction: np.ndarray, edits: dict[str, Any]) -> str:
    changed = ", ".join(f"{k} → {v}" for k, v in list(edits.items())[:5]) or "no edits"
    if data.proba is not None or (data.task == "classification" and prediction.size > 1):
        labels = data.classes or tuple(range(prediction.size))
        best = labels[int(np.argmax(prediction))]
        shares = ", ".join(f"{c}={p:.3f}" for c, p in zip(labels, prediction, strict=False))
        return f"What-if prediction: {best} ({shares}) · {changed}"
    return f"What-if prediction: {float(prediction[0]):.6g} · {changed}"

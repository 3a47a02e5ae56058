"""The dashboard's callbacks: browser events in, figures out, computed on the server.

A thin adapter: each callback reads the controls, asks ``DashboardData`` / ``WhatIf`` for
aggregates or samples, and lays them out with ``_charts``. Nothing sends the whole data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explain._exceptions import ExplanationValueError
from explain.dashboard import _charts as charts
from explain.dashboard._cohorts import Cohort
from explain.dashboard._data import DashboardData
from explain.dashboard._layout import ALL_DATA, NOTE
from explain.dashboard._performance import bin_values, cohort_metrics, metrics_from_codes, numeric_edges
from explain.dashboard._runs import Leaderboard
from explain.dashboard._views import unit
from explain.dashboard._whatif import WhatIf, unavailable_reason

__all__ = ["register_callbacks"]

MAX_COHORTS = 3
SCATTER_POINTS = 5_000
SUMMARY_POINTS = 20_000
WHATIF_FEATURES = 500  # the row's most important features are editable; the rest keep their values


def _cohorts(store: list[dict[str, str]], names: Any) -> list[Cohort]:
    """The chosen cohorts (at most three), from the store's definitions."""
    names = [names] if isinstance(names, str) else list(names or [ALL_DATA])
    defined = {c["name"]: Cohort(c["name"], c["filter"]) for c in store}
    chosen = [defined[n] for n in names if n in defined][:MAX_COHORTS]
    return chosen or [Cohort(ALL_DATA)]


def _class(value: Any) -> int | None:
    return None if value is None or int(value) < 0 else int(value)


def _fidelity_note(data: DashboardData, space: str) -> str:
    explanation = data.spaces[space]
    return (f"{explanation.method} on {explanation.num_examples or data.n_rows} rows, in "
            f"{space} features · fidelity: {explanation.fidelity.summary()}")


def register_callbacks(app: Any, data: DashboardData, leaderboard: Leaderboard | None,
                       explainer: Any = None) -> None:
    """Attach every callback of the page built by ``build_layout`` to ``app``."""
    _cohort_callbacks(app, data)
    _performance_callbacks(app, data)
    _explorer_callbacks(app, data)
    _aggregate_callbacks(app, data)
    _individual_callbacks(app, data)
    if unavailable_reason(data) is None:
        _whatif_callbacks(app, data, WhatIf(data, explainer))
    if leaderboard is not None:
        _runs_callbacks(app, leaderboard)


def _cohort_callbacks(app: Any, data: DashboardData) -> None:
    from dash import Input, Output, State, ctx, html, no_update

    @app.callback(Output("cohorts", "data"), Output("cohort-message", "children"),
                  Output("cohort-message", "style"),
                  Input("cohort-add", "n_clicks"), Input("cohort-delete", "n_clicks"),
                  State("cohort-name", "value"), State("cohort-filter", "value"),
                  State("cohort-delete-pick", "value"), State("cohorts", "data"),
                  prevent_initial_call=True)
    def edit(_add: int, _delete: int, name: str | None, text: str | None, doomed: str | None,
             store: list[dict[str, str]]) -> Any:
        error = {**NOTE, "color": "#b00"}
        if ctx.triggered_id == "cohort-delete":
            if doomed in (None, ALL_DATA):
                return no_update, "Pick a cohort to delete (All data stays).", error
            return [c for c in store if c["name"] != doomed], f"Deleted cohort {doomed!r}.", NOTE
        name, text = (name or "").strip(), (text or "").strip()
        if not name or name == ALL_DATA:
            return no_update, "Give the cohort a name (not 'All data').", error
        try:
            rows = int(data.mask(Cohort(name, text)).sum())
        except ExplanationValueError as exc:
            return no_update, str(exc), error
        kept = [c for c in store if c["name"] != name]
        return [*kept, {"name": name, "filter": text}], f"Saved cohort {name!r}: {rows} rows.", \
            {**NOTE, "color": "#176d17"}

    @app.callback(Output("perf-cohorts", "options"), Output("explorer-cohort", "options"),
                  Output("agg-cohorts", "options"), Output("cohort-delete-pick", "options"),
                  Output("cohort-list", "children"), Input("cohorts", "data"))
    def options(store: list[dict[str, str]]) -> Any:
        names = [c["name"] for c in store]
        listing = [html.Div(f"{c['name']}: {c['filter'] or '(every row)'} — "
                            f"{int(data.mask(Cohort(c['name'], c['filter'])).sum())} rows") for c in store]
        return names, names, names, [n for n in names if n != ALL_DATA], listing

    if unavailable_reason(data) is None:
        @app.callback(Output("ice-cohort", "options"), Input("cohorts", "data"))
        def ice_options(store: list[dict[str, str]]) -> Any:
            return [c["name"] for c in store]


def _performance_callbacks(app: Any, data: DashboardData) -> None:
    from dash import Input, Output, dash_table
    from dash.exceptions import PreventUpdate

    @app.callback(Output("perf-table", "children"), Output("perf-hist", "figure"),
                  Input("perf-cohorts", "value"), Input("cohorts", "data"), Input("tabs", "value"))
    def performance(names: Any, store: list[dict[str, str]], tab: str) -> Any:
        if tab != "performance":  # computed when the tab is opened: metrics over many rows take time
            raise PreventUpdate
        cohorts = _cohorts(store, names)
        if data.predicted_y is None:
            text = ("Model performance needs predictions: pass model= (with dataset=), or an additive "
                    "explanation with local values.")
            return text, charts.message_figure(text)
        rows = []
        for cohort in cohorts:
            mask = data.mask(cohort)
            if data.true_y is None:
                rows.append({"cohort": cohort.name, "rows": int(mask.sum())})
                continue
            found = data.cached(("metrics", cohort.filter.strip()), lambda mask=mask: _metrics(data, mask))
            rows.append({"cohort": cohort.name, **{k: _round(v) for k, v in found.items()}})
        columns = list(dict.fromkeys(k for row in rows for k in row))
        table = dash_table.DataTable(id="perf-metrics", data=rows,
                                     columns=[{"name": c, "id": c} for c in columns],
                                     style_cell={"fontSize": "0.9em", "textAlign": "left"})
        values = data.proba[:, -1] if data.proba is not None and data.proba.shape[1] == 2 else (
            data.proba.max(axis=1) if data.proba is not None else data.predicted_y)
        label = (f"predicted probability of {data.classes[-1] if data.classes else 'class 1'}"
                 if data.proba is not None and data.proba.shape[1] == 2 else
                 "probability of the predicted class" if data.proba is not None else "predicted value")
        edges = numeric_edges(values) if np.asarray(values).dtype.kind in "biuf" else None
        bins = {c.name: bin_values(values[data.mask(c)], edges) for c in cohorts}
        note = "" if data.true_y is not None else " (pass true_y for metrics)"
        return table, charts.histogram_figure(bins, label, f"Distribution of predictions{note}")


def _metrics(data: DashboardData, mask: np.ndarray) -> dict[str, Any]:
    if not mask.any():
        return {"rows": 0}
    proba = None if data.proba is None else data.proba[mask]
    if data.true_codes is not None and data.predicted_codes is not None:
        return {"rows": int(mask.sum()), **metrics_from_codes(
            data.true_codes[mask], data.predicted_codes[mask], proba, list(data.label_names))}
    assert data.true_y is not None and data.predicted_y is not None
    return cohort_metrics(data.true_y[mask], data.predicted_y[mask], proba, data.task, data.classes)


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def _column(data: DashboardData, name: str) -> np.ndarray:
    return data.columns[name]


def _explorer_callbacks(app: Any, data: DashboardData) -> None:
    from dash import Input, Output

    @app.callback(Output("explorer-graph", "figure"), Input("explorer-cohort", "value"),
                  Input("explorer-x", "value"), Input("explorer-y", "value"),
                  Input("explorer-color", "value"), Input("cohorts", "data"))
    def explore(name: str, x: str, y: str, color: str, store: list[dict[str, str]]) -> Any:
        cohort = _cohorts(store, name)[0]
        mask = data.mask(cohort)
        if x not in data.columns:
            return charts.message_figure("Choose a column for the X axis.")
        if y == "(histogram)" or y not in data.columns:
            return charts.histogram_figure({cohort.name: bin_values(_column(data, x)[mask])}, x,
                                           f"Histogram of {x} ({int(mask.sum())} rows, binned on the server)")
        rows = data.sample(mask, SCATTER_POINTS)
        shade = None if color in (None, "(none)") or color not in data.columns else _column(data, color)[rows]
        return charts.scatter_figure(_column(data, x)[rows], _column(data, y)[rows], (x, y), shade, color,
                                     rows, int(mask.sum()))

    @app.callback(Output("row-index", "value"), Input("explorer-graph", "clickData"),
                  prevent_initial_call=True)
    def pick(click: dict[str, Any] | None) -> Any:
        from dash import no_update

        points = (click or {}).get("points") or []
        if not points or "customdata" not in points[0]:
            return no_update
        custom = points[0]["customdata"]
        return int(custom[0] if isinstance(custom, list) else custom)


def _strongest_interaction(data: DashboardData, space: str, feature: int, k: int,
                           rows: np.ndarray) -> tuple[str, np.ndarray] | None:
    """Name and values (on ``rows``) of the feature interacting most with ``feature``, by mean
    |SHAP interaction value| over the rows; ``None`` without interaction values."""
    interactions = data.spaces[space].interaction_values
    if interactions is None or interactions.shape[1] != data.n_rows or not rows.size:
        return None
    strength = np.abs(interactions[k, rows, feature, :]).mean(axis=0)
    strength[feature] = -1.0
    partner = int(np.argmax(strength))
    values = data.feature_values(space, partner, rows)
    return None if values is None else (data.spaces[space].features[partner], values)


def _local_figure(data: DashboardData, space: str, row: int, top_k: int, class_index: int | None,
                  compare: np.ndarray | None = None, title: str | None = None) -> Any:
    explanation = data.spaces[space]
    if explanation.local_values is None:
        return charts.message_figure("This explanation has no local importances (global only).")
    k = _output_index(explanation, class_index)
    values = explanation.local_values[k, row]
    order = np.argsort(-np.abs(values), kind="stable")[:top_k]
    label = "" if data.classes is None or explanation.local_values.shape[0] == 1 else (
        f" toward class {data.classes[k]}")
    return charts.local_importance_figure(
        [explanation.features[j] for j in order], values[order],
        title or f"Row {row}: top {len(order)} local importances{label}", f"contribution to the "
        f"{unit(explanation)}", None if compare is None else compare[order])


def _output_index(explanation: Any, class_index: int | None) -> int:
    n_outputs = explanation.local_values.shape[0] if explanation.local_values is not None else 1
    if n_outputs == 1:
        return 0
    return n_outputs - 1 if class_index is None else int(class_index)


def _aggregate_callbacks(app: Any, data: DashboardData) -> None:
    from dash import Input, Output

    @app.callback(Output("agg-bars", "figure"), Output("agg-fidelity", "children"),
                  Input("agg-cohorts", "value"), Input("agg-topk", "value"), Input("agg-class", "value"),
                  Input("space", "value"), Input("cohorts", "data"))
    def bars(names: Any, top_k: int, class_value: Any, space: str, store: list[dict[str, str]]) -> Any:
        explanation = data.spaces[space]
        values = {}
        for cohort in _cohorts(store, names):
            found = data.importance(space, cohort, _class(class_value))
            if found is not None:
                values[cohort.name] = found
        note = _fidelity_note(data, space)
        if not values:
            return charts.message_figure("Cohorts need local importances; this explanation is global "
                                         "only."), note
        if len(values) < len(_cohorts(store, names)):
            note += " · cohorts other than All data need local importances"
        scale = "permutation importance" if explanation.output_space == "metric" else (
            f"mean |contribution| to the {unit(explanation)}")
        return charts.cohort_importance_figure(explanation.features, values, int(top_k or 10), scale), note

    @app.callback(Output("agg-dependence", "figure"), Input("agg-bars", "clickData"),
                  Input("agg-cohorts", "value"), Input("agg-class", "value"), Input("space", "value"),
                  Input("cohorts", "data"))
    def dependence(click: Any, names: Any, class_value: Any, space: str, store: list[dict[str, str]]) -> Any:
        explanation = data.spaces[space]
        if explanation.local_values is None:
            return charts.message_figure("The dependence plot needs local importances.")
        feature = int(np.argmax(explanation.global_values))
        points = (click or {}).get("points") or []
        if points and points[0].get("y") in explanation.features:
            feature = explanation.features.index(points[0]["y"])
        k = _output_index(explanation, _class(class_value))
        traces, totals = {}, {}
        for cohort in _cohorts(store, names):
            mask = data.mask(cohort)
            rows = data.sample(mask, SCATTER_POINTS)
            x = data.feature_values(space, feature, rows)
            if x is None:
                return charts.message_figure(
                    f"Values of {explanation.features[feature]} are unknown here: pass dataset= (and a "
                    "pipeline model for engineered features).")
            traces[cohort.name] = (x, explanation.local_values[k, rows, feature])
            totals[cohort.name] = int(mask.sum())
        colour = _strongest_interaction(data, space, feature, k, rows) if len(traces) == 1 else None
        return charts.dependence_figure(explanation.features[feature], traces, unit(explanation), totals,
                                        colour=colour)

    @app.callback(Output("agg-summary", "figure"), Input("agg-cohorts", "value"), Input("agg-class", "value"),
                  Input("space", "value"), Input("cohorts", "data"))
    def summary(names: Any, class_value: Any, space: str, store: list[dict[str, str]]) -> Any:
        explanation = data.spaces[space]
        if explanation.local_values is None:
            return charts.message_figure("The summary plot needs local importances.")
        cohort = _cohorts(store, names)[0]
        k = _output_index(explanation, _class(class_value))
        importance = data.importance(space, cohort, k)
        order = np.argsort(-np.asarray(importance), kind="stable")[:15]
        mask = data.mask(cohort)
        rows = data.sample(mask, max(1, SUMMARY_POINTS // len(order)))
        values = None
        columns = [data.column_for(space, int(j)) for j in order]
        if data.frame is not None and all(c is not None for c in columns):
            values = data.frame.iloc[rows][columns].to_numpy(dtype=object)
        elif data.frame is not None:  # engineered values from the model's featurizing steps
            found = [data.feature_values(space, int(j), rows) for j in order]
            known = [f for f in found if f is not None]
            if len(known) == len(found):
                values = np.column_stack(known).astype(object)
        label = "" if data.classes is None or explanation.local_values.shape[0] == 1 else (
            f" toward class {data.classes[k]}")
        return charts.beeswarm_figure(
            [explanation.features[j] for j in order], explanation.local_values[k][np.ix_(rows, order)],
            values,
            f"Summary of local contributions{label}: {cohort.name} ({rows.size} of {int(mask.sum())} rows)",
            unit(explanation))


def _individual_callbacks(app: Any, data: DashboardData) -> None:
    from dash import Input, Output

    @app.callback(Output("ind-bars", "figure"), Output("row-info", "children"),
                  Output("ind-fidelity", "children"),
                  Output("explorer-local", "figure"), Output("explorer-local-note", "children"),
                  Input("row-index", "value"), Input("ind-topk", "value"), Input("ind-class", "value"),
                  Input("space", "value"))
    def individual(row: Any, top_k: int, class_value: Any, space: str) -> Any:
        row = _row(data, row)
        info = _row_info(data, row)
        figure = _local_figure(data, space, row, int(top_k or 10), _class(class_value))
        return figure, info, _fidelity_note(data, space), figure, f"Selected: {info}"


def _row(data: DashboardData, row: Any) -> int:
    try:
        value = int(row)
    except (TypeError, ValueError):
        return 0
    return min(max(value, 0), max(0, data.n_rows - 1))


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
    assert frame is not None

    @app.callback(Output("whatif-table", "data"), Output("ice-feature", "value"), Input("row-index", "value"),
                  Input("space", "value"), State("ind-class", "value"))
    def table(row: Any, space: str, class_value: Any) -> Any:
        row = _row(data, row)
        primary = data.space_names[0]  # the dataset's own space
        explanation = data.spaces[primary]
        order = list(range(frame.shape[1]))
        if explanation.local_values is not None:
            local = explanation.local_values[_output_index(explanation, _class(class_value)), row]
            ranked = [data.column_for(primary, int(j)) for j in np.argsort(-np.abs(local), kind="stable")]
            order = [frame.columns.get_loc(c) for c in ranked if c is not None] or order
        records = [{"feature": str(frame.columns[j]), "original": _text(frame.iat[row, j]),
                    "value": _text(frame.iat[row, j])} for j in order[:WHATIF_FEATURES]]
        return records, str(frame.columns[order[0]])

    @app.callback(Output("whatif-result", "children"), Output("whatif-bars", "figure"),
                  Input("whatif-table", "data"), State("row-index", "value"), State("space", "value"),
                  State("ind-class", "value"), State("ind-topk", "value"))
    def what_if(records: list[dict[str, Any]] | None, row: Any, space: str, class_value: Any,
                top_k: int) -> Any:
        row = _row(data, row)
        edits = {r["feature"]: r["value"] for r in records or [] if r["value"] != r["original"]}
        try:
            edited = whatif.edited_row(row, edits)
            prediction = whatif.predict(edited)[0]
            explained = whatif.explain(edited)
        except ExplanationValueError as exc:
            return f"Cannot use the edit: {exc}", charts.message_figure(str(exc))
        except Exception as exc:  # the user's model or explainer: show its failure, keep the page alive
            return f"The model failed on the edited row: {type(exc).__name__}: {exc}", charts.message_figure(
                "The model failed on the edited row.")
        text = _prediction_text(data, prediction, edits)
        target = explained.engineered_explanation if space == "engineered" and explained.is_raw \
            and explained.engineered_explanation is not None else explained
        if target.local_values is None:
            return text, charts.message_figure("The explainer returned no local importances.")
        values = target.local_values[_output_index(target, _class(class_value)), 0]
        order = np.argsort(-np.abs(values), kind="stable")[:int(top_k or 10)]
        names = [target.features[j] for j in order]
        original = data.spaces.get(space)
        before = None if original is None else original.local_values
        if before is not None and original is not None and original.features == target.features:
            return text, charts.local_importance_figure(
                names, before[_output_index(original, _class(class_value)), row][order],
                f"What-if explanation ({target.method}) against the original", f"contribution to the "
                f"{unit(target)}", compare=values[order])
        return text, charts.local_importance_figure(
            names, values[order], f"What-if explanation ({target.method})",
            f"contribution to the {unit(target)}")

    @app.callback(Output("ice-graph", "figure"), Input("ice-feature", "value"), Input("row-index", "value"),
                  Input("ice-cohort", "value"), Input("ind-class", "value"), State("cohorts", "data"))
    def ice(feature: str | None, row: Any, cohort_name: str, class_value: Any,
            store: list[dict[str, str]]) -> Any:
        if feature is None:
            return charts.message_figure("Choose a feature to vary.")
        row = _row(data, row)
        cohort = _cohorts(store, cohort_name)[0]
        chosen = _class(class_value)
        output = 0 if data.proba is None else (chosen if chosen is not None else data.proba.shape[1] - 1)
        try:
            grid, selected, others, categorical = whatif.ice(feature, row, data.sample(data.mask(cohort), 21),
                                                             output)
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


def _runs_callbacks(app: Any, leaderboard: Leaderboard) -> None:
    from dash import Input, Output

    @app.callback(Output("runs-importance", "figure"), Input("runs-table", "data"))
    def importance(_records: Any) -> Any:
        if not leaderboard.runs:
            return charts.message_figure("No run has a stored explanation.")
        return charts.leaderboard_figure(leaderboard.runs, leaderboard.features, leaderboard.shares)


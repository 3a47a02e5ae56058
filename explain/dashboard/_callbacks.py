"""The dashboard's callbacks: browser events in, figures out, computed on the server.

A thin adapter: each callback checks its inputs (``_inputs``: a bad one becomes a notice in
the page, never an HTTP 500), reads the controls, asks ``DashboardData`` / ``WhatIf`` for
aggregates or samples, and lays them out with ``_charts``. Nothing sends the whole data.
Inputs that only trigger a callback (button clicks, the runs table) are not read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explain.dashboard import _charts as charts
from explain.dashboard._callbacks_row import fidelity_note, register_row_callbacks
from explain.dashboard._cohorts import MAX_FILTER_CHARS, Cohort, CohortError
from explain.dashboard._data import DashboardData
from explain.dashboard._inputs import (
    ERROR_STYLE,
    FIGURE,
    KEEP,
    MAX_SAVED_COHORTS,
    STYLE,
    TEXT,
    check_choice,
    check_class,
    check_name,
    check_point,
    check_row,
    check_space,
    check_store,
    check_text,
    check_top_k,
    chosen_cohorts,
    importance_index,
    output_index,
    shows_errors,
)
from explain.dashboard._layout import ALL_DATA, HISTOGRAM, NO_COLOUR, NOTE, TABS, top_features_limit
from explain.dashboard._performance import bin_values, cohort_metrics, metrics_from_codes, numeric_edges
from explain.dashboard._runs import Leaderboard
from explain.dashboard._views import unit
from explain.dashboard._whatif import WhatIf, unavailable_reason

__all__ = ["register_callbacks"]

SCATTER_POINTS = 5_000
SUMMARY_POINTS = 20_000


def register_callbacks(app: Any, data: DashboardData, leaderboard: Leaderboard | None,
                       explainer: Any = None) -> None:
    """Attach every callback of the page built by ``build_layout`` to ``app``."""
    available = unavailable_reason(data) is None
    _cohort_callbacks(app, data, with_ice=available)
    _performance_callbacks(app, data)
    _explorer_callbacks(app, data)
    _aggregate_callbacks(app, data)
    register_row_callbacks(app, data, WhatIf(data, explainer) if available else None)
    if leaderboard is not None:
        _runs_callbacks(app, leaderboard)


def _cohort_callbacks(app: Any, data: DashboardData, with_ice: bool) -> None:
    from dash import Input, Output, State, ctx, html, no_update

    @app.callback(Output("cohorts", "data"), Output("cohort-message", "children"),
                  Output("cohort-message", "style"),
                  Input("cohort-add", "n_clicks"), Input("cohort-delete", "n_clicks"),
                  State("cohort-name", "value"), State("cohort-filter", "value"),
                  State("cohort-delete-pick", "value"), State("cohorts", "data"),
                  prevent_initial_call=True)
    @shows_errors(KEEP, TEXT, STYLE)
    def edit(_add: Any, _delete: Any, name: Any, text: Any, doomed: Any, store: Any) -> Any:
        saved = check_store(data, store)
        if ctx.triggered_id == "cohort-delete":
            doomed = check_name(doomed, "cohort-delete-pick")
            if doomed in ("", ALL_DATA):
                return no_update, "Pick a cohort to delete (All data stays).", ERROR_STYLE
            if all(c.name != doomed for c in saved):
                return no_update, f"There is no saved cohort {doomed!r} to delete.", ERROR_STYLE
            return [_stored(c) for c in saved if c.name != doomed], f"Deleted cohort {doomed!r}.", NOTE
        name, text = check_name(name, "cohort-name"), check_text(text, "cohort-filter", MAX_FILTER_CHARS)
        if not name or name == ALL_DATA:
            return no_update, "Give the cohort a name (not 'All data').", ERROR_STYLE
        kept = [c for c in saved if c.name != name]
        if len(kept) >= MAX_SAVED_COHORTS:
            full = f"At most {MAX_SAVED_COHORTS} cohorts can be saved; delete one first."
            return no_update, full, ERROR_STYLE
        try:
            rows = int(data.mask(Cohort(name, text)).sum())
        except CohortError as exc:
            return no_update, str(exc), ERROR_STYLE
        saved_now = [*map(_stored, kept), {"name": name, "filter": text}]
        return saved_now, f"Saved cohort {name!r}: {rows} rows.", {**NOTE, "color": "#176d17"}

    @app.callback(Output("perf-cohorts", "options"), Output("explorer-cohort", "options"),
                  Output("agg-cohorts", "options"), Output("cohort-delete-pick", "options"),
                  Output("cohort-list", "children"), Input("cohorts", "data"))
    @shows_errors(KEEP, KEEP, KEEP, KEEP, TEXT)
    def options(store: Any) -> Any:
        saved = check_store(data, store)
        names = [c.name for c in saved]
        listing = [html.Div(f"{c.name}: {c.filter or '(every row)'} — {int(data.mask(c).sum())} rows")
                   for c in saved]
        return names, names, names, [n for n in names if n != ALL_DATA], listing

    if with_ice:
        @app.callback(Output("ice-cohort", "options"), Input("cohorts", "data"))
        @shows_errors(KEEP)  # the cohort list shows what is wrong with the store
        def ice_options(store: Any) -> Any:
            return [c.name for c in check_store(data, store)]


def _stored(cohort: Cohort) -> dict[str, str]:
    return {"name": cohort.name, "filter": cohort.filter}


def _performance_callbacks(app: Any, data: DashboardData) -> None:
    from dash import Input, Output, dash_table
    from dash.exceptions import PreventUpdate

    @app.callback(Output("perf-table", "children"), Output("perf-hist", "figure"),
                  Input("perf-cohorts", "value"), Input("cohorts", "data"), Input("tabs", "value"))
    @shows_errors(TEXT, FIGURE)
    def performance(names: Any, store: Any, tab: Any) -> Any:
        if check_choice(tab, TABS, "tabs", "tab") != "performance":
            raise PreventUpdate  # computed when the tab is opened: metrics over many rows take time
        cohorts = chosen_cohorts(data, store, names, "perf-cohorts")
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
        binary = data.proba is not None and data.proba.shape[1] == 2
        values = data.proba[:, -1] if binary else (  # type: ignore[index]
            data.proba.max(axis=1) if data.proba is not None else data.predicted_y)
        label = (f"predicted probability of {data.classes[-1] if data.classes else 'class 1'}" if binary else
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
    from dash.exceptions import PreventUpdate

    @app.callback(Output("explorer-graph", "figure"), Input("explorer-cohort", "value"),
                  Input("explorer-x", "value"), Input("explorer-y", "value"),
                  Input("explorer-color", "value"), Input("cohorts", "data"))
    @shows_errors(FIGURE)
    def explore(name: Any, x: Any, y: Any, color: Any, store: Any) -> Any:
        cohort = chosen_cohorts(data, store, name, "explorer-cohort")[0]
        y = check_choice(HISTOGRAM if y is None else y, [HISTOGRAM, *data.columns], "explorer-y", "column")
        color = check_choice(NO_COLOUR if color is None else color, [NO_COLOUR, *data.columns],
                             "explorer-color", "column")
        if x is None:
            return charts.message_figure("Choose a column for the X axis.")
        x = check_choice(x, data.columns, "explorer-x", "column")
        mask = data.mask(cohort)
        if y == HISTOGRAM:
            return charts.histogram_figure({cohort.name: bin_values(_column(data, x)[mask])}, x,
                                           f"Histogram of {x} ({int(mask.sum())} rows, binned on the server)")
        rows = data.sample(mask, SCATTER_POINTS)
        shade = None if color == NO_COLOUR else _column(data, color)[rows]
        return charts.scatter_figure(_column(data, x)[rows], _column(data, y)[rows], (x, y), shade,
                                     None if color == NO_COLOUR else color, rows, int(mask.sum()))

    @app.callback(Output("row-index", "value"), Input("explorer-graph", "clickData"),
                  prevent_initial_call=True)
    @shows_errors(KEEP)  # a click the server cannot read selects nothing
    def pick(click: Any) -> Any:
        point = check_point(click, "explorer-graph")
        if point is None or "customdata" not in point:  # e.g. a histogram bar
            raise PreventUpdate
        custom = point["customdata"]
        return check_row(data, custom[0] if isinstance(custom, list) and custom else custom,
                         "explorer-graph: the clicked point's row")


def _feature_values(data: DashboardData, space: str, feature: int, rows: np.ndarray) -> np.ndarray | None:
    """``data.feature_values``, also for no rows (an empty cohort): featurizing steps refuse empty input."""
    return data.feature_values(space, feature, rows) if rows.size else np.empty(0)


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
    values = _feature_values(data, space, partner, rows)
    return None if values is None else (data.spaces[space].features[partner], values)


def _aggregate_callbacks(app: Any, data: DashboardData) -> None:
    from dash import Input, Output

    limit = top_features_limit(data)

    @app.callback(Output("agg-bars", "figure"), Output("agg-fidelity", "children"),
                  Input("agg-cohorts", "value"), Input("agg-topk", "value"), Input("agg-class", "value"),
                  Input("space", "value"), Input("cohorts", "data"))
    @shows_errors(FIGURE, TEXT)
    def bars(names: Any, top_k: Any, class_value: Any, space: Any, store: Any) -> Any:
        space = check_space(data, space)
        explanation, cohorts = data.spaces[space], chosen_cohorts(data, store, names, "agg-cohorts")
        top_k = check_top_k(top_k, "agg-topk", limit)
        class_index = importance_index(explanation, check_class(data, class_value, "agg-class"), "agg-class")
        values = {}
        for cohort in cohorts:
            found = data.importance(space, cohort, class_index)
            if found is not None:
                values[cohort.name] = found
        note = fidelity_note(data, space)
        if not values:
            return charts.message_figure("Cohorts need local importances; this explanation is global "
                                         "only."), note
        if len(values) < len(cohorts):
            note += " · cohorts other than All data need local importances"
        scale = "permutation importance" if explanation.output_space == "metric" else (
            f"mean |contribution| to the {unit(explanation)}")
        return charts.cohort_importance_figure(explanation.features, values, top_k, scale), note

    @app.callback(Output("agg-dependence", "figure"), Input("agg-bars", "clickData"),
                  Input("agg-cohorts", "value"), Input("agg-class", "value"), Input("space", "value"),
                  Input("cohorts", "data"))
    @shows_errors(FIGURE)
    def dependence(click: Any, names: Any, class_value: Any, space: Any, store: Any) -> Any:
        space = check_space(data, space)
        explanation, cohorts = data.spaces[space], chosen_cohorts(data, store, names, "agg-cohorts")
        class_index, point = check_class(data, class_value, "agg-class"), check_point(click, "agg-bars")
        if explanation.local_values is None:
            return charts.message_figure("The dependence plot needs local importances.")
        feature = int(np.argmax(explanation.global_values))
        clicked = None if point is None else point.get("y")  # a name of the other space is ignored
        if isinstance(clicked, str) and clicked in explanation.features:
            feature = explanation.features.index(clicked)
        k = output_index(explanation, class_index, "agg-class")
        traces, totals = {}, {}
        for cohort in cohorts:
            mask = data.mask(cohort)
            rows = data.sample(mask, SCATTER_POINTS)
            x = _feature_values(data, space, feature, rows)
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
    @shows_errors(FIGURE)
    def summary(names: Any, class_value: Any, space: Any, store: Any) -> Any:
        space = check_space(data, space)
        explanation, cohort = data.spaces[space], chosen_cohorts(data, store, names, "agg-cohorts")[0]
        class_index = check_class(data, class_value, "agg-class")
        if explanation.local_values is None:
            return charts.message_figure("The summary plot needs local importances.")
        return _summary_figure(data, space, cohort, output_index(explanation, class_index, "agg-class"))


def _summary_figure(data: DashboardData, space: str, cohort: Cohort, k: int) -> Any:
    """Beeswarm of the cohort's local values toward output ``k``, coloured by feature values."""
    explanation = data.spaces[space]
    assert explanation.local_values is not None  # checked by the callback
    order = np.argsort(-np.asarray(data.importance(space, cohort, k)), kind="stable")[:15]
    mask = data.mask(cohort)
    rows = data.sample(mask, max(1, SUMMARY_POINTS // max(1, len(order))))
    values = None
    columns = [data.column_for(space, int(j)) for j in order]
    if data.frame is not None and all(c is not None for c in columns):
        values = data.frame.iloc[rows][columns].to_numpy(dtype=object)
    elif data.frame is not None:  # engineered values from the model's featurizing steps
        found = [_feature_values(data, space, int(j), rows) for j in order]
        known = [f for f in found if f is not None]
        if len(known) == len(found):
            values = np.column_stack(known).astype(object)
    label = "" if data.classes is None or explanation.local_values.shape[0] == 1 else (
        f" toward class {data.classes[k]}")
    return charts.beeswarm_figure(
        [explanation.features[j] for j in order], explanation.local_values[k][np.ix_(rows, order)], values,
        f"Summary of local contributions{label}: {cohort.name} ({rows.size} of {int(mask.sum())} rows)",
        unit(explanation))


def _runs_callbacks(app: Any, leaderboard: Leaderboard) -> None:
    from dash import Input, Output

    @app.callback(Output("runs-importance", "figure"), Input("runs-table", "data"))
    def importance(_records: Any) -> Any:  # the table only triggers the first drawing; it is not read
        if not leaderboard.runs:
            return charts.message_figure("No run has a stored explanation.")
        return charts.leaderboard_figure(leaderboard.runs, leaderboard.features, leaderboard.shares)

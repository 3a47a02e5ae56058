"""The dashboard's page: tabs and controls (Dash components), no computation.

Component ids are the contract with ``_callbacks`` and with the browser tests.
"""

from __future__ import annotations

from typing import Any

from explain.dashboard._data import DashboardData
from explain.dashboard._runs import Leaderboard
from explain.dashboard._whatif import unavailable_reason

__all__ = ["ALL_DATA", "HISTOGRAM", "NO_COLOUR", "TABS", "build_layout", "top_features_limit"]

ALL_DATA = "All data"
HISTOGRAM = "(histogram)"  # the explorer's Y axis when it draws a histogram of X
NO_COLOUR = "(none)"
TABS = ("performance", "explorer", "aggregate", "individual", "runs")
STYLE = {"fontFamily": "system-ui, sans-serif", "margin": "0 auto", "maxWidth": "1250px", "padding": "0 12px"}
ROW = {"display": "flex", "gap": "12px", "flexWrap": "wrap", "alignItems": "flex-end", "margin": "8px 0"}
NOTE = {"color": "#555", "fontSize": "0.85em", "margin": "2px 0 6px"}


def _labelled(label: str, component: Any, width: str = "260px") -> Any:
    from dash import html

    return html.Div([html.Label(label, style={"fontSize": "0.85em", "color": "#444"}), component],
                    style={"minWidth": width})


def _cohort_picker(id_: str, multi: bool) -> Any:
    from dash import dcc

    label = "Cohorts (up to 3, side by side)" if multi else "Cohort"
    return _labelled(label, dcc.Dropdown(id=id_, options=[ALL_DATA], value=[ALL_DATA] if multi else ALL_DATA,
                                         multi=multi, clearable=False), "320px")


def _class_picker(id_: str, data: DashboardData, with_mean: bool) -> Any:
    from dash import dcc

    if data.task != "classification" or data.classes is None:
        return dcc.Dropdown(id=id_, options=[], value=None, style={"display": "none"})
    options = ([{"label": "mean over classes", "value": -1}] if with_mean else []) + [
        {"label": f"class {c}", "value": i} for i, c in enumerate(data.classes)]
    default = -1 if with_mean else len(data.classes) - 1
    return _labelled("Class", dcc.Dropdown(id=id_, options=options, value=default, clearable=False), "200px")


def _space_word(data: DashboardData) -> str:
    if data.explanation.is_raw:
        return "raw "
    return "engineered " if data.explanation.feature_map is not None else ""


def _header(data: DashboardData, title: str) -> Any:
    from dash import dcc, html

    explanation = data.explanation
    facts = [f"{explanation.method} · {data.task}", f"{data.n_rows} rows",
             f"{explanation.num_features} {_space_word(data)}features"]
    if data.prediction_source is not None:
        facts.append(f"predictions from the {data.prediction_source}")
    space = dcc.RadioItems(
        id="space", options=[{"label": f" {s} features", "value": s} for s in data.space_names],
        value=data.space_names[0], inline=True, inputStyle={"marginLeft": "10px"},
        style={"display": "block" if len(data.space_names) > 1 else "none"})
    return html.Div([
        html.H2(title, style={"marginBottom": "2px"}),
        html.P(" · ".join(facts), style=NOTE),
        space,
    ])


def _cohort_editor(data: DashboardData) -> Any:
    from dash import dcc, html

    columns = ", ".join(list(data.columns)[:12]) + (" ..." if len(data.columns) > 12 else "")
    return html.Details([
        html.Summary("Cohorts: define, edit, delete", style={"cursor": "pointer", "fontWeight": 600}),
        html.Div([
            _labelled("Name", dcc.Input(id="cohort-name", type="text", placeholder="young south",
                                        debounce=False, style={"width": "100%"}), "180px"),
            _labelled("Filter", dcc.Input(id="cohort-filter", type="text",
                                          placeholder='age < 30 and region == "south"',
                                          style={"width": "100%"}), "420px"),
            html.Button("Save cohort", id="cohort-add", n_clicks=0),
            _labelled("Cohort to delete", dcc.Dropdown(id="cohort-delete-pick", options=[], value=None),
                      "200px"),
            html.Button("Delete", id="cohort-delete", n_clicks=0),
        ], style=ROW),
        html.P(f"Columns: {columns}. Operators: < <= > >= == != in [..] not in [..], and, or, not, "
               "( ). Saving under an existing name edits that cohort.", style=NOTE),
        html.Div(id="cohort-message", style=NOTE),
        html.Div(id="cohort-list", style=NOTE),
    ], open=True, style={"margin": "6px 0 10px", "padding": "6px 10px", "background": "#f7f7f9",
                         "borderRadius": "6px"})


def _performance_tab() -> Any:
    from dash import dcc, html

    return html.Div([
        html.Div([_cohort_picker("perf-cohorts", True)], style=ROW),
        html.Div(id="perf-table"),
        dcc.Graph(id="perf-hist"),
    ])


def _explorer_tab(data: DashboardData) -> Any:
    from dash import dcc, html

    options = list(data.columns)
    x_default = options[0] if options else None
    y_default = next((c for c in ("probability", "predicted_y") if c in data.columns), HISTOGRAM)
    return html.Div([
        html.Div([
            _cohort_picker("explorer-cohort", False),
            _labelled("X axis", dcc.Dropdown(id="explorer-x", options=options, value=x_default,
                                             clearable=False), "220px"),
            _labelled("Y axis", dcc.Dropdown(id="explorer-y", options=[HISTOGRAM, *options],
                                             value=y_default, clearable=False), "220px"),
            _labelled("Colour", dcc.Dropdown(id="explorer-color", options=[NO_COLOUR, *options],
                                             value="true_y" if "true_y" in data.columns else NO_COLOUR,
                                             clearable=False), "220px"),
        ], style=ROW),
        dcc.Graph(id="explorer-graph"),
        html.P(id="explorer-local-note", style=NOTE),
        dcc.Graph(id="explorer-local"),
    ])


def top_features_limit(data: DashboardData) -> int:
    """The most features a "Top features" control may ask for: the widest space's count."""
    return max(e.num_features for e in data.spaces.values())


def _aggregate_tab(data: DashboardData) -> Any:
    from dash import dcc, html

    top = min(top_features_limit(data), 50)
    return html.Div([
        html.Div([
            _cohort_picker("agg-cohorts", True),
            _labelled("Top features", dcc.Slider(id="agg-topk", min=1, max=top, step=1,
                                                 value=min(10, top), marks=None),
                      "320px"),
            _class_picker("agg-class", data, with_mean=True),
        ], style=ROW),
        html.P(id="agg-fidelity", style=NOTE),
        dcc.Graph(id="agg-bars"),
        dcc.Graph(id="agg-dependence"),
        dcc.Graph(id="agg-summary"),
    ])


def _individual_tab(data: DashboardData) -> Any:
    from dash import dash_table, dcc, html

    reason = unavailable_reason(data)
    top = min(top_features_limit(data), 50)
    parts: list[Any] = [
        html.Div([
            _labelled("Row (index, or click a point in the dataset explorer)",
                      dcc.Input(id="row-index", type="number", min=0, max=max(0, data.n_rows - 1), step=1,
                                value=0, debounce=True), "300px"),
            _labelled("Top features", dcc.Slider(id="ind-topk", min=1, max=top, step=1, value=min(10, top),
                                                 marks=None), "320px"),
            _class_picker("ind-class", data, with_mean=False),
        ], style=ROW),
        html.P(id="row-info", style=NOTE),
        html.P(id="ind-fidelity", style=NOTE),
        dcc.Graph(id="ind-bars"),
        html.H4("What-if"),
    ]
    if reason is not None:
        parts += [html.P(reason, id="whatif-unavailable", style={**NOTE, "color": "#a60"}),
                  html.H4("ICE (individual conditional expectation)"),
                  html.P(reason, id="ice-unavailable", style={**NOTE, "color": "#a60"})]
        return html.Div(parts)
    parts += [
        html.P("Edit values in the table; the prediction and explanation update at once. The row's "
               "500 most important features are listed (filter by name in the first row).", style=NOTE),
        html.Div([
            html.Div(dash_table.DataTable(
                id="whatif-table", columns=[{"name": "feature", "id": "feature", "editable": False},
                                            {"name": "original", "id": "original", "editable": False},
                                            {"name": "value", "id": "value", "editable": True}],
                data=[], page_size=12, filter_action="native", sort_action="native",
                style_cell={"fontSize": "0.85em", "textAlign": "left", "maxWidth": "220px",
                            "overflow": "hidden", "textOverflow": "ellipsis"},
                style_data_conditional=[{"if": {"column_id": "value"}, "backgroundColor": "#fffbe6"}],
            ), style={"flex": "0 0 460px"}),
            html.Div([html.Div(id="whatif-result", style={"fontWeight": 600, "margin": "4px 0"}),
                      dcc.Graph(id="whatif-bars")], style={"flex": "1 1 500px"}),
        ], style={**ROW, "alignItems": "flex-start"}),
        html.H4("ICE (individual conditional expectation)"),
        html.Div([
            _labelled("Feature to vary", dcc.Dropdown(id="ice-feature", options=list(data.frame.columns)
                                                      if data.frame is not None else [],
                                                      value=None, clearable=False), "280px"),
            _cohort_picker("ice-cohort", False),
        ], style=ROW),
        dcc.Graph(id="ice-graph"),
    ]
    return html.Div(parts)


def _runs_tab(leaderboard: Leaderboard) -> Any:
    from dash import dash_table, dcc, html

    columns = [{"name": c, "id": c} for c in leaderboard.records[0]] if leaderboard.records else []
    return html.Div([
        html.P(f"Runs best first by {leaderboard.metric}; each run's stored raw explanation beside it.",
               style=NOTE),
        dash_table.DataTable(id="runs-table", columns=columns, data=leaderboard.records, page_size=15,
                             sort_action="native", style_cell={"fontSize": "0.85em", "textAlign": "left"}),
        dcc.Graph(id="runs-importance"),
    ])


def build_layout(data: DashboardData, leaderboard: Leaderboard | None,
                 title: str = "Explanation dashboard") -> Any:
    """The whole page."""
    from dash import dcc, html

    tabs = [
        dcc.Tab(label="Model performance", value="performance", children=_performance_tab()),
        dcc.Tab(label="Dataset explorer", value="explorer", children=_explorer_tab(data)),
        dcc.Tab(label="Aggregate importance", value="aggregate", children=_aggregate_tab(data)),
        dcc.Tab(label="Individual importance & what-if", value="individual", children=_individual_tab(data)),
    ]
    if leaderboard is not None:
        tabs.append(dcc.Tab(label="AutoML runs", value="runs", children=_runs_tab(leaderboard)))
    return html.Div([
        dcc.Store(id="cohorts", data=[{"name": ALL_DATA, "filter": ""}]),
        _header(data, title),
        _cohort_editor(data),
        dcc.Tabs(id="tabs", value="aggregate", children=tabs),
    ], style=STYLE)

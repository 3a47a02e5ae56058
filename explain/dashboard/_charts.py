"""Figures of the interactive dashboard, from already aggregated or sampled arrays.

Each function lays out what it is given and computes nothing about the model, so the
numbers are tested where they are computed (``_data``, ``_performance``, ``_whatif``).
Point clouds are WebGL (``Scattergl``) and arrive sampled; histograms arrive binned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

__all__ = [
    "beeswarm_figure",
    "cohort_importance_figure",
    "dependence_figure",
    "histogram_figure",
    "ice_figure",
    "leaderboard_figure",
    "local_importance_figure",
    "message_figure",
    "scatter_figure",
]

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf")
_MARGIN = {"l": 10, "r": 10, "t": 50, "b": 40}
_HOVER = "row %{customdata}<br>%{x}, %{y}<extra></extra>"
MAX_COLOURS = 9


def message_figure(text: str) -> go.Figure:
    """An empty figure that says why there is nothing to show."""
    figure = go.Figure()
    figure.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                          font={"size": 14, "color": "#555"})
    figure.update_layout(xaxis={"visible": False}, yaxis={"visible": False}, height=260, margin=_MARGIN)
    return figure


def cohort_importance_figure(features: Sequence[str], values: dict[str, np.ndarray], top_k: int,
                             unit: str) -> go.Figure:
    """Grouped horizontal bars of the ``top_k`` features, one bar per cohort.

    Features are ranked by the first cohort's importance.
    """
    first = next(iter(values.values()))
    order = np.argsort(-first, kind="stable")[:top_k][::-1]
    names = [features[j] for j in order]
    figure = go.Figure([
        go.Bar(x=np.asarray(v)[order], y=names, orientation="h", name=name,
               marker_color=COLORS[i % len(COLORS)], customdata=order.tolist(),
               hovertemplate="%{y}: %{x:.4g}<extra>" + name + "</extra>")
        for i, (name, v) in enumerate(values.items())
    ])
    figure.update_layout(
        title=f"Top {len(names)} features (click a bar for its dependence plot)", barmode="group",
        xaxis_title=unit, height=max(320, (16 + 8 * len(values)) * len(names) + 120), margin=_MARGIN,
        legend={"orientation": "h", "y": -0.12})
    figure.update_yaxes(automargin=True)
    return figure


def dependence_figure(feature: str, traces: dict[str, tuple[np.ndarray, np.ndarray]], unit: str,
                      total: dict[str, int], colour: tuple[str, np.ndarray] | None = None) -> go.Figure:
    """Feature value (x) against its local importance (y), one colour per cohort; with
    ``colour`` (a feature's name and values, e.g. the strongest interacting one) a single
    cohort's points are coloured by that feature instead."""
    figure = go.Figure()
    shading: dict[str, Any] = {}
    scaled = None if colour is None else _scaled(colour[1])
    if scaled is not None and colour is not None:
        shading = {"color": scaled, "colorscale": "RdBu_r", "cmin": 0.0, "cmax": 1.0, "showscale": True,
                   "colorbar": {"title": f"{colour[0]}<br>(strongest<br>interaction)",
                                "tickvals": [0, 1], "ticktext": ["low", "high"]}}
    for i, (name, (x, y)) in enumerate(traces.items()):
        marker: dict[str, Any] = {"size": 5, "opacity": 0.6, "color": COLORS[i % len(COLORS)], **shading}
        figure.add_trace(go.Scattergl(
            x=x, y=y, mode="markers", name=f"{name} ({len(x)} of {total[name]} rows)", marker=marker))
    figure.update_layout(title=f"Dependence plot of {feature}", xaxis_title=feature,
                         yaxis_title=f"importance of {feature} ({unit})", height=420, margin=_MARGIN,
                         legend={"orientation": "h", "y": -0.2})
    return figure


def local_importance_figure(names: Sequence[str], values: np.ndarray, title: str, unit: str,
                            compare: np.ndarray | None = None) -> go.Figure:
    """Signed local importances of one row, largest |value| on top (red raises the output, blue
    lowers it); ``compare`` overlays a what-if, ordered by the larger of the two."""
    values = np.asarray(values, dtype=np.float64)
    size = np.abs(values) if compare is None else np.maximum(np.abs(values), np.abs(np.asarray(compare)))
    order = np.argsort(size, kind="stable")
    shown = [names[j] for j in order]
    colours: Any = ("#1f77b4" if compare is not None  # one colour per trace when comparing
                    else ["#d62728" if v > 0 else "#1f77b4" for v in values[order]])
    figure = go.Figure(go.Bar(x=values[order], y=shown, orientation="h", name="original",
                              marker_color=colours))
    if compare is not None:
        figure.add_trace(go.Bar(x=np.asarray(compare)[order], y=shown, orientation="h", name="what-if",
                                marker_color="#ff7f0e", opacity=0.8))
        figure.update_layout(barmode="group")
    figure.update_layout(title=title, xaxis_title=unit, height=max(300, 24 * len(shown) + 120),
                         margin=_MARGIN, showlegend=compare is not None)
    figure.update_yaxes(automargin=True)
    return figure


def ice_figure(feature: str, grid: np.ndarray, selected: np.ndarray, others: np.ndarray | None,
               value_label: str, categorical: bool) -> go.Figure:
    """ICE: the selected row's prediction as ``feature`` varies; faint lines for other rows and
    their mean (partial dependence)."""
    x = [str(v) for v in grid] if categorical else grid
    figure = go.Figure()
    if others is not None and len(others):
        for line in others:
            figure.add_trace(go.Scatter(x=x, y=line, mode="lines", line={"color": "#bbb", "width": 1},
                                        hoverinfo="skip", showlegend=False))
        figure.add_trace(go.Scatter(x=x, y=others.mean(axis=0), mode="lines", name="mean of cohort rows",
                                    line={"color": "#555", "dash": "dash"}))
    figure.add_trace(go.Scatter(x=x, y=selected, mode="lines+markers", name="selected row",
                                line={"color": "#d62728", "width": 3}))
    figure.update_layout(title=f"ICE: prediction as {feature} varies", xaxis_title=feature,
                         yaxis_title=value_label, height=420, margin=_MARGIN,
                         legend={"orientation": "h", "y": -0.2})
    return figure


def scatter_figure(x: Any, y: Any, labels: tuple[str, str], color: Any, color_label: str | None,
                   rows: np.ndarray, total: int) -> go.Figure:
    """Sampled WebGL scatter; each point carries its row index (click to select the row)."""
    marker: dict[str, Any] = {"size": 5, "opacity": 0.7}
    figure = go.Figure()
    if color is not None and np.asarray(color).dtype.kind in "biuf" and np.unique(color).size > 10:
        marker.update(color=color, colorscale="Viridis", showscale=True, colorbar={"title": color_label})
        figure.add_trace(go.Scattergl(x=x, y=y, mode="markers", marker=marker, customdata=rows.tolist(),
                                      hovertemplate=_HOVER))
    elif color is not None:
        values = np.asarray(color).astype(str)
        kinds, counts = np.unique(values, return_counts=True)
        ranked = list(kinds[np.argsort(-counts, kind="stable")])
        groups = [(f"{color_label}={kind}", values == kind) for kind in ranked[:MAX_COLOURS]]
        if len(ranked) > MAX_COLOURS:  # the rarer categories share one trace, so no point is lost
            groups.append((f"{color_label}: {len(ranked) - MAX_COLOURS} other values",
                           ~np.isin(values, ranked[:MAX_COLOURS])))
        for i, (name, hit) in enumerate(groups):
            figure.add_trace(go.Scattergl(
                x=np.asarray(x)[hit], y=np.asarray(y)[hit], mode="markers", name=name,
                marker={**marker, "color": COLORS[i % len(COLORS)]}, customdata=rows[hit].tolist(),
                hovertemplate=_HOVER))
    else:
        figure.add_trace(go.Scattergl(x=x, y=y, mode="markers", marker=marker, customdata=rows.tolist(),
                                      hovertemplate=_HOVER))
    figure.update_layout(title=f"{labels[1]} against {labels[0]} ({len(rows)} of {total} rows; "
                               "click a point to explain its row)",
                         xaxis_title=labels[0], yaxis_title=labels[1], height=480, margin=_MARGIN,
                         clickmode="event")
    return figure


def histogram_figure(bins: Mapping[str, tuple[Sequence[Any], np.ndarray]], label: str,
                     title: str) -> go.Figure:
    """Bars of already binned counts (bin centres or categories -> counts), one set per group."""
    figure = go.Figure([
        go.Bar(x=list(centres), y=counts, name=name, marker_color=COLORS[i % len(COLORS)], opacity=0.75)
        for i, (name, (centres, counts)) in enumerate(bins.items())
    ])
    figure.update_layout(title=title, xaxis_title=label, yaxis_title="share of rows",
                         barmode="overlay" if len(bins) > 1 else "relative", bargap=0.02, height=380,
                         margin=_MARGIN, legend={"orientation": "h", "y": -0.2})
    return figure


def leaderboard_figure(runs: Sequence[str], features: Sequence[str], values: np.ndarray) -> go.Figure:
    """Heat map of each run's normalized global importances (runs x features)."""
    figure = go.Figure(go.Heatmap(z=values, x=list(features), y=list(runs), colorscale="Blues",
                                  colorbar={"title": "share of<br>importance"},
                                  hovertemplate="%{y}<br>%{x}: %{z:.3f}<extra></extra>"))
    figure.update_layout(title="Mean |contribution| by run, over the rows each run was explained on "
                               "(each row sums to 1; a run's own explanation may cover few rows)",
                         height=max(300, 26 * len(runs) + 160), margin=_MARGIN,
                         yaxis={"autorange": "reversed"})
    figure.update_yaxes(automargin=True)
    figure.update_xaxes(automargin=True, tickangle=-35)
    return figure


def beeswarm_figure(names: Sequence[str], local: np.ndarray, values: np.ndarray | None, title: str,
                    unit: str, random_state: int = 0) -> go.Figure:
    """Summary (beeswarm) plot: each row's signed local value per feature, WebGL.

    Parameters
    ----------
    names : sequence of str
        The features shown, the most important first.
    local : ndarray of shape (n_rows, n_shown)
        Signed local values of the (already sampled) rows, columns in the order of ``names``.
    values : ndarray of shape (n_rows, n_shown), default=None
        The rows' feature values, to colour the points (numeric columns only).
    """
    rng = np.random.default_rng(random_state)
    figure = go.Figure()
    scale_shown = False
    for position in range(len(names) - 1, -1, -1):
        y_position = len(names) - 1 - position
        marker: dict[str, Any] = {"size": 4, "opacity": 0.6}
        column = None if values is None else _scaled(values[:, position])
        marker["color"] = "#999"  # not numeric: grey, so it is not read on the low -> high scale
        if column is not None:
            marker.update(color=column, colorscale="RdBu_r", cmin=0.0, cmax=1.0, showscale=not scale_shown,
                          colorbar={"title": "feature value", "tickvals": [0, 1],
                                    "ticktext": ["low", "high"]})
            scale_shown = True
        figure.add_trace(go.Scattergl(
            x=local[:, position], y=y_position + rng.uniform(-0.3, 0.3, local.shape[0]), mode="markers",
            marker=marker, name=names[position], showlegend=False,
            hovertemplate=f"{names[position]}: %{{x:.4g}}<extra></extra>",
        ))
    figure.update_layout(
        title=title, xaxis_title=f"contribution to the {unit}", height=max(320, 26 * len(names) + 120),
        yaxis={"tickvals": list(range(len(names))), "ticktext": list(names)[::-1]}, margin=_MARGIN,
    )
    figure.update_yaxes(automargin=True)
    return figure


def _scaled(column: np.ndarray) -> np.ndarray | None:
    """A numeric column scaled to [0, 1] between its 5th and 95th percentiles (each feature has
    its own range, so one colour bar of low -> high serves them all), or ``None``."""
    try:
        out = np.asarray(column).astype(np.float64)
    except (TypeError, ValueError):
        return None
    finite = out[np.isfinite(out)]
    if finite.size == 0:
        return None
    low, high = np.percentile(finite, [5, 95])
    if high <= low:
        low, high = float(finite.min()), float(finite.max())
    if high <= low:
        return np.full(out.shape, 0.5)
    return np.clip((out - low) / (high - low), 0.0, 1.0)

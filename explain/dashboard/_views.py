"""Pure view functions: an :class:`~explain.Explanation` in, a Plotly figure out.

Views compute nothing about the model; they only lay out what the explanation holds, so the
static export and an interactive dashboard share them. Large local matrices are sampled
before they reach the browser (at most ``max_points`` markers, WebGL scatter).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from explain._explanation import Explanation
from explain.dashboard._charts import beeswarm_figure

__all__ = ["global_importance_figure", "per_class_figure", "summary_figure", "unit"]

_OUTPUT_UNITS = {"log_odds": "log-odds", "probability": "probability", "margin": "decision function",
                 "raw": "prediction", "metric": "metric drop"}


def unit(explanation: Explanation) -> str:
    return _OUTPUT_UNITS.get(explanation.output_space, explanation.output_space)


def global_importance_figure(explanation: Explanation, top_k: int = 20) -> go.Figure:
    """Horizontal bars of the ``top_k`` global importances, the most important on top."""
    names = explanation.get_ranked_global_names(top_k)[::-1]
    values = explanation.get_ranked_global_values(top_k)[::-1]
    title = "permutation importance" if explanation.output_space == "metric" else (
        f"mean |contribution| to the {unit(explanation)}")
    figure = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color="#1f77b4"))
    figure.update_layout(title=f"Global importance ({title})", height=max(300, 22 * len(names) + 120),
                         margin={"l": 10, "r": 10, "t": 50, "b": 40}, xaxis_title=title)
    figure.update_yaxes(automargin=True)
    return figure


def per_class_figure(explanation: Explanation, top_k: int = 20) -> go.Figure | None:
    """Grouped bars of each class's importance for the ``top_k`` global features (classifiers)."""
    per_class = explanation.per_class_values_
    if per_class is None or not explanation.is_classification:
        return None
    order = np.argsort(-explanation.global_values, kind="stable")[:top_k][::-1]
    names = [explanation.features[i] for i in order]
    labels = explanation.classes or tuple(range(per_class.shape[0]))
    figure = go.Figure([
        go.Bar(x=per_class[k, order], y=names, orientation="h", name=str(label))
        for k, label in enumerate(labels)
    ])
    figure.update_layout(title="Importance per class", barmode="group",
                         height=max(300, 16 * len(names) * min(len(labels), 4) + 120),
                         margin={"l": 10, "r": 10, "t": 50, "b": 40})
    figure.update_yaxes(automargin=True)
    return figure


def summary_figure(explanation: Explanation, top_k: int = 15, class_index: int | None = None,
                   feature_values: Any = None, max_points: int = 20_000,
                   random_state: int = 0) -> go.Figure | None:
    """Beeswarm-style summary: each row's signed local value per feature (WebGL scatter).

    Parameters
    ----------
    explanation : Explanation
        An explanation with local values.
    top_k : int, default=15
        Features shown, by global importance.
    class_index : int, default=None
        Class whose values are shown; default: the last (the positive class of a binary model).
    feature_values : array-like of shape (n_rows, n_features), default=None
        The explained rows' feature values, to colour the points (numeric columns only).
    max_points : int, default=20000
        Markers sent to the browser; rows are sampled beyond that.
    random_state : int, default=0
        Seed of the sampling and the vertical jitter.
    """
    if explanation.local_values is None:
        return None
    k = explanation.local_values.shape[0] - 1 if class_index is None else class_index
    local = explanation.local_values[k]
    order = np.argsort(-explanation.global_values, kind="stable")[:top_k]
    n_rows = local.shape[0]
    per_feature = max(1, max_points // max(1, len(order)))
    rows = np.arange(n_rows)
    if n_rows > per_feature:
        rows = np.sort(np.random.default_rng(random_state).choice(n_rows, size=per_feature, replace=False))
    values = None if feature_values is None else np.asarray(feature_values, dtype=object)[np.ix_(rows, order)]
    label = "" if explanation.classes is None else f" toward {explanation.classes[k]!s}"
    return beeswarm_figure([explanation.features[j] for j in order], local[np.ix_(rows, order)], values,
                           f"Local contributions{label} ({rows.size} of {n_rows} rows)",
                           unit(explanation), random_state)

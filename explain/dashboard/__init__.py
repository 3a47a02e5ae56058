"""The explanation dashboard and its views.

``ExplanationDashboard`` serves an interactive Dash app (install ``automl-explain[dashboard]``);
the pure figure functions and ``write_html`` (used by ``Explanation.to_html``) need only Plotly.
"""

from explain.dashboard._cohorts import Cohort, CohortError, parse_filter
from explain.dashboard._dashboard import ExplanationDashboard
from explain.dashboard._runs import ExperimentRun, Leaderboard, leaderboard_from_runs
from explain.dashboard._static import write_html
from explain.dashboard._views import global_importance_figure, per_class_figure, summary_figure

__all__ = [
    "Cohort",
    "CohortError",
    "ExperimentRun",
    "ExplanationDashboard",
    "Leaderboard",
    "global_importance_figure",
    "leaderboard_from_runs",
    "parse_filter",
    "per_class_figure",
    "summary_figure",
    "write_html",
]

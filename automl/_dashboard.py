"""An experiment in the explanation dashboard: the chosen run's model, explanation and rows,
and every run on the leaderboard."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from automl._exceptions import RunNotFoundError
from automl._explanations import explain_model_rows
from automl._finalize import BACKGROUND_ROWS, EXPLAINED_ROWS
from automl._metrics import get_metric
from automl._report import BEST_MODEL, load_run_explanation
from automl._runs import AutoMLRun, ChildRun

__all__ = ["DASHBOARD_ROWS", "experiment_dashboard"]

logger = logging.getLogger("automl")
DASHBOARD_ROWS = 2000


def experiment_dashboard(run: AutoMLRun, run_id: str | int | None = None, *, host: str = "127.0.0.1",
                         port: int | None = None, start: bool = False) -> Any:
    """An :class:`explain.dashboard.ExplanationDashboard` of a stored experiment.

    The chosen run (default: the best) is shown with its model, so what-if and ICE work. Its
    stored best-model explanation is used with the rows it explained; a run without one is
    explained now on a sample of ``DASHBOARD_ROWS`` training rows. Every run of the
    experiment appears on the leaderboard tab with its stored explanation.

    Parameters
    ----------
    run : AutoMLRun
        The experiment.
    run_id : str or int, default=None
        Run id or number; default: the best run.
    host, port : str and int
        Where to serve (``port=None``: a free port).
    start : bool, default=False
        Serve at once on a background thread (else call ``serve_forever()`` or ``start()``).
    """
    from explain.dashboard import ExplanationDashboard

    child = run.best_child() if run_id is None else run.get_child(run_id)
    if child.status != "Completed":
        raise RunNotFoundError(f"run {child.id} is {child.status.lower()}: only completed runs have a model.")
    model = child.get_model()
    explanation, rows, labels = _explained_rows(run, child, model)
    greater = get_metric(run.primary_metric, run.task).greater_is_better
    return ExplanationDashboard(explanation, model, dataset=rows, true_y=labels, host=host, port=port,
                                runs=run.get_children(), metric=run.primary_metric,
                                greater_is_better=greater, start=start,
                                title=f"{run.experiment_name}: run {child.id} ({child.estimator})")


def _explained_rows(run: AutoMLRun, child: ChildRun, model: Any) -> tuple[Any, Any, Any]:
    stored = run.store.latest_object(run.study, child.number, EXPLAINED_ROWS)
    if stored is not None:
        try:
            explanation = load_run_explanation(child, raw=True, comment=BEST_MODEL)
        except RunNotFoundError:
            explanation = None
        if explanation is not None and explanation.num_examples == len(stored["X"]):
            return explanation, stored["X"], stored["y"]
    X, y = run.training_data()
    seed = int(run.settings.get("random_state") or 0)
    size = min(DASHBOARD_ROWS, len(X))
    positions = np.sort(np.random.default_rng(seed).choice(len(X), size, replace=False))
    rows = X.iloc[positions]
    background = X.sample(min(BACKGROUND_ROWS, len(X)), random_state=seed)
    logger.info("explaining run %s on %d training rows for the dashboard", child.id, len(rows))
    return explain_model_rows(model, background, rows, random_state=seed), rows, np.asarray(y)[positions]

"""``automl dashboard``: a stored experiment opens in the explanation dashboard with its runs."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("dash")

from automl import AutoML, AutoMLConfig, AutoMLRun
from automl._cli import main
from automl._dashboard import DASHBOARD_ROWS, experiment_dashboard
from tests._processes import printed_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory, breast_cancer_frame: Any) -> tuple[str, AutoMLRun]:
    """A finished 4-run search on breast cancer (LogisticRegression and LightGBM), explained."""
    storage = f"sqlite:///{tmp_path_factory.mktemp('dash') / 'runs.db'}"
    config = AutoMLConfig("classification", training_data=breast_cancer_frame, label_column_name="target",
                          storage=storage, experiment_name="cancer", iterations=4, n_cross_validations=3,
                          allowed_models=["LogisticRegression", "LightGBM"], random_state=0,
                          model_explainability=True, verbosity=40)
    return storage, AutoML(config).fit()


def _layout(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "_dash-layout", timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def _ids(node: Any) -> set[str]:
    """Every component id in a Dash layout tree."""
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("props"), dict) and isinstance(node["props"].get("id"), str):
            found.add(node["props"]["id"])
        for value in node.values():
            found |= _ids(value)
    elif isinstance(node, list):
        for value in node:
            found |= _ids(value)
    return found


def test_best_run_opens_with_its_explained_rows_model_and_every_run(
        experiment: tuple[str, AutoMLRun]) -> None:
    _, run = experiment
    dashboard = experiment_dashboard(run, start=True, port=None)
    try:
        data = dashboard.data
        best = run.best_child()
        assert data.explanation.is_raw and "engineered" in data.spaces
        assert data.n_rows == data.explanation.num_examples == len(data.frame)
        assert data.model is not None and data.true_y is not None
        assert set(data.frame.columns) == set(run.training_data()[0].columns)
        layout = _layout(dashboard.url)
        ids = _ids(layout)
        assert {"runs-table", "runs-importance", "whatif-table", "ice-graph", "agg-bars"} <= ids
        text = json.dumps(layout)
        completed = [c for c in run.get_children() if c.status == "Completed"]
        assert len(completed) >= 4
        for child in completed:
            assert child.id in text
        assert f"run {best.id}" in text  # the page's heading names the run shown
        assert len(dashboard.leaderboard.runs) == len(completed)  # every run stored its explanation
        shares = dashboard.leaderboard.shares.sum(axis=1)  # of each run's total, over the top features
        assert ((shares > 0.5) & (shares <= 1 + 1e-9)).all()
    finally:
        dashboard.stop()


def test_another_run_is_explained_on_training_rows(experiment: tuple[str, AutoMLRun]) -> None:
    _, run = experiment
    best = run.best_child()
    other = next(c for c in run.get_children() if c.status == "Completed" and c.number != best.number)
    dashboard = experiment_dashboard(run, other.number, start=False)
    X, y = run.training_data()
    assert dashboard.data.n_rows == min(DASHBOARD_ROWS, len(X))
    rows = dashboard.data.frame
    position = X.reset_index(drop=True).index[(X.reset_index(drop=True) == rows.iloc[0]).all(axis=1)][0]
    assert dashboard.data.true_y[0] == np.asarray(y)[position]
    assert f"run {other.id}" in dashboard.title


def test_unknown_run_is_a_clear_error(experiment: tuple[str, AutoMLRun]) -> None:
    storage, _ = experiment
    code = main(["dashboard", "cancer", "--run", "999", "--storage", storage])
    assert code == 2


def test_cli_serves_the_experiment_until_stopped(experiment: tuple[str, AutoMLRun], tmp_path: Path) -> None:
    storage, _run = experiment
    process = subprocess.Popen([sys.executable, "-m", "automl", "dashboard", "cancer", "--storage", storage,
                                "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=tmp_path)
    try:
        url = printed_url(process)
        assert "runs-table" in _ids(_layout(url))
    finally:
        process.terminate()
        process.wait(timeout=30)

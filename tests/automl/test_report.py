"""The HTML report and its CSV tables (``automl._report``), and the text helpers of the CLI.

Two small searches are shared by the module: breast cancer (classification, explained) and
diabetes under hostile names (regression, the best model not explained).
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

from automl import AutoML, AutoMLConfig, AutoMLRun
from automl._report import companion_paths, load_run_explanation, write_report
from automl._text import format_value, ranked_leaderboard, text_table

HOSTILE = "diabetes <b>&</b>"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report")


@pytest.fixture(scope="module")
def binary_run(folder: Path) -> AutoMLRun:
    data = load_breast_cancer(as_frame=True).frame
    config = AutoMLConfig("classification", training_data=data, label_column_name="target",
                          iterations=5, n_cross_validations=3, storage=f"sqlite:///{folder / 'runs.db'}",
                          experiment_name="breast_cancer", random_state=0, verbosity=logging.WARNING)
    return AutoML(config).fit()


@pytest.fixture(scope="module")
def report(binary_run: AutoMLRun, folder: Path) -> Path:
    return Path(write_report(binary_run, str(folder / "out" / "report.html")))


@pytest.fixture(scope="module")
def hostile_run(folder: Path) -> AutoMLRun:
    """Regression with an HTML-like experiment name and column, the best model not explained."""
    data = load_diabetes(as_frame=True).frame.rename(columns={"bmi": "bmi<script>"})
    config = AutoMLConfig("regression", training_data=data, label_column_name="target", iterations=3,
                          n_cross_validations=3, allowed_models=["ElasticNet", "LightGBM"],
                          model_explainability=False, storage=f"sqlite:///{folder / 'runs.db'}",
                          experiment_name=HOSTILE, random_state=0, verbosity=logging.WARNING)
    return AutoML(config).fit()


def test_report_is_one_self_contained_file(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert '<script src="http' not in text and 'src="http' not in text
    assert text.count("* plotly.js v") == 1  # plotly.js embedded once, in the first figure
    assert text.count("Plotly.newPlot") == 4  # scores, raw, engineered, per class


def test_report_shows_every_run_and_the_top_raw_features(report: Path, binary_run: AutoMLRun) -> None:
    text = report.read_text(encoding="utf-8")
    for child in binary_run.get_children():
        assert f"<td>{child.id}</td>" in text
    raw = load_run_explanation(binary_run.best_child(), raw=True, comment="best model")
    for name in raw.get_ranked_global_names(5):
        assert html.escape(name) in text
    for section in ("Settings", "Leaderboard", "Best run", "Global feature importance of the best model",
                    "Per class (raw columns)", "Featurization", "Explanation fidelity"):
        assert section in text
    assert "numeric" in text  # the featurization summary's column kinds


def test_csvs_parse_and_have_the_expected_columns(report: Path, binary_run: AutoMLRun) -> None:
    files = companion_paths(str(report))
    board = pd.read_csv(files["leaderboard"])
    assert list(board.columns[:5]) == ["rank", "run", "estimator", "status", "AUC_weighted"]
    assert set(board["run"]) == {c.id for c in binary_run.get_children()}
    assert board["rank"].iloc[0] == 1 and board["run"].iloc[0] == binary_run.best_child().id
    for key, n_features in (("importance_raw", 30), ("importance_engineered", 30)):
        table = pd.read_csv(files[key])
        assert list(table.columns) == ["rank", "feature", "importance"]
        assert len(table) == n_features and table["importance"].is_monotonic_decreasing
    per_class = pd.read_csv(files["per_class_raw"])
    assert list(per_class.columns) == ["class", "rank", "feature", "importance"]
    assert set(per_class["class"]) == {0, 1} and len(per_class) == 60


def test_completed_runs_come_first_in_the_leaderboard(binary_run: AutoMLRun) -> None:
    board = ranked_leaderboard(binary_run)
    completed = (board["status"] == "Completed").tolist()
    assert completed == sorted(completed, reverse=True)
    assert board["rank"].tolist()[: sum(completed)] == [str(i + 1) for i in range(sum(completed))]


def test_automl_run_report_writes_atomically_and_overwrites(binary_run: AutoMLRun, tmp_path: Path) -> None:
    path = tmp_path / "r.html"
    path.write_text("old")
    assert binary_run.report(str(path)) == str(path)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["r.html", "r_leaderboard.csv", "r_importance_raw.csv", "r_importance_engineered.csv",
         "r_per_class_raw.csv"])


def test_user_text_is_escaped(hostile_run: AutoMLRun, tmp_path: Path) -> None:
    text = Path(write_report(hostile_run, str(tmp_path / "r.html"))).read_text(encoding="utf-8")
    assert HOSTILE not in text and html.escape(HOSTILE) in text
    assert "bmi<script>" not in text and "bmi&lt;script&gt;" in text


def test_without_a_stored_explanation_the_report_says_so(hostile_run: AutoMLRun, tmp_path: Path) -> None:
    path = write_report(hostile_run, str(tmp_path / "r.html"))
    text = Path(path).read_text(encoding="utf-8")
    assert "No stored explanation for the best run." in text
    assert text.count("Plotly.newPlot") == 1 and text.count("* plotly.js v") == 1
    files = companion_paths(path)
    assert files["leaderboard"].is_file()
    assert not any(files[k].exists() for k in ("importance_raw", "importance_engineered", "per_class_raw"))
    board = pd.read_csv(files["leaderboard"])
    assert board.columns[4] == "r2_score"


def test_text_table_aligns_numbers_right() -> None:
    table = text_table(["name", "score"], [["a", "0.5"], ["long name", "12.25"], ["b", ""]])
    assert table.splitlines() == ["name       score", "a            0.5", "long name  12.25", "b"]


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (float("nan"), ""), (3, "3"), (0.123456, "0.1235"), (123456.7, "1.235e+05"), ("x", "x"),
])
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text

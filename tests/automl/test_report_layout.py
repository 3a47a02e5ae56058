"""The report's layout: the per-class chart draws what differs, and the leaderboard fits the page."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from automl._report import _STYLE, MAX_CLASSES, _Figures, _leaderboard_section, _per_class_plot
from explain import Explanation


def _explanation(n_classes: int, binary_margin: bool = False) -> Explanation:
    rng = np.random.default_rng(n_classes)
    local = rng.normal(size=(n_classes, 30, 5)) * np.arange(1, n_classes + 1)[:, None, None]
    if binary_margin:  # one output shown as classes [-v, v], as every exact binary explanation is
        local = np.stack([-local[1], local[1]])
    return Explanation.from_local(local, np.zeros(n_classes), method="demo", model_task="classification",
                                  features=[f"f{i}" for i in range(5)],
                                  classes=[f"c{k}" for k in range(n_classes)])


def test_a_binary_model_gets_one_series_not_the_same_bars_twice() -> None:
    figure = _per_class_plot(_explanation(2, binary_margin=True))
    assert [trace.name for trace in figure.data] == ["c1"]
    assert figure.layout.title.text.startswith("Raw importance for class c1")
    assert "the same for c0" in figure.layout.title.text


def test_a_few_classes_are_all_drawn() -> None:
    explanation = _explanation(3)
    figure = _per_class_plot(explanation)
    assert [trace.name for trace in figure.data] == ["c0", "c1", "c2"]
    # two classes whose importances differ (e.g. a probability-space explanation) are both drawn
    assert len(_per_class_plot(_explanation(2)).data) == 2


def test_many_classes_draw_those_with_the_largest_importance() -> None:
    explanation = _explanation(12)  # class k's values scale with k + 1: c6..c11 are the largest
    figure = _per_class_plot(explanation)
    assert len(figure.data) == MAX_CLASSES == 6
    assert [trace.name for trace in figure.data] == [f"c{k}" for k in range(6, 12)]
    assert f"the {MAX_CLASSES} of 12 classes with the largest total importance" in figure.layout.title.text


CHROMIUM = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")


def test_a_wide_leaderboard_fits_the_page(tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("no Chromium at /usr/bin/chromium or on PATH")
    metrics = ["AUC_weighted", "accuracy", "log_loss", "balanced_accuracy", "f1_score_weighted",
               "precision_score_weighted", "recall_score_weighted", "average_precision_score_weighted",
               "norm_macro_recall", "matthews_correlation"]
    board = pd.DataFrame({"rank": ["1", "2", ""], "run": [f"a_long_experiment_name_{i}" for i in range(3)],
                          "estimator": ["HistGradientBoosting", "LogisticRegression", "KNN"],
                          "status": ["Completed", "Completed", "Failed"],
                          **{m: [0.91234, 0.81234, np.nan] for m in metrics},
                          "fit_seconds": [1.5, 0.2, np.nan], "explain_seconds": [0.1, 0.1, np.nan],
                          "error": ["", "", "ValueError: Input X contains NaN; LogisticRegression does not "
                                            "accept missing values encoded as NaN natively"]})
    run = SimpleNamespace(primary_metric="AUC_weighted", task="classification",
                          study=SimpleNamespace(user_attrs={"one_validation_split": False}))
    section = _leaderboard_section(run, board, _Figures())  # type: ignore[arg-type]
    page = tmp_path / "board.html"
    page.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{_STYLE}</style></head>"
                    f"<body>{section}</body></html>", encoding="utf-8")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox",
                                                                         "--disable-gpu"])
        try:
            view = browser.new_page(viewport={"width": 1280, "height": 800})
            view.goto(page.as_uri())
            table, body = view.evaluate("() => [document.querySelector('table').scrollWidth, "
                                        "document.body.clientWidth]")
        finally:
            browser.close()
    assert table <= body, f"the leaderboard is {table} px wide in a {body} px page"


@pytest.mark.parametrize(("one_split", "words"), [
    (False, "cross-validated unless validation data were given"),
    (True, "scored on one validation split"),
])
def test_the_leaderboard_says_how_runs_were_scored(one_split: bool, words: str) -> None:
    board = pd.DataFrame({"rank": ["1"], "run": ["e_0"], "estimator": ["LightGBM"], "status": ["Completed"],
                          "r2_score": [0.9], "fit_seconds": [1.0], "error": [""]})
    run = SimpleNamespace(primary_metric="r2_score", task="regression",
                          study=SimpleNamespace(user_attrs={"one_validation_split": one_split}))
    section = _leaderboard_section(run, board, _Figures())  # type: ignore[arg-type]
    assert words in section

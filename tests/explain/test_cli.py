"""``explain dashboard PATH``: a saved explanation served, and bad input refused before serving."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import joblib
import pytest
from lightgbm import LGBMClassifier
from sklearn.datasets import load_breast_cancer

from explain import TabularExplainer, save_explanation
from explain._cli import main
from tests._processes import printed_url

pytest.importorskip("dash")


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A saved explanation of 120 rows, the rows with their label as CSV, and the model."""
    folder = tmp_path_factory.mktemp("cli")
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1).fit(X, y)
    rows = X.iloc[:120]
    explanation = TabularExplainer(model, X.iloc[:50]).explain_global(rows)
    paths = {"explanation": folder / "explanation.npz", "data": folder / "rows.csv",
             "short": folder / "short.csv", "model": folder / "model.joblib"}
    save_explanation(explanation, paths["explanation"])
    rows.assign(label=y.iloc[:120].to_numpy()).to_csv(paths["data"], index=False)
    rows.iloc[:100].to_csv(paths["short"], index=False)
    joblib.dump(model, paths["model"])
    return paths


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


def _layout_ids(url: str) -> str:
    with urllib.request.urlopen(url + "_dash-layout", timeout=30) as response:
        return json.dumps(json.loads(response.read()))


def test_serves_the_saved_explanation_with_rows_labels_and_model(saved: dict[str, Path]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "explain", "dashboard", str(saved["explanation"]),
         "--data", str(saved["data"]), "--label", "label", "--model", str(saved["model"]), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = printed_url(process, timeout=90)
        text = _layout_ids(url)
        assert '"whatif-table"' in text and '"agg-bars"' in text and "120 rows" in text
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize(("extra", "message"), [
    (["--label", "label"], "--label needs --data"),
    (["--data", "{data}", "--label", "nosuch"], "--label 'nosuch' is not a column"),
    (["--data", "{short}"], "dataset has 100 rows"),
    (["--model", "{missing}"], "No such file"),
])
def test_bad_input_is_refused_before_serving(saved: dict[str, Path], extra: list[str], message: str) -> None:
    argv = ["dashboard", str(saved["explanation"]), "--port", "0"] + [
        a.format(data=saved["data"], short=saved["short"], missing=saved["data"].parent / "no.joblib")
        for a in extra]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code, err = _run(argv)
    assert code == 2
    assert message in err
    assert err.startswith("explain dashboard: error:") and err.count("\n") == 1
    assert "dashboard at" not in out.getvalue()


def test_missing_explanation_file(tmp_path: Path) -> None:
    code, err = _run(["dashboard", str(tmp_path / "none.npz")])
    assert code == 2 and "No such file" in err

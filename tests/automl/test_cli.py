"""The ``automl`` command line: every subcommand on tiny experiments, and its user errors.

One small breast-cancer search (``automl run --example breast_cancer --iterations 4``) is
shared by the module; the CSV and YAML inputs run their own, smaller searches in the same
storage.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl._cli import main
from automl._cli_settings import infer_task

ROOT = Path(__file__).resolve().parents[2]


def _main(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` with its stdout and stderr (usable in module-scoped fixtures)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def storage(folder: Path) -> str:
    return f"sqlite:///{folder / 'runs.db'}"


@pytest.fixture(scope="module")
def example(storage: str) -> str:
    """The output of ``automl run --example breast_cancer`` (4 iterations, 3 folds)."""
    code, out, err = _main(["run", "--example", "breast_cancer", "--iterations", "4", "--cv", "3",
                            "--storage", storage, "--quiet"])
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def mixed_csv(folder: Path) -> Path:
    """150 rows: numeric columns, a categorical column with NaN, a string label ``churned``."""
    rng = np.random.default_rng(0)
    color = rng.choice(["red", "green", "blue"], 150).astype(object)
    color[rng.random(150) < 0.15] = None
    x1 = rng.normal(size=150)
    logit = 1.5 * x1 + np.where(color == "red", 1.5, 0.0) - 0.5
    churned = np.where(rng.random(150) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame = pd.DataFrame({"x1": x1, "x2": rng.normal(size=150), "color": color, "churned": churned})
    frame.iloc[:100].to_csv(folder / "train.csv", index=False)
    frame.iloc[100:].to_csv(folder / "valid.csv", index=False)
    frame.to_csv(folder / "all.csv", index=False)
    return folder / "all.csv"


def test_run_example_prints_leaderboard_best_run_importances_and_storage(example: str, storage: str) -> None:
    assert "experiment 'breast_cancer': classification of 'target'" in example
    assert "classes: benign, malignant" in example
    assert "ranked by AUC_weighted (higher is better)" in example
    assert "Best run: breast_cancer_" in example
    assert "Raw columns (top 10 of 30)" in example
    assert "worst" in example.split("Raw columns")[1]  # a top feature of this data set
    assert "Expected value (log-odds" in example or "Expected value (probability" in example
    assert "Fidelity:" in example
    assert f"Runs stored in {storage} as experiment 'breast_cancer'" in example
    assert f"automl report breast_cancer --storage {storage}" in example


def test_runs_lists_the_experiments(example: str, storage: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "--storage", storage]) == 0
    out = capsys.readouterr().out
    assert "experiment" in out and "best score" in out
    line = next(row for row in out.splitlines() if row.startswith("breast_cancer"))
    assert "classification" in line and "AUC_weighted" in line and "breast_cancer_" in line


def test_runs_of_an_experiment_prints_every_run(example: str, storage: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "breast_cancer", "--storage", storage]) == 0
    out = capsys.readouterr().out
    assert "Leaderboard:" in out and "error" in out.splitlines()[2]
    for number in range(4):
        assert f"breast_cancer_{number} " in out


def test_explain_prints_ranked_importances_expected_values_and_fidelity(
        example: str, storage: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "breast_cancer", "--raw", "--top-k", "5", "--storage", storage]) == 0
    out = capsys.readouterr().out
    assert "(the best run)" in out and "raw columns, 100 rows" in out  # the held-out rows
    assert "Global importance (100 rows) (top 5 of 30)" in out
    assert "explained on 100 held-out rows (not used to fit the model)" in out
    assert "Per-class importance: the same for both classes" in out  # binary: one output
    assert "Expected value(s): benign: " in out and "malignant: " in out
    assert "Fidelity: " in out


def test_explain_a_run_by_number(
        example: str, storage: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "breast_cancer", "--run", "0", "--storage", storage]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Explanation of run breast_cancer_0: LogisticRegression")
    # a run's own explanation: few rows of its last fold, titled with their count, never as global
    rows = int(re.search(r"engineered features, (\d+) rows", out).group(1))
    assert rows < 100 and f"Mean |contribution| over {rows} row" in out and "(too few rows" in out
    assert "Global importance" not in out
    assert f"explained on {rows} rows of the run's last cross-validation fold (not used to fit it)" in out


def test_report_writes_html_and_csvs_and_prints_their_paths(
        example: str, storage: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "out" / "report.html"
    assert main(["report", "breast_cancer", "--output", str(output), "--storage", storage]) == 0
    out = capsys.readouterr().out
    assert f"Report: {output.resolve()}" in out
    for name in ("leaderboard", "importance_raw", "importance_engineered", "per_class_raw"):
        assert (tmp_path / "out" / f"report_{name}.csv").is_file()
        assert f"report_{name}.csv" in out
    assert "<script src=\"http" not in output.read_text()


def test_report_default_path_is_named_after_the_experiment(
        example: str, storage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert _main(["report", "breast_cancer", "--storage", storage])[0] == 0
    assert (tmp_path / "automl_report_breast_cancer.html").is_file()


def test_run_csv_with_string_label_and_categorical_nan_infers_classification(
        mixed_csv: Path, storage: str) -> None:
    code, out, err = _main(["run", "--data", str(mixed_csv), "--label", "churned", "--iterations", "3",
                            "--cv", "3", "--seed", "0", "--storage", storage, "--quiet"])
    assert code == 0, err
    assert "task classification inferred: the label 'churned' is not numeric" in out
    assert "experiment 'all'" in out and "classes: no, yes" in out
    raw = out.split("Raw columns")[1].split("Engineered features")[0]
    engineered = out.split("Engineered features")[1]
    assert "color" in raw and "color_" not in raw
    assert "color_" in engineered  # one-hot columns, among them the missing-value one


def test_run_yaml_config_with_validation_data_and_flag_overrides(
        mixed_csv: Path, folder: Path, storage: str) -> None:
    config = folder / "churn.yaml"
    config.write_text("data: train.csv\nvalidation_data: valid.csv\nlabel_column_name: churned\n"
                      "task: classification\niterations: 5\nallowed_models: [LogisticRegression]\n"
                      "primary_metric: AUC_weighted\nrandom_state: 0\n")
    code, out, err = _main(["run", str(config), "--iterations", "2", "--storage", storage, "--quiet"])
    assert code == 0, err
    assert "experiment 'churn'" in out and "up to 2 runs" in out
    assert "scored on the validation data" in out and "(100 rows x 3 columns" in out
    assert "LogisticRegression" in out


def test_run_again_resumes_the_experiment(example: str, storage: str) -> None:
    code, out, _ = _main(["run", "--example", "breast_cancer", "--iterations", "4", "--cv", "3",
                          "--storage", storage, "--quiet"])
    assert code == 0
    assert "resuming: the experiment already has" in out


def test_run_on_a_changed_csv_is_refused_unless_overwrite(mixed_csv: Path, folder: Path, storage: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.read_csv(mixed_csv).iloc[:90]
    changing = folder / "changing.csv"
    frame.to_csv(changing, index=False)
    argv = ["run", "--data", str(changing), "--label", "churned", "--iterations", "2", "--cv", "3",
            "--seed", "0", "--storage", storage, "--quiet"]
    assert _main(argv)[0] == 0
    frame.assign(churned=frame["churned"].iloc[::-1].to_numpy()).to_csv(changing, index=False)
    capsys.readouterr()
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "experiment 'changing' in" in error and "training data labels differ" in error
    assert "automl run --overwrite" in error
    code, _, err = _main([*argv, "--overwrite"])
    assert code == 0, err


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "--data", "missing.csv", "--label", "y"], r"No such file or directory: missing\.csv"),
    (["run", "--data", "{csv}", "--label", "nope"], r"label column 'nope' is not a column of .*'color'"),
    (["run", "--data", "{csv}", "--label", "churned", "--metric", "nope"], r"primary_metric 'nope'"),
    (["run", "--data", "{csv}", "--label", "churned", "--metric", "r2_score"], r"it is a regression metric"),
    (["run", "--data", "{csv}"], r"pass --label COLUMN"),
    (["run", "--storage", "{storage}"], r"give one of --data train\.csv, CONFIG\.yaml or --example"),
    (["run", "{yaml}"], r"unknown keys \['colour'\]"),
    (["explain", "nope", "--storage", "{storage}"], r"no experiment 'nope' in .*'breast_cancer'"),
    (["runs", "nope", "--storage", "{storage}"], r"no experiment 'nope'"),
    (["report", "nope", "--storage", "{storage}"], r"no experiment 'nope'"),
    (["explain", "breast_cancer", "--run", "99", "--storage", "{storage}"], r"has no run '99'"),
    (["explain", "breast_cancer", "--top-k", "0", "--storage", "{storage}"], r"--top-k must be a positive"),
    (["runs", "--storage", "sqlite:///{folder}/none.db"], r"no experiment database .*none\.db"),
])
def test_bad_input_exits_2_with_one_line_naming_the_problem(
        argv: list[str], message: str, example: str, storage: str, mixed_csv: Path, folder: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    bad_yaml = folder / "bad.yaml"
    bad_yaml.write_text("data: all.csv\nlabel_column_name: churned\ncolour: red\n")
    argv = [a.format(csv=mixed_csv, storage=storage, yaml=bad_yaml, folder=folder) for a in argv]
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"automl {argv[0]}: error: ")
    assert "Traceback" not in captured.err
    assert re.search(message, lines[0]), lines[0]
    assert not (folder / "none.db").exists()  # reading never creates a database


def test_bad_usage_exits_2_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["run", "--iterations", "many"]) == 2
    assert main(["run", "--example", "iris"]) == 2
    err = capsys.readouterr().err
    assert "invalid int value: 'many'" in err and "invalid choice: 'iris'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("values", "task"), [
    (["a", "b", "a"], "classification"),
    ([0, 1, 1, 0], "classification"),
    ([1.0, 2.0, 3.0, np.nan], "classification"),
    ([True, False], "classification"),
    (list(range(25)), "regression"),
    ([0.5, 1.5, 2.5], "regression"),
])
def test_task_inference(values: list[object], task: str) -> None:
    assert infer_task(pd.Series(values, name="y"))[0] == task


def test_python_dash_m_automl_in_a_subprocess(example: str, storage: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "automl", "runs", "--storage", storage],
                          capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert "breast_cancer" in done.stdout and "AUC_weighted" in done.stdout


@pytest.mark.parametrize(("n_rows", "words"), [
    (500, "5-fold cross-validated"),
    (110_000, "scored on one validation split (a large table"),
])
def test_the_header_says_how_runs_will_be_scored(n_rows: int, words: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from automl._cli import _print_header
    from automl._config import AutoMLConfig

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=n_rows)})
    config = AutoMLConfig("regression", X=X, y=X["a"].to_numpy() + rng.normal(size=n_rows),
                          experiment_timeout_minutes=1)
    _print_header(config, "train.csv", [], 0)
    assert words in capsys.readouterr().out

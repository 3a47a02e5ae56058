from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from explain import DirectoryRun, Explanation, ExplanationClient
from explain.dashboard import ExperimentRun, Leaderboard, leaderboard_from_runs
from explain.dashboard._runs import MAX_RUNS, TOP_FEATURES


@dataclass
class FakeRun:
    """A run satisfying the ``ExperimentRun`` protocol, its explanations stored in a folder."""

    id: str
    estimator: str
    status: str
    score: float | None
    folder: Path

    def get_explanation_client(self) -> ExplanationClient:
        return ExplanationClient.from_run(DirectoryRun(self.folder))


def raw_explanation(values: dict[str, float], method: str = "shap.tree") -> Explanation:
    return Explanation(method=method, model_task="regression", features=list(values),
                       global_values=np.array(list(values.values())), is_raw=True)


def make_run(tmp_path: Path, run_id: str, score: float | None, values: dict[str, float] | None = None,
             status: str = "Completed", method: str = "shap.tree") -> FakeRun:
    run = FakeRun(run_id, f"est-{run_id}", status, score, tmp_path / run_id)
    if values is not None:
        run.get_explanation_client().upload_model_explanation(raw_explanation(values, method))
    else:
        run.folder.mkdir(parents=True)
    return run


def label(run_id: str) -> str:
    """How the leaderboard names a run of ``make_run``."""
    return f"{run_id} (est-{run_id})"


def test_fake_run_satisfies_the_protocol(tmp_path):
    run: ExperimentRun = make_run(tmp_path, "a", 0.5, {"x": 1.0})
    assert run.get_explanation_client().download_model_explanation(raw=True).features == ("x",)


def test_runs_are_ordered_best_first_when_greater_is_better(tmp_path):
    runs = [make_run(tmp_path, "mid", 0.7, {"x": 1.0}), make_run(tmp_path, "none", None),
            make_run(tmp_path, "best", 0.9, {"x": 1.0}), make_run(tmp_path, "worst", 0.5, {"x": 1.0})]
    board = leaderboard_from_runs(runs, "accuracy")
    assert isinstance(board, Leaderboard) and board.metric == "accuracy"
    assert [r["run"] for r in board.records] == ["best", "mid", "worst", "none"]
    assert [r["accuracy"] for r in board.records] == [0.9, 0.7, 0.5, None]
    assert board.runs == [label("best"), label("mid"), label("worst")]


def test_runs_are_ordered_best_first_when_lower_is_better(tmp_path):
    runs = [make_run(tmp_path, "none", None), make_run(tmp_path, "mid", 0.7, {"x": 1.0}),
            make_run(tmp_path, "best", -0.2, {"x": 1.0}), make_run(tmp_path, "worst", 1.5, {"x": 1.0})]
    board = leaderboard_from_runs(runs, "rmse", greater_is_better=False)
    assert [r["run"] for r in board.records] == ["best", "mid", "worst", "none"]
    assert board.runs == [label("best"), label("mid"), label("worst")]


def test_records_carry_the_run_and_its_explanation_method(tmp_path):
    runs = [make_run(tmp_path, "a", 0.123456789, {"x": 1.0}, method="shap.linear"),
            make_run(tmp_path, "b", 0.1, None)]
    board = leaderboard_from_runs(runs, "r2")
    assert board.records == [
        {"run": "a", "estimator": "est-a", "status": "Completed", "r2": 0.12346,
         "explanation": "shap.linear", "explained rows": None},
        {"run": "b", "estimator": "est-b", "status": "Completed", "r2": 0.1, "explanation": "",
         "explained rows": None},
    ]


def test_runs_without_explanation_or_not_completed_have_no_importance_row(tmp_path):
    runs = [make_run(tmp_path, "plain", 0.8),
            make_run(tmp_path, "failed", 0.9, {"x": 1.0}, status="Failed"),
            make_run(tmp_path, "ok", 0.7, {"x": 3.0, "y": 1.0})]
    board = leaderboard_from_runs(runs, "score")
    assert [r["run"] for r in board.records] == ["failed", "plain", "ok"]
    assert [r["explanation"] for r in board.records] == ["", "", "shap.tree"]
    assert board.runs == [label("ok")] and board.features == ["x", "y"]
    np.testing.assert_allclose(board.shares, [[0.75, 0.25]])


def test_no_explained_runs_give_an_empty_importance_table(tmp_path):
    board = leaderboard_from_runs([make_run(tmp_path, "a", 0.1)], "score")
    assert board.runs == [] and board.features == [] and board.shares.shape == (0, 0)
    assert leaderboard_from_runs([], "score").records == []


def test_shares_are_each_runs_normalized_importance_of_the_shared_features(tmp_path):
    runs = [make_run(tmp_path, "a", 0.9, {"x": 1.0, "y": 2.0, "z": 1.0}),
            make_run(tmp_path, "b", 0.8, {"x": 6.0, "w": 2.0}),
            make_run(tmp_path, "c", 0.7, {"x": 0.0, "y": 0.0})]  # all zero: shares of a total of 1
    board = leaderboard_from_runs(runs, "score")
    # mean share over runs: x = 0.25 + 0.75 = 1.0, y = 0.5, w = 0.25, z = 0.25 (order of first appearance)
    assert board.features == ["x", "y", "z", "w"]
    expected = np.array([[0.25, 0.5, 0.25, 0.0],
                         [0.75, 0.0, 0.0, 0.25],
                         [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(board.shares, expected)
    assert np.all(board.shares.sum(axis=1) <= 1 + 1e-12)


def test_features_are_capped_and_shares_then_sum_below_one(tmp_path):
    values = {f"f{i:02d}": float(i + 1) for i in range(20)}
    board = leaderboard_from_runs([make_run(tmp_path, "a", 1.0, values)], "score")
    assert len(board.features) == TOP_FEATURES
    assert board.features == [f"f{i:02d}" for i in range(19, 19 - TOP_FEATURES, -1)]
    total = sum(values.values())
    np.testing.assert_allclose(board.shares[0], [values[f] / total for f in board.features])
    assert board.shares.sum() == pytest.approx(sum(range(6, 21)) / total) and board.shares.sum() < 1


def test_at_most_max_runs_best_runs_are_read(tmp_path):
    runs = [make_run(tmp_path, f"r{i:02d}", float(i)) for i in range(MAX_RUNS + 5)]
    board = leaderboard_from_runs(runs, "score")
    assert len(board.records) == MAX_RUNS and board.records[0]["run"] == f"r{MAX_RUNS + 4:02d}"
    assert len(leaderboard_from_runs(runs, "score", max_runs=3).records) == 3


def test_a_nan_score_goes_last_and_keeps_the_order(tmp_path):
    runs = [make_run(tmp_path, "a", 0.5), make_run(tmp_path, "nan", float("nan")),
            make_run(tmp_path, "c", 0.9), make_run(tmp_path, "d", 0.7)]
    board = leaderboard_from_runs(runs, "score")
    assert [r["run"] for r in board.records] == ["c", "d", "a", "nan"]


def test_a_run_explained_on_few_rows_says_how_many(tmp_path):
    run = FakeRun("few", "est-few", "Completed", 0.8, tmp_path / "few")
    run.get_explanation_client().upload_model_explanation(Explanation.from_local(
        np.ones((1, 12, 2)), np.zeros(1), method="shap.tree", model_task="regression",
        features=["x", "y"], is_raw=True))
    board = leaderboard_from_runs([run], "score")
    assert board.runs == ["few (est-few, 12 rows)"]
    assert board.records[0]["explained rows"] == 12

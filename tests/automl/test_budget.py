"""The time budget bounds the whole fit, also on a large table."""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import optuna
import pytest

import automl._trial
from automl import AutoML, AutoMLConfig
from automl._budget import Budget
from automl._finalize import _affordable
from automl._folds import _folds_unaffordable, _row_steps, prepare
from automl._metrics import get_metric
from automl._trial import Limits, _next_fit_too_late, evaluate
from tests._synthetic import make_mixed_table

BUDGET_MINUTES = 1.0


@pytest.mark.slow
def test_a_large_table_is_searched_within_its_budget(tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    X, y = make_mixed_table("binary", n_rows=200_000)
    config = AutoMLConfig("classification", X=X, y=y, iterations=200,
                          experiment_timeout_minutes=BUDGET_MINUTES, storage=f"sqlite:///{tmp_path}/runs.db",
                          experiment_name="large", random_state=0, explain_runs=True, verbosity=logging.INFO)
    start = time.perf_counter()
    with caplog.at_level(logging.INFO, logger="automl"):
        run = AutoML(config).fit()
    wall = time.perf_counter() - start
    budget = 60 * BUDGET_MINUTES
    assert wall <= budget + max(0.05 * budget, 10.0), wall
    best, model = run.get_output()
    assert best.status == "Completed"
    fresh, labels = make_mixed_table("binary", n_rows=2000, seed=1)
    assert float(np.mean(model.predict(fresh) == labels)) > 0.8
    lines = [r.getMessage() for r in caplog.records if r.name == "automl"]
    assert any("one validation split: a large table" in line for line in lines)
    assert not any(c.estimator == "KNN" and c.status == "Completed" for c in run.get_children())


def test_row_steps_grow_four_times_from_ten_thousand() -> None:
    assert _row_steps(180_000) == [11_250, 45_000, 180_000]
    assert _row_steps(39_000) == [39_000]


def test_the_explanation_gets_a_tenth_of_the_budget_within_bounds() -> None:
    assert Budget(1.0).explain_seconds() == 6.0
    assert Budget(0.1).explain_seconds() == 3.0
    assert Budget(60.0).explain_seconds() == 60.0
    assert Budget(None).explain_seconds() == 60.0 and Budget(None).deadline is None


def _config(tmp_path: Path, n_rows: int, minutes: float | None) -> AutoMLConfig:
    X, y = make_mixed_table("binary", n_rows=n_rows)
    return AutoMLConfig("classification", X=X, y=y, iterations=2, experiment_timeout_minutes=minutes,
                        storage=f"sqlite:///{tmp_path}/runs.db", experiment_name="probe", random_state=0,
                        verbosity=logging.INFO)


def test_folds_that_would_eat_the_budget_give_way_to_one_split(tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """From 10,000 rows, featurizing the folds is timed against the seconds left: with one
    second left a 12,000-row table is validated on one split (as a large one is), and with no
    budget it is cross-validated."""
    config = _config(tmp_path, 12_000, minutes=1.0)
    rows = np.arange(11_000)
    assert _folds_unaffordable(config, config.data.X, config.data.y, rows, 0, None) is False
    with caplog.at_level(logging.INFO, logger="automl"):
        assert _folds_unaffordable(config, config.data.X, config.data.y, rows, 0, 1.0) is True
    assert any("one validation split instead" in r.getMessage() for r in caplog.records)
    assert _folds_unaffordable(config, config.data.X, config.data.y, rows[:9_999], 0, 1e-6) is False
    data = prepare(config, seconds=1.0)
    assert len(data.folds) == 1 and data.row_steps is not None
    assert len(prepare(config, seconds=1.0, one_split=False).folds) == config.n_cross_validations


def test_a_resumed_search_keeps_its_validation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first fit's choice between folds and one split is stored with the experiment; a
    resumed fit with less time left keeps it (its trials' scores stay comparable)."""
    import automl._search as search

    seen: list[bool | None] = []
    real = search.prepare

    def spy(config: AutoMLConfig, seconds: float | None = None, one_split: bool | None = None) -> object:
        seen.append(one_split)
        return real(config, seconds, one_split=one_split)

    monkeypatch.setattr(search, "prepare", spy)
    config = _config(tmp_path, 400, minutes=None)
    AutoML(config).fit()
    config = _config(tmp_path, 400, minutes=None)
    config.iterations = 3
    AutoML(config).fit()
    assert seen == [None, False]


def test_on_a_large_table_scores_are_reported_at_the_step_of_their_rows(tmp_path: Path) -> None:
    """A family's default goes straight to all rows and reports at the last step, where the
    sampled trials report their all-rows scores: the pruner compares a trial's score on a
    sample only with other scores on that sample."""
    config = _config(tmp_path, 12_000, minutes=1.0)
    data = prepare(config, seconds=1.0)
    n_train = len(data.folds[0].y_train)
    data = dataclasses.replace(data, row_steps=[n_train // 4, n_train])
    study = optuna.create_study(direction="maximize")
    metric = get_metric("AUC_weighted", "classification")
    for may_prune, steps in ((False, [1]), (True, [0, 1])):
        trial = study.ask()
        limits = Limits(may_prune=may_prune)
        evaluate(trial, "LogisticRegression", {}, data, metric, "classification", 0, limits)
        study.tell(trial, 0.0)
        assert sorted(study.trials[-1].intermediate_values) == steps


def _large(tmp_path: Path) -> tuple[object, optuna.Study, object]:
    """A prepared 12,000-row table validated on one split, with two row steps."""
    config = _config(tmp_path, 12_000, minutes=1.0)
    data = prepare(config, seconds=1.0)
    n_train = len(data.folds[0].y_train)
    data = dataclasses.replace(data, row_steps=[n_train // 4, n_train])
    return data, optuna.create_study(direction="maximize"), get_metric("AUC_weighted", "classification")


def test_a_slow_family_default_grows_its_rows_unpruned(tmp_path: Path) -> None:
    data, study, metric = _large(tmp_path)
    trial = study.ask()
    result = evaluate(trial, "ExtremeRandomTrees", {"n_estimators": 20}, data, metric, "classification", 0,
                      Limits(may_prune=False, grow_rows=True))
    study.tell(trial, result.score)
    assert sorted(study.trials[-1].intermediate_values) == [0, 1]
    assert result.fit_rows == data.row_steps[-1]  # type: ignore[attr-defined]


def test_a_trial_whose_next_fit_would_pass_the_deadline_completes_on_its_sample(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fit on all rows would not end before the deadline (extrapolated from the sample's
    fit): the trial ends with the sample's model and score, and says so."""
    data, study, metric = _large(tmp_path)
    asked: list[float] = []

    def too_late(limits: Limits, seconds: float) -> bool:
        asked.append(seconds)
        return True

    monkeypatch.setattr(automl._trial, "_next_fit_too_late", too_late)
    trial = study.ask()
    result = evaluate(trial, "RandomForest", {"n_estimators": 30}, data, metric, "classification", 0,
                      Limits(deadline=time.perf_counter() + 600, may_prune=False, grow_rows=True))
    study.tell(trial, result.score)
    assert len(asked) == 1 and asked[0] > 0  # the sample's fit time, times 4
    assert result.fit_rows == data.row_steps[0]  # type: ignore[attr-defined]
    assert 0.5 < result.score <= 1.0
    assert result.oof.shape[0] == len(data.folds[0].y_valid)  # type: ignore[attr-defined]
    assert "would not end before the search's deadline" in study.trials[-1].user_attrs["stopped_at_rows"]


def test_the_next_fit_is_too_late_only_past_a_deadline_it_must_keep() -> None:
    soon = time.perf_counter() + 5.0
    assert _next_fit_too_late(Limits(deadline=soon), 60.0)
    assert not _next_fit_too_late(Limits(deadline=soon), 0.1)
    assert not _next_fit_too_late(Limits(deadline=soon, must_finish=True), 60.0)
    assert not _next_fit_too_late(Limits(), 1e9)


def test_the_refit_reserve_scales_a_sampled_fit_to_all_rows(tmp_path: Path) -> None:
    data, study, _ = _large(tmp_path)
    n_full = len(data.y_full)  # type: ignore[attr-defined]
    quarter = data.row_steps[0]  # type: ignore[attr-defined]
    for value, seconds, rows in ((0.9, 2.0, quarter), (0.8, 1.0, None)):
        trial = study.ask()
        trial.set_user_attr("fold_fit_seconds", seconds)
        if rows is not None:
            trial.set_user_attr("fit_rows", rows)
        study.tell(trial, value)
    fold_rows = len(data.folds[0].y_train)  # type: ignore[attr-defined]
    expected = 2.0 * n_full / quarter + 1.0 * n_full / fold_rows
    assert Budget(1.0)._refit_seconds(study, data, ensemble=True) == pytest.approx(expected)  # type: ignore[arg-type]


def test_the_explanation_reserve_comes_from_what_the_runs_measured() -> None:
    data = SimpleNamespace(folds=[SimpleNamespace(y_train=np.zeros(100))], y_full=np.zeros(200),
                           explain_index=None)

    def run(setup: float | None, per_row: float | None, rows: int = 100) -> SimpleNamespace:
        attrs = {"fit_rows": rows, "explain_setup_seconds": setup, "explain_row_seconds": per_row}
        return SimpleNamespace(user_attrs={k: v for k, v in attrs.items() if v is not None})

    budget = Budget(3.0)  # 18 s at most for the best model's explanation
    cheap = run(0.01, 1e-5)  # a tree model: set-up 0.02 s on all rows, 0.05 s for 5,000 rows
    assert budget.explain_reserve([cheap], data) == 1.5  # type: ignore[list-item]  # the floor
    costly = run(0.1, 2e-4, rows=50)  # 7 x (0.1 x 4 + 1.0) = 9.8 s
    assert budget.explain_reserve([costly, cheap], data) == pytest.approx(  # type: ignore[list-item]
        7 * (0.4 + 1.0) + 7 * (0.02 + 0.05))
    assert budget.explain_reserve([run(1.0, 1e-3)], data) == 18.0  # type: ignore[list-item]  # the cap
    assert budget.explain_reserve([cheap, run(None, None)], data) == 18.0  # type: ignore[list-item]
    assert budget.explain_reserve([], data) == 18.0  # type: ignore[arg-type]
    # the held-out rows the best model is explained on, not 5,000, when there are fewer
    per_row = run(0.0, 2e-3)  # 7 x 5,000 x 2e-3 = 70 s for 5,000 rows; 7 x 334 x 2e-3 = 4.7 s
    assert budget.explain_reserve([per_row], data) == 18.0  # type: ignore[list-item]
    held_out = SimpleNamespace(**{**vars(data), "explain_index": np.arange(334)})
    assert budget.explain_reserve([per_row], held_out) == pytest.approx(7 * 334 * 2e-3)  # type: ignore[list-item]


def test_the_ensemble_blends_only_runs_whose_refits_fit_in_the_time_left() -> None:
    data = SimpleNamespace(folds=[SimpleNamespace(y_train=np.zeros(100))], y_full=np.zeros(200))

    def child(name: str, seconds: float, rows: int) -> SimpleNamespace:
        return SimpleNamespace(id=name, trial=SimpleNamespace(
            user_attrs={"fold_fit_seconds": seconds, "fit_rows": rows}))

    budget = Budget(1.0)
    budget.start = time.perf_counter() - 30.0  # 30 s left; the explanation and margin keep ~10.4 s
    runs = [child("best", 2.5, 100), child("forest on a sample", 5.0, 50), child("cheap", 4.0, 100)]
    # refits: 5 s, 20 s (a quarter of the rows), 8 s; about 19.6 s allowed
    assert [c.id for c in _affordable(runs, data, budget)] == ["best", "cheap"]  # type: ignore[arg-type]
    assert _affordable(runs, data, Budget(None)) == runs  # type: ignore[arg-type]
    budget.start = time.perf_counter() - 59.0  # nothing left: the best run is refitted regardless
    assert [c.id for c in _affordable(runs, data, budget)] == ["best"]  # type: ignore[arg-type]


def test_on_a_large_table_a_forest_or_elastic_net_default_may_be_pruned_on_its_samples(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A boosted family's default goes to all rows unpruned; a forest's default grows its rows
    and the pruner may stop it on a sample (its fits on all rows cost tens of seconds)."""
    import automl._search as search

    real_prepare, real_evaluate = search.prepare, search.evaluate

    def large(config: AutoMLConfig, seconds: float | None = None, one_split: bool | None = None) -> object:
        data = real_prepare(config, seconds, one_split=True)
        n_train = len(data.folds[0].y_train)
        return dataclasses.replace(data, row_steps=[n_train // 4, n_train])

    seen: dict[str, tuple[bool, bool]] = {}

    def spy(trial: optuna.Trial, name: str, *args: object) -> object:
        limits = args[-1]
        assert isinstance(limits, Limits)
        seen[name] = (limits.may_prune, limits.grow_rows)
        return real_evaluate(trial, name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(search, "prepare", large)
    monkeypatch.setattr(search, "evaluate", spy)
    config = _config(tmp_path, 12_000, minutes=None)
    config.models = ["LightGBM", "RandomForest"]
    AutoML(config).fit()
    assert seen == {"LightGBM": (False, False), "RandomForest": (True, True)}
    # so is the elastic net's (thousands of solver passes over every row)
    seen.clear()
    X, y = make_mixed_table("regression", n_rows=12_000)
    config = AutoMLConfig("regression", X=X, y=y, iterations=2, storage=f"sqlite:///{tmp_path}/reg.db",
                          experiment_name="net", random_state=0)
    config.models = ["LightGBM", "ElasticNet"]
    AutoML(config).fit()
    assert seen == {"LightGBM": (False, False), "ElasticNet": (True, True)}


def test_an_ensemble_keeps_a_second_for_its_refits() -> None:
    """Refits of a tenth of a second each still leave the ensemble a second (the selection and
    the search's last trial take a few tenths); one model keeps only its own refit."""
    data = SimpleNamespace(folds=[SimpleNamespace(y_train=np.zeros(100))], y_full=np.zeros(100),
                           explain_index=np.arange(20))
    study = optuna.create_study(direction="maximize")
    for value in (0.9, 0.8, 0.7):
        trial = study.ask()
        trial.set_user_attr("fold_fit_seconds", 0.1)
        study.tell(trial, value)
    budget = Budget(1.0)
    end = budget.reserve(study, data, ensemble=False) - 0.1  # type: ignore[arg-type]
    assert budget.reserve(study, data, ensemble=True) == pytest.approx(end + 1.0)  # type: ignore[arg-type]

"""The stored explanation of the best model says exactly what it is: exact values of the model
(an ensemble of tree and linear members included), or a named surrogate with its agreement;
computed on rows the model was not fitted on."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import automl._finalize
from automl import AutoML, AutoMLConfig, AutoMLRun, ConfigError
from automl._finalize import EXPLAINED_ROWS, HOLDOUT
from automl._refit import fit_tail
from explain import Explanation, ExplanationClient
from tests._synthetic import make_ground_truth

SETTINGS: dict[str, Any] = {"n_cross_validations": 3, "random_state": 0, "verbosity": logging.WARNING,
                            "explain_runs": False}


def search(tmp_path: Path, name: str, task: str = "classification", **kwargs: Any) -> AutoMLRun:
    X, y = make_ground_truth("binary" if task == "classification" else "regression", n_rows=400,
                             n_features=5)
    config = AutoMLConfig(task, X=X, y=y, storage=f"sqlite:///{tmp_path}/runs.db", experiment_name=name,
                          **{**SETTINGS, **kwargs})
    return AutoML(config).fit()


def stored(run: AutoMLRun) -> Explanation:
    return ExplanationClient.from_run(run.best_child()).download_model_explanation(comment="best model",
                                                                                    raw=True)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_an_ensemble_of_tree_and_linear_members_is_explained_exactly(
        tmp_path: Path, task: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # whichever run wins on its own, make the ensemble of both families the best run
    select = automl._finalize.select_ensemble

    def best_blend(*args: Any, **kwargs: Any) -> tuple[np.ndarray, float]:
        weights, _ = select(*args, **kwargs)
        return np.full(len(weights), 1 / len(weights)), 1e9 if task == "regression" else 1.0

    monkeypatch.setattr(automl._finalize, "select_ensemble", best_blend)
    models = ["LogisticRegression", "LightGBM"] if task == "classification" else ["ElasticNet", "LightGBM"]
    run = search(tmp_path, f"blend-{task}", task, iterations=3, allowed_models=models,
                 primary_metric="AUC_weighted" if task == "classification" else "r2_score")
    best, model = run.get_output()
    assert best.estimator == "Ensemble" and {run.get_child(m).estimator for m in best.params["members"]} == \
        set(models)
    explanation = stored(run)
    rows = run.store.latest_object(run.study, best.number, EXPLAINED_ROWS)["X"]
    ensemble = model[-1]
    features = model[:-1].transform(rows)
    if task == "classification":
        log_odds = ensemble.decision_function(features)
        np.testing.assert_allclose(ensemble.predict_proba(features)[:, 1], 1 / (1 + np.exp(-log_odds)))
        output = np.vstack([-log_odds, log_odds])
    else:
        output = ensemble.predict(features)[None, :]
    for values in (explanation, explanation.engineered_explanation):
        error = np.abs(values.local_values.sum(axis=2) + values.expected_values_[:, None] - output).max()
        assert error < 1e-6
        assert values.method == "blend" and values.fidelity.exact
        assert values.fidelity.summary().startswith("exact SHAP values of the model (additivity error")
        assert values.output_space == ("log_odds" if task == "classification" else "raw")


def test_a_surrogate_explanation_names_the_surrogate_and_never_says_exact(tmp_path: Path) -> None:
    run = search(tmp_path, "knn", iterations=2, allowed_models=["KNN"], ensemble=False)
    explanation = stored(run)
    fidelity = explanation.fidelity
    assert fidelity.is_surrogate and fidelity.surrogate_model == "LightGBM"
    summary = fidelity.summary()
    assert summary.startswith("SHAP values of a LightGBM surrogate, not of the model: it agrees with the "
                              f"model at accuracy {fidelity.surrogate_score:.3f} on ")
    assert "exact" not in summary
    assert fidelity.model_additivity_error is not None and fidelity.model_additivity_error > 0
    assert f"their sums differ from the model's own output by up to {fidelity.model_additivity_error:.2g}" \
        in summary


def test_explained_rows_are_held_out_from_the_model_and_the_background(tmp_path: Path) -> None:
    run = search(tmp_path, "rows", iterations=2, allowed_models=["LogisticRegression"], ensemble=False)
    X, y = run.training_data()
    held_out = run.store.latest_object(run.study, "experiment", HOLDOUT)
    explained = run.store.latest_object(run.study, run.best_child().number, EXPLAINED_ROWS)
    assert explained["source"] == "held-out rows (not used to fit the model)"
    pd.testing.assert_frame_equal(explained["X"], X.iloc[held_out])
    assert len(held_out) == 100  # a tenth of 400 rows, at least 100
    fitted = np.setdiff1d(np.arange(len(y)), held_out)
    assert not set(explained["X"].index) & set(X.index[fitted])
    # the stored model is the run's estimator fitted on the other rows only
    best, model = run.get_output()
    featurizer = model[0]
    refit = fit_tail(best.estimator, best.params, "classification", 0,
                     featurizer.transform(X.iloc[fitted]), y[fitted])
    np.testing.assert_allclose(model.predict_proba(X), refit.predict_proba(featurizer.transform(X)),
                               atol=1e-12)
    assert stored(run).fidelity.explained_rows == "100 held-out rows (not used to fit the model)"
    # get_model() of another run is fitted on the same rows
    other = next(c for c in run.get_children() if c.number != best.number and c.status == "Completed")
    refit_other = fit_tail(other.estimator, other.params, "classification", 0,
                           featurizer.transform(X.iloc[fitted]), y[fitted])
    np.testing.assert_allclose(other.get_model().predict_proba(X),
                               refit_other.predict_proba(featurizer.transform(X)), atol=1e-9)


@pytest.mark.parametrize("groups", ["auto", {"f0 + copy": ["f0", "copy"]}])
def test_near_duplicate_columns_are_explained_as_one_group_when_asked(tmp_path: Path, groups: Any) -> None:
    X, y = make_ground_truth("binary", n_rows=400, n_features=4)
    X["copy"] = 2 * X["f0"] + np.random.default_rng(0).normal(scale=1e-3, size=len(X))
    config = AutoMLConfig("classification", X=X, y=y, storage=f"sqlite:///{tmp_path}/runs.db",
                          experiment_name="groups", iterations=2, allowed_models=["LightGBM"], ensemble=False,
                          feature_groups=groups, **SETTINGS)
    run = AutoML(config).fit()
    grouped = stored(run)
    per_column = ExplanationClient.from_run(run.best_child()).download_model_explanation(
        comment="best model, per column", raw=True)
    assert "f0 + copy" in grouped.features and "f0" not in grouped.features and "f0" in per_column.features
    i, (a, b) = grouped.features.index("f0 + copy"), (per_column.features.index(c) for c in ("f0", "copy"))
    np.testing.assert_allclose(grouped.local_values[:, :, i], per_column.local_values[:, :, a]
                               + per_column.local_values[:, :, b], atol=1e-12)
    np.testing.assert_allclose(grouped.local_values.sum(axis=2), per_column.local_values.sum(axis=2),
                               atol=1e-9)
    assert grouped.engineered_explanation.features == per_column.engineered_explanation.features
    assert "grouped features: 'f0 + copy' = ['f0', 'copy']" in grouped.fidelity.summary()


def test_feature_groups_are_checked_against_the_columns() -> None:
    X, y = make_ground_truth("binary", n_rows=60, n_features=3)
    with pytest.raises(ConfigError, match=r"feature_groups.*'nope'"):
        AutoMLConfig("classification", X=X, y=y, feature_groups={"g": ["f0", "nope"]})
    with pytest.raises(ConfigError, match="feature_groups must be None, 'auto' or a mapping"):
        AutoMLConfig("classification", X=X, y=y, feature_groups=["f0"])


def test_a_costly_explanation_covers_a_sample_of_the_held_out_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(automl._finalize, "EXPLAIN_SECONDS", 1e-9)  # as if each row cost seconds
    monkeypatch.setattr(automl._finalize, "PROBE_ROWS", 40)
    monkeypatch.setattr(automl._finalize, "MIN_EXPLAINED_ROWS", 40)
    run = search(tmp_path, "sampled", iterations=1, allowed_models=["LightGBM"], ensemble=False)
    explanation = stored(run)
    assert explanation.num_examples == 40
    assert explanation.fidelity.explained_rows == \
        "40 held-out rows (not used to fit the model), sampled at random from 100"
    explained = run.store.latest_object(run.study, run.best_child().number, EXPLAINED_ROWS)
    held_out = run.store.latest_object(run.study, "experiment", HOLDOUT)
    X, _ = run.training_data()
    assert len(explained["X"]) == 40 and set(explained["X"].index) <= set(X.index[held_out])

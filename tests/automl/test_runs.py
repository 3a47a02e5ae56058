"""Runs read back from the storage: ``AutoMLRun`` and ``ChildRun``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline

from automl import AutoMLError, AutoMLRun, ChildRun, ConfigError, RunNotFoundError
from automl._ensemble import WeightedEnsemble, softmax
from explain import ExplanationTypeError, RunArtifacts
from explain.explainers import classifier_margins
from featurization import AutoFeaturizer
from tests.automl.test_search import shared_search


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory: pytest.TempPathFactory) -> AutoMLRun:
    return shared_search(tmp_path_factory, "binary")


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory: pytest.TempPathFactory) -> AutoMLRun:
    return shared_search(tmp_path_factory, "regression")


@pytest.fixture(scope="module")
def nan_run(tmp_path_factory: pytest.TempPathFactory) -> AutoMLRun:
    return shared_search(tmp_path_factory, "nan_off")


def test_load_reattaches_to_a_stored_experiment(binary_run: AutoMLRun) -> None:
    again = AutoMLRun.load("binary", binary_run.store.url, binary_run.store.artifact_path)
    assert [c.id for c in again.get_children()] == [c.id for c in binary_run.get_children()]
    assert again.best_child().id == binary_run.best_child().id
    assert again.task == "classification" and again.primary_metric == "AUC_weighted"
    assert repr(again) == f"AutoMLRun('binary', {len(again.get_children())} runs, " \
        f"{sum(c.status == 'Completed' for c in again.get_children())} completed)"


def test_load_of_an_unknown_experiment_names_the_known_ones(binary_run: AutoMLRun) -> None:
    with pytest.raises(RunNotFoundError, match=r"no experiment 'nope' in .*experiments there: \['binary'\]"):
        AutoMLRun.load("nope", binary_run.store.url)


def test_settings_are_stored_as_json(binary_run: AutoMLRun) -> None:
    settings = binary_run.settings
    assert json.loads(json.dumps(settings)) == settings
    X, y = binary_run.training_data()
    assert settings["features"] == list(X.columns) and "churn" not in X.columns
    assert settings["label_column_name"] == "churn" and settings["random_state"] == 0
    assert len(X) == len(y) == 300 and set(y) == {"no", "yes"}


def test_get_child_by_id_or_number(binary_run: AutoMLRun) -> None:
    child = binary_run.get_child(2)
    assert binary_run.get_child("binary_2").trial.number == child.number == 2
    assert binary_run.get_child("2").id == "binary_2"
    with pytest.raises(RunNotFoundError, match="has no run 'binary_99'"):
        binary_run.get_child("binary_99")


def test_child_run_properties(binary_run: AutoMLRun) -> None:
    child = binary_run.get_child(1)
    assert child.estimator == "LightGBM" and child.status == "Completed"
    assert child.params["num_leaves"] == 31  # the enqueued defaults
    assert not any(k.startswith("LightGBM__") or k == "estimator" for k in child.params)
    assert child.error is None
    assert repr(child) == f"ChildRun(id='binary_1', LightGBM, Completed, AUC_weighted={child.score:.4f})"
    assert isinstance(child, RunArtifacts)


def test_best_child_by_another_metric(binary_run: AutoMLRun) -> None:
    completed = [c for c in binary_run.get_children() if c.status == "Completed"]
    by_loss = binary_run.best_child("log_loss")
    assert by_loss.metrics["log_loss"] == min(c.metrics["log_loss"] for c in completed)
    by_accuracy = binary_run.best_child("accuracy")
    assert by_accuracy.metrics["accuracy"] == max(c.metrics["accuracy"] for c in completed)
    # scikit-learn's names resolve to the stored ones
    assert binary_run.best_child("roc_auc").id == binary_run.best_child().id
    assert binary_run.best_child("neg_log_loss").id == by_loss.id
    with pytest.raises(ConfigError, match="'r2_score' is not a classification metric"):
        binary_run.best_child("r2_score")


def test_get_model_of_a_run_that_is_not_the_best(regression_run: AutoMLRun) -> None:
    X, y = regression_run.training_data()
    child = next(c for c in regression_run.get_children()
                 if c.status == "Completed" and c.estimator == "LightGBM")
    model = child.get_model()
    assert isinstance(model, Pipeline) and isinstance(model[0], AutoFeaturizer)
    assert type(model[-1]).__name__ == "LGBMRegressor"
    assert model[-1].get_params()["num_leaves"] == child.params["num_leaves"]
    np.testing.assert_allclose(model.predict(X), child.get_model().predict(X))  # stored, reloaded
    assert np.corrcoef(model.predict(X), y)[0, 1] > 0.5


def test_the_ensemble_model_blends_its_members(binary_run: AutoMLRun) -> None:
    ensemble = next(c for c in binary_run.get_children() if c.estimator == "Ensemble")
    X, _ = binary_run.training_data()
    model = ensemble.get_model()
    blend = model[-1]
    assert isinstance(blend, WeightedEnsemble) and is_classifier(blend)
    np.testing.assert_allclose(blend.weights, ensemble.params["weights"], atol=1e-4)
    # each member is its run's estimator, refitted on the featurized training data
    members = [binary_run.get_child(n) for n in ensemble.params["members"]]
    for member, fitted in zip(members, blend.members, strict=True):
        estimator = fitted[-1] if isinstance(fitted, Pipeline) else fitted
        assert {k: estimator.get_params()[k] for k in member.params} == member.params
    features = model[0].transform(X)
    margins = sum(w * classifier_margins(m, features, native)
                  for w, m, native in zip(blend.weights, blend.members, blend.native_margins_, strict=True))
    np.testing.assert_allclose(model.predict_proba(X), softmax(margins), atol=1e-12)
    assert ensemble.trial.user_attrs["combine"] == "margin"
    assert list(model.classes_) == ["no", "yes"]


def test_failed_runs_have_no_model(nan_run: AutoMLRun) -> None:
    failed = next(c for c in nan_run.get_children() if c.status == "Failed")
    assert failed.score is None and failed.metrics == {}
    assert repr(failed) == f"ChildRun(id='{failed.id}', LogisticRegression, Failed)"
    with pytest.raises(AutoMLError, match=f"run {failed.id} is Failed; only completed runs have a model"):
        failed.get_model()


def test_the_parent_run_is_not_a_run_with_files(binary_run: AutoMLRun) -> None:
    from explain import ExplanationClient

    with pytest.raises(ExplanationTypeError, match="AutoMLRun does not"):
        ExplanationClient.from_run(binary_run)  # type: ignore[arg-type]
    assert isinstance(binary_run.best_child(), ChildRun)

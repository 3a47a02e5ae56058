"""``ExplanationClient`` over AutoML's child runs and over ``explain.DirectoryRun``.

The same contract runs against both kinds of run: a child run stores files in the
experiment's Optuna artifact store, a directory run in a folder.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna
import pytest

from automl import AutoMLRun, ChildRun
from automl._store import ExperimentStore
from explain import (
    DirectoryRun,
    Explanation,
    ExplanationClient,
    ExplanationTypeError,
    ExplanationValueError,
    RunArtifacts,
)
from tests.automl.test_search import shared_search


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> AutoMLRun:
    return shared_search(tmp_path_factory, "binary")


@pytest.fixture(scope="module")
def explanation(search: AutoMLRun) -> Explanation:
    """A raw explanation with its engineered one inside, from the search's best run."""
    return ExplanationClient.from_run(search.best_child()).download_model_explanation(raw=True)


def empty_child_run(tmp_path: Any, name: str = "client") -> ChildRun:
    """A child run of a fresh experiment, with no file yet."""
    store = ExperimentStore(f"sqlite:///{tmp_path}/runs.db")
    study = optuna.create_study(study_name=name, storage=store.storage)
    study.add_trial(optuna.trial.create_trial(value=1.0, user_attrs={"estimator": "LightGBM"}))
    parent = AutoMLRun(store, study)
    return parent.get_children()[0]


@pytest.fixture(params=["child run", "directory run"])
def run(request: pytest.FixtureRequest, tmp_path: Any) -> RunArtifacts:
    if request.param == "child run":
        return empty_child_run(tmp_path)
    return DirectoryRun(tmp_path / "run")


def assert_same(a: Explanation, b: Explanation) -> None:
    assert (a.features, a.classes, a.method, a.model_task, a.is_raw, a.output_space) == \
        (b.features, b.classes, b.method, b.model_task, b.is_raw, b.output_space)
    np.testing.assert_array_equal(a.local_values, b.local_values)
    np.testing.assert_array_equal(a.global_values, b.global_values)
    np.testing.assert_array_equal(a.expected_values_, b.expected_values_)
    assert a.fidelity.scalars() == b.fidelity.scalars()


# ---------------------------------------------------------------------- the contract, on both runs
def test_upload_then_download_round_trips(run: RunArtifacts, explanation: Explanation) -> None:
    client = ExplanationClient.from_run(run)
    explanation_id = client.upload_model_explanation(explanation, comment="mine")
    loaded = client.download_model_explanation(explanation_id)
    assert_same(loaded, explanation)
    assert_same(loaded.engineered_explanation, explanation.engineered_explanation)
    assert loaded.feature_map is not None


def test_list_describes_each_explanation(run: RunArtifacts, explanation: Explanation) -> None:
    client = ExplanationClient.from_run(run)
    assert client.list_model_explanations() == []
    explanation_id = client.upload_model_explanation(explanation, comment="mine")
    [meta] = client.list_model_explanations()
    assert meta["id"] == explanation_id and meta["comment"] == "mine"
    assert meta["raw"] is True and meta["engineered"] is True and meta["top_k"] is None
    assert (meta["method"], meta["model_task"]) == (explanation.method, "classification")
    assert (meta["num_features"], meta["num_examples"]) == (8, explanation.num_examples)
    names = sorted(item["name"] for item in run.list_files())
    assert names == [f"explanation-{explanation_id}.json", f"explanation-{explanation_id}.npz"]


def test_filters_by_comment_raw_and_engineered(run: RunArtifacts, explanation: Explanation) -> None:
    client = ExplanationClient.from_run(run)
    raw_id = client.upload_model_explanation(explanation, comment="raw")
    engineered_id = client.upload_model_explanation(explanation.engineered_explanation, comment="engineered")
    assert [m["id"] for m in client.list_model_explanations(comment="raw")] == [raw_id]
    assert [m["id"] for m in client.list_model_explanations(raw=True)] == [raw_id]
    # a raw explanation carries its engineered one: both answer raw=False / engineered=True
    assert [m["id"] for m in client.list_model_explanations(raw=False)] == [raw_id, engineered_id]
    assert [m["id"] for m in client.list_model_explanations(engineered=True)] == [raw_id, engineered_id]
    assert client.list_model_explanations(comment="other") == []
    # without an id: the newest match (the engineered one, uploaded last)
    newest = client.download_model_explanation()
    assert not newest.is_raw and list(newest.features) == list(explanation.engineered_explanation.features)
    assert client.download_model_explanation(raw=True).is_raw
    assert_same(client.download_model_explanation(comment="raw", engineered=True),
                explanation.engineered_explanation)


def test_top_k_on_upload_and_on_download(run: RunArtifacts, explanation: Explanation) -> None:
    client = ExplanationClient.from_run(run)
    explanation_id = client.upload_model_explanation(explanation, top_k=3, comment="top")
    [meta] = client.list_model_explanations()
    assert meta["top_k"] == 3 and meta["num_features"] == 3
    stored = client.download_model_explanation(explanation_id)
    assert list(stored.features) == explanation.get_ranked_global_names(3)
    assert stored.local_values.shape == (2, explanation.num_examples, 3)
    assert stored.engineered_explanation.num_features == 3
    top = client.download_model_explanation(explanation_id, top_k=2)
    assert list(top.features) == explanation.get_ranked_global_names(2)


def test_errors(run: RunArtifacts, explanation: Explanation) -> None:
    client = ExplanationClient.from_run(run)
    with pytest.raises(ExplanationValueError, match="no stored explanation matches"):
        client.download_model_explanation()
    client.upload_model_explanation(explanation, comment="mine")
    with pytest.raises(ExplanationValueError, match=r"no stored explanation matches \(id='nope'"):
        client.download_model_explanation("nope")
    with pytest.raises(ExplanationValueError, match=r"no stored explanation matches .*comment='other'"):
        client.download_model_explanation(comment="other")
    with pytest.raises(ExplanationValueError, match="ask for raw or engineered, not both"):
        client.download_model_explanation(raw=True, engineered=True)
    with pytest.raises(ExplanationTypeError, match="expected an Explanation, got dict"):
        client.upload_model_explanation({"features": []})  # type: ignore[arg-type]


# ---------------------------------------------------------------------- child runs
def test_a_client_needs_a_run_with_files() -> None:
    with pytest.raises(ExplanationTypeError, match="str does not"):
        ExplanationClient.from_run("run-1")  # type: ignore[arg-type]


def test_runs_of_one_experiment_keep_their_own_explanations(tmp_path: Any,
                                                            explanation: Explanation) -> None:
    child = empty_child_run(tmp_path)
    child.parent.study.add_trial(optuna.trial.create_trial(value=2.0))
    other = child.parent.get_child(1)
    ExplanationClient.from_run(child).upload_model_explanation(explanation, comment="first run")
    assert ExplanationClient.from_run(other).list_model_explanations() == []
    assert len(child.get_explanation_client().list_model_explanations()) == 1
    # the files are artifacts of the experiment, found again from a fresh load
    again = AutoMLRun.load("client", child.parent.store.url).get_child(0)
    assert_same(again.get_explanation_client().download_model_explanation(), explanation)


def test_search_runs_have_their_explanations(search: AutoMLRun) -> None:
    best = search.best_child()
    client = best.get_explanation_client()
    comments = [m["comment"] for m in client.list_model_explanations()]
    # an ensemble is no trial: it has only the best model's explanation
    assert comments == (["best model"] if best.estimator == "Ensemble" else ["run", "best model"])
    engineered = client.download_model_explanation(engineered=True)
    assert engineered.is_engineered and engineered.num_features > 8
    for child in search.get_children():
        if child.status == "Completed" and child.estimator != "Ensemble":
            stored = child.get_explanation_client().download_model_explanation(comment="run")
            assert stored.is_raw and stored.engineered_explanation is not None
            assert 1 <= stored.num_examples <= 100 and stored.classes == ("no", "yes")

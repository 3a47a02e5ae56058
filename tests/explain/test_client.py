"""ExplanationClient's feature-space filters, as in azureml-interpret: ``raw=False`` is the
engineered explanation, ``raw=True`` the raw one, neither the newest as stored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import DirectoryRun, Explanation, ExplanationClient, ExplanationValueError, LinearExplainer


@pytest.fixture(scope="module")
def raw_explanation() -> Explanation:
    """A raw explanation carrying its engineered one, as AutoML stores them."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.normal(40, 10, 60), "city": rng.choice(["oslo", "rome"], 60)})
    y = X["age"] + 5 * (X["city"] == "rome")
    featurize = ColumnTransformer([("num", StandardScaler(), ["age"]), ("cat", OneHotEncoder(), ["city"])],
                                  sparse_threshold=0.0).fit(X)
    model = LinearRegression().fit(featurize.transform(X), y)
    explanation = LinearExplainer(model, X, transformations=featurize).explain_global(X)
    assert explanation.is_raw and explanation.engineered_explanation is not None
    return explanation


@pytest.fixture
def client(tmp_path) -> ExplanationClient:
    return ExplanationClient.from_run(DirectoryRun(tmp_path / "run"))


def test_raw_false_downloads_the_engineered_explanation(client, raw_explanation):
    """Azure's walkthrough call; it used to return the raw explanation."""
    client.upload_model_explanation(raw_explanation, comment="best model")
    engineered = client.download_model_explanation(raw=False)
    assert engineered.is_engineered
    assert engineered.features == raw_explanation.engineered_explanation.features
    np.testing.assert_array_equal(engineered.global_values,
                                  raw_explanation.engineered_explanation.global_values)
    assert client.download_model_explanation(engineered=True).features == engineered.features
    assert client.download_model_explanation(raw=True).features == ("age", "city")
    assert client.download_model_explanation(engineered=False).features == ("age", "city")
    assert client.download_model_explanation().features == ("age", "city")  # as stored


def test_filters_list_what_each_upload_offers(client, raw_explanation):
    raw_id = client.upload_model_explanation(raw_explanation, comment="both")
    engineered_id = client.upload_model_explanation(raw_explanation.engineered_explanation, comment="one")
    ids = lambda **kwargs: [m["id"] for m in client.list_model_explanations(**kwargs)]  # noqa: E731
    assert ids(raw=True) == ids(engineered=False) == [raw_id]
    assert ids(raw=False) == ids(engineered=True) == [raw_id, engineered_id]
    assert ids() == [raw_id, engineered_id]
    assert ids(raw=False, engineered=True) == [raw_id, engineered_id]
    newest = client.download_model_explanation(raw=False)
    assert not newest.is_raw and newest.features == raw_explanation.engineered_explanation.features
    assert client.download_model_explanation(raw_id, raw=False, top_k=2).num_features == 2


def test_a_raw_only_explanation_has_no_engineered_one(client, raw_explanation):
    from dataclasses import replace

    raw_only = replace(raw_explanation, engineered_explanation=None)
    client.upload_model_explanation(raw_only)
    with pytest.raises(ExplanationValueError, match=r"no stored explanation matches .*raw=False.*"
                                                    r"list_model_explanations\(\) shows what is stored"):
        client.download_model_explanation(raw=False)


@pytest.mark.parametrize(("raw", "engineered", "match"), [
    (True, True, "ask for raw or engineered, not both"),
    (False, False, "raw=False and engineered=False ask for neither feature space"),
])
def test_contradicting_filters_are_refused(client, raw, engineered, match):
    with pytest.raises(ExplanationValueError, match=match):
        client.download_model_explanation(raw=raw, engineered=engineered)
    with pytest.raises(ExplanationValueError, match=match):
        client.list_model_explanations(raw=raw, engineered=engineered)


def test_from_run_id_of_a_workspace_folder(tmp_path, raw_explanation):
    client = ExplanationClient.from_run_id(tmp_path, "experiment", "run-1")
    explanation_id = client.upload_model_explanation(raw_explanation, comment="c")
    again = ExplanationClient.from_run_id(str(tmp_path), "experiment", "run-1", datastore_name="ignored")
    assert again.list_model_explanations()[0]["id"] == explanation_id

    class Workspace:
        def get_run(self, experiment_name, run_id):
            return DirectoryRun(tmp_path / experiment_name / run_id)

    assert ExplanationClient.from_run_id(Workspace(), "experiment", "run-1").list_model_explanations()
    with pytest.raises(ValueError, match="run_id must be a non-empty name"):
        ExplanationClient.from_run_id(tmp_path, "experiment", "../x")
    with pytest.raises(TypeError, match="workspace must be a folder or have get_run"):
        ExplanationClient.from_run_id(42, "experiment", "run-1")


def test_upload_takes_azureml_interprets_arguments(client, raw_explanation):
    rows = raw_explanation.num_examples
    labels = ["a"] * rows
    explanation_id = client.upload_model_explanation(
        raw_explanation, max_num_blocks=2, block_size=10, comment="all", init_dataset_id="d1",
        model_id="model:1", true_ys=labels, visualization_points=100)
    meta = client.list_model_explanations(comment="all")[0]
    assert meta["id"] == explanation_id and meta["true_ys"] == labels
    assert meta["model_id"] == "model:1" and meta["datasets"] == {"init_dataset_id": "d1"}
    assert client.download_model_explanation(explanation_id).model_id == "model:1"
    with pytest.warns(UserWarning, match="data rows are not stored"):
        client.upload_model_explanation(raw_explanation, upload_datasets=True)
    with pytest.raises(ValueError, match=f"true_ys has 2 labels but the explanation explains {rows} rows"):
        client.upload_model_explanation(raw_explanation, true_ys=[1, 2])
    with pytest.raises(TypeError, match="model_id must be a string"):
        client.upload_model_explanation(raw_explanation, model_id=7)

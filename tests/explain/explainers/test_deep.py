"""DeepExplainer and TorchModel on small PyTorch networks trained on synthetic data."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

if os.environ.get("CI", "").lower() not in ("", "0", "false"):
    import torch  # CI installs the [deep] extra: a missing torch is a failure there
else:
    torch = pytest.importorskip("torch")

from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import StandardScaler

from explain import (
    DeepExplainer,
    ExplanationTypeError,
    ExplanationValueError,
    TabularExplainer,
    TorchModel,
)
from tests._synthetic import assert_informative_first, make_ground_truth

# SHAP's own additivity check for PyTorch DeepLIFT allows 0.01 (float32 arithmetic).
SHAP_DEEP_TOLERANCE = 1e-2


def _train(task: str, n_rows: int = 600,
           outputs: int | None = None) -> tuple[pd.DataFrame, np.ndarray, object]:
    X, y = make_ground_truth(task, n_rows=n_rows)
    torch.manual_seed(0)
    inputs = torch.tensor(X.to_numpy(), dtype=torch.float32)
    if task == "regression":
        width, target, loss = 1, torch.tensor(y, dtype=torch.float32)[:, None], torch.nn.MSELoss()
    else:
        labels, codes = np.unique(y, return_inverse=True)
        width = outputs or len(labels)
        if width == 1:
            target, loss = torch.tensor(codes, dtype=torch.float32)[:, None], torch.nn.BCEWithLogitsLoss()
        else:
            target, loss = torch.tensor(codes), torch.nn.CrossEntropyLoss()
    net = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 32), torch.nn.ReLU(), torch.nn.Linear(32, width))
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(300):
        optimizer.zero_grad()
        loss(net(inputs), target).backward()
        optimizer.step()
    return X, y, net


@pytest.fixture(scope="module", params=["regression", "binary", "multiclass"])
def trained(request: pytest.FixtureRequest) -> tuple[str, pd.DataFrame, np.ndarray, object]:
    return (request.param, *_train(request.param))


def test_true_features_rank_first_and_values_add_up(trained) -> None:
    task, X, y, net = trained
    classes = None if task == "regression" else list(np.unique(y))
    explainer = TabularExplainer(net, X, classes=classes)
    assert explainer.method == "shap.deep"
    explanation = explainer.explain_global(X.iloc[:60])
    assert_informative_first(explanation.get_ranked_global_names())
    values = explanation.local_values
    logits = net(torch.tensor(X.iloc[:60].to_numpy(), dtype=torch.float32)).detach().numpy().T
    expected = np.asarray(explanation.expected_values_)
    np.testing.assert_allclose(values.sum(axis=2) + expected[:, None], logits, atol=SHAP_DEEP_TOLERANCE)
    assert explanation.fidelity.additivity_error < SHAP_DEEP_TOLERANCE
    assert "DeepLIFT" in explanation.fidelity.summary()
    assert explanation.output_space == ("raw" if task == "regression" else "margin")
    if classes is not None:
        assert explanation.classes == tuple(classes)


def test_single_logit_binary_classifier_is_expanded_to_two_classes() -> None:
    X, _y, net = _train("binary", outputs=1)
    explanation = DeepExplainer(net, X, model_task="classification", classes=["no", "yes"]).explain_local(
        X.iloc[:20])
    values = explanation.local_values
    assert values.shape == (2, 20, 8)
    np.testing.assert_allclose(values[0], -values[1])
    logit = net(torch.tensor(X.iloc[:20].to_numpy(), dtype=torch.float32)).detach().numpy()[:, 0]
    np.testing.assert_allclose(values[1].sum(axis=1) + explanation.expected_values_[1], logit, atol=1e-2)


def test_torch_model_behaves_like_a_scikit_learn_estimator() -> None:
    X, y, net = _train("multiclass")
    model = TorchModel(net, classes=["a", "b", "c"])
    assert model.model_task == "classification"
    logits = net(torch.tensor(X.to_numpy(), dtype=torch.float32)).detach().numpy()
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X.to_numpy()), softmax, atol=1e-6)
    np.testing.assert_array_equal(model.predict(X.to_numpy()), np.array(["a", "b", "c"])[logits.argmax(1)])
    assert (model.predict(X.to_numpy()) == y).mean() > 0.9
    X_r, _y_r, regressor = _train("regression")
    wrapped = TorchModel(regressor)
    assert wrapped.model_task == "regression" and not hasattr(wrapped, "predict_proba")
    np.testing.assert_allclose(wrapped.predict(X_r.to_numpy()), regressor(
        torch.tensor(X_r.to_numpy(), dtype=torch.float32)).detach().numpy()[:, 0], atol=1e-6)


def test_raw_values_through_transformations() -> None:
    X, _y, _ = _train("regression")
    scaler = ColumnTransformer([("num", StandardScaler(), list(X.columns))]).fit(X)
    _, _, net = _train("regression")
    explanation = DeepExplainer(net, X, transformations=scaler).explain_local(X.iloc[:10])
    assert explanation.is_raw and explanation.features == tuple(X.columns)
    np.testing.assert_allclose(explanation.local_values, explanation.engineered_explanation.local_values)


@pytest.mark.parametrize(("model", "kwargs", "error", "message"), [
    ("not a module", {}, ExplanationTypeError, "needs a torch.nn.Module"),
    (None, {"nclusters": 0}, ExplanationValueError, "nclusters must be a positive integer"),
    (None, {"nsamples": 10}, ExplanationValueError, "unknown arguments"),
])
def test_bad_arguments(model, kwargs, error, message) -> None:
    X, _, net = _train("regression", n_rows=100)
    with pytest.raises(error, match=message):
        DeepExplainer(net if model is None else model, X, **kwargs)


def test_torch_model_errors() -> None:
    with pytest.raises(ExplanationTypeError, match=r"torch\.nn\.Module"):
        TorchModel("nope")
    net = torch.nn.Sequential(torch.nn.Linear(3, 2))
    with pytest.raises(ExplanationValueError, match="output must be"):
        TorchModel(net, output="scores")
    with pytest.raises(ExplanationValueError, match="model_task must be"):
        TorchModel(net, model_task="ranking")


def test_deep_scoring_explainer_matches_the_explainer(tmp_path) -> None:
    from explain.scoring import DeepScoringExplainer, ScoringExplainer, load, save

    X, y, net = _train("multiclass")
    explainer = DeepExplainer(net, X, classes=list(np.unique(y)))
    scoring = ScoringExplainer.for_explainer(explainer)
    assert isinstance(scoring, DeepScoringExplainer)
    rows = X.iloc[:15]
    np.testing.assert_allclose(scoring.explain(rows), explainer.explain_local(rows).local_importance_values)
    scored = scoring.score(rows)
    np.testing.assert_array_equal(scored.predictions, explainer.adapter_.predict(rows.to_numpy()))
    loaded = load(save(scoring, tmp_path / "deep"))
    np.testing.assert_allclose(loaded.explain(rows), scoring.explain(rows))

"""MimicExplainer on a bare torch module: wrapped as interpret-community did, outputs checked."""

from __future__ import annotations

import os

import numpy as np
import pytest

if os.environ.get("CI", "").lower() not in ("", "0", "false"):
    import torch  # CI installs the [deep] extra: a missing torch is a failure there
else:
    torch = pytest.importorskip("torch")

from explain import ExplanationValueError, MimicExplainer, TorchModel
from explain.models import LGBMExplainableModel


class _Net(torch.nn.Module):
    """One output: a sigmoid probability of the positive class, or the raw logit."""

    def __init__(self, sigmoid: bool) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)
        with torch.no_grad():
            self.linear.weight.copy_(torch.tensor([[4.0, -3.0, 0.0]]))
            self.linear.bias.zero_()
        self.sigmoid = sigmoid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.linear(x)
        return torch.sigmoid(out) if self.sigmoid else out


X = np.random.default_rng(0).normal(size=(300, 3))


def test_a_module_returning_probabilities_is_read_as_interpret_community_did() -> None:
    explainer = MimicExplainer(_Net(sigmoid=True), X, LGBMExplainableModel, model_task="classification")
    assert isinstance(explainer.model, TorchModel) and explainer.model.output == "probabilities"
    expected = (4 * X[:, 0] - 3 * X[:, 1] > 0).astype(int)
    np.testing.assert_array_equal(explainer.model.predict(X), expected)
    explanation = explainer.explain_global(X)
    assert sorted(np.argsort(-explanation.global_values)[:2]) == [0, 1]  # the features it uses


def test_a_module_returning_logits_is_refused_not_guessed() -> None:
    with pytest.raises(ExplanationValueError, match="output='logits'"):
        MimicExplainer(_Net(sigmoid=False), X, LGBMExplainableModel, model_task="classification")
    wrapped = TorchModel(_Net(sigmoid=False), model_task="classification", output="logits")
    explainer = MimicExplainer(wrapped, X, LGBMExplainableModel)
    assert explainer.model is wrapped

"""PyTorch models as scikit-learn-style estimators (``predict`` / ``predict_proba``).

``torch`` is imported only when a module is called, so this module loads without the
``[deep]`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
import sklearn.utils
from sklearn.utils.metaestimators import available_if

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._optional import require

__all__ = ["TorchModel", "is_torch_model", "wrap_module"]

# scikit-learn >= 1.6 reads estimator tags from __sklearn_tags__ (sklearn.utils.Tags); older
# versions read _estimator_type, which TorchModel has too
_SKLEARN_TAGS = hasattr(sklearn.utils, "Tags")


def is_torch_model(model: Any) -> bool:
    """Whether ``model`` is a ``torch.nn.Module`` or a :class:`TorchModel` (torch not imported)."""
    if isinstance(model, TorchModel):
        return True
    return any(cls.__module__.startswith("torch.nn") and cls.__name__ == "Module"
               for cls in type(model).__mro__)


def require_torch() -> Any:
    """``torch``, or an ImportError naming the ``[deep]`` extra."""
    return require("torch", "deep", "explaining PyTorch models")


class TorchModel:
    """A fitted PyTorch module usable where ``predict`` / ``predict_proba`` are expected.

    Parameters
    ----------
    module : torch.nn.Module
        Maps a float tensor of shape (n_rows, n_features) to (n_rows, n_outputs).
    model_task : {"unknown", "classification", "regression"}, default="unknown"
        ``"unknown"``: a classifier when the module has several outputs, else a regressor (a
        binary classifier with one logit needs ``"classification"``).
    classes : sequence, default=None
        Class labels, in output order (default ``0..k-1``).
    output : {"logits", "probabilities"}, default="logits"
        What a classifier's module returns. Logits go through a softmax (a single logit through
        a sigmoid, for a binary classifier).

    Examples
    --------
    >>> import torch  # doctest: +SKIP
    >>> model = TorchModel(torch.nn.Linear(4, 3), model_task="classification")  # doctest: +SKIP
    >>> model.predict_proba(np.zeros((2, 4))).shape  # doctest: +SKIP
    (2, 3)
    """

    def __init__(self, module: Any, model_task: str = "unknown", classes: Sequence[Any] | None = None,
                 output: str = "logits") -> None:
        if not is_torch_model(module) or isinstance(module, TorchModel):
            raise ExplanationTypeError(
                f"TorchModel: module must be a torch.nn.Module, got {type(module).__name__}.")
        if model_task not in ("unknown", "classification", "regression"):
            raise ExplanationValueError(
                f"TorchModel: model_task must be unknown, classification or regression, got {model_task!r}.")
        if output not in ("logits", "probabilities"):
            raise ExplanationValueError(
                f"TorchModel: output must be 'logits' or 'probabilities', got {output!r}.")
        self.module = module
        self.output = output
        self._classes = None if classes is None else np.asarray(list(classes))
        self.model_task = model_task if model_task != "unknown" else self._detect_task()

    def _detect_task(self) -> str:
        """A classifier when the module has several outputs (probed with one row of zeros, its
        width read off the first layer's weights), else a regressor."""
        parameter = next(iter(self.module.parameters()), None)
        if parameter is None or parameter.dim() < 2:
            raise ExplanationValueError(
                "TorchModel: cannot tell the module's input width to detect its task; pass "
                "model_task='classification' or 'regression'.")
        width = self.raw_output(np.zeros((1, int(parameter.shape[-1])))).shape[1]
        return "classification" if width > 1 else "regression"

    def raw_output(self, X: Any) -> np.ndarray:
        """The module's output as an array of shape (n_rows, n_outputs), without gradients."""
        torch = require_torch()
        dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float32)
        parameter = next(self.module.parameters(), None)
        dtype = parameter.dtype if parameter is not None else torch.float32
        self.module.eval()
        with torch.no_grad():
            out = self.module(torch.as_tensor(dense, dtype=dtype))
        array = out.detach().cpu().numpy().astype(np.float64)
        return array.reshape(len(dense), -1)

    @property
    def classes_(self) -> np.ndarray | None:
        return self._classes

    @available_if(lambda self: self.model_task == "classification")
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_rows, n_classes)."""
        out = self.raw_output(X)
        if self.output == "probabilities":
            return np.column_stack([1.0 - out[:, 0], out[:, 0]]) if out.shape[1] == 1 else out
        if out.shape[1] == 1:
            positive = 1.0 / (1.0 + np.exp(-out[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        shifted = np.exp(out - out.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (classifiers) or values (regressors), shape (n_rows,)."""
        if self.model_task == "regression":
            return self.raw_output(X)[:, 0]
        proba = self.predict_proba(X)
        labels = self._classes if self._classes is not None else np.arange(proba.shape[1])
        return labels[proba.argmax(axis=1)]

    @property
    def _estimator_type(self) -> str:
        """``"classifier"`` or ``"regressor"``, for scikit-learn < 1.6's ``is_classifier``."""
        return "classifier" if self.model_task == "classification" else "regressor"

    if _SKLEARN_TAGS:
        def __sklearn_tags__(self) -> Any:
            from sklearn.utils import Tags, TargetTags

            return Tags(estimator_type=self._estimator_type, target_tags=TargetTags(required=True))

    def __repr__(self) -> str:
        return f"TorchModel({type(self.module).__name__}, {self.model_task})"


_PROBE_ROWS = 1_000  # rows of the examples a bare module's outputs are checked on


def wrap_module(module: Any, examples: Any, model_task: str, classes: Any, caller: str) -> TorchModel:
    """A bare ``torch.nn.Module`` as interpret-community wrapped it for black-box explainers.

    interpret-community (through ml-wrappers) read a classifier module's outputs as
    probabilities (one output: the positive class's). So does this, after checking that they
    are on up to 1,000 example rows: outputs outside [0, 1], or several that do not sum to
    one per row, are logits, and the module must be wrapped as
    ``TorchModel(module, output="logits")`` (the choice is not guessed).
    """
    wrapped = TorchModel(module, model_task, classes, output="probabilities")
    if wrapped.model_task != "classification" or examples is None:
        return wrapped
    rows = examples.iloc[:_PROBE_ROWS] if hasattr(examples, "iloc") else examples[:_PROBE_ROWS]
    out = wrapped.raw_output(rows)
    tolerance = 1e-6
    in_range = bool(np.all((out >= -tolerance) & (out <= 1.0 + tolerance)))
    sums_to_one = out.shape[1] == 1 or bool(np.allclose(out.sum(axis=1), 1.0, atol=1e-4))
    if not (in_range and sums_to_one):
        raise ExplanationValueError(
            f"{caller}: the torch module {type(module).__name__} returns values that are not "
            "probabilities (interpret-community read a classifier module's outputs as "
            "probabilities); wrap it as explain.TorchModel(module, model_task='classification', "
            "output='logits') if it returns logits.")
    return wrapped

"""interpret-community's members of ``MimicExplainer`` beyond the algorithm, and its arguments.

:class:`InterpretCommunityMimic` gives :class:`~explain.MimicExplainer` the names ported code
(and interpret-community's own tests) use: ``surrogate_model``, ``classes``,
``get_surrogate_model_replication_measure`` and the private prediction helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import accuracy_score, r2_score

from explain._exceptions import ExplanationTypeError, ExplanationValueError, UnsupportedScenarioError
from explain.explainers._ic_options import warn
from explain.explainers._surrogates import ExplainableModel

__all__ = ["InterpretCommunityMimic", "check_reset_index", "surrogate_args"]


class InterpretCommunityMimic:
    """interpret-community's names on :class:`~explain.MimicExplainer`."""

    # provided by MimicExplainer
    surrogate_: Any
    adapter_: Any
    classes_: tuple[Any, ...] | None
    model_task: str
    labels_only_: bool

    if TYPE_CHECKING:  # defined by MimicExplainer and BaseExplainer
        def _evaluation_matrix(self, evaluation_examples: Any, caller: str) -> Any: ...

        def _label_positions(self, X: Any) -> np.ndarray: ...

    @property
    def surrogate_model(self) -> ExplainableModel:
        """The fitted surrogate (interpret-community's name for :attr:`surrogate_`)."""
        return self.surrogate_

    @property
    def classes(self) -> list[Any] | None:
        """The class labels, as a list (interpret-community's name for :attr:`classes_`)."""
        return None if self.classes_ is None else list(self.classes_)

    def _get_teacher_model_predictions(self, evaluation_examples: Any) -> np.ndarray:
        """The model's predictions on ``evaluation_examples`` (interpret-community's private name)."""
        X = self._evaluation_matrix(evaluation_examples, "_get_teacher_model_predictions")
        return np.asarray(self.adapter_.predict(X))

    def _get_surrogate_model_predictions(self, evaluation_examples: Any) -> np.ndarray:
        """The surrogate's predictions, as the model's labels for classifiers."""
        X = self._evaluation_matrix(evaluation_examples, "_get_surrogate_model_predictions")
        predicted = self.surrogate_.predict(X)
        if self.model_task != "classification":
            return np.asarray(predicted)
        positions = (predicted > 0).astype(int) if not self.surrogate_.classification else predicted
        labels = self.adapter_.model_classes or self.classes_ or tuple(range(int(positions.max()) + 1))
        return np.asarray(labels)[np.asarray(positions, dtype=np.int64)]

    def get_surrogate_model_replication_measure(self, training_data: Any) -> float:
        """How well the surrogate replicates the model on ``training_data``.

        Accuracy of the surrogate's predicted classes against the model's for classifiers,
        R² of its predictions against the model's for regressors (as in interpret-community).

        Raises
        ------
        UnsupportedScenarioError
            For a regression surrogate and a single row (R² needs two).
        """
        X = self._evaluation_matrix(training_data, "get_surrogate_model_replication_measure")
        if self.model_task == "regression":
            if X.shape[0] < 2:
                raise UnsupportedScenarioError(
                    "Replication measure for regression surrogate not supported because of single "
                    "instance in training data (MimicExplainer: R² needs at least two rows).")
            return float(r2_score(self.adapter_.predict_output(X)[:, 0], self.surrogate_.predict(X)))
        teacher = (self._label_positions(X) if self.labels_only_
                   else self.adapter_.predict_output(X).argmax(axis=1))
        predicted = self.surrogate_.predict(X)
        surrogate = (predicted > 0).astype(int) if not self.surrogate_.classification else predicted
        return float(accuracy_score(teacher, surrogate))



_IC_SURROGATE_ARGS = ("sparse_data", "multiclass", "classification")


def surrogate_args(args: dict[str, Any] | None) -> dict[str, Any]:
    """``explainable_model_args`` without interpret-community's surrogate options.

    ``sparse_data`` chose a sparse-friendly configuration there; the surrogates here take
    sparse data as it is. ``multiclass`` / ``classification`` are decided from the model.
    """
    if args is not None and not isinstance(args, dict):
        raise ExplanationTypeError(
            f"MimicExplainer: explainable_model_args must be a dict, got {type(args).__name__}.")
    kept = dict(args or {})
    for name in _IC_SURROGATE_ARGS:
        if kept.pop(name, None) is not None and name != "sparse_data":
            warn(f"MimicExplainer: explainable_model_args[{name!r}] is decided from the model here "
                 "(a binary classifier is mimicked on its log-odds, a multiclass one on its labels); "
                 "the value given is ignored.", stacklevel=4)
    return kept


def check_reset_index(reset_index: Any) -> str:
    """``reset_index`` as ``"ignore"``, ``"reset"`` or ``"reset_teacher"``."""
    value = getattr(reset_index, "value", reset_index)
    if isinstance(value, bool):  # interpret-community compared with "ignore": True reset the index
        value = "reset" if value else "ignore"
    if value not in ("ignore", "reset", "reset_teacher"):
        raise ExplanationValueError(
            "MimicExplainer: reset_index must be 'ignore', 'reset' or 'reset_teacher' "
            f"(explain.compat.ResetIndex), got {reset_index!r}.")
    if value == "reset_teacher":
        warn("MimicExplainer: reset_index='reset_teacher' is accepted for interpret-community's "
             "signature, but the model is called without the index here; reset_index='reset' gives "
             "it the index and explains the index as features too.", stacklevel=4)
    return str(value)

"""The rows and predictions an explainer keeps on its explanations (``init_data``, ...).

As interpret-community did, per explainer: every explanation keeps the explained rows
(``eval_data``); Kernel, Linear, Deep and Mimic keep the initialization rows
(``init_data``); Kernel, Linear, Tree and Mimic keep the model's predictions on the
explained rows (``eval_y_predicted``, and ``eval_y_predicted_proba`` for a classifier with
``predict_proba``), computed once here. Rows are kept by reference, as given (no copy).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np

from explain._datasets import ExplanationData
from explain._explanation import Explanation
from explain.explainers._adapters import _has_proba

__all__ = ["predictions_of", "with_data"]

# interpret-community's explainers that did not keep the initialization rows / predictions
_NO_INIT_DATA = ("shap.tree", "lime", "permutation_importance")
_NO_PREDICTIONS = ("shap.deep", "lime", "permutation_importance")
_BLOCK_ROWS = 2_048  # rows predicted (raw rows featurized) at a time


def with_data(explainer: Any, explanation: Explanation, evaluation_examples: Any,
              rows: Any) -> Explanation:
    """``explanation`` (and its engineered side) with the explainer's data attached.

    Parameters
    ----------
    explainer : BaseExplainer
        The explainer that made ``explanation`` (its model adapter and set-up rows).
    explanation : Explanation
        Its result.
    evaluation_examples : array-like or None
        The rows given to ``explain_*``, kept as they are.
    rows : validated matrix, raw rows (``_RawRows``) or None
        The same rows as the explainer validated them, for the predictions; ``None`` (a Dask
        collection, or no rows) computes none.
    """
    method = explainer.method
    init = None if method.startswith(_NO_INIT_DATA) else getattr(explainer, "init_rows_given_", None)
    y_pred = y_proba = None
    if rows is not None and evaluation_examples is not None and not method.startswith(_NO_PREDICTIONS):
        y_pred, y_proba = _predictions(explainer, rows)
    data = ExplanationData(init_data=init, eval_data=evaluation_examples,
                           eval_y_predicted=y_pred, eval_y_predicted_proba=y_proba)
    engineered = explanation.engineered_explanation
    if engineered is not None:
        engineered = replace(engineered, datasets=data)
        return replace(explanation, datasets=data, engineered_explanation=engineered)
    return replace(explanation, datasets=data)


def _predictions(explainer: Any, rows: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Predictions block by block, so a model's transient copies stay the size of a block."""
    frame = getattr(rows, "frame", None)
    n_rows = rows.shape[0]
    starts = range(0, n_rows, _BLOCK_ROWS)
    if frame is None:  # a validated matrix
        blocks = (rows[start:start + _BLOCK_ROWS] for start in starts)
    else:
        blocks = (explainer._evaluation_matrix(frame.iloc[start:start + _BLOCK_ROWS], rows.method)
                  for start in starts)
    return predictions_of(explainer.adapter_, blocks, n_rows)


def predictions_of(adapter: Any, chunks: Iterable[Any], n_rows: int) -> tuple[Any, Any]:
    """``(eval_y_predicted, eval_y_predicted_proba)`` of a model on blocks of validated rows.

    As interpret-community: a model's ``predict`` (and ``predict_proba`` for a classifier
    that has it); a function's output goes to the probabilities when 2-D, to the
    predictions otherwise. Each block is predicted once; the results are written into
    arrays of all ``n_rows`` rows as they come (no second copy).
    """
    is_function = adapter.is_function
    proba = not is_function and adapter.task == "classification" and _has_proba(adapter.model)
    predicted, probas = _Rows(n_rows), _Rows(n_rows)
    for block in chunks:
        if is_function:
            predicted.add(np.asarray(adapter._call("__call__", block)))
            continue
        predicted.add(np.asarray(adapter.predict(block)))
        if proba:
            probas.add(adapter.predict_output(block))
    output = predicted.result()
    if is_function and output is not None:
        return (output, None) if output.ndim == 1 else (None, output)
    return output, probas.result()


class _Rows:
    """Blocks of per-row results gathered into one array: numbers are written in place into
    an array of all rows; other values (strings of varying width) are concatenated."""

    def __init__(self, n_rows: int) -> None:
        self.n_rows, self.filled = n_rows, 0
        self.out: np.ndarray | None = None
        self.blocks: list[np.ndarray] = []

    def add(self, block: np.ndarray) -> None:
        if self.filled == 0 and not self.blocks and block.dtype.kind in "biuf":
            self.out = np.empty((self.n_rows, *block.shape[1:]), dtype=block.dtype)
        if self.out is not None and block.dtype == self.out.dtype:
            self.out[self.filled:self.filled + len(block)] = block
        else:
            if self.out is not None:  # a block of another dtype: gather the rest by concatenation
                self.blocks, self.out = [self.out[:self.filled]], None
            self.blocks.append(block)
        self.filled += len(block)

    def result(self) -> np.ndarray | None:
        if self.out is not None:
            return self.out
        return np.concatenate(self.blocks) if self.blocks else None

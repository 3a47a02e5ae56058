"""The rows an explanation was computed on and the model's predictions on them.

interpret-community kept these on its explanations (``init_data``, ``eval_data``,
``eval_y_predicted``, ``eval_y_predicted_proba``) and ported code reads them, e.g. to feed a
dashboard. :class:`ExplanationData` holds them in memory only: the rows by reference, as they
were given (no copy), and the predictions the explainer computed once. They are not written
by :func:`~explain.save_explanation` (files hold values; rows can be large or confidential).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ExplanationData", "as_list", "predictions_of"]


@dataclass(frozen=True, eq=False)
class ExplanationData:
    """Data of an explanation, as interpret-community's ``_DatasetsMixin`` kept it.

    Parameters
    ----------
    init_data : array-like, default=None
        The initialization (background) rows given to the explainer, as given.
    eval_data : array-like, default=None
        The explained (evaluation) rows, as given.
    eval_y_predicted : ndarray of shape (n_rows,), default=None
        The model's predictions on ``eval_data`` (labels for classifiers).
    eval_y_predicted_proba : ndarray of shape (n_rows, n_classes), default=None
        A classifier's probabilities on ``eval_data`` (``None`` for regression, or a
        classifier without ``predict_proba``).
    """

    init_data: Any = None
    eval_data: Any = None
    eval_y_predicted: np.ndarray | None = None
    eval_y_predicted_proba: np.ndarray | None = None


def as_list(data: Any) -> Any:
    """interpret-community's conversion: arrays and DataFrames as lists; anything else
    (sparse matrices, lists, ``None``) unchanged."""
    if isinstance(data, np.ndarray):
        return data.tolist()
    if isinstance(data, pd.DataFrame):
        return data.to_numpy().tolist()
    return data


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


def _has_proba(model: Any) -> bool:
    try:
        return callable(getattr(model, "predict_proba", None))
    except AttributeError:  # sklearn's available_if
        return False


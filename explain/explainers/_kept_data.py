"""The rows and predictions an explainer keeps on its explanations (``init_data``, ...).

As interpret-community did, per explainer: every explanation keeps the explained rows
(``eval_data``); Kernel, Linear, Deep and Mimic keep the initialization rows
(``init_data``); Kernel, Linear, Tree and Mimic keep the model's predictions on the
explained rows (``eval_y_predicted``, and ``eval_y_predicted_proba`` for a classifier with
``predict_proba``), computed once here. Rows are kept by reference, as given (no copy).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from explain._datasets import ExplanationData, predictions_of
from explain._explanation import Explanation

__all__ = ["with_data"]

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

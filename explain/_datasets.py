"""The rows an explanation was computed on and the model's predictions on them.

interpret-community kept these on its explanations (``init_data``, ``eval_data``,
``eval_y_predicted``, ``eval_y_predicted_proba``) and ported code reads them, e.g. to feed a
dashboard. :class:`ExplanationData` holds them: the rows by reference, as they were given (no
copy), and the predictions the explainer computed once. :func:`~explain.save_explanation`
writes them too (``include_data=False`` leaves them out; :mod:`explain._saved_data`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ExplanationData", "as_list"]


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
    unsaved : frozenset of str, default=frozenset()
        Fields the explanation held but its file could not store without pickle (loaded
        explanations only); reading one raises ``AttributeError`` saying so.
    """

    init_data: Any = None
    eval_data: Any = None
    eval_y_predicted: np.ndarray | None = None
    eval_y_predicted_proba: np.ndarray | None = None
    unsaved: frozenset[str] = frozenset()


def as_list(data: Any) -> Any:
    """interpret-community's conversion: arrays and DataFrames as lists; anything else
    (sparse matrices, lists, ``None``) unchanged."""
    if isinstance(data, np.ndarray):
        return data.tolist()
    if isinstance(data, pd.DataFrame):
        return data.to_numpy().tolist()
    return data

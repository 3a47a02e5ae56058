"""What-if and ICE: the dashboard's calls to the model.

Both need the model: what-if predicts and explains an edited copy of one row, ICE predicts
copies of rows with one feature swept over a grid. Edited values arrive as text from the
browser and are converted to each column's type here, with errors naming the column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from explain._exceptions import ExplanationValueError
from explain._explanation import Explanation
from explain.dashboard._data import DashboardData

__all__ = ["ICE_POINTS", "WhatIf", "unavailable_reason"]

ICE_POINTS = 30
ICE_OTHER_ROWS = 20
BACKGROUND_ROWS = 100


def unavailable_reason(data: DashboardData) -> str | None:
    """Why what-if and ICE cannot run, or ``None`` when they can."""
    if data.model is None:
        return ("What-if and ICE need the model: this dashboard shows a stored explanation only. "
                "Pass model= (and dataset=) to ExplanationDashboard, or use `automl dashboard`.")
    if data.frame is None:
        return "What-if and ICE need the explained rows: pass dataset= to ExplanationDashboard."
    return None


class WhatIf:
    """Predictions and explanations of edited rows.

    Parameters
    ----------
    data : DashboardData
        The dashboard's data, with a model and a dataset.
    explainer : object, default=None
        A fitted explainer with ``explain_local`` taking the dataset's rows; by default a
        :class:`~explain.TabularExplainer` over the model with a sample of the dataset as
        background, built on first use.
    """

    def __init__(self, data: DashboardData, explainer: Any = None) -> None:
        self.data = data
        self._explainer = explainer

    def edited_row(self, row: int, edits: dict[str, Any]) -> pd.DataFrame:
        """Row ``row`` of the dataset with ``edits`` (column -> text or value) applied."""
        frame = self.data.frame
        assert frame is not None  # guarded by unavailable_reason
        edited = frame.iloc[[row]].copy()
        for column, value in edits.items():
            if column not in edited.columns:
                raise ExplanationValueError(f"what-if: unknown column {column!r}.")
            edited[column] = [_convert(frame[column], value, column)]
        return edited

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """The model's prediction of ``rows``: the probability of each class, or the value.

        Returns
        -------
        ndarray of shape (n_rows, n_classes) for classifiers with ``predict_proba``, else (n_rows, 1)
        """
        model = self.data.model
        if self.data.proba is not None or (self.data.task == "classification"
                                           and callable(getattr(model, "predict_proba", None))):
            return np.asarray(model.predict_proba(rows), dtype=np.float64)
        return np.asarray(model.predict(rows), dtype=np.float64).reshape(len(rows), -1)

    def explain(self, rows: pd.DataFrame) -> Explanation:
        """Local explanation of ``rows`` by the dashboard's explainer."""
        return self.explainer().explain_local(rows)

    def explainer(self) -> Any:
        if self._explainer is None:
            from explain.explainers import TabularExplainer

            data = self.data
            assert data.frame is not None
            background = data.frame.iloc[data.sample(np.ones(data.n_rows, bool), BACKGROUND_ROWS)]
            self._explainer = TabularExplainer(
                data.model, background, classes=list(data.classes) if data.classes else None,
                model_task=data.task)
        return self._explainer

    def ice(self, feature: str, row: int, others: np.ndarray, output: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, bool]:
        """Predictions of ``row`` (and of ``others``) with ``feature`` swept over its range.

        Numbers are swept from their minimum to their maximum over ``ICE_POINTS`` values,
        other columns over their most frequent ``ICE_POINTS`` categories. ``output`` is the
        class whose probability is plotted (0 for regression).

        Returns
        -------
        grid, selected curve, other rows' curves (or ``None``), whether the grid is categorical
        """
        frame = self.data.frame
        assert frame is not None
        if feature not in frame.columns:
            raise ExplanationValueError(f"ICE: unknown feature {feature!r}.")
        grid, categorical = _grid(frame[feature])
        rows = np.concatenate([[row], others[others != row][:ICE_OTHER_ROWS]]).astype(int)
        copies = frame.iloc[np.repeat(rows, len(grid))].reset_index(drop=True)
        copies[feature] = np.tile(np.asarray(grid, dtype=frame[feature].dtype if not categorical
                                             else object), len(rows))
        if categorical and (isinstance(frame[feature].dtype, pd.CategoricalDtype)
                            or pd.api.types.is_bool_dtype(frame[feature])):
            copies[feature] = copies[feature].astype(frame[feature].dtype)  # models check dtypes
        predicted = self.predict(copies)[:, output].reshape(len(rows), len(grid))
        return np.asarray(grid), predicted[0], (predicted[1:] if len(rows) > 1 else None), categorical


def _grid(column: pd.Series) -> tuple[list[Any], bool]:
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=np.float64)
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            raise ExplanationValueError(f"ICE: column {column.name!r} has no finite values.")
        low, high = float(finite.min()), float(finite.max())
        if pd.api.types.is_integer_dtype(column):
            points = np.unique(np.round(np.linspace(low, high, ICE_POINTS)).astype(np.int64))
            return points.tolist(), False
        return np.linspace(low, high, ICE_POINTS).tolist(), False
    counts = column.astype(object).value_counts(dropna=True)
    return counts.index[:ICE_POINTS].tolist(), True


def _convert(column: pd.Series, value: Any, name: str) -> Any:
    """A browser's text as a value of ``column``'s type; the error names the column."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if pd.api.types.is_numeric_dtype(column):
            return np.nan
        return None
    if pd.api.types.is_bool_dtype(column):
        text = str(value).strip().lower()
        if text not in ("true", "false", "1", "0"):
            raise ExplanationValueError(f"what-if: column {name!r} takes true or false, got {value!r}.")
        return text in ("true", "1")
    if pd.api.types.is_numeric_dtype(column):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ExplanationValueError(
                f"what-if: column {name!r} is numeric; {value!r} is not a number.") from None
        if pd.api.types.is_integer_dtype(column) and number.is_integer():
            return int(number)
        return number
    return value if not isinstance(value, str) else value.strip()

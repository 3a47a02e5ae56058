"""Azure AutoML's explanation helpers: ``retrieve_model_explanation`` and ``explain_model``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from automl._explanations import explain_model_rows
from automl._runs import AutoMLRun, ChildRun
from explain import Explanation, ExplanationClient
from featurization._frames import foreign_to_pandas, is_foreign_frame

__all__ = ["explain_model", "retrieve_model_explanation", "summary_tuple"]

SummaryTuple = tuple[Any, Any, list[float], list[str], list[list[float]] | None, list[list[str]] | None]


def summary_tuple(explanation: Explanation, top_k: int | None = None) -> SummaryTuple:
    """Azure AutoML's tuple ``(shap_values, expected_values, overall_summary, overall_imp,
    per_class_summary, per_class_imp)`` of an explanation.

    ``shap_values`` are the local values (classes x rows x features for classifiers, rows x
    features for regression), ``overall_summary`` the global importances sorted descending
    and ``overall_imp`` the feature names in that order; the per-class entries are the sorted
    importances and names of each class (``None`` for regression). With ``top_k`` only the
    ``top_k`` most important features are kept.
    """
    if top_k is not None:
        explanation = explanation.top_k(top_k)
    shap_values = None
    if explanation.local_values is not None:  # the array (as Azure's tuple holds), not lists
        shap_values = (explanation.local_values if explanation.is_classification
                       else explanation.local_values[0])
    per_class_summary = per_class_imp = None
    if explanation.is_classification and explanation.per_class_values is not None:
        per_class_summary = explanation.get_ranked_per_class_values()
        per_class_imp = explanation.get_ranked_per_class_names()
    return (shap_values, explanation.expected_values, explanation.get_ranked_global_values(),
            explanation.get_ranked_global_names(), per_class_summary, per_class_imp)


def retrieve_model_explanation(child_run: AutoMLRun | ChildRun, raw: bool = False,
                               top_k: int | None = None) -> SummaryTuple:
    """The stored explanation of a run as Azure AutoML's tuple (SDK v1's signature).

    Parameters
    ----------
    child_run : AutoMLRun or ChildRun
        A child run, or the parent run (then its best child).
    raw : bool, default=False
        Raw columns (``True``) or engineered features (``False``).
    top_k : int, default=None
        Keep only the ``top_k`` most important features.
    """
    child = child_run.best_child() if isinstance(child_run, AutoMLRun) else child_run
    client = ExplanationClient.from_run(child)
    explanation = client.download_model_explanation(raw=bool(raw))
    return summary_tuple(explanation, top_k)


def explain_model(fitted_model: Any, X_train: pd.DataFrame, X_test: pd.DataFrame,
                  best_run: Any = None, features: list[str] | None = None, y_train: Any = None,
                  top_k: int | None = None, raw: bool = False) -> SummaryTuple:
    """Explain a fitted model (an AutoML pipeline or any featurization + estimator pipeline).

    Tree and linear estimators get exact SHAP through the pipeline's feature map, others a
    LightGBM surrogate trained on ``X_train``; the test rows are explained.

    Parameters
    ----------
    fitted_model : Pipeline or estimator
        The model, taking raw rows.
    X_train : DataFrame
        Training rows (background / surrogate training data); a polars DataFrame or a pyarrow
        Table too (columns matched by name).
    X_test : DataFrame
        Rows to explain (the same kinds).
    best_run : run, default=None
        As in Azure's SDK v1: a run to store the explanation with (any run
        :class:`explain.ExplanationClient` takes, e.g. a :class:`ChildRun`); it is uploaded
        whole (raw with its engineered explanation inside) with the comment ``"explain_model"``.
    features : list of str, default=None
        Raw feature names for arrays.
    y_train : array-like, default=None
        Accepted for Azure's signature; not needed (the model's own classes are used).
    top_k : int, default=None
        Keep only the ``top_k`` most important features.
    raw : bool, default=False
        Raw columns (``True``) or engineered features (``False``).
    """
    X_train, X_test = _frame(X_train, features), _frame(X_test, features)
    explanation = explain_model_rows(fitted_model, X_train, X_test)
    if best_run is not None:
        ExplanationClient.from_run(best_run).upload_model_explanation(explanation, comment="explain_model")
    if not raw and explanation.engineered_explanation is not None:
        explanation = explanation.engineered_explanation
    return summary_tuple(explanation, top_k)


def _frame(X: Any, features: list[str] | None) -> pd.DataFrame:
    if is_foreign_frame(X) and hasattr(X, "to_pandas"):  # polars / pyarrow: by name, not position
        X = foreign_to_pandas(X)
    if isinstance(X, pd.DataFrame):
        return X
    array = np.asarray(X)
    return pd.DataFrame(array, columns=features or [f"x{i}" for i in range(array.shape[1])])

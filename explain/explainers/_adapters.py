"""Model adapters: one uniform view of scikit-learn estimators, boosters and plain functions.

The adapter answers what every explainer needs to know about a model — its task, its
classes, whether it accepts missing values — and calls it, translating the model's own
errors into :class:`~explain.ModelCallError` at this boundary.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import is_classifier, is_regressor
from sklearn.pipeline import Pipeline

from explain._codes import ColumnCodes, with_dtypes
from explain._exceptions import ExplanationTypeError, ExplanationValueError, ModelCallError

__all__ = [
    "ModelAdapter", "booster_feature_names", "lightgbm_name", "model_family", "require_proba", "resolve_task",
]

TASKS = ("unknown", "classification", "regression")


_LIBRARIES = ("lightgbm", "xgboost", "sklearn")


def model_family(model: Any) -> str:
    """Return the library a model comes from: ``"lightgbm"``, ``"xgboost"``, ``"sklearn"``...

    Read from the class's module (or that of the first base class from a known library, so a
    subclass of ``XGBClassifier`` counts as XGBoost), so optional libraries are never
    imported to find out.
    """
    return library_class(model)[0]


def library_class(model: Any) -> tuple[str, str]:
    """``(library, class name)`` of the first class in the model's MRO from a known library."""
    for cls in type(model).__mro__:
        root = cls.__module__.split(".")[0]
        if root in _LIBRARIES:
            return root, cls.__name__
    return type(model).__module__.split(".")[0], type(model).__name__


def resolve_task(model: Any, model_task: str, is_function: bool,
                 probe: Callable[[], np.ndarray] | None, caller: str) -> str:
    """Decide whether ``model`` is a classifier or a regressor.

    Parameters
    ----------
    model : object
        The model or function.
    model_task : {"unknown", "classification", "regression"}
        The user's declaration; ``"unknown"`` means detect.
    is_function : bool
        Whether ``model`` is a prediction function.
    probe : callable, default=None
        Calls a function model on a few rows (for detection of functions).
    caller : str
        For error messages.
    """
    if model_task not in TASKS:
        raise ExplanationValueError(
            f"{caller}: model_task must be one of {TASKS}, got {model_task!r}."
        )
    if model_task != "unknown":
        return model_task
    if is_function:
        if probe is None:
            raise ExplanationValueError(
                f"{caller}: set model_task='classification' or 'regression' for a prediction "
                "function; without example rows its task cannot be detected."
            )
        try:
            output = np.asarray(probe())
        except Exception as exc:  # the user's function failed: report it at the boundary
            raise ModelCallError(
                f"{caller}: the prediction function raised {type(exc).__name__} on two "
                f"initialization rows: {exc}"
            ) from exc
        return "classification" if output.ndim == 2 and output.shape[1] > 1 else "regression"
    kind = _estimator_kind(model)
    if kind == "regressor":
        return "regression"
    if kind == "classifier" or _has_proba(model):
        return "classification"
    return "regression"


def _estimator_kind(model: Any) -> str | None:
    """``"classifier"``/``"regressor"`` from scikit-learn's tags, or a duck-typed model's
    ``_estimator_type``; ``None`` when neither tells."""
    if hasattr(model, "__sklearn_tags__"):
        if is_regressor(model):
            return "regressor"
        return "classifier" if is_classifier(model) else None
    kind = getattr(model, "_estimator_type", None)
    return kind if kind in ("classifier", "regressor") else None


def require_proba(adapter: ModelAdapter, caller: str, classes_given: bool = False) -> None:
    """Refuse a classifier without ``predict_proba`` where probabilities are explained
    (with interpret-community's wording too when ``classes`` were given)."""
    if adapter.task == "classification" and not adapter.is_function and not _has_proba(adapter.model):
        also = ("Classes is specified but model does not define predict_proba, only predict: "
                if classes_given else "")
        raise ExplanationValueError(
            f"{caller}: {also}explaining a classifier here needs predict_proba, and "
            f"{adapter.name} has none; use an explainer of its decision function "
            "(LinearExplainer for linear models), or calibrate it "
            "(sklearn.calibration.CalibratedClassifierCV)."
        )


def _has_proba(model: Any) -> bool:
    try:
        return callable(getattr(model, "predict_proba", None))
    except AttributeError:  # sklearn's available_if raises AttributeError on access
        return False


class ModelAdapter:
    """Uniform access to a fitted model or a prediction function.

    Parameters
    ----------
    model : estimator or callable
        A fitted model with ``predict`` (and ``predict_proba`` for classifiers), or a
        function mapping a 2-D array to predictions (``is_function=True``).
    is_function : bool
        Whether ``model`` is a function.
    task : {"classification", "regression"}
        The resolved task.
    caller : str
        Public name used in error messages.
    """

    def __init__(self, model: Any, *, is_function: bool, task: str, caller: str) -> None:
        if is_function and not callable(model):
            raise ExplanationTypeError(
                f"{caller}: is_function=True but the model is a {type(model).__name__}, "
                "not a callable."
            )
        if not is_function and not callable(getattr(model, "predict", None)):
            raise ExplanationTypeError(
                f"{caller}: the model must have a predict method (or pass a prediction function "
                f"with is_function=True); got {type(model).__name__}."
            )
        self.model = model
        self.is_function = is_function
        self.task = task
        self.caller = caller
        self.feature_names_in = _feature_names_in(model)
        self.frame_columns: list[Any] | None = None
        self.frame_dtypes: list[Any] | None = None
        self.codes: ColumnCodes | None = None
        """Text, categorical and datetime columns given as codes, decoded before each call."""

    def call_with_frames(self, frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
        """Call the model with DataFrames shaped like ``frame`` (its labels and dtypes).

        interpret-community handed a model explained on a DataFrame the rows as a DataFrame
        with the original column labels and dtypes, and ported pipelines rely on it (a first
        step that selects columns by name, or refuses arrays). Done for models that do not
        declare how they were fitted (no ``n_features_in_``): a model fitted on an array
        gets arrays, one fitted on a DataFrame gets its ``feature_names_in_`` already.
        ``columns`` are the explainer's column names, in the order of its matrices.
        """
        if self.is_function or self.frame_columns is not None or hasattr(self.model, "n_features_in_"):
            return
        by_name = {str(c): (c, dtype) for c, dtype in zip(frame.columns, frame.dtypes, strict=True)}
        if sorted(by_name) != sorted(columns):
            return
        self.frame_columns = [by_name[c][0] for c in columns]
        self.frame_dtypes = [by_name[c][1] for c in columns]

    def classes_refused(self) -> ExplanationValueError:
        """The error for ``classes`` given with a regression model (a function's 1-D output
        gets interpret-community's wording too)."""
        also = (" Classes is specified but function was predict, not predict_proba: it returns one "
                "value per row; for a classifier give its predict_proba." if self.is_function else "")
        return ExplanationValueError(f"{self.caller}: classes given for a regression model.{also}")

    @property
    def name(self) -> str:
        """The model's class name (or the function's name)."""
        if self.is_function:
            return getattr(self.model, "__name__", type(self.model).__name__)
        return type(self.model).__name__

    @property
    def model_classes(self) -> tuple[Any, ...] | None:
        """The classes the model reports (``classes_``), if any."""
        classes = getattr(self.model, "classes_", None)
        return None if classes is None else tuple(np.asarray(classes).tolist())

    @property
    def allow_nan(self) -> bool:
        """Whether the model accepts missing values.

        LightGBM, XGBoost and scikit-learn estimators whose tags allow NaN do; pipelines and
        functions are given the data and any error they raise is reported.
        """
        if self.is_function or isinstance(self.model, Pipeline):
            return True
        if model_family(self.model) in ("lightgbm", "xgboost"):
            return True
        tags = getattr(self.model, "__sklearn_tags__", None)
        if tags is None:
            return True
        return bool(tags().input_tags.allow_nan)

    def _frame(self, X: np.ndarray | sp.csr_matrix) -> Any:
        """Wrap ``X`` in a DataFrame when the model was fitted on one (it checks names)."""
        if self.codes is not None:
            return self.codes.decode_rows(X)
        if self.frame_columns is None:
            return X
        if sp.issparse(X):
            return pd.DataFrame.sparse.from_spmatrix(X, columns=self.frame_columns)
        frame = pd.DataFrame(X, columns=self.frame_columns)
        return frame if self.frame_dtypes is None else with_dtypes(frame, self.frame_dtypes)

    def _call(self, method: str, X: np.ndarray | sp.csr_matrix) -> np.ndarray:
        function = self.model if self.is_function else getattr(self.model, method, None)
        if function is None:
            raise ModelCallError(f"{self.caller}: the model {self.name} has no {method} method.")
        try:
            return np.asarray(function(self._frame(X)))
        except Exception as exc:  # translate the model's own error at the boundary
            raise ModelCallError(
                f"{self.caller}: the model {self.name} raised {type(exc).__name__} when "
                f"called ({method}) on {X.shape[0]} rows: {exc}"
            ) from exc

    def predict_output(self, X: np.ndarray | sp.csr_matrix) -> np.ndarray:
        """Model output explained by black-box methods, shape (n_rows, n_outputs).

        Probabilities for classifiers, the prediction for regressors.
        """
        if self.is_function:
            output = self._call("__call__", X)
        elif self.task == "classification":
            output = self._call("predict_proba", X)
        else:
            output = self._call("predict", X)
        output = np.asarray(output, dtype=np.float64)
        return output.reshape(-1, 1) if output.ndim == 1 else output

    def predict(self, X: np.ndarray | sp.csr_matrix) -> np.ndarray:
        """Predicted labels (classification) or values (regression), shape (n_rows,)."""
        if self.is_function:
            output = self.predict_output(X)
            if self.task == "classification":
                return output.argmax(axis=1)
            return output[:, 0]
        return self._call("predict", X)


def _feature_names_in(model: Any) -> list[str] | None:
    """The model's ``feature_names_in_`` when they are the user's names.

    LightGBM and XGBoost report sanitized names (spaces replaced), so theirs are not used.
    """
    if model_family(model) != "sklearn":
        return None
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return None
    return [str(n) for n in names]


def reads_pandas_categoricals(model: Any) -> bool:
    """Whether ``model`` was fitted on pandas categorical columns and reads their codes itself
    (a LightGBM model: its booster keeps each categorical column's categories)."""
    booster = getattr(model, "booster_", None) if model_family(model) == "lightgbm" else None
    return bool(getattr(booster, "pandas_categorical", None))  # None or [] without categoricals


def lightgbm_name(name: str) -> str:
    """A column name as LightGBM stores it (whitespace replaced by ``_``)."""
    return re.sub(r"\s", "_", name)


def booster_feature_names(model: Any) -> tuple[str, ...] | None:
    """Column names a LightGBM / XGBoost model was fitted with (``None`` if auto-generated)."""
    family = model_family(model)
    if family == "lightgbm":
        names = getattr(model, "feature_name_", None)
        if names is None or all(re.fullmatch(r"Column_\d+", str(n)) for n in names):
            return None
        return tuple(str(n) for n in names)
    if family == "xgboost" and hasattr(model, "get_booster"):
        names = model.get_booster().feature_names
        return None if names is None else tuple(str(n) for n in names)
    return None

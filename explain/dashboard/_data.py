"""The dashboard's data: the explanation(s), the rows they explain, labels and predictions.

Everything the browser may ask about is validated here, once, before a server starts: the
local importances must cover exactly the dataset's rows, feature names must match the
columns, labels the rows. The data then stays on the server; views receive cohort masks,
aggregates and samples, never the whole matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._explanation import Explanation
from explain._frames import to_pandas
from explain._labels import LabelMap, observed_classes, to_label_array
from explain.dashboard._cache import CohortCache
from explain.dashboard._cohorts import Cohort

__all__ = ["DashboardData", "DERIVED_COLUMNS"]

DERIVED_COLUMNS = ("true_y", "predicted_y", "error", "probability", "index")
PREDICT_CHUNK = 100_000
_ADDITIVE = ("shap.tree", "shap.linear", "shap.kernel")


class DashboardData:
    """Validated, server-side state of one dashboard.

    Parameters
    ----------
    explanation : Explanation
        The explanation shown; a raw one with an engineered explanation inside gives both spaces.
    model : object, default=None
        The fitted model, taking the dataset's rows (``predict``, and ``predict_proba`` for
        classifiers). Needed for model performance (unless the explanation is additive), what-if
        and ICE.
    dataset : DataFrame or array-like of shape (n_rows, n_columns), default=None
        The explained rows, in the explanation's raw space (the model's input).
    true_y : array-like of shape (n_rows,), default=None
        True labels or targets of the rows.
    classes : sequence, default=None
        Class labels; default: the explanation's, else the model's ``classes_``.
    features : sequence of str, default=None
        Column names of an array ``dataset``.
    """

    def __init__(self, explanation: Explanation, model: Any = None, dataset: Any = None,
                 true_y: Any = None, classes: Sequence[Any] | None = None,
                 features: Sequence[str] | None = None) -> None:
        if not isinstance(explanation, Explanation):
            raise ExplanationTypeError(
                f"ExplanationDashboard: explanation must be an explain.Explanation, got "
                f"{type(explanation).__name__}; load a saved one with explain.load_explanation.")
        self.spaces = _spaces(explanation)
        self.explanation = explanation
        self.task = explanation.model_task
        self.model = _check_model(model)
        self.frame = _frame(dataset, features, explanation)
        self._positional = self.frame is not None and not set(explanation.features) & set(self.frame.columns)
        self.n_rows = self._n_rows()
        self.classes = _classes(classes, explanation, model)
        self.true_y = _labels(true_y, self.n_rows)
        self.predicted_y, self.proba, self.prediction_source = self._predictions()
        self.label_names, self.true_codes, self.predicted_codes = self._label_codes(model)
        self.columns = self._filter_columns()
        self._cache = CohortCache()  # bounded LRU: filters come from the browser

    # -- construction ---------------------------------------------------------------------
    def _n_rows(self) -> int:
        local = self.explanation.local_values
        n_local = None if local is None else local.shape[1]
        if self.frame is not None and local is not None and n_local != len(self.frame):
            raise ExplanationValueError(
                f"ExplanationDashboard: the explanation's local importances have shape "
                f"{tuple(local.shape)} (outputs, rows, features) but dataset has {len(self.frame)} rows; "
                "pass the rows the explanation was computed on.")
        if self.frame is not None:
            return len(self.frame)
        return int(n_local or 0)

    def _predictions(self) -> tuple[np.ndarray | None, np.ndarray | None, str | None]:
        if self.model is not None and self.frame is not None:
            return (*_predict(self.model, self.frame, self.task, self.classes), "model")
        reconstructed = _reconstruct(self.explanation, self.classes)
        if reconstructed is None:
            return None, None, None
        return (*reconstructed, "explanation (expected value + sum of local importances)")

    def _label_codes(self, model: Any) -> tuple[list[str], np.ndarray | None, np.ndarray | None]:
        """Labels as positions in the classes, once, so cohort metrics are a confusion-matrix
        count; true and predicted labels are then shown as the classes themselves.

        True labels may be the classes, the model's own labels or positions 0..k-1, matched
        by :class:`explain._labels.LabelMap` as everywhere in the package.
        """
        if self.task != "classification" or self.true_y is None or self.predicted_y is None:
            return [], None, None
        if self.classes is not None:
            known: tuple[Any, ...] = self.classes
        elif self.proba is not None:  # predictions are positions of the probability columns
            known = tuple(range(self.proba.shape[1]))
        else:
            known = observed_classes(self.true_y, self.predicted_y)
        model_classes = getattr(model, "classes_", None) if model is not None else None
        labels = LabelMap.create(known, model_classes, caller="ExplanationDashboard")
        true_codes = labels.codes(self.true_y, argument="true_y")
        predicted_codes = labels.codes(self.predicted_y, argument="the model's predictions")
        self.true_y, self.predicted_y = labels.names(true_codes), labels.names(predicted_codes)
        return [str(c) for c in labels.classes], true_codes, predicted_codes

    def _filter_columns(self) -> dict[str, np.ndarray]:
        columns: dict[str, np.ndarray] = {}
        if self.frame is not None:
            for name in self.frame.columns:
                columns[str(name)] = self.frame[name].to_numpy()
        columns["index"] = np.arange(self.n_rows)
        if self.true_y is not None:
            columns["true_y"] = self.true_y
        if self.predicted_y is not None:
            columns["predicted_y"] = self.predicted_y
            if self.true_codes is not None and self.predicted_codes is not None:
                columns["error"] = (self.true_codes != self.predicted_codes).astype(np.int64)
            elif self.true_y is not None:  # regression: the residual
                columns["error"] = self.predicted_y.astype(np.float64) - self.true_y.astype(np.float64)
        if self.proba is not None and self.proba.shape[1] == 2:
            columns["probability"] = self.proba[:, 1]
        return columns

    # -- queries ----------------------------------------------------------------------------
    @property
    def space_names(self) -> list[str]:
        """``["raw", "engineered"]``, or the one space the explanation has."""
        return list(self.spaces)

    @property
    def has_local(self) -> bool:
        return self.explanation.local_values is not None

    def mask(self, cohort: Cohort) -> np.ndarray:
        """Boolean mask of ``cohort``'s rows (cached by filter text)."""
        return self._cache.get_or_compute(  # type: ignore[no-any-return]
            ("mask", cohort.filter.strip()), lambda: cohort.mask(self.columns, self.n_rows))

    def importance(self, space: str, cohort: Cohort, class_index: int | None) -> np.ndarray | None:
        """Mean |local importance| of ``cohort``'s rows per feature; ``None`` without locals.

        ``class_index=None`` averages over classes, as the explanation's global importance does.
        The whole data set uses the explanation's own aggregates (also when it has no locals).
        """
        explanation = self.spaces[space]
        mask = self.mask(cohort)
        if mask.all() or explanation.local_values is None:
            if not mask.all():
                return None
            if class_index is None or explanation.per_class_values is None:
                return np.asarray(explanation.global_values)
            return np.asarray(explanation.per_class_values[class_index])
        key = ("importance", space, cohort.filter.strip(), class_index)
        local = explanation.local_values
        return self._cache.get_or_compute(  # type: ignore[no-any-return]
            key, lambda: _mean_abs(local, mask, class_index))

    def cached(self, key: tuple[Any, ...], compute: Any) -> Any:
        """``compute()``, once per ``key`` (results of cohort aggregates, keyed by filter text)."""
        return self._cache.get_or_compute(key, compute)

    def sample(self, mask: np.ndarray, max_rows: int, random_state: int = 0) -> np.ndarray:
        """Sorted indices of at most ``max_rows`` rows of ``mask``, drawn without replacement."""
        rows = np.flatnonzero(mask)
        if rows.size <= max_rows:
            return rows
        return np.sort(np.random.default_rng(random_state).choice(rows, max_rows, replace=False))

    def column_for(self, space: str, feature: int) -> str | None:
        """The dataset column holding the ``feature``-th feature of ``space``, if any.

        The dataset is in the explanation's own space; when none of its column names are the
        explanation's feature names, columns are matched by position.
        """
        if self.frame is None:
            return None
        name = self.spaces[space].features[feature]
        if name in self.frame.columns:
            return name
        if space == self.space_names[0] and self._positional:
            return str(self.frame.columns[feature])
        return None

    def feature_values(self, space: str, feature: int, rows: np.ndarray) -> np.ndarray | None:
        """Values of the ``feature``-th feature of ``space`` on ``rows``; ``None`` if unknown.

        Engineered values come from the model's featurizing steps when the model is a
        pipeline; the raw dataset's own columns serve the raw space.
        """
        column = self.column_for(space, feature)
        if column is not None:
            return self.frame[column].to_numpy()[rows]  # type: ignore[index]
        engineered = self._engineered(tuple(rows.tolist())) if space == "engineered" else None
        if engineered is None:
            return None
        return np.asarray(engineered[:, feature]).ravel()

    @lru_cache(maxsize=8)  # noqa: B019 - one dashboard lives as long as its data
    def _engineered(self, rows: tuple[int, ...]) -> np.ndarray | None:
        from sklearn.pipeline import Pipeline

        if not isinstance(self.model, Pipeline) or self.frame is None or len(self.model.steps) < 2:
            return None
        values = self.model[:-1].transform(self.frame.iloc[list(rows)])
        values = values.toarray() if hasattr(values, "toarray") else np.asarray(values)
        if values.shape[1] != self.spaces["engineered"].num_features:
            return None
        return values

    def value_label(self) -> str:
        """What a prediction is, for axis titles."""
        return "predicted probability" if self.proba is not None else "predicted value"


def _mean_abs(local: np.ndarray, mask: np.ndarray, class_index: int | None) -> np.ndarray:
    """Mean |local value| of the masked rows per feature (mean over outputs when
    ``class_index`` is None), summed in chunks of rows so no cohort-sized copy is made. A
    binary explanation stored as ``[-v, v]`` reads one output: both have the same |v|."""
    outputs = list(range(local.shape[0])) if class_index is None else [class_index]
    if len(outputs) == 2 and np.array_equal(local[0, :64], -local[1, :64]):
        outputs = outputs[1:]
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return np.zeros(local.shape[2])
    step = max(1, (8 << 20) // (8 * local.shape[2]))  # about 8 MB of values per chunk
    total = np.zeros(local.shape[2])
    for k in outputs:
        for start in range(0, rows.size, step):
            total += np.abs(local[k, rows[start:start + step]]).sum(axis=0)
    return total / (rows.size * len(outputs))


def _spaces(explanation: Explanation) -> dict[str, Explanation]:
    if explanation.is_raw:
        spaces = {"raw": explanation}
        if explanation.engineered_explanation is not None:
            spaces["engineered"] = explanation.engineered_explanation
        return spaces
    return {"engineered": explanation}


def _check_model(model: Any) -> Any:
    if model is not None and not callable(getattr(model, "predict", None)):
        raise ExplanationTypeError(
            f"ExplanationDashboard: model must have a predict method, got {type(model).__name__}.")
    return model


def _frame(dataset: Any, features: Sequence[str] | None, explanation: Explanation) -> pd.DataFrame | None:
    if features is not None:
        features = [str(f) for f in features]
    dataset = to_pandas(dataset, argument="dataset", caller="ExplanationDashboard")  # polars, pyarrow
    if dataset is None:
        if features is not None and len(features) != explanation.num_features:
            raise ExplanationValueError(
                f"ExplanationDashboard: features has {len(features)} names but the explanation has "
                f"{explanation.num_features} features.")
        return None
    if isinstance(dataset, pd.DataFrame):
        frame = dataset.reset_index(drop=True)
        if features is not None and len(features) != frame.shape[1]:
            raise ExplanationValueError(
                f"ExplanationDashboard: features has {len(features)} names but dataset has "
                f"{frame.shape[1]} columns.")
        frame.columns = [str(c) for c in (features or frame.columns)]
    else:
        values = dataset.toarray() if hasattr(dataset, "toarray") else np.asarray(dataset)
        if values.ndim != 2:
            raise ExplanationValueError(
                f"ExplanationDashboard: dataset must be 2-D (rows x columns), got shape {values.shape}.")
        names = features or list(explanation.features[:values.shape[1]])
        if len(names) != values.shape[1]:
            raise ExplanationValueError(
                f"ExplanationDashboard: features has {len(names)} names but dataset has "
                f"{values.shape[1]} columns.")
        frame = pd.DataFrame(values, columns=names)
    if frame.empty:
        raise ExplanationValueError("ExplanationDashboard: dataset is empty (no rows or no columns).")
    if frame.shape[1] != explanation.num_features:
        raise ExplanationValueError(
            f"ExplanationDashboard: dataset has {frame.shape[1]} columns but the explanation has "
            f"{explanation.num_features} features; pass the rows in the explanation's "
            f"{'raw' if explanation.is_raw else 'engineered'} feature space.")
    missing = [f for f in explanation.features if f not in frame.columns]
    if missing and len(missing) < explanation.num_features:  # none matching: matched by position
        shown = ", ".join(repr(m) for m in missing[:5])
        raise ExplanationValueError(
            f"ExplanationDashboard: dataset lacks {len(missing)} of the explanation's features: {shown}.")
    return frame


def _classes(classes: Sequence[Any] | None, explanation: Explanation, model: Any) -> tuple[Any, ...] | None:
    if explanation.model_task != "classification":
        return None
    found = classes if classes is not None else explanation.classes
    if found is None and model is not None:
        found = getattr(model, "classes_", None)
    if found is None:
        return None
    found = tuple(found.tolist() if isinstance(found, np.ndarray) else found)
    local = explanation.local_values
    if local is not None and local.shape[0] > 1 and len(found) != local.shape[0]:
        raise ExplanationValueError(
            f"ExplanationDashboard: classes has {len(found)} labels but the explanation has "
            f"{local.shape[0]} classes.")
    return found


def _labels(true_y: Any, n_rows: int) -> np.ndarray | None:
    if true_y is None:
        return None
    if type(true_y).__module__.split(".")[0] in ("polars", "pyarrow"):
        true_y = to_label_array(true_y, argument="true_y", caller="ExplanationDashboard")
    labels = np.asarray(true_y.to_numpy() if hasattr(true_y, "to_numpy") else true_y)
    if labels.ndim != 1:
        labels = labels.ravel() if labels.ndim == 2 and 1 in labels.shape else labels
    if labels.ndim != 1 or labels.shape[0] != n_rows:
        raise ExplanationValueError(
            f"ExplanationDashboard: true_y has shape {np.shape(true_y)} but there are {n_rows} rows.")
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        raise ExplanationValueError("ExplanationDashboard: true_y contains NaN or infinite values.")
    return labels


def _predict(model: Any, frame: pd.DataFrame, task: str,
             classes: tuple[Any, ...] | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Predict the dataset in chunks; a model that fails is reported before the server starts."""
    predicted, proba = [], []
    has_proba = task == "classification" and callable(getattr(model, "predict_proba", None))
    try:
        for start in range(0, len(frame), PREDICT_CHUNK):
            chunk = frame.iloc[start:start + PREDICT_CHUNK]
            if has_proba:
                proba.append(np.asarray(model.predict_proba(chunk), dtype=np.float64))
            else:
                predicted.append(np.asarray(model.predict(chunk)).ravel())
    except Exception as exc:  # the user's model: report any failure at the boundary
        raise ExplanationValueError(
            f"ExplanationDashboard: the model failed to predict the dataset: {type(exc).__name__}: {exc}"
        ) from exc
    if has_proba:
        probabilities = np.concatenate(proba)
        labels = np.asarray(classes if classes is not None else getattr(model, "classes_", range(
            probabilities.shape[1])), dtype=object)
        return _native(labels[probabilities.argmax(axis=1)]), probabilities
    return np.concatenate(predicted), None


def _reconstruct(explanation: Explanation, classes: tuple[Any, ...] | None
                 ) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Predictions as expected value + sum of local values, for additive explanations only."""
    local, expected = explanation.local_values, explanation.expected_values_
    if local is None or expected is None or explanation.method not in _ADDITIVE:
        return None
    outputs = np.asarray(expected, dtype=np.float64).reshape(-1)[:, None] + local.sum(axis=2)
    if explanation.model_task != "classification":
        return outputs[0], None
    if explanation.output_space == "probability":
        proba = outputs.T
    elif outputs.shape[0] == 2 and explanation.output_space == "log_odds":
        positive = 1.0 / (1.0 + np.exp(-outputs[1]))
        proba = np.column_stack([1.0 - positive, positive])
    elif explanation.output_space in ("log_odds", "margin"):
        shifted = np.exp(outputs.T - outputs.T.max(axis=1, keepdims=True))
        proba = shifted / shifted.sum(axis=1, keepdims=True)
    else:
        return None
    labels = np.asarray(classes if classes is not None else range(proba.shape[1]), dtype=object)
    return _native(labels[proba.argmax(axis=1)]), proba


def _native(labels: np.ndarray) -> np.ndarray:
    """Object labels in the dtype NumPy gives the class labels themselves (ints stay ints,
    floats floats, strings strings)."""
    return np.asarray(labels.tolist())

"""interpret-community's view of an :class:`~explain.Explanation`: lists, ranks, ``data()``.

interpret-community's explanations return Python lists (``json.dumps`` takes them), rank
features with ``*_rank`` lists and feed interpret-core's dashboard through ``data(key)``.
:class:`InterpretCommunityViews` gives :class:`~explain.Explanation` the same members, computed
from its read-only NumPy arrays (``local_values``, ``global_values``, ``per_class_values_``,
``expected_values_``), which stay the fast way in: a list is built at each access.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from explain._datasets import ExplanationData, as_list
from explain._exceptions import ExplanationAttributeError, ExplanationValueError
from explain._ic_shape import ICView

__all__ = ["InterpretCommunityViews"]


class InterpretCommunityViews:
    """Members of interpret-community's explanation classes, for :class:`~explain.Explanation`."""

    # provided by Explanation
    features: tuple[str, ...]
    global_values: np.ndarray
    local_values: np.ndarray | None
    per_class_values_: np.ndarray | None
    expected_values_: np.ndarray | None
    classes: tuple[Any, ...] | None
    method: str
    model_task: str
    model_type: str | None
    is_raw: bool
    datasets: ExplanationData | None
    ic_view: ICView | None

    if TYPE_CHECKING:  # defined by Explanation
        @property
        def is_classification(self) -> bool: ...

        def _require_local(self, who: str) -> np.ndarray: ...

        def _keep(self, order: np.ndarray, note: str, engineered: Any) -> Any: ...

    # ------------------------------------------------------------------ values as lists
    @property
    def local_importance_values(self) -> list[Any]:
        """Signed local values as lists: [class][row][feature] for classifiers, [row][feature]
        for regression (the arrays: ``local_values``, always (outputs, rows, features))."""
        return self._local_importance_values.tolist()

    @property
    def global_importance_values(self) -> list[float]:
        """Global importance per feature, in feature order, as a list (array: ``global_values``)."""
        return self.global_values.tolist()

    @property
    def per_class_values(self) -> list[list[float]] | None:
        """Global importance per class as lists [class][feature]; ``None`` for regression
        (array: ``per_class_values_``)."""
        return None if self.per_class_values_ is None else self.per_class_values_.tolist()

    @property
    def expected_values(self) -> list[float] | None:
        """Base values, one per output, as a list (``[v]`` for regression, as in
        interpret-community; array: ``expected_values_``)."""
        return None if self.expected_values_ is None else self.expected_values_.tolist()

    # interpret-community's private arrays, which its tests and some user code read
    @property
    def _local_importance_values(self) -> np.ndarray:
        return self._ic_local(self._require_local("local_importance_values"))

    def _ic_local(self, local: np.ndarray) -> np.ndarray:
        """(outputs, rows, ...) as interpret-community nested it: [class][row] for classifiers,
        [row] for regression, without the row axis for one row given as a 1-D vector."""
        local = local if self.is_classification else local[0]
        if self.ic_view is not None and self.ic_view.single_row:
            return local[:, 0] if self.is_classification else local[0]
        return local

    @property
    def _ic_names(self) -> tuple[Any, ...]:
        """interpret-community's feature labels: integers (positions for data without column
        names, or the integers given as features), else the names."""
        if self.ic_view is not None and self.ic_view.labels is not None:
            return self.ic_view.labels
        return self.features

    @property
    def _global_importance_values(self) -> np.ndarray:
        return self.global_values

    @property
    def _per_class_values(self) -> np.ndarray | None:
        return self.per_class_values_

    @property
    def _expected_values(self) -> np.ndarray | None:
        return self.expected_values_

    # interpret-community's _DatasetsMixin: the rows explained and the model's predictions,
    # kept in memory by the explainers (``datasets``); lists as there, sparse rows as they are
    @property
    def init_data(self) -> Any:
        """The initialization (background) rows given to the explainer, as a list (``None``
        for explainers without them, e.g. TreeExplainer). An explanation not made by an
        explainer here (loaded from a file, built by hand) has none: ``AttributeError``."""
        return as_list(self._datasets("init_data").init_data)

    @property
    def eval_data(self) -> Any:
        """The explained rows, as a list (sparse rows stay sparse); see :attr:`init_data`."""
        return as_list(self._datasets("eval_data").eval_data)

    @property
    def eval_y_predicted(self) -> Any:
        """The model's predictions on ``eval_data``, as a list; see :attr:`init_data`."""
        return as_list(self._datasets("eval_y_predicted").eval_y_predicted)

    @property
    def eval_y_predicted_proba(self) -> Any:
        """A classifier's probabilities on ``eval_data``, as a list (``None`` for regression
        or without ``predict_proba``); see :attr:`init_data`."""
        return as_list(self._datasets("eval_y_predicted_proba").eval_y_predicted_proba)

    # the objects themselves, as interpret-community's private attributes (no list copy)
    @property
    def _init_data(self) -> Any:
        return self._datasets("init_data").init_data

    @property
    def _eval_data(self) -> Any:
        return self._datasets("eval_data").eval_data

    @property
    def _eval_y_predicted(self) -> Any:
        return self._datasets("eval_y_predicted").eval_y_predicted

    @property
    def _eval_y_predicted_proba(self) -> Any:
        return self._datasets("eval_y_predicted_proba").eval_y_predicted_proba

    def _datasets(self, name: str) -> ExplanationData:
        if self.datasets is None:
            raise _no_data(name)
        if name in self.datasets.unsaved:
            raise ExplanationAttributeError(
                f"{name}: the file this explanation was loaded from does not hold it: its values were "
                "not numbers or text of one kind, which files store without pickle.")
        return self.datasets

    # ------------------------------------------------------------------ ranks
    @property
    def global_importance_rank(self) -> list[int]:
        """Feature indices by decreasing global importance."""
        return np.argsort(-self.global_values, kind="stable").tolist()

    @property
    def per_class_rank(self) -> list[list[int]] | None:
        """Per class, feature indices by decreasing importance; ``None`` for regression."""
        if self.per_class_values_ is None:
            return None
        return np.argsort(-self.per_class_values_, axis=1, kind="stable").tolist()

    def get_local_importance_rank(self) -> list[Any]:
        """Per row (and class), feature indices by decreasing signed local value."""
        return np.argsort(-self._local_importance_values, axis=-1, kind="stable").tolist()

    # ------------------------------------------------------------------ counts and flags
    @property
    def num_classes(self) -> int | None:
        """Number of classes of a classifier's explanation, ``None`` for regression."""
        if not self.is_classification:
            return None
        if self.classes is not None:
            return len(self.classes)
        for array in (self.local_values, self.expected_values_, self.per_class_values_):
            if array is not None:
                return int(array.shape[0])
        return None

    @property
    def is_local_sparse(self) -> bool:
        """Always ``False``: local values are dense arrays here (interpret-community could keep
        them as sparse matrices for sparse data)."""
        self._require_local("is_local_sparse")
        return False

    @property
    def id(self) -> str:
        """A content hash: equal for explanations with equal values and names, so it survives
        saving and loading (interpret-community drew a random UUID)."""
        cached = self.__dict__.get("_content_id")
        if cached is None:
            digest = hashlib.sha256()
            digest.update(json.dumps([self.method, self.model_task, list(self.features),
                                      None if self.classes is None else [str(c) for c in self.classes],
                                      self.is_raw]).encode())
            for array in (self.global_values, self.local_values, self.per_class_values_,
                          self.expected_values_):
                digest.update(b"-" if array is None else array.tobytes())
            cached = digest.hexdigest()[:32]
            object.__setattr__(self, "_content_id", cached)
        return cached

    @property
    def name(self) -> str:
        """A display name, e.g. ``"Explanation (shap.tree)"``."""
        return f"Explanation ({self.method})"

    # ------------------------------------------------------------------ raw importances
    def get_raw_feature_importances(self, raw_to_output_maps: list[Any]) -> list[Any]:
        """Local importances summed into raw features; global ones for an explanation from
        ``explain_global`` or without local values (as interpret-community).

        Parameters
        ----------
        raw_to_output_maps : list of array-like of shape (n_raw, n_engineered)
            Weight matrices from raw to engineered features, composed in order; each
            engineered column's weights are normalized to sum to one.

        Returns
        -------
        list
            As ``local_importance_values`` (or ``global_importance_values``), over raw features.
        """
        if not isinstance(raw_to_output_maps, list) or not raw_to_output_maps:
            raise ExplanationValueError(
                "get_raw_feature_importances: raw_to_output_maps must be a non-empty list of "
                f"raw x engineered weight matrices, got {type(raw_to_output_maps).__name__}.")
        weights = _compose(raw_to_output_maps, len(self.features))
        from_global = self.ic_view is not None and self.ic_view.call == "explain_global"
        if self.local_values is None or from_global:
            return (weights @ self.global_values).tolist()
        return (self._local_importance_values @ weights.T).tolist()

    def _normalized_matrices(self, feature_maps: Any) -> tuple[Any, Any]:
        """interpret-community's raw x engineered matrices, as it read them: composed, each
        engineered column scaled to sum to one, and engineered features no raw feature takes
        (an all-zero column) left out of the explanation mapped, with a fidelity note.
        Anything else (feature maps, fitted transformations) is returned as it is."""
        items = feature_maps if isinstance(feature_maps, list) else [feature_maps]
        if not items or not all(isinstance(m, np.ndarray) or sp.issparse(m) for m in items):
            return self, feature_maps
        matrix = _compose(items, len(self.features), normalize=False, caller="get_raw_explanation")
        totals = matrix.sum(axis=0)
        kept = np.flatnonzero(totals > 0)
        matrix = matrix[:, kept] / totals[kept]
        if kept.size == totals.size:
            return self, [matrix]
        dropped = [self.features[i] for i in np.flatnonzero(totals == 0)]
        note = (f"engineered features {dropped[:5]} map to no raw feature (all-zero columns of the map) "
                "and were left out: raw values do not add up to the model output")
        return self._keep(kept, note, None), [matrix]

    # ------------------------------------------------------------------ plots
    def visualize(self, key: int | None = None) -> Any:
        """A Plotly bar chart of the 15 largest importances, as interpret-community's ``visualize``.

        ``key=None``: global importance; ``key=i``: row ``i``'s local values (averaged over
        classes for classifiers, as there). interpret-community refused ``key=None`` on
        the result of ``explain_local``; here every explanation has global importances.
        """
        import plotly.graph_objects as go

        if key is None:
            values, title = self.global_values, "Global feature importance"
        else:
            local = self._require_local("visualize(key)")
            _check_row(key, local.shape[1], "visualize: key must be None or")
            values, title = local[:, int(key), :].mean(axis=0), f"Local feature importance of row {key}"
        order = np.argsort(-np.abs(values), kind="stable")[:15][::-1]
        figure = go.Figure(go.Bar(x=values[order], y=[self.features[i] for i in order], orientation="h"))
        figure.update_layout(title=title, xaxis_title="importance")
        return figure

    # ------------------------------------------------------------------ interpret-core data
    def data(self, key: int | None = None) -> dict[str, Any]:
        """interpret-core's data of this explanation: ``None`` global, ``-1`` everything, ``i`` row i.

        Returns the dictionaries interpret-core's ``show`` reads (keys in
        :class:`explain.compat.InterpretData`): ``{"mli": [], "names", "scores"[, "intercept"]}``
        for ``key=None`` (``{"mli": []}`` for one made by ``explain_local``, as
        interpret-community); ``{"overall", "specific", "mli"}`` for ``-1``; row ``key``'s
        ``{"type", "names", "scores", "intercept", "perf", "values"}`` otherwise.
        """
        overall = {"names": list(self.features), "scores": self.global_importance_values}
        if self.expected_values_ is not None:
            overall["intercept"] = self.expected_values
        if key is None:
            # interpret-community's explain_local explanations had no global part here
            local_only = self.ic_view is not None and self.ic_view.call == "explain_local"
            return {"mli": []} if local_only else {"mli": [], **overall}
        if key == -1:
            mli: list[dict[str, Any]] = []
            specific = None
            if self.local_values is not None:
                specific = [self._row_data(i) for i in range(self.local_values.shape[1])]
                mli.append({"explanation_type": "local_feature_importance",
                            "value": {"scores": self.local_importance_values,
                                      "perf": [None] * len(specific),
                                      "intercept": self.expected_values or []}})
            entry: dict[str, Any] = {"explanation_type": "global_feature_importance",
                                     "value": {"scores": self.global_importance_values,
                                               "feature_list": list(self.features)}}
            if self.per_class_values_ is None:
                entry["explanation_class_dimension"] = "single"
            mli.append(entry)
            return {"overall": overall, "specific": specific, "mli": mli}
        return self._row_data(key)

    def _row_data(self, key: int) -> dict[str, Any]:
        local = self._require_local("data(key)")
        _check_row(key, local.shape[1], "data: key must be None, -1 or")
        scores = local[:, key, :] if self.is_classification else local[0, key, :]
        return {"type": "univariate", "names": list(self.features), "scores": scores.tolist(),
                "intercept": self.expected_values, "perf": None, "values": None}


def _check_row(key: Any, n_rows: int, message: str) -> None:
    if isinstance(key, bool) or not isinstance(key, int | np.integer) or not 0 <= key < n_rows:
        raise ExplanationValueError(f"{message} a row index in [0, {n_rows}), got {key!r}.")


def _compose(maps: list[Any], n_engineered: int, normalize: bool = True,
             caller: str = "get_raw_feature_importances") -> np.ndarray:
    """Compose raw -> ... -> engineered weight matrices; normalize each engineered column."""
    weights = None
    for fmap in maps:
        matrix = fmap.toarray() if sp.issparse(fmap) else np.asarray(fmap, dtype=np.float64)
        if matrix.ndim != 2 or (matrix < 0).any():
            raise ExplanationValueError(
                f"{caller}: each map must be a 2-D matrix of non-negative weights.")
        weights = matrix if weights is None else weights @ matrix
    assert weights is not None
    if weights.shape[1] != n_engineered:
        raise ExplanationValueError(
            f"{caller}: the maps lead to {weights.shape[1]} features but the "
            f"explanation has {n_engineered}.")
    if not normalize:
        return weights
    totals = weights.sum(axis=0)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)


def _no_data(name: str) -> ExplanationAttributeError:
    return ExplanationAttributeError(
        f"{name}: this explanation holds no data: explainers keep the rows they explained and "
        "the model's predictions, but explanations built by hand (or saved with "
        "include_data=False) have none; keep your rows, call model.predict on them, and give both "
        "to explain.dashboard.ExplanationDashboard(explanation, model, dataset=...).")

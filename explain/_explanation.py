"""The one explanation data model shared by every explainer: :class:`Explanation`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from explain._aggregation import aggregate_local
from explain._datasets import ExplanationData
from explain._exceptions import ExplanationAttributeError, ExplanationValueError
from explain._fidelity import Fidelity
from explain._frames import BACKENDS, as_backend
from explain._ic_shape import ICView
from explain._ic_views import InterpretCommunityViews
from featurization import FeatureMap

__all__ = ["Explanation", "FeatureNames"]

MODEL_TASKS = ("classification", "regression")


def _owns_or_frozen_base(array: np.ndarray) -> bool:
    """Whether nobody can write ``array``'s memory: it owns it, or its base is read-only too."""
    base = array.base
    return base is None or (isinstance(base, np.ndarray) and not base.flags.writeable
                            and _owns_or_frozen_base(base))


def _frozen(array: Any) -> np.ndarray | None:
    """A read-only float64 row-major copy of ``array`` (cohorts read rows).

    An array that is already read-only, float64 and row-major is kept as it is: the arrays
    of an explanation are (``dataclasses.replace`` builds a new explanation from them), as
    are those the assembly hands over, so local values of a million rows are not copied
    again at every step.
    """
    if array is None:
        return None
    if (isinstance(array, np.ndarray) and array.dtype == np.float64 and not array.flags.writeable
            and array.flags.c_contiguous and _owns_or_frozen_base(array)):
        return array
    out = np.array(array, dtype=np.float64, order="C")
    out.setflags(write=False)
    return out


class FeatureNames(tuple):  # type: ignore[type-arg]
    """Feature names: an immutable tuple that also equals the list of the same names.

    interpret-community returned ``features`` as a list, and ported code compares it with one
    (``explanation.features == ["age", "income"]``); a plain tuple would answer ``False``.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list):
            return list(self) == other
        return tuple.__eq__(self, other)  # type: ignore[arg-type]

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__


@dataclass(frozen=True, eq=False, repr=False)
class Explanation(InterpretCommunityViews):
    """Feature importances of a model, global and optionally local, with their diagnostics.

    One class covers every scope (local and global), feature space (raw or engineered) and
    method; these are fields, not subclasses. Instances are immutable and their invariants
    are checked on construction. Explainers build them; users read them through the
    interpret-community-compatible properties (``local_importance_values``,
    ``expected_values``, ``get_ranked_global_names()``, ...).

    Parameters
    ----------
    method : str
        The algorithm that produced the values, e.g. ``"shap.tree"`` or ``"mimic.lightgbm"``.
    model_task : {"classification", "regression"}
        The task of the explained model.
    features : sequence of str
        Feature names, one per column of the values.
    global_values : ndarray of shape (n_features,)
        Global importance per feature.
    local_values : ndarray of shape (n_outputs, n_rows, n_features), default=None
        Signed local values; ``n_outputs`` is the number of classes (1 for regression).
        ``None`` for a global-only explanation.
    per_class_values : ndarray of shape (n_classes, n_features), default=None
        Global importance per class (classification only).
    expected_values : ndarray of shape (n_outputs,), default=None
        Base value per output: the model's expected output that local values are relative to.
    classes : sequence, default=None
        Class labels of a classifier (strings or numbers), in the model's output order.
    output_space : str, default="raw"
        The model output that local values add up to: ``"log_odds"``, ``"probability"``,
        ``"margin"`` (decision function), ``"raw"`` (regression prediction) or ``"metric"``
        (permutation importance, no local values).
    is_raw : bool, default=False
        Whether the features are the user's raw columns (``True``) or engineered ones.
    num_examples : int, default=None
        Number of rows the explanation was computed on; taken from ``local_values`` if given.
    fidelity : Fidelity, default=Fidelity()
        Diagnostics that tell how far to trust the values.
    model_type : str, default=None
        Class name of the explained model, for display.
    engineered_explanation : Explanation, default=None
        For a raw explanation: the engineered explanation it was mapped from.
    feature_map : FeatureMap, default=None
        For a raw explanation: the raw -> engineered map used.
    interaction_values : ndarray of shape (n_outputs, n_rows, n_features, n_features), default=None
        SHAP interaction values of tree models (``explain_local(..., interactions=True)``):
        main effects on the diagonal, each row of a matrix summing to that feature's local value.
    model_id : str, default=None
        The id of the explained model, as azureml-interpret's ``model_id`` (kept by
        :class:`~explain.ExplanationClient`; not written by :func:`~explain.save_explanation`).
    datasets : ExplanationData, default=None
        The rows explained and the model's predictions on them, set by the explainers and
        read as ``init_data``, ``eval_data``, ``eval_y_predicted``, ``eval_y_predicted_proba``
        (written by :func:`~explain.save_explanation` unless ``include_data=False``).
    ic_view : ICView, default=None
        The explainer call that made it, for interpret-community's list shapes and integer
        feature labels (set by the explainers; saved with the explanation).
    """

    method: str
    model_task: str
    features: tuple[str, ...]
    global_values: np.ndarray
    local_values: np.ndarray | None = None
    per_class_values_: np.ndarray | None = None
    expected_values_: np.ndarray | None = None
    classes: tuple[Any, ...] | None = None
    output_space: str = "raw"
    is_raw: bool = False
    num_examples: int | None = None
    fidelity: Fidelity = field(default_factory=Fidelity)
    model_type: str | None = None
    engineered_explanation: Explanation | None = None
    feature_map: FeatureMap | None = None
    interaction_values: np.ndarray | None = None
    model_id: str | None = None
    datasets: ExplanationData | None = field(default=None, repr=False)
    ic_view: ICView | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "features", FeatureNames(str(f) for f in self.features))
        # an immutable tuple equal to the list of the same labels, as features
        set_(self, "classes", None if self.classes is None else FeatureNames(self.classes))
        for name in ("global_values", "local_values", "per_class_values_", "expected_values_",
                     "interaction_values"):
            set_(self, name, _frozen(getattr(self, name)))
        if self.local_values is not None and self.num_examples is None:
            set_(self, "num_examples", int(self.local_values.shape[1]))
        self._check_invariants()
        if self.engineered_explanation is not None:  # the engineered side of a pair (is_engineered)
            set_(self.engineered_explanation, "_mapped_to_raw", True)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_local(
        cls,
        local_values: np.ndarray,
        expected_values: np.ndarray | None,
        *,
        keep_local: bool = True,
        weights: np.ndarray | None = None,
        **kwargs: Any,
    ) -> Explanation:
        """Build an explanation from local values, aggregating the global importances.

        Parameters
        ----------
        local_values : ndarray of shape (n_outputs, n_rows, n_features)
            Signed local values.
        expected_values : ndarray of shape (n_outputs,)
            Base value per output.
        keep_local : bool, default=True
            Keep the local matrix on the explanation (``False``: global only).
        weights : ndarray of shape (n_rows,), default=None
            Row weights for the aggregation.
        **kwargs
            The other fields of :class:`Explanation`.
        """
        per_class, global_values = aggregate_local(local_values, weights)
        is_classification = kwargs.get("model_task") == "classification"
        return cls(
            local_values=local_values if keep_local else None,
            expected_values_=expected_values,
            per_class_values_=per_class if is_classification else None,
            global_values=global_values,
            num_examples=kwargs.pop("num_examples", local_values.shape[1]),
            **kwargs,
        )

    def _check_invariants(self) -> None:
        n_features = len(self.features)
        if self.model_task not in MODEL_TASKS:
            raise ExplanationValueError(
                f"Explanation: model_task must be one of {MODEL_TASKS}, got {self.model_task!r}."
            )
        if len(set(self.features)) != n_features:
            dupes = sorted({f for f in self.features if self.features.count(f) > 1})[:5]
            raise ExplanationValueError(f"Explanation: feature names are not unique: {dupes}.")
        _expect_shape("global_values", self.global_values, (n_features,))
        n_outputs = None
        if self.local_values is not None:
            if self.local_values.ndim != 3 or self.local_values.shape[2] != n_features:
                raise ExplanationValueError(
                    "Explanation: local_values must have shape (n_outputs, n_rows, "
                    f"{n_features}), got {self.local_values.shape}."
                )
            n_outputs = self.local_values.shape[0]
        if self.expected_values_ is not None:
            n_outputs = n_outputs or self.expected_values_.shape[0]
            _expect_shape("expected_values", self.expected_values_, (n_outputs,))
        if self.model_task == "regression" and n_outputs not in (None, 1):
            raise ExplanationValueError(
                f"Explanation: a regression explanation has one output, got {n_outputs}."
            )
        if self.classes is not None and n_outputs is not None and len(self.classes) != n_outputs:
            raise ExplanationValueError(
                f"Explanation: {len(self.classes)} classes given for {n_outputs} outputs."
            )
        if self.per_class_values_ is not None:
            rows = len(self.classes) if self.classes is not None else self.per_class_values_.shape[0]
            _expect_shape("per_class_values", self.per_class_values_, (rows, n_features))
        if self.interaction_values is not None:
            if self.local_values is None:
                raise ExplanationValueError("Explanation: interaction_values need local_values.")
            k, n, f = self.local_values.shape
            _expect_shape("interaction_values", self.interaction_values, (k, n, f, f))
        for name in ("global_values", "local_values", "expected_values_", "per_class_values_",
                     "interaction_values"):
            value = getattr(self, name)
            if value is not None and not np.all(np.isfinite(value)):
                raise ExplanationValueError(f"Explanation: {name.rstrip('_')} contains NaN or inf.")

    def get_raw_explanation(self, feature_maps: Any, raw_feature_names: Sequence[str] | None = None,
                            eval_data: Any = None) -> Explanation:
        """Map this engineered explanation to raw features, as in interpret-community.

        Parameters
        ----------
        feature_maps : FeatureMap, list of FeatureMap, array-like or fitted transformation
            The raw -> engineered map: a :class:`~featurization.FeatureMap`, a list of maps
            (or raw x engineered weight matrices, as in interpret-community) composed in
            order, or any transformation :func:`featurization.feature_map_from` reads.
        raw_feature_names : sequence of str, default=None
            Names of the raw features (required for bare weight matrices).
        eval_data : array-like, default=None
            The raw rows, kept (by reference) as the raw explanation's ``eval_data``, as in
            interpret-community; the predictions of this explanation carry over.

        Returns
        -------
        Explanation
            Raw local values are the weighted sums of the engineered ones (row sums and
            expected values unchanged); raw global importance is the mean |raw local value|.
        """
        from explain._mapping import to_raw

        explanation, feature_maps = self._normalized_matrices(feature_maps)
        raw = to_raw(explanation, feature_maps, raw_feature_names)
        object.__setattr__(self, "_mapped_to_raw", True)  # is_engineered, as interpret-community
        if self.datasets is None and eval_data is None:
            return raw
        kept = self.datasets or ExplanationData()
        return replace(raw, datasets=ExplanationData(
            eval_data=eval_data, eval_y_predicted=kept.eval_y_predicted,
            eval_y_predicted_proba=kept.eval_y_predicted_proba))

    def top_k(self, k: int) -> Explanation:
        """A copy keeping only the ``k`` globally most important features.

        Local values of the dropped features are gone, so local values no longer add up to
        the model output; the fidelity record says so. The engineered explanation of a raw
        one is cut to its own top ``k``.
        """
        order = _top(np.argsort(-self.global_values, kind="stable"), k)
        if order.size == self.num_features:
            return self
        note = f"top {order.size} of {self.num_features} features kept; local values do not add up"
        engineered = None if self.engineered_explanation is None else self.engineered_explanation.top_k(k)
        return self._keep(order, note, engineered)

    def _keep(self, order: np.ndarray, note: str, engineered: Explanation | None) -> Explanation:
        """A copy with only the features at ``order`` (and that order), noting why."""
        stderr = self.fidelity.standard_errors
        fidelity = replace(self.fidelity, notes=(*self.fidelity.notes, note),
                           standard_errors=None if stderr is None else stderr[:, :, order])
        return replace(
            self, features=tuple(self.features[i] for i in order),
            global_values=self.global_values[order],
            local_values=None if self.local_values is None else self.local_values[:, :, order],
            interaction_values=None if self.interaction_values is None
            else self.interaction_values[:, :, order][:, :, :, order],
            per_class_values_=None if self.per_class_values_ is None else self.per_class_values_[:, order],
            fidelity=fidelity, feature_map=None, engineered_explanation=engineered,
        )

    def to_html(self, path: Any, *, top_k: int = 20, feature_values: Any = None) -> Any:
        """Write this explanation as a self-contained HTML page (Plotly embedded, offline).

        See :func:`explain.dashboard.write_html`; returns the path written.
        """
        from explain.dashboard import write_html

        return write_html(self, path, top_k=top_k, feature_values=feature_values)

    def with_fidelity(self, fidelity: Fidelity) -> Explanation:
        """Return a copy with another :class:`Fidelity` record."""
        return replace(self, fidelity=fidelity)

    # ------------------------------------------------------------------ properties
    @property
    def num_features(self) -> int:
        """Number of explained features."""
        return len(self.features)

    @property
    def is_engineered(self) -> bool:
        """Whether the features are the engineered side of a raw/engineered pair.

        As in interpret-community: ``True`` for an explanation that a raw explanation was
        mapped from (``engineered_explanation``, or the explanation ``get_raw_explanation``
        was called on), ``False`` for a raw explanation and for one of a model without known
        featurization (its features are neither raw nor engineered as far as it knows).
        """
        return not self.is_raw and self.__dict__.get("_mapped_to_raw", False)

    @property
    def is_classification(self) -> bool:
        """Whether the explained model is a classifier."""
        return self.model_task == "classification"

    @property
    def local_interaction_values(self) -> np.ndarray | None:
        """SHAP interaction values, main effects on the diagonal: (classes, rows, features,
        features) for classifiers, (rows, features, features) for regression; ``None`` unless
        explained with ``interactions=True``."""
        if self.interaction_values is None:
            return None
        return self.interaction_values if self.is_classification else self.interaction_values[0]

    # ------------------------------------------------------------------ ranking
    def get_ranked_global_names(self, top_k: int | None = None) -> list[str]:
        """Feature names by decreasing global importance, the first ``top_k`` if given."""
        order = _top(np.argsort(-self.global_values, kind="stable"), top_k)
        return [self._ic_names[i] for i in order]

    def get_ranked_global_values(self, top_k: int | None = None) -> list[float]:
        """Global importances in decreasing order, the first ``top_k`` if given."""
        order = _top(np.argsort(-self.global_values, kind="stable"), top_k)
        return self.global_values[order].tolist()

    def get_feature_importance_dict(self, top_k: int | None = None) -> dict[str, float]:
        """Mapping of feature name to global importance, in ranked order."""
        names = self.get_ranked_global_names(top_k)
        return dict(zip(names, self.get_ranked_global_values(top_k), strict=True))

    def get_ranked_per_class_names(self, top_k: int | None = None) -> list[list[str]]:
        """Per class, feature names by decreasing importance for that class."""
        per_class = self._require_per_class()
        order = _top(np.argsort(-per_class, axis=1, kind="stable"), top_k)
        return [[self._ic_names[i] for i in row] for row in order]

    def get_ranked_per_class_values(self, top_k: int | None = None) -> list[list[float]]:
        """Per class, importances in decreasing order."""
        per_class = self._require_per_class()
        order = _top(np.argsort(-per_class, axis=1, kind="stable"), top_k)
        return np.take_along_axis(per_class, order, axis=1).tolist()

    def get_ranked_local_names(self, top_k: int | None = None) -> list[Any]:
        """Per row (and per class for classifiers), feature names by decreasing signed value.

        As in interpret-community, local values rank by signed value, largest first: the
        features pushing the prediction up come first, those pushing it down come last.
        """
        names = np.asarray(self._ic_names, dtype=object)[self._local_order(top_k)]
        return self._ic_local(names).tolist()

    def get_ranked_local_values(self, top_k: int | None = None) -> list[Any]:
        """Per row (and per class for classifiers), local values by decreasing signed value."""
        local = self._require_local("get_ranked_local_values")
        return self._ic_local(np.take_along_axis(local, self._local_order(top_k), axis=2)).tolist()

    def _local_order(self, top_k: int | None) -> np.ndarray:
        local = self._require_local("get_ranked_local_names")
        return _top(np.argsort(-local, axis=2, kind="stable"), top_k)

    def _require_local(self, who: str) -> np.ndarray:
        if self.local_values is None:
            raise ExplanationAttributeError(
                f"{who}: this explanation is global only; explain with "
                "explain_local(...) or explain_global(..., include_local=True) to keep local values."
            )
        return self.local_values

    def _require_per_class(self) -> np.ndarray:
        if self.per_class_values_ is None:
            raise ExplanationValueError(
                "per-class importances exist only for classification explanations with local "
                f"values; this one is a {self.model_task} explanation from {self.method!r}."
            )
        return self.per_class_values_

    # ------------------------------------------------------------------ display
    def to_dataframe(self, scope: str = "global", backend: str = "pandas") -> Any:
        """Return the values as a table.

        Parameters
        ----------
        scope : {"global", "local"}, default="global"
            ``"global"``: one row per feature, ranked, with the global importance and one
            column per class. ``"local"``: one row per explained row (per class and row for
            classifiers, as a MultiIndex ``(class, row)``), one column per feature.
        backend : {"pandas", "polars", "pyarrow"}, default="pandas"
            The kind of table: a pandas DataFrame, a polars DataFrame or a pyarrow Table. The
            last two have no index: ``feature`` (global) or ``row`` / ``class, row`` (local)
            are their first columns.

        Raises
        ------
        ExplanationValueError
            For another ``scope`` or ``backend``, or ``scope="local"`` on a global-only
            explanation.
        """
        if backend not in BACKENDS:  # checked first: no work for a call that cannot succeed
            raise ExplanationValueError(
                f"to_dataframe: backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}.")
        if scope == "global":
            frame = pd.DataFrame({"importance": self.global_values}, index=list(self.features))
            if self.per_class_values_ is not None and self.classes is not None:
                for label, values in zip(self.classes, self.per_class_values_, strict=True):
                    frame[f"importance[{label}]"] = values
            frame.index.name = "feature"
            frame = frame.sort_values("importance", ascending=False, kind="stable")
        elif scope == "local":
            local = self._require_local("to_dataframe(scope='local')")
            if not self.is_classification:
                frame = pd.DataFrame(local[0], columns=list(self.features)).rename_axis("row")
            else:
                labels = self.classes or tuple(range(local.shape[0]))
                index = pd.MultiIndex.from_product(
                    [list(labels), range(local.shape[1])], names=["class", "row"]
                )
                frame = pd.DataFrame(local.reshape(-1, local.shape[2]), index=index,
                                     columns=list(self.features))
        else:
            raise ExplanationValueError(f"to_dataframe: scope must be 'global' or 'local', got {scope!r}.")
        return as_backend(frame, backend, caller="to_dataframe")

    def __repr__(self) -> str:
        space = "raw" if self.is_raw else "engineered"
        if self.engineered_explanation is not None:
            space += f" (from {self.engineered_explanation.num_features} engineered)"
        scope = "local+global" if self.local_values is not None else "global"
        head = (
            f"Explanation(method={self.method!r}, task={self.model_task!r}, {scope}, "
            f"{self.num_examples} rows x {self.num_features} {space} features"
        )
        if self.classes is not None:
            head += f", classes={list(self.classes)[:5]}"
        top = ", ".join(f"{n}={v:.4g}" for n, v in self.get_feature_importance_dict(5).items())
        return f"{head})\n  top features: {top}\n  fidelity: {self.fidelity.summary()}"


def _top(order: np.ndarray, top_k: int | None) -> np.ndarray:
    if top_k is None:
        return order
    if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 1:
        raise ExplanationValueError(f"top_k must be a positive integer or None, got {top_k!r}.")
    return order[..., :top_k]


def _expect_shape(name: str, array: np.ndarray, shape: Sequence[int]) -> None:
    if array.shape != tuple(shape):
        raise ExplanationValueError(
            f"Explanation: {name} must have shape {tuple(shape)}, got {array.shape}."
        )

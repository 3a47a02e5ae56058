"""Scoring explainers: a fitted explainer reduced to what inference needs.

``explain(data)`` returns local importance values only (no ``Explanation`` object, no
aggregation, no additivity check against a second model call), so a deployed model pays
little on top of the model's own contribution call. The values are those of the fitted
explainer it was built from: the tests hold them equal row for row.

When the explainer's featurization compiles (:func:`featurization.compile_featurizer`: an
``AutoFeaturizer`` or a ``TableVectorizer``, as AutoML uses), rows are featurized by the
compiled transform -- the pipeline's numbers without a data-frame round trip -- and checked
against the featurization's own input contract (:mod:`explain.scoring._inputs`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._fidelity import Fidelity
from explain._frames import to_pandas
from explain._labels import LabelMap, label_key
from explain._mapping import as_feature_map
from explain._validation import Matrix, column_kinds, to_tabular
from explain.explainers._base import _subset_map
from explain.scoring._inputs import (
    as_setup_columns,
    by_names,
    check_policy,
    columns_of,
    featurize,
    positional,
)
from explain.scoring._rows import RowsError, records_to_columns, records_to_frame
from explain.scoring._warm import warm_up
from featurization import CompiledFeaturizer, FeatureMap, compile_featurizer

__all__ = ["ModelRun", "RunExplainer", "Scored", "ScoringExplainer"]


@dataclass(frozen=True)
class RunExplainer:
    """What a run stores to explain its model at inference time (see :class:`ModelRun`).

    Attributes
    ----------
    explainer : object
        The fitted explainer that produced the run's stored explanation.
    model : object
        The run's model (for a blend, its predictions).
    featurizer : object, default=None
        The fitted featurization applied before ``explainer`` (a blend of members taking
        engineered rows); ``None`` when the explainer takes raw rows itself.
    fidelity : Fidelity, default=None
        The stored explanation's fidelity: whose values these are and how far to trust them.
    examples : DataFrame, default=None
        A few raw rows of the training data (their column kinds shape the input schema).
    """

    explainer: Any
    model: Any
    featurizer: Any = None
    fidelity: Fidelity | None = None
    examples: Any = None


class ModelRun(Protocol):
    """What :meth:`ScoringExplainer.from_run` reads of a run (an AutoML ``ChildRun`` has it)."""

    def get_explainer(self) -> RunExplainer: ...


@dataclass(frozen=True)
class Scored:
    """What :meth:`ScoringExplainer.score` returns.

    Attributes
    ----------
    predictions : ndarray of shape (n_rows,)
        Values, or labels as values of ``classes_`` (the model's own labels are mapped to
        them as everywhere, see :mod:`explain._labels`).
    probabilities : ndarray of shape (n_rows, n_classes) or None
        Class probabilities of a classifier.
    values : ndarray of shape (n_outputs, n_rows, n_features) or None
        Local importances (``None`` when not asked for).
    expected : ndarray of shape (n_outputs,) or None
        Expected values the importances add to.
    raw : bool
        Whether ``values`` are over raw features.
    unknown : tuple of (int, str, object), default=()
        ``(row, column, value)`` of each category the featurization did not see in ``fit``
        (encoded as it encodes unknown categories).
    """

    predictions: np.ndarray
    probabilities: np.ndarray | None
    values: np.ndarray | None
    expected: np.ndarray | None
    raw: bool
    unknown: tuple[tuple[int, str, Any], ...] = ()


def _unwrap(explainer: Any) -> Any:
    """The explainer behind a ``TabularExplainer`` façade."""
    return getattr(explainer, "explainer", explainer)


class ScoringExplainer:
    """Base class of the scoring explainers (see the subclasses).

    Parameters
    ----------
    explainer : fitted explainer
        The explainer this one serves (a ``TabularExplainer`` or the explainer it chose).
    initialization_examples : DataFrame or array-like, default=None
        Raw example rows; only their column types are kept (the scoring service reads the
        input schema from them). Default: the explainer's own initialization rows.
    feature_maps : FeatureMap, array or list of them, default=None
        Maps engineered features to raw ones when the explainer itself had none.
    fidelity : Fidelity, default=None
        Whose values these are and how far to trust them, as recorded with a stored
        explanation; default: what the explainer's method says (exact tree or linear SHAP,
        a surrogate's held-out agreement, a sampled estimate).
    unknown_categories : {"accept", "refuse"}, default="accept"
        A category the featurization did not see in ``fit``: encoded as the featurization
        encodes it and reported (``Scored.unknown``), or refused with an error naming it.
    compile_featurization : bool, default=True
        Featurize rows with the compiled transform where the featurization has one (the same
        numbers); ``False`` runs the fitted featurization on a DataFrame, as before it existed.

    Attributes
    ----------
    features_ : tuple of str
        Engineered feature names (the model's input after any transformations).
    raw_features_ : tuple of str or None
        Raw feature names, when a feature map exists.
    input_columns_ : tuple of str
        Columns :meth:`explain` and :meth:`predict` take (the names given as ``features``
        for an explainer set up on unnamed data).
    input_schema_ : dict of str to str
        Kind of each input column (``"number"``, ``"integer"``, ``"boolean"``, ``"string"``).
    compiled_ : CompiledFeaturizer or None
        The compiled featurization, when the explainer's featurization has one.
    fidelity_ : Fidelity
        See ``fidelity``.
    classes_ : tuple or None
        Class labels of a classifier.
    model_task_ : str
        ``"classification"`` or ``"regression"``.
    """

    method: str = "scoring"
    accepts: ClassVar[tuple[type, ...]] = ()
    kinds: ClassVar[list[type[ScoringExplainer]]] = []
    """The scoring explainers :meth:`for_explainer` chooses from, in order (each subclass with
    ``accepts`` registers itself)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("accepts"):
            ScoringExplainer.kinds.append(cls)

    def __init__(self, explainer: Any, initialization_examples: Any = None,
                 feature_maps: Any = None, *, fidelity: Fidelity | None = None,
                 unknown_categories: str = "accept", compile_featurization: bool = True) -> None:
        candidate = _unwrap(explainer)
        if not isinstance(candidate, self.accepts):
            names = ", ".join(t.__name__ for t in self.accepts)
            raise ExplanationTypeError(
                f"{type(self).__name__}: needs a fitted {names}, got {type(candidate).__name__}; "
                "ScoringExplainer.for_explainer(explainer) picks the matching scoring explainer.")
        inner: Any = candidate  # a BaseExplainer subclass (checked above)
        self.explainer_: Any = inner
        self.model_task_ = inner.model_task
        self.classes_ = inner.classes_
        self.features_ = tuple(inner.features_)
        self.feature_map_ = self._feature_map(inner, feature_maps)
        self.raw_features_ = None if self.feature_map_ is None else tuple(self.feature_map_.raw_feature_names)
        raw = inner.raw_input_
        # features= names given at set-up are the input columns (of unnamed data, or renaming
        # a frame's columns); rows keyed by them are put back in the set-up columns
        self.input_columns_ = tuple(raw.names) if raw is not None else (
            tuple(inner.columns_) if inner.by_name_ else tuple(inner.features_))
        self.input_schema_ = self._schema(initialization_examples)
        self.output_space_ = inner.output_space_
        self.model_ = inner.input_model_
        self.unknown_categories = check_policy(unknown_categories, type(self).__name__)
        self.compile_featurization = bool(compile_featurization)
        self.fidelity_ = fidelity if fidelity is not None else self._own_fidelity()
        self._compile()
        _ = self._labels  # classes against the model's labels, checked at construction

    def _feature_map(self, inner: Any, feature_maps: Any) -> FeatureMap | None:
        if feature_maps is None:
            return inner.feature_map_  # type: ignore[no-any-return]
        fmap = as_feature_map(feature_maps, None, self.features_, False)
        if fmap.n_engineered != len(self.features_):
            raise ExplanationValueError(
                f"{type(self).__name__}: feature_maps has {fmap.n_engineered} engineered features but "
                f"the explainer has {len(self.features_)}.")
        return fmap if inner.feature_map_ is None else inner.feature_map_.compose(fmap)

    def _schema(self, examples: Any) -> dict[str, str]:
        kinds = (column_kinds(examples) if examples is not None else self.explainer_.input_kinds_) or {}
        setup = self._setup_columns()
        return {c: kinds.get(c, kinds.get(setup[i], "number")) for i, c in enumerate(self.input_columns_)}

    def _setup_columns(self) -> tuple[str, ...]:
        """The raw columns the explainer was set up with, in the order of :attr:`input_columns_`."""
        raw = self.explainer_.raw_input_
        return tuple(raw.columns) if raw is not None else self.input_columns_

    def _own_fidelity(self) -> Fidelity:
        """The fidelity of the explainer's method, when none was recorded with it."""
        return Fidelity()

    def _featurization(self) -> Any:
        """The fitted featurization the rows go through first (``None``: the model takes them)."""
        raw = self.explainer_.raw_input_
        return None if raw is None or not raw.can_transform else raw.steps

    def _compile(self) -> None:
        """Compile the featurization, when it has a compiled form taking the input columns."""
        steps = self._featurization() if self.compile_featurization else None
        compiled = None if steps is None else compile_featurizer(steps, self.input_schema_)
        if compiled is not None and set(compiled.specs) != set(self.input_columns_):
            compiled = None
        self.compiled_: CompiledFeaturizer | None = compiled

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("compiled_", None)  # rebuilt from the fitted featurization on loading
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("unknown_categories", "accept")  # saved before these existed
        state.setdefault("compile_featurization", True)
        self.__dict__.update(state)
        if "fidelity_" not in state:
            self.fidelity_ = self._own_fidelity()
        self._compile()

    @property
    def fidelity_line(self) -> str:
        """The one-line summary of :attr:`fidelity_` a response carries (without which rows the
        stored explanation covered: a response's rows are its own)."""
        return replace(self.fidelity_, explained_rows=None).summary()

    @property
    def takes_missing(self) -> bool:
        """Whether the model itself takes NaN in its (engineered) input."""
        return bool(self.explainer_.adapter_.allow_nan)

    # ------------------------------------------------------------------ rows
    def _rows(self, evaluation_examples: Any, caller: str) -> tuple[Matrix, tuple[tuple[int, str, Any], ...]]:
        """Validated, featurized rows in the model's column order, and unknown categories."""
        where = f"{type(self).__name__}.{caller}"
        if self.compiled_ is None:
            return self._frame_matrix(evaluation_examples, caller, where), ()
        columns, n_rows = columns_of(evaluation_examples, self.input_columns_, self.compiled_.required, where)

        def named(row: int | None, column: str) -> str:
            return f"{where}: evaluation_examples{'' if row is None else f' row {row},'} column {column!r}"

        featurized = featurize(self.compiled_, columns, n_rows, policy=self.unknown_categories,
                               model_takes_nan=self.takes_missing, where=named)
        return self._engineered(featurized.matrix, where), featurized.unknown

    def _records(self, records: list[dict[str, Any]]) -> tuple[Matrix, tuple[tuple[int, str, Any], ...]]:
        """Rows of a request (JSON records), errors naming ``data[i].column``."""
        if self.compiled_ is None:
            allow_missing = self.takes_missing or self._featurization() is not None
            frame = records_to_frame(records, self.input_schema_, allow_missing)
            return self._frame_matrix(frame, "score", f"{type(self).__name__}.score", records=True), ()
        specs = self.compiled_.specs
        columns = records_to_columns(records, list(specs), self.compiled_.required)
        featurized = featurize(self.compiled_, columns, len(records), policy=self.unknown_categories,
                               model_takes_nan=self.takes_missing, error=RowsError,
                               where=lambda row, column: f"data{'' if row is None else f'[{row}]'}.{column}")
        return self._engineered(featurized.matrix, "score"), featurized.unknown

    def _frame_matrix(self, examples: Any, caller: str, where: str, records: bool = False) -> Matrix:
        """Rows through the explainer's own validation and featurization (not compiled)."""
        inner = self.explainer_
        frame = to_pandas(examples, argument="evaluation_examples", caller=where)
        if inner.raw_input_ is None:
            if not inner.by_name_ and isinstance(frame, pd.DataFrame) and not positional(frame.columns):
                # set up on unnamed rows: a frame's columns are the input columns, in any order
                frame = by_names(frame, self.input_columns_, where)
            return inner._evaluation_matrix(frame, caller)  # type: ignore[no-any-return]
        setup = as_setup_columns(frame, self._setup_columns(), self.input_columns_, where)
        matrix = inner.raw_input_.transform(setup, "evaluation_examples")
        if not self.takes_missing and isinstance(frame, pd.DataFrame):
            self._check_passed_missing(frame, np.asarray(matrix, dtype=np.float64), records)
        return self._engineered(matrix, where)

    def _check_passed_missing(self, frame: pd.DataFrame, matrix: np.ndarray, records: bool) -> None:
        """Rows whose missing raw values the featurization passes on as NaN to a model that does
        not take NaN: an error naming a missing value of the first such row."""
        rows = np.flatnonzero(np.isnan(matrix).any(axis=1))
        if not rows.size:
            return
        row = int(rows[0])
        absent = [str(c) for c in frame.columns if frame.iloc[row][c] is None or pd.isna(frame.iloc[row][c])]
        where = f"data[{row}]" if records else f"{type(self).__name__}: evaluation_examples row {row}"
        column = f".{absent[0]}" if records and absent else (f", column {absent[0]!r}" if absent else "")
        error = RowsError if records else ExplanationValueError
        raise error(f"{where}{column}: missing value, but the featurization passes it on as NaN and the "
                    "model does not take missing values.")

    def _engineered(self, matrix: Any, where: str) -> Matrix:
        """Featurized rows checked and aligned as the explainer does after its transformations."""
        inner = self.explainer_
        data = to_tabular(matrix, argument="evaluation_examples after transformations", caller=where,
                          allow_nan=self.takes_missing, names=self.features_)
        return inner._aligned(data, "evaluation_examples", where)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ public API
    def explain(self, evaluation_examples: Any, get_raw: bool | None = None) -> np.ndarray:
        """Local importance values of each row.

        Parameters
        ----------
        evaluation_examples : DataFrame, list of records or array-like of shape (n_rows, n_columns)
            Rows in the explainer's input columns (raw columns when it had transformations).
        get_raw : bool, default=None
            Raw feature importances (``True``) or engineered (``False``); default raw when a
            feature map exists, else engineered.

        Returns
        -------
        ndarray of shape (n_classes, n_rows, n_features) for classifiers, (n_rows, n_features)
        for regressors: the same layout as ``Explanation.local_importance_values``.
        """
        values, _ = self.explain_with_expected(evaluation_examples, get_raw)
        return values[0] if self.model_task_ == "regression" else values

    def explain_with_expected(self, evaluation_examples: Any, get_raw: bool | None = None
                              ) -> tuple[np.ndarray, np.ndarray]:
        """``(values of shape (n_outputs, n_rows, n_features), expected values (n_outputs,))``."""
        raw = self._want_raw(get_raw)
        return self._explained(self._rows(evaluation_examples, "explain")[0], raw)

    def _explained(self, X: Any, raw: bool) -> tuple[np.ndarray, np.ndarray]:
        """Values (n_outputs, n_rows, n_features) and expected values of validated rows."""
        values, expected = self._values(X)
        if self.model_task_ == "classification" and values.shape[0] == 1:
            values, expected = np.concatenate([-values, values]), np.concatenate([-expected, expected])
        if raw:
            assert self.feature_map_ is not None
            values = _subset_map(self.feature_map_, self._subset()).map_values(values)
        return values, expected

    def _subset(self) -> np.ndarray | None:
        return self.explainer_.explain_subset_  # type: ignore[no-any-return]

    def score(self, evaluation_examples: Any, explain: bool = True, get_raw: bool | None = None
              ) -> Scored:
        """Predictions, probabilities and (optionally) local importances in one pass.

        The rows are validated and featurized once, which is what a scoring service wants per
        request; labels come from the model's ``predict`` (a thresholded classifier need not
        predict its most probable class).
        """
        raw = self._want_raw(get_raw) if explain else False
        X, unknown = self._rows(evaluation_examples, "score")
        return self._scored(X, explain, raw, unknown)

    def score_records(self, records: list[dict[str, Any]], explain: bool = True,
                      get_raw: bool | None = None) -> Scored:
        """:meth:`score` of a request's JSON records; errors name ``data[i].column``
        (:class:`~explain.scoring._rows.RowsError`)."""
        raw = self._want_raw(get_raw) if explain else False
        X, unknown = self._records(records)
        return self._scored(X, explain, raw, unknown)

    def _scored(self, X: Any, explain: bool, raw: bool, unknown: tuple[tuple[int, str, Any], ...]) -> Scored:
        predictions, probabilities = self._predictions(X)
        values, expected = self._explained(X, raw) if explain else (None, None)
        return Scored(self._as_classes(predictions), probabilities, values, expected, raw, unknown)

    def _predictions(self, X: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """The model's predictions (its own labels) and probabilities of validated rows."""
        native = self._native_predictions(X)
        if native is not None:
            return native
        adapter = self.explainer_.adapter_
        probabilities = None
        if self.model_task_ == "classification" and callable(getattr(adapter.model, "predict_proba", None)):
            probabilities = adapter.predict_output(X)
        # the model's own predict: not every classifier predicts the most probable class
        return np.asarray(adapter.predict(X)), probabilities

    @cached_property
    def _labels(self) -> LabelMap | None:
        """How the model's labels map to ``classes_`` (``None`` for regressors)."""
        if self.model_task_ != "classification" or self.classes_ is None:
            return None
        adapter = self.explainer_.adapter_
        return LabelMap.create(self.classes_, None if adapter.is_function else adapter.model_classes,
                               caller=type(self).__name__)

    def _as_classes(self, predictions: np.ndarray) -> np.ndarray:
        """Predicted labels as values of ``classes_``; a function's argmax positions too."""
        labels = self._labels
        if labels is None:
            return predictions
        if self._is_function():
            return labels.names(predictions)
        table = self._label_table
        if table is not None and all(label_key(p) in table for p in predictions):
            return labels.names(np.fromiter((table[label_key(p)] for p in predictions), np.int64,
                                            len(predictions)))
        return labels.to_classes(predictions, argument="the model's predictions")

    @cached_property
    def _label_table(self) -> dict[str, int] | None:
        """Position in ``classes_`` of each of the model's own labels, when ``LabelMap`` maps each
        label the same whether alone or among the others (then any set of predictions maps label
        by label: one dictionary look-up each instead of the map's factorization per request)."""
        labels, model = self._labels, self._model_labels()
        if labels is None or model is None:
            return None
        every = labels.codes(np.asarray(model, dtype=object), argument="the model's classes_")
        alone = [int(labels.codes(np.asarray([m], dtype=object), argument="the model's classes_")[0])
                 for m in model]
        return {label_key(m): int(c) for m, c in zip(model, every, strict=True)} \
            if alone == every.tolist() else None

    def _model_labels(self) -> Any:
        return self.explainer_.adapter_.model_classes

    def _is_function(self) -> bool:
        return bool(self.explainer_.adapter_.is_function)

    def _native_predictions(self, X: Any) -> tuple[np.ndarray, np.ndarray | None] | None:
        """Predictions and probabilities without the scikit-learn wrapper, where that is exact."""
        return None

    def warm_up(self, *, wait: bool = True) -> None:
        """Build the parts built on first use now, or in the background (``wait=False``, as the
        service does when it starts); see :mod:`explain.scoring._warm`."""
        warm_up(self.explainer_, wait=wait)

    def predict(self, evaluation_examples: Any) -> np.ndarray:
        """The model's predictions (values, or labels as values of ``classes_``), shape (n_rows,)."""
        return self._as_classes(self._predictions(self._rows(evaluation_examples, "predict")[0])[0])

    def predict_proba(self, evaluation_examples: Any) -> np.ndarray:
        """Class probabilities of a classifier, shape (n_rows, n_classes)."""
        if self.model_task_ != "classification":
            raise ExplanationTypeError(f"{type(self).__name__}.predict_proba: the model is a regressor.")
        return self._probabilities(self._rows(evaluation_examples, "predict_proba")[0])

    def _probabilities(self, X: Any) -> np.ndarray:
        return self.explainer_.adapter_.predict_output(X)  # type: ignore[no-any-return]

    def _want_raw(self, get_raw: bool | None) -> bool:
        if get_raw and self.feature_map_ is None:
            raise ExplanationValueError(
                f"{type(self).__name__}.explain: get_raw=True needs transformations or feature_maps; "
                "this explainer has none.")
        return self.feature_map_ is not None if get_raw is None else bool(get_raw)

    def output_features(self, get_raw: bool | None = None) -> tuple[str, ...]:
        """Names of the features :meth:`explain` returns values for."""
        if self._want_raw(get_raw):
            assert self.raw_features_ is not None
            return self.raw_features_
        subset = self._subset()
        return self.features_ if subset is None else tuple(self.features_[i] for i in subset)

    def _values(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        result = self.explainer_._local_values(X)
        return result.values, np.asarray(result.expected, dtype=np.float64)

    @classmethod
    def for_explainer(cls, explainer: Any, initialization_examples: Any = None,
                      feature_maps: Any = None, **options: Any) -> ScoringExplainer:
        """The scoring explainer matching a fitted explainer (a mimic gives a tree one).

        ``options`` are passed on (``fidelity``, ``unknown_categories``; a blend's ``featurizer``, ``model``).
        """
        inner = _unwrap(explainer)
        for candidate in ScoringExplainer.kinds:
            if isinstance(inner, candidate.accepts):
                return candidate(inner, initialization_examples, feature_maps, **options)
        raise ExplanationTypeError(
            f"ScoringExplainer.for_explainer: no scoring explainer for {type(inner).__name__}.")

    @classmethod
    def from_run(cls, run: ModelRun, *, unknown_categories: str = "accept") -> ScoringExplainer:
        """The scoring explainer of a run: the explainer stored with it, nothing trained.

        Parameters
        ----------
        run : ModelRun
            A run with ``get_explainer()``, e.g. ``automl.ChildRun``: the explainer that
            produced the run's stored explanation (the model's own exact one, a LightGBM mimic
            with its recorded fidelity, or a blend with its featurization).
        unknown_categories : {"accept", "refuse"}, default="accept"
            See :class:`ScoringExplainer`.
        """
        stored = run.get_explainer()
        if not isinstance(stored, RunExplainer):
            raise ExplanationTypeError(f"ScoringExplainer.from_run: run.get_explainer() must return a "
                                       f"RunExplainer, got {type(stored).__name__}.")
        options: dict[str, Any] = {"fidelity": stored.fidelity, "unknown_categories": unknown_categories}
        if stored.featurizer is not None:
            options.update(featurizer=stored.featurizer, model=stored.model)
        return cls.for_explainer(stored.explainer, stored.examples, **options)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.explainer_.adapter_.name}, {self.model_task_}, "
                f"{len(self.input_columns_)} input columns)")

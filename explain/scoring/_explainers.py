"""Scoring explainers: a fitted explainer reduced to what inference needs.

``explain(data)`` returns local importance values only (no ``Explanation`` object, no
aggregation, no additivity check against a second model call), so a deployed model pays
little on top of the model's own contribution call. The values are those of the fitted
explainer it was built from: the tests hold them equal row for row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Protocol

import numpy as np
import scipy.sparse as sp

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._labels import LabelMap
from explain._mapping import as_feature_map
from explain._validation import column_kinds
from explain.explainers import (
    DeepExplainer,
    KernelExplainer,
    LinearExplainer,
    MimicExplainer,
    TreeExplainer,
)
from explain.explainers._adapters import model_family
from explain.explainers._base import _subset_map
from featurization import FeatureMap

__all__ = [
    "DeepScoringExplainer",
    "KernelScoringExplainer",
    "LinearScoringExplainer",
    "Scored",
    "ScoringExplainer",
    "TreeScoringExplainer",
]


SURROGATE_TREES = 200
BACKGROUND_ROWS = 1000


class ModelRun(Protocol):
    """What :meth:`ScoringExplainer.from_run` reads of a run (an AutoML ``ChildRun`` has it)."""

    def get_model(self) -> Any: ...

    def training_sample(self, n_rows: int) -> Any: ...


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
    """

    predictions: np.ndarray
    probabilities: np.ndarray | None
    values: np.ndarray | None
    expected: np.ndarray | None
    raw: bool


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

    Attributes
    ----------
    features_ : tuple of str
        Engineered feature names (the model's input after any transformations).
    raw_features_ : tuple of str or None
        Raw feature names, when a feature map exists.
    input_columns_ : tuple of str
        Columns :meth:`explain` and :meth:`predict` take.
    input_schema_ : dict of str to str
        Kind of each input column (``"number"``, ``"integer"``, ``"boolean"``, ``"string"``).
    classes_ : tuple or None
        Class labels of a classifier.
    model_task_ : str
        ``"classification"`` or ``"regression"``.
    """

    method: str = "scoring"
    accepts: ClassVar[tuple[type, ...]] = ()

    def __init__(self, explainer: Any, initialization_examples: Any = None,
                 feature_maps: Any = None) -> None:
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
        self.input_columns_ = tuple(raw.columns) if raw is not None else tuple(inner.columns_)
        self.input_schema_ = self._schema(initialization_examples)
        self.output_space_ = inner.output_space_
        self.model_ = inner.input_model_
        _ = self._labels  # classes against the model's labels, checked at construction

    def _feature_map(self, inner: Any, feature_maps: Any) -> FeatureMap | None:
        if feature_maps is None:
            return inner.feature_map_
        fmap = as_feature_map(feature_maps, None, self.features_, False)
        if fmap.n_engineered != len(self.features_):
            raise ExplanationValueError(
                f"{type(self).__name__}: feature_maps has {fmap.n_engineered} engineered features but "
                f"the explainer has {len(self.features_)}.")
        return fmap if inner.feature_map_ is None else inner.feature_map_.compose(fmap)

    def _schema(self, examples: Any) -> dict[str, str]:
        kinds = column_kinds(examples) if examples is not None else self.explainer_.input_kinds_
        return {c: (kinds or {}).get(c, "number") for c in self.input_columns_}

    # ------------------------------------------------------------------ public API
    def explain(self, evaluation_examples: Any, get_raw: bool | None = None) -> np.ndarray:
        """Local importance values of each row.

        Parameters
        ----------
        evaluation_examples : DataFrame or array-like of shape (n_rows, n_columns)
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
        return self._explained(self.explainer_._evaluation_matrix(evaluation_examples, "explain"), raw)

    def _explained(self, X: Any, raw: bool) -> tuple[np.ndarray, np.ndarray]:
        """Values (n_outputs, n_rows, n_features) and expected values of validated rows."""
        values, expected = self._values(X)
        if self.model_task_ == "classification" and values.shape[0] == 1:
            values, expected = np.concatenate([-values, values]), np.concatenate([-expected, expected])
        if raw:
            assert self.feature_map_ is not None
            values = _subset_map(self.feature_map_, self.explainer_.explain_subset_).map_values(values)
        return values, expected

    def score(self, evaluation_examples: Any, explain: bool = True, get_raw: bool | None = None
              ) -> Scored:
        """Predictions, probabilities and (optionally) local importances in one pass.

        The rows are validated and featurized once, which is what a scoring service wants per
        request; labels come from the model's ``predict`` (a thresholded classifier need not
        predict its most probable class).
        """
        raw = self._want_raw(get_raw) if explain else False
        X = self.explainer_._evaluation_matrix(evaluation_examples, "score")
        native = self._native_predictions(X)
        if native is not None:
            predictions, probabilities = native
        else:
            adapter = self.explainer_.adapter_
            probabilities = None
            has_proba = callable(getattr(adapter.model, "predict_proba", None))
            if self.model_task_ == "classification" and has_proba:
                probabilities = adapter.predict_output(X)
            # the model's own predict: not every classifier predicts the most probable class
            predictions = np.asarray(adapter.predict(X))
        values, expected = self._explained(X, raw) if explain else (None, None)
        return Scored(self._as_classes(predictions), probabilities, values, expected, raw)

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
        if self.explainer_.adapter_.is_function:
            return labels.names(predictions)
        return labels.to_classes(predictions, argument="the model's predictions")

    def _native_predictions(self, X: Any) -> tuple[np.ndarray, np.ndarray | None] | None:
        """Predictions and probabilities without the scikit-learn wrapper, where that is exact."""
        return None

    def warm_up(self) -> None:
        """Prepare anything built lazily, so the first request is not slower (``load`` calls it)."""

    def predict(self, evaluation_examples: Any) -> np.ndarray:
        """The model's predictions (values, or labels as values of ``classes_``), shape (n_rows,)."""
        X = self.explainer_._evaluation_matrix(evaluation_examples, "predict")
        return self._as_classes(np.asarray(self.explainer_.adapter_.predict(X)))

    def predict_proba(self, evaluation_examples: Any) -> np.ndarray:
        """Class probabilities of a classifier, shape (n_rows, n_classes)."""
        if self.model_task_ != "classification":
            raise ExplanationTypeError(f"{type(self).__name__}.predict_proba: the model is a regressor.")
        X = self.explainer_._evaluation_matrix(evaluation_examples, "predict_proba")
        return self.explainer_.adapter_.predict_output(X)

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
        subset = self.explainer_.explain_subset_
        return self.features_ if subset is None else tuple(self.features_[i] for i in subset)

    def _values(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        result = self.explainer_._local_values(X)
        return result.values, np.asarray(result.expected, dtype=np.float64)

    @classmethod
    def for_explainer(cls, explainer: Any, initialization_examples: Any = None,
                      feature_maps: Any = None) -> ScoringExplainer:
        """The scoring explainer matching a fitted explainer (a mimic gives a tree one)."""
        inner = _unwrap(explainer)
        for candidate in (TreeScoringExplainer, LinearScoringExplainer, DeepScoringExplainer,
                          KernelScoringExplainer):
            if isinstance(inner, candidate.accepts):
                return candidate(inner, initialization_examples, feature_maps)
        raise ExplanationTypeError(
            f"ScoringExplainer.for_explainer: no scoring explainer for {type(inner).__name__}.")

    @classmethod
    def from_run(cls, run: ModelRun, *, background_rows: int = BACKGROUND_ROWS,
                 random_state: int = 0) -> ScoringExplainer:
        """A scoring explainer for an AutoML run's model.

        Tree and linear models get their exact explainer; others a LightGBM mimic
        (``TreeScoringExplainer``) trained on ``background_rows`` of the run's training data.

        Parameters
        ----------
        run : ModelRun
            A run with ``get_model()`` and ``training_sample(n_rows)``, e.g. ``automl.ChildRun``.
        background_rows : int, default=1000
            Training rows for the linear background or the mimic's surrogate.
        random_state : int, default=0
            Seed of the surrogate.
        """
        from explain.explainers import TabularExplainer, choose_explainer
        from explain.models import LGBMExplainableModel

        model = run.get_model()
        background = run.training_sample(background_rows)
        if choose_explainer(model) is KernelExplainer:
            explainer: Any = MimicExplainer(
                model, background, LGBMExplainableModel, random_state=random_state,
                explainable_model_args={"n_estimators": SURROGATE_TREES})
        else:
            explainer = TabularExplainer(model, background)
        return cls.for_explainer(explainer, background)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.explainer_.adapter_.name}, {self.model_task_}, "
                f"{len(self.input_columns_)} input columns)")


class TreeScoringExplainer(ScoringExplainer):
    """Tree SHAP at inference: LightGBM / XGBoost native contributions, shap for scikit-learn.

    Built from a ``TreeExplainer`` or from a ``MimicExplainer`` with a tree surrogate (the
    surrogate is explained; predictions come from the model itself).

    Examples
    --------
    >>> from lightgbm import LGBMRegressor
    >>> from sklearn.datasets import load_diabetes
    >>> from explain import TreeExplainer
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = LGBMRegressor(n_estimators=20, verbose=-1, n_jobs=1).fit(X, y)
    >>> scoring = TreeScoringExplainer(TreeExplainer(model))
    >>> scoring.explain(X.iloc[:3]).shape
    (3, 10)
    """

    method = "shap.tree"
    accepts = (TreeExplainer, MimicExplainer)

    def __init__(self, explainer: Any, initialization_examples: Any = None,
                 feature_maps: Any = None) -> None:
        super().__init__(explainer, initialization_examples, feature_maps)
        inner = self.explainer_
        if isinstance(inner, MimicExplainer) and inner.surrogate_.kind not in ("lightgbm", "tree"):
            raise ExplanationTypeError(
                f"TreeScoringExplainer: the mimic's surrogate is {inner.surrogate_.kind!r}, not a tree; "
                "use LinearScoringExplainer's closed form through the explainer instead.")
        tree = inner.surrogate_.model_ if isinstance(inner, MimicExplainer) else inner.model
        self.family_ = model_family(tree)
        self.tree_model_ = tree
        self.method = "mimic.tree" if isinstance(inner, MimicExplainer) else "shap.tree"

    def warm_up(self) -> None:
        """Build the compiled TreeSHAP's tables now (they are not pickled), not on the first
        request."""
        if isinstance(self.explainer_, TreeExplainer) and self.explainer_.algorithm_ == "fast":
            self.explainer_.tables()

    def _values(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        if self.family_ == "xgboost" or isinstance(self.explainer_, MimicExplainer):
            return super()._values(X)
        # contributions only: scoring needs no model output for an additivity check
        values, expected = self.explainer_.shap_values(X)
        return self.explainer_._select(values), expected

    def _native_predictions(self, X: Any) -> tuple[np.ndarray, np.ndarray | None] | None:
        """LightGBM's booster directly: what ``LGBMClassifier.predict_proba`` / ``predict`` return
        (labels are ``classes_[argmax]``, as in LightGBM), without the wrapper's per-call cost
        of rebuilding parameters and converting frames (about 1.8 ms per one-row request)."""
        model = self.tree_model_
        if self.family_ != "lightgbm" or isinstance(self.explainer_, MimicExplainer) \
                or callable(getattr(model, "objective_", None)):
            return None
        output = np.asarray(model.booster_.predict(X, num_threads=1), dtype=np.float64)
        if self.model_task_ != "classification":
            return output.ravel(), None
        proba = np.column_stack([1.0 - output, output]) if output.ndim == 1 else output
        return np.asarray(model.classes_)[proba.argmax(axis=1)], proba



class LinearScoringExplainer(ScoringExplainer):
    """Linear SHAP at inference: ``coef * (x - background mean)``, closed form.

    Built from a ``LinearExplainer`` (or a ``TabularExplainer`` that chose one).
    """

    method = "shap.linear"
    accepts = (LinearExplainer,)

    def _values(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        inner = self.explainer_
        dense = X.toarray() if sp.issparse(X) else np.asarray(X)
        values = inner.coef_[:, None, :] * (dense - inner.background_mean_)[None, :, :]  # type: ignore[attr-defined]
        return inner._select(values), np.asarray(inner.expected_values_)  # type: ignore[attr-defined]


class KernelScoringExplainer(ScoringExplainer):
    """Kernel SHAP at inference, against the explainer's summarized background.

    ``KernelScoringExplainer(explainer, initialization_examples=None)`` as in
    azureml-interpret; each call costs model evaluations on coalitions of the background, so
    prefer a tree or linear scoring explainer where the model allows.
    """

    method = "shap.kernel"
    accepts = (KernelExplainer,)


class DeepScoringExplainer(ScoringExplainer):
    """Deep SHAP at inference for PyTorch networks, against the explainer's background.

    Built from a ``DeepExplainer`` (or a ``TabularExplainer`` that chose one).
    """

    method = "shap.deep"
    accepts = (DeepExplainer,)

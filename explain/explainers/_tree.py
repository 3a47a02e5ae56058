"""Exact TreeSHAP for tree ensembles.

LightGBM models and scikit-learn decision trees, random forests and extra-trees are explained
by this library's compiled TreeSHAP with per-leaf tables (``explain.explainers._fast_tree_shap``,
the FastTreeSHAP v2 algorithm): the same path-dependent values as ``shap.TreeExplainer`` and
LightGBM's ``pred_contrib``, many times faster. XGBoost computes TreeSHAP natively
(``pred_contribs=True``, which shap also calls); scikit-learn gradient boosting goes through
``shap.TreeExplainer``. ``algorithm="native"`` uses LightGBM's ``pred_contrib`` and shap for
everything. The values are expressed in the ensemble's own output space: log-odds (raw
score) for boosted classifiers, probability for scikit-learn forests and single trees, the
prediction for regressors; that space is recorded on the explanation as ``output_space``.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._explanation import Explanation
from explain._ic_shape import records_call
from explain._mapping import raw_interactions
from explain._validation import Matrix
from explain.explainers._adapters import library_class, model_family
from explain.explainers._base import BaseExplainer, LocalResult, additivity_error
from explain.explainers._ic_options import check_shap_values_output, warn
from explain.explainers._kept_data import with_data
from explain.explainers._probability import binary_probability, softmax_probability, spread_to_target
from explain.explainers._tree_ensemble import UnsupportedTrees

if TYPE_CHECKING:  # numba is imported with the compiled TreeSHAP, on first use
    from explain.explainers._fast_tree_shap import CompiledTreeShap, TreeShapTables

__all__ = ["TreeExplainer", "is_tree_model"]

_RESCALED_NOTE = ("values rescaled per row from the model's log-odds to its probabilities "
                  "(shap_values_output='probability'; additive, an approximation of probability-space "
                  "Shapley values)")

_SKLEARN_TREES = (
    "DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier",
    "ExtraTreeRegressor", "RandomForestClassifier", "RandomForestRegressor",
    "ExtraTreesClassifier", "ExtraTreesRegressor", "GradientBoostingClassifier",
    "GradientBoostingRegressor", "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
)
# read by explain.explainers._tree_ensemble and explained by the compiled TreeSHAP
_FAST_SKLEARN = (
    "DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier",
    "ExtraTreeRegressor", "RandomForestClassifier", "RandomForestRegressor",
    "ExtraTreesClassifier", "ExtraTreesRegressor",
)
ALGORITHMS = ("auto", "fast", "native")


def supports_fast(model: Any) -> bool:
    """Whether the compiled TreeSHAP reads ``model`` (LightGBM, scikit-learn trees/forests)."""
    family, name = library_class(model)
    if family == "lightgbm":
        return name in ("LGBMClassifier", "LGBMRegressor", "LGBMModel")
    return family == "sklearn" and name in _FAST_SKLEARN and getattr(model, "n_outputs_", 1) == 1


def is_tree_model(model: Any) -> bool:
    """Whether TreeSHAP supports ``model`` (checked by class, without calling the model)."""
    family, name = library_class(model)
    if family == "lightgbm":  # linear trees have no TreeSHAP (LightGBM's pred_contrib refuses too)
        booster = getattr(model, "booster_", None)
        linear = bool(getattr(booster, "params", {}).get("linear_tree", False))
        return name in ("LGBMClassifier", "LGBMRegressor", "LGBMModel") and not linear
    if family == "xgboost":
        return name in ("XGBClassifier", "XGBRegressor", "XGBModel")
    if family == "sklearn" and name in _SKLEARN_TREES:
        # shap supports GradientBoostingClassifier for binary classification only
        return not (name == "GradientBoostingClassifier" and len(model.classes_) > 2)
    return False


class TreeExplainer(BaseExplainer):
    """Exact SHAP values of tree ensembles (TreeSHAP).

    Parameters
    ----------
    model : fitted tree model
        scikit-learn trees, forests, gradient boosting (incl. HistGradientBoosting), LightGBM
        (``LGBMClassifier``/``LGBMRegressor``) or XGBoost (``XGBClassifier``/``XGBRegressor``).
    initialization_examples : array-like, DataFrame or sparse matrix, default=None
        Example rows, used for feature names and validation only (TreeSHAP uses the trees'
        own cover statistics as the background).
    explain_subset : list of int or str, default=None
        Report only these features (all are computed; TreeSHAP costs the same).
    features : list of str, default=None
        Feature names; default: DataFrame columns, the model's ``feature_names_in_``, or
        ``x0, x1, ...``.
    classes : list, default=None
        Class labels; default: the model's ``classes_``.
    transformations : object, default=None
        The fitted featurization from raw data to the model's input (see
        :class:`TabularExplainer`); explanations are then returned for the raw columns.
    allow_all_transformations : bool, default=False
        Accept transformers that mix several inputs into several outputs, splitting each
        output evenly over its inputs.
    groups : dict of str to list of str, default=None
        Groups of columns explained as one feature: ``{group name: [column, ...]}`` over the
        raw columns (with ``transformations``) or the features. Ungrouped columns stay
        features of their own. A group's value is the sum of its columns' values (exact and
        additive); the per-column explanation is its ``engineered_explanation``.
    shap_values_output : {"default", "probability"}, default="default"
        interpret-community's argument: by default the values add up to the model's own
        output (see ``output_space``: a forest's probabilities, a boosted model's log-odds).
        ``"probability"`` rescales a boosted classifier's log-odds values per row to add up to
        its probabilities, as interpret-community did (``explain.explainers._probability``: an
        approximation of probability-space Shapley values, which the fidelity notes say);
        ``"teacher_probability"`` is accepted and warns.
    model_task : {"unknown", "classification", "regression"}, default="unknown"
        Set when the model's type does not tell.
    n_jobs : int, default=1
        Chunks of rows explained in parallel (threads; ``-1``: all cores).
    algorithm : {"auto", "fast", "native"}, default="auto"
        ``"fast"``: this library's compiled TreeSHAP with per-leaf tables (LightGBM and
        scikit-learn decision trees, random forests and extra-trees); ``"native"``: LightGBM's
        own ``pred_contrib`` and ``shap.TreeExplainer``; ``"auto"``: fast where supported.
        Both compute the same exact values.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from explain import TreeExplainer
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, y)
    >>> explanation = TreeExplainer(model, X).explain_local(X.iloc[:5])
    >>> explanation.local_values.shape  # (outputs, rows, features): one output for a regressor
    (1, 5, 10)
    """

    method = "shap.tree"
    reads_model_structure = True

    def __init__(self, model: Any, initialization_examples: Any = None, *,
                 explain_subset: Any = None, features: Any = None, classes: Any = None,
                 transformations: Any = None, allow_all_transformations: bool = False,
                 model_task: str = "unknown", n_jobs: int = 1, algorithm: str = "auto",
                 groups: Any = None, shap_values_output: Any = "default") -> None:
        output = check_shap_values_output(shap_values_output, "TreeExplainer")  # interpret-community's
        if algorithm not in ALGORITHMS:
            raise ExplanationValueError(
                f"TreeExplainer: algorithm must be one of {ALGORITHMS}, got {algorithm!r}.")
        self.allow_all_transformations = allow_all_transformations
        self.algorithm = algorithm
        self._set_up(model, initialization_examples, is_function=False,
                     explain_subset=explain_subset, features=features, classes=classes,
                     transformations=transformations,
                     allow_all_transformations=allow_all_transformations,
                     model_task=model_task, n_jobs=n_jobs,
                     require_init=False, groups=groups)
        if not is_tree_model(self.model):
            raise ExplanationTypeError(
                f"TreeExplainer: {type(self.model).__name__} is not a supported tree model; use "
                "TabularExplainer, which picks a suitable explainer."
            )
        fast = algorithm != "native" and supports_fast(self.model)
        if algorithm == "fast" and not fast:
            raise ExplanationValueError(
                f"TreeExplainer: algorithm='fast' supports LightGBM and scikit-learn decision "
                f"trees, random forests and extra-trees, not {type(self.model).__name__}; use "
                "algorithm='auto'.")
        self.algorithm_ = "fast" if fast else "native"
        self._shap_explainer: Any = None
        self._lock = threading.Lock()
        n_outputs = (len(self.model.classes_) if self.model_task == "classification"
                     and hasattr(self.model, "classes_") else 1)
        self.compiled_: CompiledTreeShap | None = None
        if fast:
            from explain.explainers._fast_tree_shap import CompiledTreeShap

            self.compiled_ = CompiledTreeShap(self.model, n_outputs)
        self.output_space_ = self._output_space(model_family(self.model))
        self.rescaled_ = output == "probability" and self.output_space_ == "log_odds" \
            and self.model_task == "classification"
        if self.rescaled_:
            self.output_space_ = "probability"
        elif output != "default" and self.output_space_ != "probability":
            warn(f"TreeExplainer: shap_values_output={output!r} is accepted, but this model's values add "
                 f"up to its {self.output_space_!r} output, not to probabilities (see "
                 "explanation.output_space).", stacklevel=3)

    def _explain(self, X: Any, **kwargs: Any) -> Explanation:
        if self.rescaled_:
            kwargs["notes"] = (*kwargs.get("notes", ()), _RESCALED_NOTE)
        return super()._explain(X, **kwargs)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_lock": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({"rescaled_": False, **state})  # explainers pickled before rescaled_
        self._lock = threading.Lock()

    def _compute(self, X: Matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Values (k, n, f), expected values (k,) and the model's output (k, n) of ``X``."""
        if self.compiled_ is not None:
            return self._fast(X)
        family = model_family(self.model)
        if family == "lightgbm":
            return self._lightgbm(X)
        return self._xgboost(X) if family == "xgboost" else self._sklearn(X)

    def _output_space(self, family: str) -> str:
        if self.model_task == "regression":
            return "raw"
        if family in ("lightgbm", "xgboost"):
            return "log_odds"
        if self.algorithm_ == "fast":  # scikit-learn trees and forests average probabilities
            return "probability"
        import shap

        self._shap_explainer = shap.TreeExplainer(self.model)
        return "log_odds" if self._shap_explainer.model.tree_output == "log_odds" else "probability"

    @records_call("explain_local")
    def explain_local(self, evaluation_examples: Any, interactions: bool = False, *,
                      batch_size: int | None = None,
                      show_progress: bool | None = None) -> Explanation:
        """Explain each row; with ``interactions=True`` also SHAP interaction values.

        Parameters
        ----------
        evaluation_examples : array-like, DataFrame, sparse matrix, dask DataFrame or dask Array
            Rows to explain, of shape (n_rows, n_features).
        interactions : bool, default=False
            Add ``interaction_values`` of shape (outputs, rows, features, features): main
            effects on the diagonal, each row of a matrix summing to that feature's local value
            (XGBoost's own ``pred_interactions``, shap's TreeSHAP for LightGBM and scikit-learn
            trees). Raw explanations get them mapped to raw features on both axes. They cost
            about ``n_features`` times the local values, so explain few rows at a time; they
            need in-memory rows.
        batch_size : int, default=None
            Rows per chunk (see :meth:`BaseExplainer.explain_local`).
        show_progress : bool, default=None
            Show a progress bar; ``None``: for long runs on a terminal.
        """
        if not interactions:
            return super().explain_local(evaluation_examples, batch_size=batch_size,
                                         show_progress=show_progress)
        if self.explain_subset_ is not None:
            raise ExplanationValueError("TreeExplainer.explain_local: interactions=True explains every "
                                        "feature; set up the explainer without explain_subset.")
        if hasattr(evaluation_examples, "dask"):
            raise ExplanationTypeError("TreeExplainer.explain_local: interactions=True needs in-memory "
                                       "rows, not a Dask collection; compute a sample first.")
        X = self._evaluation_matrix(evaluation_examples, "explain_local")
        explanation = self._explain(X, include_local=True, batch_size=None)
        values = self._interactions(X)
        if self.model_task == "classification" and values.shape[0] == 1:
            values = np.concatenate([-values, values])
        if explanation.engineered_explanation is None or explanation.feature_map is None:
            return with_data(self, replace(explanation, interaction_values=values), evaluation_examples, X)
        mapped = raw_interactions(values, explanation.feature_map)
        explanation = replace(explanation, interaction_values=mapped,
                              engineered_explanation=replace(explanation.engineered_explanation,
                                                             interaction_values=values))
        return with_data(self, explanation, evaluation_examples, X)

    def _interactions(self, X: Matrix) -> np.ndarray:
        """Interaction values of shape (n_outputs, n_rows, n_features, n_features)."""
        dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
        if model_family(self.model) == "xgboost":
            import xgboost

            booster = self.model.get_booster()
            best = _best_iteration(self.model)
            matrix = xgboost.DMatrix(dense, feature_names=booster.feature_names, missing=np.nan,
                                     nthread=self.n_jobs)
            raw = np.asarray(booster.predict(matrix, pred_interactions=True,
                                             iteration_range=(0, 0) if best is None else (0, best + 1)),
                             dtype=np.float64)
            raw = raw[..., :-1, :-1]  # drop the bias row and column
            return raw[None] if raw.ndim == 3 else raw.transpose(1, 0, 2, 3)
        raw = self._shap_tree().shap_interaction_values(dense)
        if isinstance(raw, list):
            return np.stack([np.asarray(v, dtype=np.float64) for v in raw])
        array = np.asarray(raw, dtype=np.float64)
        return array[None] if array.ndim == 3 else array.transpose(3, 0, 1, 2)

    def _local_values(self, X: Matrix) -> LocalResult:
        values, expected, output = self._compute(X)
        if self.rescaled_:  # log-odds values rescaled to add up to probabilities
            if values.shape[0] == 1:
                values, expected, output = binary_probability(values, expected, output)
            else:
                expected, output = softmax_probability(expected, output)
                values = spread_to_target(values, expected, output)
        return LocalResult(
            values=self._select(values), expected=expected,
            additivity=additivity_error(values, expected, output),
        )

    def tables(self) -> TreeShapTables:
        """The compiled TreeSHAP's per-leaf tables of the model, built on first use."""
        if self.compiled_ is None:
            raise ExplanationValueError("TreeExplainer: the compiled TreeSHAP is not used for "
                                        f"this model (algorithm_={self.algorithm_!r}).")
        try:
            return self.compiled_.tables()
        except UnsupportedTrees as error:
            raise ExplanationTypeError(
                f"TreeExplainer: this model has {error}, which TreeSHAP does not support; use "
                "KernelExplainer or MimicExplainer.") from error

    def shap_values(self, X: Matrix) -> tuple[np.ndarray, np.ndarray]:
        """SHAP values (k, n, f) and expected values (k,) of all features, without the output.

        The scoring explainers use this; :meth:`explain_local` adds validation, the model's
        output for the additivity check, and the explanation object.
        """
        if self.compiled_ is not None:
            self.tables()  # errors worded for TreeExplainer
            return self.compiled_.values(_dense(X))
        if model_family(self.model) == "lightgbm":
            values, expected, _ = lightgbm_contributions(self.model.booster_, X,
                                                         self.n_features_in_, 1, raw_score=False)
            return values, expected
        if model_family(self.model) == "xgboost":
            values, expected, _ = self._xgboost(X)
            return values, expected
        return self.sklearn_values(X)

    def _fast(self, X: Matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dense = _dense(X)
        values, expected = self.shap_values(dense)
        if model_family(self.model) == "lightgbm":
            assert self.compiled_ is not None
            return values, expected, self.compiled_.lightgbm_output(dense)
        return values, expected, self._sklearn_output(dense, values.shape[0])

    def _lightgbm(self, X: Matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # one thread per chunk: chunks run n_jobs at a time (BaseExplainer's contract)
        return lightgbm_contributions(self.model.booster_, X, self.n_features_in_, 1)

    def _xgboost(self, X: Matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import xgboost

        booster = self.model.get_booster()
        matrix = xgboost.DMatrix(X, feature_names=booster.feature_names, missing=np.nan,
                                 nthread=1)
        best = _best_iteration(self.model)
        iteration_range = (0, 0) if best is None else (0, best + 1)
        contrib = booster.predict(matrix, pred_contribs=True, iteration_range=iteration_range)
        margin = booster.predict(matrix, output_margin=True, iteration_range=iteration_range)
        contrib = np.asarray(contrib, dtype=np.float64)
        if contrib.ndim == 3:  # (n, k, f + 1) for multiclass
            contrib = contrib.reshape(contrib.shape[0], -1)
        return _split_contrib(contrib, self.n_features_in_, np.asarray(margin, dtype=np.float64))

    def _shap_tree(self) -> Any:
        """shap's TreeExplainer of the model, made on first use and kept (chunks may ask at once)."""
        with self._lock:
            if self._shap_explainer is None:
                import shap

                self._shap_explainer = shap.TreeExplainer(self.model)
            return self._shap_explainer

    def sklearn_values(self, X: Matrix) -> tuple[np.ndarray, np.ndarray]:
        """shap's TreeSHAP values (k, n, f) and expected values (k,), without the model output."""
        dense = X.toarray() if sp.issparse(X) else np.asarray(X)
        explainer = self._shap_tree()
        values = _normalize_shap_output(explainer.shap_values(dense, check_additivity=False), dense.shape[0])
        return values, np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))

    def _sklearn(self, X: Matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        values, expected = self.sklearn_values(X)
        dense = X.toarray() if sp.issparse(X) else np.asarray(X)
        return values, expected, self._sklearn_output(dense, values.shape[0])

    def _sklearn_output(self, X: np.ndarray, n_outputs: int) -> np.ndarray:
        frame = self.adapter_._frame(X)
        if self.model_task == "regression":
            return np.asarray(self.model.predict(frame), dtype=float).reshape(1, -1)
        if self.output_space_ == "probability":
            return np.asarray(self.model.predict_proba(frame), dtype=float).T
        margin = np.asarray(self.model.decision_function(frame), dtype=float)
        return margin.reshape(1, -1) if n_outputs == 1 else margin.T


def lightgbm_contributions(booster: Any, X: Matrix, n_features: int, n_jobs: int,
                           raw_score: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LightGBM's TreeSHAP (``pred_contrib``) as values (k, n, f), bias (k,), raw score (k, n).

    Sparse input makes LightGBM return sparse blocks (one per class); they are densified.
    With ``raw_score=False`` the raw score is not computed (shape (0, n)): scoring skips it.
    """
    contrib = booster.predict(X, pred_contrib=True, num_threads=n_jobs)
    if sp.issparse(contrib) or isinstance(contrib, list):
        blocks = contrib if isinstance(contrib, list) else [contrib]
        contrib = np.hstack([sp.csr_matrix(b).toarray() for b in blocks])
    raw = booster.predict(X, raw_score=True, num_threads=n_jobs) if raw_score else np.zeros(0)
    return _split_contrib(np.asarray(contrib), n_features, raw)


def _dense(X: Matrix) -> np.ndarray:
    return X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)


def _best_iteration(model: Any) -> int | None:
    try:
        return int(model.best_iteration)
    except (AttributeError, TypeError, ValueError):
        return None


def _split_contrib(contrib: np.ndarray, n_features: int,
                   raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split ``(n, k * (f + 1))`` contributions into values (k, n, f), bias (k,), output (k, n)."""
    n_rows = contrib.shape[0]
    k = contrib.shape[1] // (n_features + 1)
    blocks = contrib.reshape(n_rows, k, n_features + 1).transpose(1, 0, 2)
    values = np.ascontiguousarray(blocks[:, :, :n_features], dtype=np.float64)
    expected = blocks[:, 0, n_features].astype(np.float64)
    output = np.asarray(raw, dtype=np.float64).reshape(n_rows, -1).T
    return values, expected, output


def _normalize_shap_output(raw: Any, n_rows: int) -> np.ndarray:
    """Turn shap's output (list per class, (n, f) or (n, f, k) array) into (k, n, f).

    shap has changed this format across versions; the explanation's shape is ours.
    """
    if isinstance(raw, list):
        return np.stack([np.asarray(v, dtype=np.float64) for v in raw])
    array = np.asarray(raw, dtype=np.float64)
    if array.ndim == 2:
        return array[None]
    if array.ndim == 3 and array.shape[0] == n_rows:
        return array.transpose(2, 0, 1)
    return array

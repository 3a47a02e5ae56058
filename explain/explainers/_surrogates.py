"""Explainable surrogate models for :class:`~explain.MimicExplainer`.

Each surrogate is a scikit-learn estimator that learns the explained model's output and
explains itself exactly: tree SHAP for LightGBM and the decision tree, linear SHAP for the
linear and SGD models. ``classification=False`` fits a regressor (used for regression
models and for a binary classifier's log-odds); ``classification=True`` fits a classifier
on the explained model's predicted labels (multiclass).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier, SGDRegressor
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.validation import check_is_fitted

from explain._validation import Matrix

__all__ = [
    "DecisionTreeExplainableModel",
    "ExplainableModel",
    "LGBMExplainableModel",
    "LinearExplainableModel",
    "SGDExplainableModel",
]

Values = tuple[np.ndarray, np.ndarray, np.ndarray]


class ExplainableModel(BaseEstimator):
    """Base of the surrogates: fit, predict, and exact SHAP values of the fitted surrogate.

    Parameters
    ----------
    classification : bool, default=False
        Fit a classifier (on labels) instead of a regressor (on real-valued targets).
    random_state : int, default=0
        Seed of the underlying model.
    n_jobs : int, default=1
        Threads of the underlying model's training where it has them; ``shap_values`` runs
        single-threaded (the explainer computes chunks of rows in parallel instead).
    params : dict, default=None
        Extra keyword arguments for the underlying model (``explainable_model_args``).
    """

    kind: ClassVar[str] = "base"

    def __init__(self, *, classification: bool = False, random_state: int = 0, n_jobs: int = 1,
                 params: dict[str, Any] | None = None) -> None:
        self.classification = classification
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.params = params

    def fit(self, X: Matrix, y: np.ndarray, categorical_features: list[int] | None = None
            ) -> ExplainableModel:
        """Fit the surrogate on ``X`` and targets ``y``; return ``self``."""
        self.model_ = self._make_model()
        self._fit_model(X, np.asarray(y), categorical_features)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: Matrix) -> np.ndarray:
        """Predicted labels (classification) or values (regression)."""
        check_is_fitted(self, "model_")
        return self.model_.predict(X)

    def shap_values(self, X: Matrix) -> Values:
        """Exact SHAP values of the surrogate.

        Returns
        -------
        values : ndarray of shape (n_outputs, n_rows, n_features)
        expected : ndarray of shape (n_outputs,)
        output : ndarray of shape (n_outputs, n_rows)
            The surrogate's output in the space the values add up to.
        """
        check_is_fitted(self, "model_")
        return self._shap_values(X)

    @property
    def output_space(self) -> str:
        """The output space the SHAP values add up to."""
        return "raw" if not self.classification else "log_odds"

    def _make_model(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_model(self, X: Matrix, y: np.ndarray, categorical: list[int] | None) -> None:
        self.model_.fit(X, y)

    def _shap_values(self, X: Matrix) -> Values:  # pragma: no cover - abstract
        raise NotImplementedError

    def _compile(self) -> None:
        """Tree surrogates: set ``compiled_``, the fitted model's compiled TreeSHAP (its tables
        are built on first use)."""
        from explain.explainers._fast_tree_shap import CompiledTreeShap

        n_outputs = len(self.model_.classes_) if hasattr(self.model_, "classes_") else 1
        self.compiled_ = CompiledTreeShap(self.model_, n_outputs)


class LGBMExplainableModel(ExplainableModel):
    """LightGBM surrogate (default 100 trees, 31 leaves), explained by native TreeSHAP."""

    kind = "lightgbm"

    def _make_model(self) -> Any:
        import lightgbm

        # params last: a random_state or n_jobs given there wins instead of being passed twice
        params = {"n_estimators": 100, "verbose": -1, "random_state": self.random_state,
                  "n_jobs": self.n_jobs, **(self.params or {})}
        cls = lightgbm.LGBMClassifier if self.classification else lightgbm.LGBMRegressor
        return cls(**params)

    def _fit_model(self, X: Matrix, y: np.ndarray, categorical: list[int] | None) -> None:
        self.model_.fit(X, y, categorical_feature=categorical if categorical else "auto")
        self._compile()

    def _shap_values(self, X: Matrix) -> Values:
        # the compiled TreeSHAP, one thread: MimicExplainer computes chunks of rows n_jobs at a
        # time (its _local_values contract); threads inside a chunk would oversubscribe cores
        dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
        values, expected = self.compiled_.values(dense)
        return values, expected, self.compiled_.lightgbm_output(dense)


class DecisionTreeExplainableModel(ExplainableModel):
    """Decision-tree surrogate (default ``max_depth=None``), explained by TreeSHAP."""

    kind = "tree"

    @property
    def output_space(self) -> str:
        return "probability" if self.classification else "raw"

    def _make_model(self) -> Any:
        cls = DecisionTreeClassifier if self.classification else DecisionTreeRegressor
        return cls(**{"random_state": self.random_state, **(self.params or {})})

    def _fit_model(self, X: Matrix, y: np.ndarray, categorical: list[int] | None) -> None:
        self.model_.fit(X, y)
        self._compile()

    def _shap_values(self, X: Matrix) -> Values:
        dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
        values, expected = self.compiled_.values(dense)
        if self.classification:
            output = self.model_.predict_proba(dense).T
        else:
            output = self.model_.predict(dense).reshape(1, -1)
        return values, expected, np.asarray(output, dtype=np.float64)


class _LinearSurrogate(ExplainableModel):
    """Linear surrogate fitted on standardized features, explained in the original units.

    Standardizing makes regularized and SGD fits independent of feature scales; the fitted
    coefficients are folded back (``w / scale``) so that linear SHAP,
    ``w_i * (x_i - mean_i)``, is expressed in the user's features. The scaling is done here
    rather than with a ``Pipeline`` because the explanation needs the folded coefficients.
    """

    def _fit_model(self, X: Matrix, y: np.ndarray, categorical: list[int] | None) -> None:
        self.scaler_ = StandardScaler(with_mean=not sp.issparse(X)).fit(X)
        if _one_vs_rest(self.model_, y):
            self.model_ = OneVsRestClassifier(self.model_)
        self.model_.fit(self.scaler_.transform(X), y)
        scale = self.scaler_.scale_
        self.mean_ = np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
        coef = (np.vstack([e.coef_ for e in self.model_.estimators_])
                if isinstance(self.model_, OneVsRestClassifier) else self.model_.coef_)
        self.coef_ = np.atleast_2d(coef) / scale

    def predict(self, X: Matrix) -> np.ndarray:
        check_is_fitted(self, "model_")
        return self.model_.predict(self.scaler_.transform(X))

    def _shap_values(self, X: Matrix) -> Values:
        dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
        values = self.coef_[:, None, :] * (dense - self.mean_)[None, :, :]
        output = self._linear_output(X)
        expected = self._linear_output(self.mean_.reshape(1, -1))[:, 0]
        return values, expected, output

    def _linear_output(self, X: Matrix) -> np.ndarray:
        """The surrogate's decision function (or prediction), shape (n_outputs, n_rows)."""
        scaled = self.scaler_.transform(X)
        if self.classification:
            output = np.asarray(self.model_.decision_function(scaled), dtype=np.float64)
        else:
            output = np.asarray(self.model_.predict(scaled), dtype=np.float64)
        return output.reshape(1, -1) if output.ndim == 1 else output.T


def _one_vs_rest(model: Any, y: np.ndarray) -> bool:
    """Whether ``model`` is a liblinear ``LogisticRegression`` given more than two classes.

    liblinear fits one class against the rest; scikit-learn did so by itself for more than
    two classes until 1.8, which refuses them instead. interpret-community's examples and
    ported code pass ``explainable_model_args={"solver": "liblinear"}``, so such a model is
    wrapped in a ``OneVsRestClassifier``: the same one-vs-rest fit as before.
    """
    return (isinstance(model, LogisticRegression) and model.solver == "liblinear"
            and np.unique(y).size > 2)


class LinearExplainableModel(_LinearSurrogate):
    """Linear surrogate: ``LinearRegression``, or ``LogisticRegression`` for labels."""

    kind = "linear"

    def _make_model(self) -> Any:
        if self.classification:
            params = {"max_iter": 1000, "random_state": self.random_state, **(self.params or {})}
            return LogisticRegression(**params)
        return LinearRegression(**(self.params or {}))


class SGDExplainableModel(_LinearSurrogate):
    """Linear surrogate trained by SGD: ``SGDRegressor``, or ``SGDClassifier(loss="log_loss")``."""

    kind = "sgd"

    @property
    def output_space(self) -> str:
        return "raw" if not self.classification else "margin"

    def _make_model(self) -> Any:
        params = {"random_state": self.random_state, **(self.params or {})}
        if self.classification:
            params.setdefault("loss", "log_loss")
            return SGDClassifier(**params)
        return SGDRegressor(**params)

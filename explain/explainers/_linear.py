"""Exact SHAP values of linear models.

For a model ``f(x) = w . x + b`` with features treated as independent (the interventional
value function), the Shapley value of feature ``i`` is ``w_i * (x_i - E[x_i])`` and the base
value is ``f(E[x])``. This closed form is computed here directly rather than through
``shap.LinearExplainer``: it is exact, vectorised over rows and classes, and accepts sparse
data, without shap's masker machinery. Values are in the model's decision-function space:
log-odds for logistic regression, the margin for other linear classifiers, the prediction
for regressors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.linear_model._base import LinearClassifierMixin, LinearModel

from explain._exceptions import ExplanationTypeError
from explain._validation import Matrix
from explain.explainers._adapters import model_family
from explain.explainers._base import BaseExplainer, LocalResult, additivity_error

__all__ = ["LinearExplainer", "is_linear_model"]

_OTHER_LINEAR = ("SGDRegressor", "LinearSVR", "PassiveAggressiveRegressor")


_SOFTMAX_OF_DECISION = (LogisticRegression, LogisticRegressionCV, LinearDiscriminantAnalysis)


def is_linear_model(model: Any) -> bool:
    """Whether ``model`` is a fitted scikit-learn model whose decision function is linear."""
    if _one_vs_rest(model) is not None:
        return True
    if model_family(model) != "sklearn" or not hasattr(model, "coef_"):
        return False
    return isinstance(model, LinearModel | LinearClassifierMixin) or (
        type(model).__name__ in _OTHER_LINEAR
    )


def _one_vs_rest(model: Any) -> list[Any] | None:
    """The binary linear models of a fitted ``OneVsRestClassifier`` of linear models (what
    ``LogisticRegression(solver="liblinear")`` fitted on more than two classes before
    scikit-learn 1.8), whose decision function stacks theirs; ``None`` for other models."""
    parts = getattr(model, "estimators_", None)
    if type(model).__name__ != "OneVsRestClassifier" or not parts:
        return None
    return list(parts) if all(is_linear_model(part) for part in parts) else None


class LinearExplainer(BaseExplainer):
    """Exact SHAP values of linear models (independent features).

    Parameters
    ----------
    model : fitted linear model
        A scikit-learn linear model: ``LinearRegression``, ``Ridge``, ``Lasso``,
        ``ElasticNet``, ``LogisticRegression``, ``SGDClassifier``, ``SGDRegressor``,
        ``LinearSVC``, ``LinearSVR``, ..., or a ``OneVsRestClassifier`` of them (each class's
        own binary decision function is explained).
    initialization_examples : array-like, DataFrame or sparse matrix of shape (n_rows, n_features)
        Background data; its column means are the reference point of the explanation.
    explain_subset : list of int or str, default=None
        Report only these features.
    features : list of str, default=None
        Feature names.
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
    model_task : {"unknown", "classification", "regression"}, default="unknown"
        Set when the model's type does not tell.
    n_jobs : int, default=1
        Chunks of rows explained at the same time (threads; ``-1``: all cores).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from explain import LinearExplainer
    >>> X, y = load_diabetes(return_X_y=True)
    >>> explainer = LinearExplainer(Ridge().fit(X, y), X)
    >>> explanation = explainer.explain_global(X)
    >>> explanation.get_ranked_global_names(top_k=2)  # columns without names: their positions
    [2, 8]
    >>> explanation.features[:3]
    ('x0', 'x1', 'x2')
    """

    method = "shap.linear"
    reads_model_structure = True

    def __init__(self, model: Any, initialization_examples: Any, *, explain_subset: Any = None,
                 features: Any = None, classes: Any = None, transformations: Any = None,
                 allow_all_transformations: bool = False, model_task: str = "unknown",
                 n_jobs: int = 1, groups: Any = None) -> None:
        self.allow_all_transformations = allow_all_transformations
        self._set_up(model, initialization_examples, is_function=False,
                     explain_subset=explain_subset, features=features, classes=classes,
                     transformations=transformations,
                     allow_all_transformations=allow_all_transformations, model_task=model_task,
                     n_jobs=n_jobs, groups=groups)
        if not is_linear_model(self.model):
            raise ExplanationTypeError(
                f"LinearExplainer: {type(self.model).__name__} is not a fitted scikit-learn linear "
                "model; use TabularExplainer, which picks a suitable explainer."
            )
        model = self.model
        background = self.initialization_examples_
        assert background is not None  # required above
        self.background_mean_ = np.asarray(background.mean(axis=0), dtype=np.float64).ravel()
        parts = _one_vs_rest(model) or [model]
        self.coef_ = np.vstack([np.atleast_2d(np.asarray(p.coef_, dtype=np.float64)) for p in parts])
        self.intercept_ = np.hstack([np.atleast_1d(np.asarray(p.intercept_, dtype=np.float64))
                                     for p in parts])
        self.expected_values_ = self.coef_ @ self.background_mean_ + self.intercept_
        # one-vs-rest: each class's own binary margin (its probabilities are normalized); these
        # models' probabilities are the softmax (two classes: the logistic) of the decision function
        logistic = isinstance(model, _SOFTMAX_OF_DECISION) or (
            type(model).__name__ == "SGDClassifier" and model.loss in ("log_loss", "log")
        )
        self.output_space_ = "raw" if self.model_task == "regression" else (
            "log_odds" if logistic else "margin"
        )

    def _local_values(self, X: Matrix) -> LocalResult:
        dense = X.toarray() if sp.issparse(X) else np.asarray(X)
        centred = dense - self.background_mean_
        values = self.coef_[:, None, :] * centred[None, :, :]
        return LocalResult(
            values=self._select(values), expected=self.expected_values_,
            additivity=additivity_error(values, self.expected_values_, self._model_output(X)),
        )

    def _model_output(self, X: Matrix) -> np.ndarray:
        """The model's own decision function (or prediction), shape (n_outputs, n_rows)."""
        frame = self.adapter_._frame(X)
        if self.model_task == "regression":
            output = self.model.predict(frame)
        else:
            output = self.model.decision_function(frame)
        output = np.asarray(output, dtype=np.float64)
        return output.reshape(1, -1) if output.ndim == 1 else output.T

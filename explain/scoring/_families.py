"""The scoring explainer of each explainer family: tree, linear, Kernel and Deep SHAP.

Each accepts the fitted explainers of its family (``accepts``) and registers itself with
:meth:`ScoringExplainer.for_explainer`, which picks the first that accepts an explainer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from explain._exceptions import ExplanationTypeError
from explain._fidelity import Fidelity
from explain.explainers import (
    DeepExplainer,
    KernelExplainer,
    LinearExplainer,
    MimicExplainer,
    TreeExplainer,
)
from explain.explainers._adapters import model_family
from explain.scoring._explainers import ScoringExplainer

__all__ = ["DeepScoringExplainer", "KernelScoringExplainer", "LinearScoringExplainer",
           "TreeScoringExplainer"]

_SURROGATES = {"lightgbm": "LightGBM", "tree": "decision tree"}


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
                 feature_maps: Any = None, **options: Any) -> None:
        super().__init__(explainer, initialization_examples, feature_maps, **options)
        inner = self.explainer_
        if isinstance(inner, MimicExplainer) and inner.surrogate_.kind not in ("lightgbm", "tree"):
            raise ExplanationTypeError(
                f"TreeScoringExplainer: the mimic's surrogate is {inner.surrogate_.kind!r}, not a tree; "
                "use LinearScoringExplainer's closed form through the explainer instead.")
        tree = inner.surrogate_.model_ if isinstance(inner, MimicExplainer) else inner.model
        self.family_ = model_family(tree)
        self.tree_model_ = tree
        self.method = "mimic.tree" if isinstance(inner, MimicExplainer) else "shap.tree"

    def _own_fidelity(self) -> Fidelity:
        """Exact TreeSHAP of the model, or a surrogate's values with its held-out agreement."""
        inner = self.explainer_
        if not isinstance(inner, MimicExplainer):
            return Fidelity(exact=True)
        mimic = inner.surrogate_fidelity_
        return Fidelity(exact=True, surrogate_metric=mimic.surrogate_metric,
                        surrogate_score=mimic.surrogate_score,
                        surrogate_holdout_rows=mimic.surrogate_holdout_rows,
                        surrogate_model=_SURROGATES.get(inner.surrogate_.kind, inner.surrogate_.kind),
                        notes=mimic.notes)

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

    def _own_fidelity(self) -> Fidelity:
        return Fidelity(exact=True)

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

    def _own_fidelity(self) -> Fidelity:
        return Fidelity(exact=False)


class DeepScoringExplainer(ScoringExplainer):
    """Deep SHAP at inference for PyTorch networks, against the explainer's background.

    Built from a ``DeepExplainer`` (or a ``TabularExplainer`` that chose one).
    """

    method = "shap.deep"
    accepts = (DeepExplainer,)

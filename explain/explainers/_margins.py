"""A classifier's margin: the scores its probabilities are the softmax of.

Blending classifiers in margin space (log-odds for two classes) keeps SHAP values additive:
the blend's margin is the weighted sum of its members' margins, so its values are the weighted
sum of theirs. A member's *native* margin is the score its own exact explainer explains —
LightGBM's and XGBoost's raw score, a scikit-learn gradient boosting's decision function, a
logistic regression's decision function — and its probabilities are exactly the softmax
(sigmoid) of it. Every other classifier's margin is the log of its probabilities (clipped at
:data:`MIN_PROBABILITY`), which has the same softmax.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from explain.explainers._adapters import library_class

__all__ = ["MIN_PROBABILITY", "classifier_margins", "has_native_margin"]

MIN_PROBABILITY = 1e-4  # a forest's 0 or 1 becomes log-odds of about -+9, not -+28
_NATIVE = {
    ("lightgbm", "LGBMClassifier"), ("xgboost", "XGBClassifier"),
    ("sklearn", "HistGradientBoostingClassifier"), ("sklearn", "GradientBoostingClassifier"),
    ("sklearn", "LogisticRegression"), ("sklearn", "LogisticRegressionCV"),
    ("sklearn", "LinearDiscriminantAnalysis"),
}


def _final(model: Any) -> Any:
    return model.steps[-1][1] if isinstance(model, Pipeline) else model


def has_native_margin(model: Any, probe: Any = None) -> bool:
    """Whether ``model``'s probabilities are the softmax of a score its exact explainer explains.

    With ``probe`` rows, this is also checked numerically (to 1e-6), so that a library
    version whose probabilities are computed otherwise (e.g. one-vs-rest) is not trusted.
    """
    final = _final(model)
    family, name = library_class(final)
    native = (family, name) in _NATIVE and getattr(final, "boosting_type", "gbdt") != "rf"
    native = native or (name == "SGDClassifier" and getattr(final, "loss", None) in ("log_loss", "log"))
    if not native or probe is None:
        return native
    scores = _native_scores(model, probe)
    softmax = np.exp(scores - scores.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    proba = np.asarray(model.predict_proba(probe), dtype=np.float64)
    return bool(np.allclose(softmax, proba, rtol=0, atol=1e-6))


def classifier_margins(model: Any, X: Any, native: bool | None = None) -> np.ndarray:
    """The margins of a fitted classifier on ``X``, of shape (n_rows, n_classes).

    With two classes, column 1 minus column 0 is the log-odds of the second class. Native
    margins are the model's own scores (two classes: ``[0, score]``); otherwise the log of
    the probabilities, clipped at :data:`MIN_PROBABILITY`. ``native`` overrides
    :func:`has_native_margin` (e.g. with the result of a check on probe rows).
    """
    if not (has_native_margin(model) if native is None else native):
        proba = np.asarray(model.predict_proba(X), dtype=np.float64)
        return np.log(np.clip(proba, MIN_PROBABILITY, None))
    return _native_scores(model, X)


def _native_scores(model: Any, X: Any) -> np.ndarray:
    final = _final(model)
    if isinstance(model, Pipeline):
        for _, step in model.steps[:-1]:
            X = step.transform(X)
    family = library_class(final)[0]
    if family == "lightgbm":
        scores = final.predict(X, raw_score=True)
    elif family == "xgboost":
        scores = final.predict(X, output_margin=True)
    else:
        scores = final.decision_function(X)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 1 or scores.shape[1] == 1:
        scores = scores.reshape(-1)
        return np.column_stack([np.zeros_like(scores), scores])
    return scores

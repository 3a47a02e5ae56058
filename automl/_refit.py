"""Refitting a stored run on the experiment's training data (for ``ChildRun.get_model``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from automl._ensemble import WeightedEnsemble
from automl._estimators import get_estimator
from automl._exceptions import AutoMLError
from automl._folds import transform
from automl._trial import build_tail, full_pipeline

if TYPE_CHECKING:
    from automl._runs import AutoMLRun, ChildRun

__all__ = ["fit_run_model", "fit_tail", "refit_run"]


def fit_tail(name: str, params: dict[str, Any], task: str, seed: int | None, X: Any,
             y: np.ndarray) -> Any:
    """Fit the estimator of family ``name`` (with its scaler) on engineered data."""
    with threadpool_limits(limits=1):
        return build_tail(get_estimator(name), params, task, seed).fit(X, y)


def refit_run(parent: AutoMLRun, child: ChildRun) -> Pipeline:
    """Featurize the training data and fit the run's estimator (or ensemble) on all of it."""
    if child.status != "Completed":
        raise AutoMLError(f"run {child.id} is {child.status}; only completed runs have a model.")
    X, y = parent.training_data()
    held_out = parent.store.latest_object(parent.study, "experiment", "holdout.joblib")
    if held_out is not None:  # fit on the same rows as the best model, which is explained on these
        keep = np.setdiff1d(np.arange(len(y)), np.asarray(held_out))
        X, y = X.iloc[keep], y[keep]
    featurizer = parent.store.latest_object(parent.study, "experiment", "featurizer.joblib")
    if featurizer is None:
        raise AutoMLError(f"experiment {parent.experiment_name!r} has no stored featurizer.")
    featurizer = clone(featurizer).fit(X, y)
    return fit_run_model(parent, child, featurizer, transform(featurizer, X), y, parent.task,
                         parent.settings.get("random_state"))


def fit_run_model(parent: AutoMLRun, child: ChildRun, featurizer: Any, X_eng: Any, y: np.ndarray,
                  task: str, seed: int | None) -> Pipeline:
    """The run's model: its estimator (or weighted ensemble of member runs) fitted on the
    engineered rows ``X_eng``, behind the fitted ``featurizer``."""
    if child.estimator == "Ensemble":
        members = [parent.get_child(n) for n in child.trial.user_attrs["members"]]
        tails = [fit_tail(m.estimator, m.params, task, seed, X_eng, y) for m in members]
        combine = child.trial.user_attrs.get("combine", "probability")  # margin from 0.2 on
        ensemble = WeightedEnsemble.from_fitted(tails, child.trial.user_attrs["weights"], task, combine,
                                                probe=X_eng)
        return Pipeline([("featurize", featurizer), ("ensemble", ensemble)])
    return full_pipeline(featurizer, fit_tail(child.estimator, child.params, task, seed, X_eng, y))

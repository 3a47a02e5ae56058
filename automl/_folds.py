"""Folds of the training data, featurized once for the whole search.

Featurization does not depend on the estimator's hyperparameters, so each fold's featurizer
is fitted once (on that fold's training rows, so validation rows never leak into it) and
every trial reuses the engineered matrices: a trial only fits its estimator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from automl._config import AutoMLConfig
from automl._exceptions import DataError
from featurization import AutoFeaturizer, FeatureMap, FeaturizationError, feature_map_from

__all__ = ["Fold", "PreparedData", "explanation_holdout", "make_featurizer", "prepare", "transform"]


@dataclass
class Fold:
    """One train/validation split with its fitted featurizer and engineered matrices."""

    train_index: np.ndarray
    valid_index: np.ndarray
    featurizer: Any
    X_train: Any
    X_valid: Any
    y_train: np.ndarray
    y_valid: np.ndarray
    X_valid_raw: pd.DataFrame
    feature_map: FeatureMap | None = None


@dataclass
class PreparedData:
    """Everything a trial needs: the folds, and the featurizer fitted on the final model's rows.

    ``fit_index`` are the rows of ``X_raw`` the final model is fitted on (``X_full`` their
    engineered matrix, ``y_full`` their labels); ``explain_index`` the rows kept out of that
    fit to explain it on (``None`` with validation data, which plays that part).
    """

    folds: list[Fold]
    featurizer: Any
    X_full: Any
    y_full: np.ndarray
    X_raw: pd.DataFrame
    classes: np.ndarray | None
    oof_index: np.ndarray
    y_oof: np.ndarray
    fit_index: np.ndarray
    explain_index: np.ndarray | None = None


MAX_EXPLAIN_ROWS = 5000
MIN_EXPLAIN_ROWS = 100
EXPLAIN_FRACTION = 0.1


def explanation_holdout(y: np.ndarray, task: str, seed: int) -> np.ndarray:
    """Rows kept out of the final model's fit, to explain it on rows it did not learn from.

    A tenth of the rows, at least 100 (but no more than a quarter) and at most 5,000,
    stratified by class; every class keeps rows in the fit. Sorted positions.
    """
    n_rows = len(y)
    size = min(MAX_EXPLAIN_ROWS, max(min(MIN_EXPLAIN_ROWS, n_rows // 4), round(EXPLAIN_FRACTION * n_rows)))
    if size < 1:
        return np.array([], dtype=np.int64)
    counts = np.unique(y, return_counts=True)[1] if task == "classification" else None
    can_stratify = counts is not None and counts.min() >= 2 and min(size, n_rows - size) >= len(counts)
    stratify = y if can_stratify else None
    _, held = train_test_split(np.arange(n_rows), test_size=size, random_state=seed, stratify=stratify)
    held = np.sort(held)
    if task == "classification":  # a class whose rows all went to the held-out slice: give one back
        kept = np.setdiff1d(np.arange(n_rows), held)
        for label in np.setdiff1d(np.unique(y), np.unique(y[kept])):
            held = np.delete(held, np.flatnonzero(y[held] == label)[0])
    return held


def make_featurizer(config: AutoMLConfig) -> Any:
    """A fresh, unfitted featurizer for ``config.featurization``."""
    if config.featurization == "auto":
        return AutoFeaturizer(random_state=config.random_state or 0)
    if config.featurization == "off":
        from sklearn.preprocessing import FunctionTransformer

        return FunctionTransformer(feature_names_out="one-to-one")
    return clone(config.featurization)


def _fit_featurizer(config: AutoMLConfig, X: pd.DataFrame, y: np.ndarray) -> tuple[Any, Any]:
    if config.featurization == "off":
        bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if bad:
            raise DataError(
                f"AutoML: featurization='off' needs numeric columns; {bad[:5]} are not. Use "
                "featurization='auto' or pass your own transformer."
            )
    featurizer = make_featurizer(config)
    try:
        out = featurizer.fit_transform(X, y)
    except FeaturizationError as exc:  # the data, not a trial, is at fault: nothing to search on
        raise DataError(f"AutoML: the training data cannot be featurized: {exc}") from exc
    if isinstance(out, pd.DataFrame):
        out = out.to_numpy(dtype=np.float64, na_value=np.nan)
    return featurizer, out


def transform(featurizer: Any, X: pd.DataFrame) -> Any:
    """``featurizer.transform(X)`` as a float matrix (DataFrame outputs converted)."""
    out = featurizer.transform(X)
    return out.to_numpy(dtype=np.float64, na_value=np.nan) if isinstance(out, pd.DataFrame) else out


def prepare(config: AutoMLConfig) -> PreparedData:
    """Split and featurize the training data of ``config``."""
    data = config.data
    X, y = data.X, data.y
    seed = config.random_state if config.random_state is not None else 0
    explain_index = None if data.X_valid is not None else explanation_holdout(y, config.task, seed)
    fit_index = np.arange(len(y)) if explain_index is None else np.setdiff1d(np.arange(len(y)), explain_index)
    featurizer, X_full = _fit_featurizer(config, X.iloc[fit_index], y[fit_index])
    folds = []
    if data.X_valid is not None and data.y_valid is not None:
        folds.append(Fold(np.arange(len(y)), np.arange(len(data.y_valid)), featurizer, X_full,
                          transform(featurizer, data.X_valid), y, data.y_valid, data.X_valid))
        oof_index = np.arange(len(data.y_valid))
        y_oof = data.y_valid
    else:
        splitter = (StratifiedKFold if config.task == "classification" else KFold)(
            n_splits=config.n_cross_validations, shuffle=True, random_state=seed)
        for train, valid in splitter.split(X, y):
            fold_featurizer, X_train = _fit_featurizer(config, X.iloc[train], y[train])
            folds.append(Fold(train, valid, fold_featurizer, X_train,
                              transform(fold_featurizer, X.iloc[valid]), y[train], y[valid],
                              X.iloc[valid]))
        oof_index = np.concatenate([f.valid_index for f in folds])
        y_oof = y[oof_index]
    for fold in folds:
        fold.feature_map = _feature_map(fold.featurizer, list(X.columns))
    return PreparedData(folds, featurizer, X_full, y[fit_index], X, data.classes, oof_index, y_oof,
                        fit_index, explain_index)


def _feature_map(featurizer: Any, columns: list[str]) -> FeatureMap | None:
    """The featurizer's feature map, or ``None`` when its lineage cannot be traced."""
    try:
        return feature_map_from(featurizer, columns)
    except FeaturizationError:
        return None

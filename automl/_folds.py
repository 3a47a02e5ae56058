"""Folds of the training data, featurized once for the whole search.

Featurization does not depend on the estimator's hyperparameters, so each fold's featurizer
is fitted once (on that fold's training rows, so validation rows never leak into it) and
every trial reuses the engineered matrices: a trial only fits its estimator.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from automl._config import AutoMLConfig
from automl._exceptions import DataError
from featurization import AutoFeaturizer, FeatureMap, FeaturizationError, feature_map_from

__all__ = ["Fold", "PreparedData", "explanation_holdout", "is_large", "make_featurizer", "prepare",
           "transform"]

logger = logging.getLogger("automl")


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


LARGE_ROWS = 100_000
FEATURIZER_ROWS = 100_000
VALIDATION_FRACTION, MIN_VALIDATION_ROWS, MAX_VALIDATION_ROWS = 0.1, 10_000, 100_000
ROW_STEP_FACTOR, MIN_STEP_ROWS = 4, 10_000
FEATURIZE_SHARE = 0.25  # of the time left, for featurizing a large table's training rows
SPEED_ROWS = 2_000  # rows timed to estimate the cost of featurizing a row
PROBE_FROM_ROWS = 10_000  # from this size, featurizing the folds is timed against the budget


@dataclass
class PreparedData:
    """Everything a trial needs: the folds, and the featurizer fitted on the final model's rows.

    ``fit_index`` are the rows of ``X_raw`` the final model is fitted on (``X_full`` their
    engineered matrix, ``y_full`` their labels); ``explain_index`` the rows kept out of that
    fit to explain it on (``None`` with validation data, which plays that part). On a large
    table, ``row_steps`` are the training-sample sizes of a trial and ``row_order`` the order
    the training rows are sampled in.
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
    row_steps: list[int] | None = None
    row_order: np.ndarray | None = None


MAX_EXPLAIN_ROWS = 5000
MIN_EXPLAIN_ROWS = 100
EXPLAIN_FRACTION = 0.1


def _holdout_size(n_rows: int) -> int:
    return min(MAX_EXPLAIN_ROWS, max(min(MIN_EXPLAIN_ROWS, n_rows // 4), round(EXPLAIN_FRACTION * n_rows)))


def is_large(config: AutoMLConfig) -> bool:
    """Whether the final model's rows reach :data:`LARGE_ROWS` (one validation split, samples)."""
    n_rows = len(config.data.y)
    return n_rows - (0 if config.data.X_valid is not None else _holdout_size(n_rows)) >= LARGE_ROWS


def explanation_holdout(y: np.ndarray, task: str, seed: int) -> np.ndarray:
    """Rows kept out of the final model's fit, to explain it on rows it did not learn from.

    A tenth of the rows, at least 100 (but no more than a quarter) and at most 5,000,
    stratified by class; every class keeps rows in the fit. Sorted positions.
    """
    n_rows = len(y)
    size = _holdout_size(n_rows)
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


def _fit_featurizer(config: AutoMLConfig, X: pd.DataFrame, y: np.ndarray, *, sample: bool = False,
                    seed: int = 0) -> tuple[Any, Any]:
    """Fit a featurizer on ``X`` (on a sample of :data:`FEATURIZER_ROWS` rows when ``sample``) and
    return it with the engineered ``X``."""
    if sample and len(X) > FEATURIZER_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(len(X), FEATURIZER_ROWS, replace=False))
        featurizer, _ = _fit_featurizer(config, X.iloc[rows], y[rows])
        return featurizer, transform(featurizer, X)
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


def prepare(config: AutoMLConfig, seconds: float | None = None,
            one_split: bool | None = None) -> PreparedData:
    """Split and featurize the training data of ``config``.

    Up to :data:`LARGE_ROWS` rows, every trial is cross-validated on ``n_cross_validations``
    folds, each with its own featurizer. From there on (as FLAML and AutoGluon do), and from
    :data:`PROBE_FROM_ROWS` rows when featurizing the folds would take more than
    :data:`FEATURIZE_SHARE` of the ``seconds`` left, one
    validation split replaces the folds, the featurizer is fitted on a sample of at most
    :data:`FEATURIZER_ROWS` training rows, and trials are fitted on growing samples of the
    training rows (:data:`ROW_STEP_FACTOR` apart, from :data:`MIN_STEP_ROWS`) so the pruner
    can stop weak ones early. With ``validation_data``, it is the one validation split. When
    featurizing every training row of a large table would take more than
    :data:`FEATURIZE_SHARE` of the ``seconds`` left, the search and the final model use a
    random sample of the training rows that it can afford (the log says so).

    ``one_split`` pins that choice (a resumed experiment keeps the validation its first trials
    were scored with); ``None`` decides it as above. Whether it was made is
    ``row_steps is not None`` on the result.
    """
    data = config.data
    X, y = data.X, data.y
    seed = config.random_state if config.random_state is not None else 0
    explain_index = None if data.X_valid is not None else explanation_holdout(y, config.task, seed)
    fit_index = np.arange(len(y)) if explain_index is None else np.setdiff1d(np.arange(len(y)), explain_index)
    started = time.perf_counter()
    large = len(fit_index) >= LARGE_ROWS or (data.X_valid is None and (
        one_split if one_split is not None else _folds_unaffordable(config, X, y, fit_index, seed, seconds)))
    logger.info("featurizing %d rows x %d columns%s", len(y), X.shape[1],
                " (one validation split: a large table)" if large and data.X_valid is None else "")
    if data.X_valid is not None and data.y_valid is not None:
        featurizer, X_full = _fit_featurizer(config, X.iloc[fit_index], y[fit_index], sample=large, seed=seed)
        folds = [Fold(fit_index, np.arange(len(data.y_valid)), featurizer, X_full,
                      transform(featurizer, data.X_valid), y[fit_index], data.y_valid, data.X_valid)]
        oof_index, y_oof = np.arange(len(data.y_valid)), data.y_valid
    elif large:
        train, valid = _validation_split(y, fit_index, config.task, seed)
        featurizer, train, X_train = _featurize_affordable(config, X, y, train, len(valid), seed, seconds)
        X_valid = transform(featurizer, X.iloc[valid])
        folds = [Fold(train, valid, featurizer, X_train, X_valid, y[train], y[valid], X.iloc[valid])]
        fit_index = np.sort(np.concatenate([train, valid]))
        X_full = _stack(X_train, X_valid, train, valid, fit_index)
        oof_index, y_oof = valid, y[valid]
    else:
        featurizer, X_full = _fit_featurizer(config, X.iloc[fit_index], y[fit_index])
        folds, oof_index = _cross_validation_folds(config, X, y, seed)
        y_oof = y[oof_index]
    for fold in folds:
        fold.feature_map = _feature_map(fold.featurizer, list(X.columns))
    logger.info("featurized in %.1f s: %d engineered features", time.perf_counter() - started,
                folds[0].X_train.shape[1])
    row_steps, row_order = None, None
    if large:
        n_train = len(folds[0].y_train)
        row_steps = _row_steps(n_train)
        row_order = np.random.default_rng(seed).permutation(n_train)
    return PreparedData(folds, featurizer, X_full, y[fit_index], X, data.classes, oof_index, y_oof,
                        fit_index, explain_index, row_steps, row_order)


def _folds_unaffordable(config: AutoMLConfig, X: pd.DataFrame, y: np.ndarray, rows: np.ndarray, seed: int,
                        seconds: float | None) -> bool:
    """Whether featurizing every cross-validation fold and the final rows would take more than
    :data:`FEATURIZE_SHARE` of the ``seconds`` left (timed by fitting a featurizer on
    :data:`SPEED_ROWS` rows; tables under :data:`PROBE_FROM_ROWS` rows are not timed)."""
    if seconds is None or len(rows) < PROBE_FROM_ROWS:
        return False
    sample = np.sort(np.random.default_rng(seed).choice(rows, SPEED_ROWS, replace=False))
    started = time.perf_counter()
    _fit_featurizer(config, X.iloc[sample], y[sample])
    per_row = (time.perf_counter() - started) / SPEED_ROWS
    cost = per_row * len(rows) * (config.n_cross_validations + 1)
    if cost <= FEATURIZE_SHARE * seconds:
        return False
    logger.info("featurizing %d folds of %d rows would take about %.0f s of the %.0f s left: one "
                "validation split instead", config.n_cross_validations, len(rows), cost, seconds)
    return True


def _featurize_affordable(config: AutoMLConfig, X: pd.DataFrame, y: np.ndarray, train: np.ndarray,
                          n_valid: int, seed: int, seconds: float | None) -> tuple[Any, np.ndarray, Any]:
    """Fit the featurizer on a sample of ``train`` and featurize the training rows it can afford
    in the time left: all of them, or a random sample (never fewer than the featurizer's)."""
    rng = np.random.default_rng(seed)
    first = np.sort(rng.choice(train, min(FEATURIZER_ROWS, len(train)), replace=False))
    featurizer, X_first = _fit_featurizer(config, X.iloc[first], y[first])
    started = time.perf_counter()
    transform(featurizer, X.iloc[first[:SPEED_ROWS]])
    per_row = (time.perf_counter() - started) / min(SPEED_ROWS, len(first))
    rest = np.setdiff1d(train, first)
    if seconds is not None:
        affordable = int(FEATURIZE_SHARE * seconds / max(per_row, 1e-9)) - n_valid - len(first)
        if affordable < len(rest):
            logger.info("featurizing all %d training rows would take about %.0f s of the %.0f s left: "
                        "searching and fitting on a random %d of them", len(train), per_row * len(train),
                        seconds, len(first) + max(0, affordable))
            rest = np.sort(rng.choice(rest, max(0, affordable), replace=False))
    if len(rest) == 0:
        return featurizer, first, X_first
    rows = np.concatenate([first, rest])
    X_rest = transform(featurizer, X.iloc[rest])
    stacked = sp.vstack([X_first, X_rest], format="csr") if sp.issparse(X_first) \
        else np.concatenate([X_first, X_rest])
    order = np.argsort(rows, kind="stable")
    return featurizer, rows[order], stacked[order]


def _cross_validation_folds(config: AutoMLConfig, X: pd.DataFrame, y: np.ndarray,
                            seed: int) -> tuple[list[Fold], np.ndarray]:
    splitter = (StratifiedKFold if config.task == "classification" else KFold)(
        n_splits=config.n_cross_validations, shuffle=True, random_state=seed)
    folds = []
    for train, valid in splitter.split(X, y):
        fold_featurizer, X_train = _fit_featurizer(config, X.iloc[train], y[train])
        folds.append(Fold(train, valid, fold_featurizer, X_train, transform(fold_featurizer, X.iloc[valid]),
                          y[train], y[valid], X.iloc[valid]))
    return folds, np.concatenate([f.valid_index for f in folds])


def _validation_split(y: np.ndarray, rows: np.ndarray, task: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One validation split of ``rows`` for a large table: a tenth, 10,000 to 100,000 rows."""
    size = int(min(MAX_VALIDATION_ROWS, max(MIN_VALIDATION_ROWS, VALIDATION_FRACTION * len(rows))))
    stratify = y[rows] if task == "classification" else None
    train, valid = train_test_split(rows, test_size=size, random_state=seed, stratify=stratify)
    return np.sort(train), np.sort(valid)


def _stack(X_train: Any, X_valid: Any, train: np.ndarray, valid: np.ndarray, rows: np.ndarray) -> Any:
    """The engineered rows of ``rows`` in their order, from the split's two matrices."""
    order = np.argsort(np.concatenate([train, valid]), kind="stable")
    stacked = sp.vstack([X_train, X_valid], format="csr") if sp.issparse(X_train) \
        else np.concatenate([X_train, X_valid])
    return stacked[order]


def _row_steps(n_train: int) -> list[int]:
    """Training-sample sizes of a trial on a large table, ending with all rows."""
    steps = [n_train]
    while steps[0] // ROW_STEP_FACTOR >= MIN_STEP_ROWS:
        steps.insert(0, steps[0] // ROW_STEP_FACTOR)
    return steps


def _feature_map(featurizer: Any, columns: list[str]) -> FeatureMap | None:
    """The featurizer's feature map, or ``None`` when its lineage cannot be traced."""
    try:
        return feature_map_from(featurizer, columns)
    except FeaturizationError:
        return None

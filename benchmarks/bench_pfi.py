"""Permutation importance: ``explain.PFIExplainer`` vs ``sklearn.inspection.permutation_importance``.

Both with ``accuracy`` and 5 repeats, single-threaded, on held-out rows:

* ``LogisticRegression`` on the standardized breast-cancer data: trained on half of the 569
  rows, importance on the other half (285 x 30). The data are scaled beforehand rather than in
  a ``Pipeline`` so that both sides time the same bare model;
* ``RandomForestClassifier`` (100 trees, ``n_jobs=1``) on ``make_classification``: trained on
  5,000 rows, importance on another 5,000 x 20;
* ``LGBMClassifier`` (100 trees, ``n_jobs=1``) on ``make_classification``: trained on 20,000
  rows, importance on another 20,000 x 30.

The two draw different permutations, so their importances agree only up to permutation
noise; the Spearman correlation of the two importance vectors and the largest absolute
difference are printed next to the times.

Run: ``python benchmarks/bench_pfi.py [--quick] [--repeat K]``
"""

from __future__ import annotations

import os

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # before NumPy/LightGBM load OpenMP

from collections.abc import Callable
from typing import Any

import lightgbm
import numpy as np
from _common import Comparison, best_of_pair, parse_args, print_comparisons, print_environment
from scipy.stats import spearmanr
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import explain

N_REPEATS = 5

Case = tuple[str, Any, np.ndarray, np.ndarray]


def _split(X: np.ndarray, y: np.ndarray, n_train: int) -> tuple[np.ndarray, ...]:
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def _logistic(quick: bool) -> Case:
    X, y = load_breast_cancer(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))
    X = StandardScaler().fit_transform(X)
    X_train, y_train, X_test, y_test = _split(X[order], y[order], len(y) // 2)
    model = LogisticRegression(max_iter=1_000).fit(X_train, y_train)
    return f"LogisticRegression, breast cancer {X_test.shape[0]} x 30", model, X_test, y_test


def _forest(quick: bool) -> Case:
    n = 500 if quick else 5_000
    X, y = make_classification(n_samples=2 * n, n_features=20, n_informative=10, random_state=0)
    X_train, y_train, X_test, y_test = _split(X, y, n)
    model = RandomForestClassifier(n_estimators=100, n_jobs=1, random_state=0).fit(X_train, y_train)
    return f"RandomForest 100 trees, {n:,} x 20", model, X_test, y_test


def _lightgbm(quick: bool) -> Case:
    n = 1_000 if quick else 20_000
    X, y = make_classification(n_samples=2 * n, n_features=30, n_informative=15, random_state=0)
    X_train, y_train, X_test, y_test = _split(X, y, n)
    model = lightgbm.LGBMClassifier(n_estimators=100, n_jobs=1, verbose=-1, random_state=0)
    return f"LightGBM 100 trees, {n:,} x 30", model.fit(X_train, y_train), X_test, y_test


def _compare(build: Callable[[bool], Case], quick: bool, repeat: int) -> Comparison:
    case, model, X, y = build(quick)

    def ours() -> np.ndarray:
        explainer = explain.PFIExplainer(model, metric="accuracy", n_repeats=N_REPEATS)
        return explainer.explain_global(X, true_labels=y).global_importance_values

    def peer() -> np.ndarray:
        result = permutation_importance(
            model, X, y, scoring="accuracy", n_repeats=N_REPEATS, random_state=0, n_jobs=1
        )
        return result.importances_mean

    with threadpool_limits(1):
        ours_timing, ours_values, peer_timing, peer_values = best_of_pair(
            ours, peer, repeat=repeat, max_total=80.0
        )
    correlation = spearmanr(ours_values, peer_values).statistic
    return Comparison(
        case,
        ours_timing,
        peer_timing,
        {
            "spearman": f"{correlation:.3f}",
            "max abs diff": f"{np.max(np.abs(ours_values - peer_values)):.4f}",
            "max importance": f"{np.max(peer_values):.4f}",
        },
    )


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    print_environment()
    comparisons = [_compare(build, args.quick, args.repeat) for build in (_logistic, _forest, _lightgbm)]
    print_comparisons(
        "Permutation importance: explain.PFIExplainer vs sklearn permutation_importance",
        comparisons,
        peer="sklearn",
    )


if __name__ == "__main__":
    main()

"""TreeSHAP: ``explain.TreeExplainer(m).explain_local(X)`` vs ``shap.TreeExplainer(m).shap_values(X)``.

Cases (full size):

* LightGBM binary classifier, 200 trees x 31 leaves, 50 features, 10,000 rows explained; once
  with 1 thread and once with 2;
* XGBoost binary classifier of the same size (``grow_policy="lossguide"``, ``max_leaves=31``);
* scikit-learn ``RandomForestClassifier``, 100 trees of depth 12, 30 features, 2,000 rows;
  with 1 thread and with 2.

Ours uses its compiled TreeSHAP with per-leaf tables for LightGBM and the forest
(``algorithm="auto"``) and XGBoost's own ``pred_contribs`` for XGBoost; shap calls LightGBM's
``pred_contrib``, XGBoost's ``pred_contribs`` and its own C++ TreeSHAP for the forest.
Each timed call includes building the explainer (for ours, reading the model and building
its tables). Models are trained with ``n_jobs=1`` on a
separate sample from the same generator. shap has no thread option: its LightGBM call uses
OpenMP's default thread count, so its OpenMP pool is limited with ``threadpoolctl`` to the
thread count of the line (the ``cores`` columns show what each call really used). The values
are checked against shap's (max |difference|) and our additivity error is printed.

Run: ``python benchmarks/bench_tree.py [--quick] [--repeat K] [--only TEXT]``
(``--only "2 threads"`` runs that line alone, e.g. to re-measure it on an idle machine).
"""

from __future__ import annotations

import functools
import os
import warnings

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # before NumPy/LightGBM load OpenMP

from collections.abc import Callable
from typing import Any

import lightgbm
import numpy as np
import shap
import xgboost
from _common import (
    Comparison,
    best_of_pair,
    max_abs_difference,
    parse_args,
    print_comparisons,
    print_environment,
)
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from threadpoolctl import threadpool_limits

import explain


def _data(n_train: int, n_explain: int, n_features: int) -> tuple[np.ndarray, ...]:
    X, y = make_classification(
        n_samples=n_train + n_explain, n_features=n_features, n_informative=n_features // 2, random_state=0
    )
    return X[:n_train], y[:n_train], X[n_train:]


def _compare(case: str, model: Any, X: np.ndarray, *, threads: int, repeat: int) -> Comparison:
    """Time ours and shap's on ``X`` and check that the values agree."""

    def ours() -> explain.Explanation:
        return explain.TreeExplainer(model, n_jobs=threads).explain_local(X)

    def peer() -> Any:
        with threadpool_limits(threads, user_api="openmp"), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # shap's note on its binary LightGBM output
            return shap.TreeExplainer(model).shap_values(X)

    ours_timing, explanation, peer_timing, shap_values = best_of_pair(
        ours, peer, repeat=repeat, max_total=40.0
    )
    rows = X.shape[0]
    return Comparison(
        case,
        ours_timing,
        peer_timing,
        {
            "rows/s ours": f"{rows / ours_timing.seconds:,.0f}",
            "rows/s shap": f"{rows / peer_timing.seconds:,.0f}",
            "max abs diff": f"{max_abs_difference(explanation.local_importance_values, shap_values):.1e}",
            "ours additivity": f"{explanation.fidelity.additivity_error:.1e}",
        },
    )


CASES = ("LightGBM, 1 thread", "LightGBM, 2 threads", "XGBoost, 1 thread", "RandomForest, 1 thread",
         "RandomForest, 2 threads")


def _models(quick: bool) -> dict[str, Callable[[], tuple[Any, np.ndarray]]]:
    """Builders of (fitted model, rows to explain) per model family, each run at most once."""
    n_rows, n_trees, rf_rows, rf_trees = (1_000, 20, 200, 10) if quick else (10_000, 200, 2_000, 100)
    print(
        f"sizes: boosted {n_trees} trees x 31 leaves, 50 features, {n_rows:,} rows; "
        f"forest {rf_trees} trees depth 12, 30 features, {rf_rows:,} rows"
    )

    @functools.cache
    def boosted(family: str) -> tuple[Any, np.ndarray]:
        X_train, y_train, X = _data(n_rows, n_rows, 50)
        if family == "LightGBM":
            model = lightgbm.LGBMClassifier(
                n_estimators=n_trees, num_leaves=31, n_jobs=1, verbose=-1, random_state=0
            )
        else:
            model = xgboost.XGBClassifier(
                n_estimators=n_trees,
                max_leaves=31,
                max_depth=0,
                grow_policy="lossguide",
                tree_method="hist",
                n_jobs=1,
                random_state=0,
            )
        return model.fit(X_train, y_train), X

    @functools.cache
    def forest() -> tuple[Any, np.ndarray]:
        X_train, y_train, X = _data(rf_rows, rf_rows, 30)
        model = RandomForestClassifier(n_estimators=rf_trees, max_depth=12, n_jobs=1, random_state=0)
        return model.fit(X_train, y_train), X

    return {
        "LightGBM": lambda: boosted("LightGBM"),
        "XGBoost": lambda: boosted("XGBoost"),
        "RandomForest": forest,
    }


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], cases=CASES)
    print_environment()
    models = _models(args.quick)
    comparisons = []
    for case in args.cases:
        family, threads = case.split(", ")
        model, X = models[family]()
        comparisons.append(_compare(case, model, X, threads=int(threads[0]), repeat=args.repeat))
    print_comparisons("TreeSHAP: explain.TreeExplainer vs shap.TreeExplainer", comparisons, peer="shap")


if __name__ == "__main__":
    main()

"""Kernel SHAP: ``explain.KernelExplainer`` vs ``shap.KernelExplainer`` on an SVC: error and time.

The model is ``SVC(probability=True)`` (RBF) on ``make_classification`` data, explained in
probability space (``predict_proba``) by both. Our explainer summarizes the 150 training rows to
a 10-row weighted k-means background; shap gets exactly that background and those weights (a
``DenseData``), so both estimate the same Shapley values. BLAS/OpenMP use one thread.

1. **Error vs exact, 10 features** (20 rows): both forced to *sample* (budgets below
   ``2**10 - 2``); "rmse"/"max" are distances to exact Shapley values computed here by brute
   force (all 1,024 coalitions, classical Shapley formula, no library code).
2. **Error vs reference, 30 features** (36 rows): ours at several budgets, shap at its default
   budget ``2 * 30 + 2048`` with its defaults (``l1_reg="num_features(10)"``) and with
   ``l1_reg=False``. The reference is our estimator at 16,000 coalitions per row (another
   seed; its own rmse is about 1/4 of the best error in the table). "in 2 SE": share of our
   values within two of our bootstrap standard errors of the reference.
3. **Time on 10,000 rows of the 30-feature SVC** at equal error: ours at the smallest budget of
   table 2 whose rmse and max error are both at most shap's (one row per shap setting). The
   first line explains all 10,000 rows (one run); shap explains a subset (default settings:
   100 rows, ``l1_reg=False``: 50 rows) and our second line 1,000 rows, and those per-row
   times are extrapolated to 10,000 rows (time is linear in rows for both). Subset timings are
   the best of ``--repeat`` runs (fewer once the runs took 30 s).

4. **The walkthrough** (azureml-interpret's first example), 5. **overhead** outside the model
   and 6. **an expensive model** at equal error: see ``_kernel_cases.py``.

Tables 1-3 and 6 run on one core (``n_jobs=1``, one BLAS thread) to compare work per core; the
walkthrough (4) compares both libraries with their defaults (ours then uses both cores).

Run: ``python benchmarks/bench_kernel.py [--quick] [--repeat K] [--only CASE]``
"""


from __future__ import annotations

import os

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # before NumPy loads OpenMP

import time
import warnings
from math import factorial
from typing import Any

import _kernel_cases
import numpy as np
import shap
from _common import best_of, parse_args, print_environment, print_table
from shap.utils._legacy import DenseData
from sklearn.datasets import make_classification
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

import explain
from explain.explainers._kernel_shap import kernel_shap_values

N_TRAIN = 150
N_CLUSTERS = 10
N_ROWS = 10_000
REFERENCE_NSAMPLES = 16_000
OURS_BUDGETS_30 = (128, 192, 256, 384, 448, 512, 576, 640, 704, 768, 1024, 1536, 2108)
BUDGETS_10 = (100, 200, 400, 800)


def _svc(n_features: int, n_explain: int) -> tuple[SVC, np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=N_TRAIN + n_explain, n_features=n_features, n_informative=n_features // 2, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # probability=True is deprecated in 1.9
        model = SVC(probability=True, random_state=0).fit(X[:N_TRAIN], y[:N_TRAIN])
    return model, X[:N_TRAIN], X[N_TRAIN:]


def exact_shapley(predict: Any, X: np.ndarray, background: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Exact interventional Shapley values by enumeration, shape (n_outputs, n_rows, n_features).

    ``v(S) = sum_b w_b f(x_S, background_b)`` for every coalition ``S``, then
    ``phi_i = sum_{S not containing i} |S|! (M - |S| - 1)! / M! * (v(S + i) - v(S))``.
    Written independently of the library (no regression, no shared code).
    """
    n_features = X.shape[1]
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    codes = np.arange(2**n_features)
    masks = ((codes[:, None] >> np.arange(n_features)) & 1).astype(bool)  # (2^M, M)
    sizes = masks.sum(axis=1)
    shapley_weight = np.array(
        [
            factorial(s) * factorial(n_features - s - 1) / factorial(n_features) if s < n_features else 0.0
            for s in sizes
        ]
    )
    rows = []
    for x in X:
        synthetic = np.where(masks[:, None, :], x[None, None, :], background[None, :, :])
        output = np.asarray(predict(synthetic.reshape(-1, n_features)), dtype=float)
        value = np.einsum("cbk,b->ck", output.reshape(codes.size, background.shape[0], -1), weights)
        phi = np.empty((value.shape[1], n_features))
        for i in range(n_features):
            without = codes[~masks[:, i]]
            gain = value[without | (1 << i)] - value[without]  # (subsets, outputs)
            phi[:, i] = shapley_weight[without] @ gain
        rows.append(phi)
    return np.stack(rows, axis=1)


def _ours(model: SVC, X_train: np.ndarray, X: np.ndarray, nsamples: int | str) -> explain.Explanation:
    explainer = explain.KernelExplainer(model, X_train, nclusters=N_CLUSTERS, nsamples=nsamples, n_jobs=1)
    return explainer.explain_local(X)


def _shap(
    model: SVC, explainer: explain.KernelExplainer, X: np.ndarray, nsamples: Any, **options: Any
) -> np.ndarray:
    """shap's values on our background (same rows, same weights), as (outputs, rows, features)."""
    np.random.seed(0)  # noqa: NPY002 - shap samples coalitions from NumPy's global generator
    names = [str(i) for i in range(X.shape[1])]
    data = DenseData(explainer.background_.copy(), names, None, explainer.background_weights_.copy())
    peer = shap.KernelExplainer(model.predict_proba, data)
    values = peer.shap_values(X, nsamples=nsamples, silent=True, **options)
    return np.asarray(values, dtype=float).transpose(2, 0, 1)


def _errors(values: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """Root mean square and largest absolute distance to the reference."""
    gap = values - reference
    return float(np.sqrt(np.mean(gap**2))), float(np.max(np.abs(gap)))


def _timed(function: Any, repeat: int = 1) -> tuple[float, Any]:
    timing, result = best_of(function, repeat=repeat, max_total=30.0)
    return timing.seconds, result


def _error_table_10(n_rows: int, repeat: int) -> None:
    model, X_train, X = _svc(10, n_rows)
    explainer = explain.KernelExplainer(model, X_train, nclusters=N_CLUSTERS)
    exact = exact_shapley(model.predict_proba, X, explainer.background_, explainer.background_weights_)
    table = []
    for budget in BUDGETS_10:
        ours_seconds, ours = _timed(lambda b=budget: _ours(model, X_train, X, b), repeat)
        shap_seconds, theirs = _timed(lambda b=budget: _shap(model, explainer, X, b, l1_reg=False), repeat)
        ours_rmse, ours_max = _errors(ours.local_importance_values, exact)
        shap_rmse, shap_max = _errors(theirs, exact)
        errors = (ours_rmse, ours_max, shap_rmse, shap_max)
        table.append([f"{budget:,}", *(f"{e:.1e}" for e in errors),
                      f"{1e3 * ours_seconds / n_rows:.1f}", f"{1e3 * shap_seconds / n_rows:.1f}"])
    print_table(
        f"1. Error vs exact Shapley values: 10-feature SVC, {n_rows} rows, both sampling",
        ["coalitions/row", "ours rmse", "ours max", "shap rmse", "shap max", "ours ms/row", "shap ms/row"],
        table,
    )


def _error_table_30(model: SVC, X_train: np.ndarray, X: np.ndarray) -> dict[str, Any]:
    explainer = explain.KernelExplainer(model, X_train, nclusters=N_CLUSTERS)
    with threadpool_limits(1):
        reference = kernel_shap_values(
            model.predict_proba, X, explainer.background_, explainer.background_weights_,
            nsamples=REFERENCE_NSAMPLES, random_state=12_345, standard_errors=False,
        ).values
    table, ours_errors = [], {}
    for budget in OURS_BUDGETS_30:
        explanation = _ours(model, X_train, X, budget)
        rmse, largest = _errors(explanation.local_importance_values, reference)
        gap = np.abs(explanation.local_importance_values - reference)
        covered = np.mean(gap <= 2 * explanation.fidelity.standard_errors)
        ours_errors[budget] = (rmse, largest)
        table.append([f"ours, {budget:,}", f"{rmse:.1e}", f"{largest:.1e}", f"{covered:.0%}"])
    shap_errors = {}
    for label, options in (("shap defaults", {}), ("shap l1_reg=False", {"l1_reg": False})):
        shap_errors[label] = _errors(_shap(model, explainer, X, "auto", **options), reference)
        table.append([f"{label}, {2 * 30 + 2048:,}", *(f"{e:.1e}" for e in shap_errors[label]), ""])
    print_table(
        f"2. Error vs reference ({REFERENCE_NSAMPLES:,} coalitions/row): 30-feature SVC, {X.shape[0]} rows",
        ["explainer, coalitions/row", "rmse", "max", "in 2 SE"],
        table,
    )
    matched = {}
    for label, (shap_rmse, shap_max) in shap_errors.items():
        fits = [b for b, (rmse, largest) in ours_errors.items() if rmse <= shap_rmse and largest <= shap_max]
        matched[label] = fits[0] if fits else OURS_BUDGETS_30[-1]
    return matched


def _time_table_30(model: SVC, X_train: np.ndarray, X: np.ndarray, matched: dict[str, Any],
                   n_rows: int, repeat: int) -> None:
    explainer = explain.KernelExplainer(model, X_train, nclusters=N_CLUSTERS)
    table = []
    subsets = {"shap defaults": (100, {}), "shap l1_reg=False": (50, {"l1_reg": False})}
    full_budget = matched["shap defaults"]
    for index, (label, (shap_rows, options)) in enumerate(subsets.items()):
        shap_rows = min(shap_rows, n_rows)
        shap_seconds, _ = _timed(
            lambda r=shap_rows, o=options: _shap(model, explainer, X[:r], "auto", **o), repeat
        )
        budget = matched[label]
        if index == 0 or budget != full_budget:
            ours_rows = n_rows if index == 0 else min(1_000, n_rows)
            runs = 1 if ours_rows == n_rows else repeat
            ours_seconds, _ = _timed(lambda r=ours_rows, b=budget: _ours(model, X_train, X[:r], b), runs)
        ours_total = ours_seconds * n_rows / ours_rows
        shap_total = shap_seconds * n_rows / shap_rows
        table.append([f"{label} (2,108)", f"{budget:,}", f"{ours_rows:,}", f"{ours_total:.1f}",
                      f"{shap_rows}", f"{shap_total:.0f}", f"{shap_total / ours_total:.1f}x"])
    print_table(
        f"3. Time for {n_rows:,} rows of the 30-feature SVC at equal error (s; subsets extrapolated)",
        ["vs shap setting (budget)", "ours budget", "ours rows run", "ours s", "shap rows run", "shap s",
         "shap/ours"],
        table,
    )


CASES = ("1 error vs exact", "2 error vs reference", "3 time 10,000 rows", "4 walkthrough", "5 overhead",
         "6 expensive model")


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], cases=CASES)
    n_rows, error_rows_10, error_rows_30 = (1_000, 6, 4) if args.quick else (N_ROWS, 20, 36)
    print_environment()
    model30, X_train30, X30 = _svc(30, n_rows)
    print(f"model: SVC(probability=True) RBF on make_classification, trained on {N_TRAIN} rows "
          f"({model30.n_support_.sum()} support vectors at 30 features); background: weighted k-means, "
          f"{N_CLUSTERS} rows, the same for both; one BLAS/OpenMP thread")
    start = time.perf_counter()
    chosen = set(args.cases)
    with threadpool_limits(1):
        if CASES[0] in chosen:
            _error_table_10(error_rows_10, args.repeat)
        if CASES[1] in chosen or CASES[2] in chosen:
            matched = _error_table_30(model30, X_train30, X30[:error_rows_30])
            if CASES[2] in chosen:
                _time_table_30(model30, X_train30, X30, matched, n_rows, args.repeat)
    figures = {}
    if CASES[3] in chosen:
        figures["walkthrough"] = _kernel_cases.walkthrough(1 if args.quick else args.repeat)
    if CASES[4] in chosen:
        _kernel_cases.overhead(4 if args.quick else 20)
    if CASES[5] in chosen:
        figures["expensive"] = _kernel_cases.expensive(exact_shapley, 1 if args.quick else args.repeat)
    print(f"\ntotal {time.perf_counter() - start:.0f} s; {figures}")


if __name__ == "__main__":
    main()

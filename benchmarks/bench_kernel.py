"""Kernel SHAP: ``explain.KernelExplainer`` vs ``shap.KernelExplainer``: time, error vs exact values.

The model is an ``MLPClassifier`` on ``make_classification`` data, explained in probability
space. Both explainers summarize the same 1,000 training rows to a 10-row k-means background
(ours internally with ``nclusters=10``, shap with ``shap.kmeans(X, 10)``); the summary is part
of the timed call.

* 10 features, 100 rows: ours with ``nsamples="auto"`` enumerates all 1,022 coalitions, and so
  does shap's ``nsamples="auto"`` (2 * 10 + 2048 >= 1,022). The error of each is measured
  against exact Shapley values computed here independently, by brute force over all 1,024
  coalitions with the classical Shapley formula, on that explainer's own background.
* 30 features, 20 rows: both sample (budget 2 * 30 + 2048). Besides the times: our
  ``fidelity.max_standard_error``, the share of our values within two standard errors of a
  reference, and how many features per row shap sets to exactly zero (its default
  ``l1_reg="num_features(10)"`` keeps at most 10). The reference (not timed) is Kernel SHAP
  with 100,000 coalitions per row on the same background as the explainer it is compared with
  (the two explainers' k-means summaries may differ); "max err" is the distance to it.

shap is run with its defaults and once more with ``l1_reg=False`` (plain regression, what
ours computes). Every call runs with BLAS/OpenMP limited to one thread.

Run: ``python benchmarks/bench_kernel.py [--quick] [--repeat K]``
"""

from __future__ import annotations

import os

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # before NumPy loads OpenMP

from math import factorial
from typing import Any

import numpy as np
import shap
from _common import Comparison, best_of_pair, parse_args, print_comparisons, print_environment
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

import explain

N_BACKGROUND_SOURCE = 1_000
N_CLUSTERS = 10
REFERENCE_NSAMPLES = 100_000


def _model(n_features: int, n_explain: int) -> tuple[MLPClassifier, np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=N_BACKGROUND_SOURCE + n_explain,
        n_features=n_features,
        n_informative=n_features // 2,
        random_state=0,
    )
    X_train, y_train = X[:N_BACKGROUND_SOURCE], y[:N_BACKGROUND_SOURCE]
    model = MLPClassifier(hidden_layer_sizes=(32, 32), max_iter=2_000, random_state=0)
    return model.fit(X_train, y_train), X_train, X[N_BACKGROUND_SOURCE:]


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


def _shap_layout(values: Any) -> np.ndarray:
    """shap 0.51's (rows, features, outputs) as our (outputs, rows, features)."""
    array = np.asarray(values, dtype=float)
    return array.transpose(2, 0, 1) if array.ndim == 3 else array[None]


def _shap_call(model: MLPClassifier, X_train: np.ndarray, X: np.ndarray, **options: Any) -> tuple[Any, Any]:
    np.random.seed(0)  # noqa: NPY002 - shap samples coalitions from NumPy's global generator
    background = shap.kmeans(X_train, N_CLUSTERS)
    explainer = shap.KernelExplainer(model.predict_proba, background)
    return explainer.shap_values(X, nsamples="auto", silent=True, **options), background


def _time_pair(
    model: MLPClassifier, X_train: np.ndarray, X: np.ndarray, repeat: int, **shap_options: Any
) -> tuple[Any, Any, Any, Any]:
    """Time ours and shap's (one thread each); return timings and results."""

    def ours() -> tuple[explain.Explanation, explain.KernelExplainer]:
        explainer = explain.KernelExplainer(model, X_train, nclusters=N_CLUSTERS)
        return explainer.explain_local(X), explainer

    with threadpool_limits(1):
        return best_of_pair(
            ours, lambda: _shap_call(model, X_train, X, **shap_options), repeat=repeat, max_total=60.0
        )


def _same_background(explainer: explain.KernelExplainer, summary: Any) -> str:
    """Whether our k-means summary and shap's hold the same rows (up to order)."""
    ours, theirs = explainer.background_, summary.data
    same = ours.shape == theirs.shape and np.allclose(np.sort(ours, axis=0), np.sort(theirs, axis=0))
    return "yes" if same else "no"


def _exact_case(n_rows: int, repeat: int) -> list[Comparison]:
    model, X_train, X = _model(10, n_rows)
    comparisons = []
    for label, options in (("shap defaults", {}), ("shap l1_reg=False", {"l1_reg": False})):
        ours_timing, (explanation, explainer), peer_timing, (shap_values, summary) = _time_pair(
            model, X_train, X, repeat, **options
        )
        with threadpool_limits(1):
            exact_ours = exact_shapley(
                model.predict_proba, X, explainer.background_, explainer.background_weights_
            )
            exact_peer = exact_shapley(model.predict_proba, X, summary.data, summary.weights)
        ours_error = np.max(np.abs(explanation.local_importance_values - exact_ours))
        peer_error = np.max(np.abs(_shap_layout(shap_values) - exact_peer))
        comparisons.append(
            Comparison(
                f"10 features, {n_rows} rows, vs {label}",
                ours_timing,
                peer_timing,
                {
                    "ours max err": f"{ours_error:.1e}",
                    "shap max err": f"{peer_error:.1e}",
                    "ours exact": str(explanation.fidelity.exact),
                    "same background": _same_background(explainer, summary),
                },
            )
        )
    return comparisons


def _reference(
    model: MLPClassifier, X: np.ndarray, background: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Sampled Kernel SHAP at 50x the default budget (another seed), shape (outputs, rows, features).

    Exact values of 30 features are out of reach (2**30 coalitions); this reference's own
    sampling error is about 7x smaller than that of the default budget. It uses the library's
    engine directly (private module) because that is the only way to pass a weighted
    background; shap's error against it is the independent cross-check.
    """
    from explain.explainers._kernel_shap import kernel_shap_values

    with threadpool_limits(1):
        return kernel_shap_values(
            model.predict_proba, X, background, weights, nsamples=REFERENCE_NSAMPLES, random_state=12_345
        ).values


def _sampled_case(n_rows: int, repeat: int) -> list[Comparison]:
    model, X_train, X = _model(30, n_rows)
    comparisons = []
    references: dict[str, np.ndarray] = {}
    for label, options in (("shap defaults", {}), ("shap l1_reg=False", {"l1_reg": False})):
        ours_timing, (explanation, explainer), peer_timing, (shap_values, summary) = _time_pair(
            model, X_train, X, repeat, **options
        )
        if not references:
            references["ours"] = _reference(model, X, explainer.background_, explainer.background_weights_)
            references["shap"] = _reference(model, X, summary.data, summary.weights)
        ours_error = np.abs(explanation.local_importance_values - references["ours"])
        peer_error = np.abs(_shap_layout(shap_values) - references["shap"])
        covered = np.mean(ours_error <= 2 * explanation.fidelity.standard_errors)
        zeros = (_shap_layout(shap_values)[-1] == 0).sum(axis=1)
        comparisons.append(
            Comparison(
                f"30 features, {n_rows} rows, vs {label}",
                ours_timing,
                peer_timing,
                {
                    "ours max err": f"{ours_error.max():.1e}",
                    "shap max err": f"{peer_error.max():.1e}",
                    "ours exact": str(explanation.fidelity.exact),
                    "same background": _same_background(explainer, summary),
                    "ours max stderr": f"{explanation.fidelity.max_standard_error:.1e}",
                    "ours err <= 2 stderr": f"{covered:.0%}",
                    "shap zeros/row": f"{zeros.min()}-{zeros.max()}",
                },
            )
        )
    return comparisons


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    exact_rows, sampled_rows = (10, 4) if args.quick else (100, 20)
    print_environment()
    print(
        f"sizes: 10 features x {exact_rows} rows (exact); 30 features x {sampled_rows} rows (sampled); "
        f"background: k-means {N_CLUSTERS} of {N_BACKGROUND_SOURCE:,} rows; model MLP (32, 32)"
    )
    comparisons = _exact_case(exact_rows, args.repeat) + _sampled_case(sampled_rows, args.repeat)
    print_comparisons(
        "Kernel SHAP: explain.KernelExplainer vs shap.KernelExplainer", comparisons, peer="shap"
    )


if __name__ == "__main__":
    main()

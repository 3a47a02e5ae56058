"""Cases of ``bench_kernel.py`` beyond the SVC tables: the walkthrough, overhead, expensive model.

* **Walkthrough**: azureml-interpret's first example. ``SVC(gamma=0.001, C=100.,
  probability=True)`` on scikit-learn's breast-cancer data (30 features, ``test_size=0.2,
  random_state=0``; ``random_state=0`` is added to the SVC so that its Platt scaling, which
  draws a random split, is the same in every run). Ours: ``TabularExplainer(model, x_train,
  features=..., classes=...)`` with its defaults, ``explain_global(x_test)`` (114 rows) then
  ``explain_local(x_test[0:5])``; shap: ``shap.KernelExplainer(model.predict_proba,
  shap.kmeans(x_train, 10))`` with its defaults, ``shap_values`` of the same rows. Each
  library's global importances (mean |value| over rows and classes) are compared with a
  reference for its own background: our estimator at 16,000 coalitions per row and
  background row (another seed).
* **Overhead**: time outside the model (a counting wrapper times every call) over time inside
  it, per explained row, at shap's default budget ``2 * 30 + 2048`` on 30 features: ours with
  ``nsamples=2108, tolerance=None`` (every row gets the whole budget), shap with its defaults;
  one core each, on the walkthrough's SVC and on a cheap model (a 16-unit MLP).
* **Expensive model**: a soft-voting ensemble pipeline (scaler, random forest of 200 trees,
  histogram gradient boosting of 100 iterations, a 64-unit MLP), as an AutoML run ends with,
  on 14 features: a call costs tens of milliseconds whatever its size and about 26 us per row.
  Exact Shapley values by enumeration (all 16,384 coalitions); shap with ``l1_reg=False`` at
  its default budget; ours at the smallest budget of a ladder whose rmse and largest error
  are both at most shap's; then both timed on the same rows.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shap
from _common import best_of_pair, print_table
from joblib import Parallel, delayed
from shap.utils._legacy import DenseData
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier, VotingClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

import explain
from explain.explainers._kernel_shap import kernel_shap_values

REFERENCE_NSAMPLES = 16_000
SHAP_BUDGET_30 = 2 * 30 + 2048
EXPENSIVE_FEATURES = 14
EXPENSIVE_ROWS = 12
EXPENSIVE_LADDER = (64, 96, 128, 192, 256, 384, 512, 640, 768, 1024, 1536)


class Counting:
    """A prediction function that counts its rows and the time spent inside it."""

    def __init__(self, predict: Callable[[np.ndarray], np.ndarray]) -> None:
        self.predict, self.rows, self.seconds = predict, 0, 0.0

    def __call__(self, X: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        out = self.predict(X)
        self.seconds += time.perf_counter() - start
        self.rows += len(X)
        return out

    def reset(self) -> None:
        self.rows, self.seconds = 0, 0.0


def _walkthrough_model() -> tuple[SVC, np.ndarray, np.ndarray, list[str], list[str]]:
    data = load_breast_cancer()
    x_train, x_test, y_train, _ = train_test_split(data.data, data.target, test_size=0.2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # probability=True is deprecated in 1.9
        model = SVC(gamma=0.001, C=100.0, probability=True, random_state=0).fit(x_train, y_train)
    return model, x_train, x_test, list(data.feature_names), list(data.target_names)


def reference_values(predict: Any, X: np.ndarray, background: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Our estimator at 16,000 coalitions (seed 12,345), rows split over the cores.

    Kept in the temporary folder under a hash of the rows, the background, its weights and
    the model's output on the rows (computing one takes minutes); ``KERNEL_BENCH_FRESH=1``
    recomputes it.
    """
    key = hashlib.sha256(b"".join(np.ascontiguousarray(a, dtype=np.float64).tobytes() for a in
                                  (X, background, weights, np.asarray(predict(X), dtype=np.float64))))
    path = Path(tempfile.gettempdir()) / f"kernel-reference-{key.hexdigest()[:16]}.npy"
    if path.exists() and not os.environ.get("KERNEL_BENCH_FRESH"):
        return np.load(path)
    values = _reference(predict, X, background, weights)
    np.save(path, values)
    return values


def _reference(predict: Any, X: np.ndarray, background: np.ndarray, weights: np.ndarray) -> np.ndarray:
    halves = np.array_split(np.arange(X.shape[0]), 2)
    parts = Parallel(n_jobs=2, prefer="threads")(
        delayed(kernel_shap_values)(predict, X[rows], background, weights, nsamples=REFERENCE_NSAMPLES,
                                    random_state=12_345)
        for rows in halves
    )
    return np.concatenate([part.values for part in parts], axis=1)


def _global(values: np.ndarray) -> np.ndarray:
    """Global importance: mean |value| over outputs and rows; values (outputs, rows, features)."""
    return np.abs(values).mean(axis=(0, 1))


def _compare(importance: np.ndarray, reference: np.ndarray) -> tuple[float, int]:
    """Mean absolute difference relative to the reference's mean, and the top-5 overlap."""
    top = set(np.argsort(-importance)[:5]) & set(np.argsort(-reference)[:5])
    return float(np.mean(np.abs(importance - reference)) / np.mean(reference)), len(top)


def walkthrough(repeat: int) -> dict[str, float]:
    """Print the walkthrough table; return the figures quoted in the closing note."""
    model, x_train, x_test, features, classes = _walkthrough_model()
    kept: dict[str, Any] = {}

    def ours() -> None:
        explainer = explain.TabularExplainer(model, x_train, features=features, classes=classes)
        kept["ours"] = (explainer, explainer.explain_global(x_test), explainer.explain_local(x_test[0:5]))

    def peer() -> None:
        explainer = shap.KernelExplainer(model.predict_proba, shap.kmeans(x_train, 10))
        kept["shap"] = (explainer, explainer.shap_values(x_test, silent=True),
                        explainer.shap_values(x_test[0:5], silent=True))

    np.random.seed(0)  # noqa: NPY002 - shap samples coalitions from NumPy's global generator
    ours_time, _, shap_time, _ = best_of_pair(ours, peer, repeat=repeat, max_total=240.0)
    explainer, global_explanation, _ = kept["ours"]
    kernel = explainer.explainer
    ours_values = np.asarray(global_explanation.local_values)
    ours_reference = reference_values(model.predict_proba, x_test, kernel.background_,
                                      kernel.background_weights_)
    peer_explainer, shap_global, _ = kept["shap"]
    shap_values = np.asarray(shap_global, dtype=float).transpose(2, 0, 1)
    shap_reference = reference_values(model.predict_proba, x_test, peer_explainer.data.data,
                                      peer_explainer.data.weights)
    ours_rel, ours_top = _compare(_global(ours_values), _global(ours_reference))
    shap_rel, shap_top = _compare(_global(shap_values), _global(shap_reference))
    ours_rmse = float(np.sqrt(np.mean((ours_values - ours_reference) ** 2)))
    shap_rmse = float(np.sqrt(np.mean((shap_values - shap_reference) ** 2)))
    print_table(
        "4. The walkthrough: SVC on breast cancer, explain_global(x_test) (114 rows) + "
        "explain_local(x_test[0:5])",
        ["explainer (defaults)", "seconds", "cores", "global diff / mean", "top-5 overlap", "local rmse"],
        [["ours: TabularExplainer", f"{ours_time.seconds:.1f}", f"{ours_time.cores:.1f}", f"{ours_rel:.1%}",
          f"{ours_top}/5", f"{ours_rmse:.1e}"],
         ["shap: KernelExplainer, shap.kmeans(x_train, 10)", f"{shap_time.seconds:.1f}",
          f"{shap_time.cores:.1f}", f"{shap_rel:.1%}", f"{shap_top}/5", f"{shap_rmse:.1e}"]],
    )
    print(f"shap/ours: {shap_time.seconds / ours_time.seconds:.1f}x wall, "
          f"{shap_time.cpu_seconds / ours_time.cpu_seconds:.1f}x CPU; ours used n_jobs={kernel.n_jobs}, "
          f"{explainer.method}")
    return {"ratio": shap_time.seconds / ours_time.seconds, "ours_rel": ours_rel, "shap_rel": shap_rel}


def _overhead_row(name: str, model: Any, x_train: np.ndarray, rows: np.ndarray) -> list[list[str]]:
    counting = Counting(model.predict_proba)
    ours = explain.KernelExplainer(counting, x_train, is_function=True, model_task="classification",
                                   nsamples=SHAP_BUDGET_30, tolerance=None, n_jobs=1)
    background = DenseData(ours.background_.copy(), [str(i) for i in range(x_train.shape[1])], None,
                           ours.background_weights_.copy())
    peer = shap.KernelExplainer(counting, background)
    table = []
    for label, call in (("ours", lambda: ours.explain_local(rows)),
                        ("shap", lambda: peer.shap_values(rows, silent=True))):
        np.random.seed(0)  # noqa: NPY002 - shap's global generator
        counting.reset()
        start = time.perf_counter()
        call()
        total = time.perf_counter() - start
        inside, outside = counting.seconds, total - counting.seconds
        table.append([name, label, f"{counting.rows / len(rows):,.0f}", f"{1e3 * inside / len(rows):.1f}",
                      f"{1e3 * outside / len(rows):.1f}", f"{outside / inside:.1%}"])
    return table


def overhead(n_rows: int) -> None:
    """Print time outside / inside model calls per row at shap's default budget, one core."""
    model, x_train, x_test, _, _ = _walkthrough_model()
    scaled = make_pipeline(StandardScaler(), MLPClassifier((16,), max_iter=300, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scaled.fit(x_train, model.predict(x_train))
    with threadpool_limits(1):
        table = _overhead_row("walkthrough SVC", model, x_train, x_test[:n_rows])
        table += _overhead_row("cheap: MLP(16) pipeline", scaled, x_train, x_test[:n_rows])
    print_table(
        f"5. Overhead at shap's default budget ({SHAP_BUDGET_30:,} coalitions), 30 features, "
        f"{n_rows} rows, one core",
        ["model", "explainer", "model rows per row", "ms in model per row", "ms outside per row",
         "outside / inside"],
        table,
    )


def _ensemble() -> tuple[Any, np.ndarray, np.ndarray]:
    X, y = make_classification(n_samples=1_000, n_features=EXPENSIVE_FEATURES,
                               n_informative=EXPENSIVE_FEATURES // 2, random_state=0)
    members = [("forest", RandomForestClassifier(n_estimators=200, max_depth=10, random_state=0, n_jobs=1)),
               ("boosting", HistGradientBoostingClassifier(max_iter=100, random_state=0)),
               ("mlp", MLPClassifier((64,), max_iter=500, random_state=0))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make_pipeline(StandardScaler(), VotingClassifier(members, voting="soft"))
        model.fit(X[:800], y[:800])
    return model, X[:800], X[900:900 + EXPENSIVE_ROWS]


def _call_cost(model: Any, X: np.ndarray) -> tuple[float, float]:
    """Seconds of a one-row call and per row of a 20,000-row call."""
    one = min(_seconds(lambda: model.predict_proba(X[:1])) for _ in range(3))
    many = np.resize(X, (20_000, X.shape[1]))
    return one, _seconds(lambda: model.predict_proba(many)) / many.shape[0]


def _seconds(function: Callable[[], Any]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def expensive(exact_shapley: Callable[..., np.ndarray], repeat: int) -> dict[str, float]:
    """Print the expensive-model table (equal error vs exact values, time side by side)."""
    model, x_train, rows = _ensemble()
    with threadpool_limits(1):
        per_call, per_row = _call_cost(model, x_train)
        explainer = explain.KernelExplainer(model, x_train, n_jobs=1)
        # the explainer splits the pipeline and summarizes the background after its scaler; the
        # exact values and shap get that background back in the pipeline's input space (the
        # scaler acts column by column, so the game is the same)
        background = model[0].inverse_transform(explainer.background_)
        weights = explainer.background_weights_
        exact = exact_shapley(model.predict_proba, rows, background, weights)
        names = [str(i) for i in range(EXPENSIVE_FEATURES)]

        def peer() -> np.ndarray:
            np.random.seed(0)  # noqa: NPY002 - shap's global generator
            explainer = shap.KernelExplainer(model.predict_proba, DenseData(background.copy(), names, None,
                                                                             weights.copy()))
            values = explainer.shap_values(rows, l1_reg=False, silent=True)
            return np.asarray(values, dtype=float).transpose(2, 0, 1)

        shap_rmse, shap_max = _errors(peer(), exact)
        ladder = []
        for budget in EXPENSIVE_LADDER:
            values = explain.KernelExplainer(model, x_train, nsamples=budget, n_jobs=1).explain_local(rows)
            ladder.append((budget, *_errors(np.asarray(values.local_values), exact)))
        fits = [b for b, rmse, largest in ladder if rmse <= shap_rmse and largest <= shap_max]
        budget = fits[0] if fits else EXPENSIVE_LADDER[-1]
        ours_time, _, shap_time, _ = best_of_pair(
            lambda: explain.KernelExplainer(model, x_train, nsamples=budget, n_jobs=1).explain_local(rows),
            peer, repeat=repeat, max_total=120.0)
    table = [[f"ours, {b:,}", f"{r:.2e}", f"{m:.2e}", "<- equal error" if b == budget else ""]
             for b, r, m in ladder]
    shap_budget = 2 * EXPENSIVE_FEATURES + 2048
    table.append([f"shap l1_reg=False, {shap_budget:,}", f"{shap_rmse:.2e}", f"{shap_max:.2e}", ""])
    print(f"\nensemble pipeline: {1e3 * per_call:.0f} ms per call of one row, {1e6 * per_row:.0f} us per row "
          f"in a 20,000-row call (one core)")
    print_table(f"6a. Error vs exact values: ensemble pipeline, {EXPENSIVE_FEATURES} features, "
                f"{len(rows)} rows",
                ["explainer, coalitions/row", "rmse", "max", ""], table)
    ratio = shap_time.seconds / ours_time.seconds
    print_table(
        f"6b. Time at equal error: {len(rows)} rows of the ensemble pipeline, one core",
        ["explainer", "coalitions/row", "seconds", "shap/ours"],
        [[f"ours (nsamples={budget})", f"{budget:,}", f"{ours_time.seconds:.2f}", f"{ratio:.1f}x"],
         ["shap (l1_reg=False)", f"{shap_budget:,}", f"{shap_time.seconds:.2f}", ""]],
    )
    return {"ratio": ratio, "budget": budget}


def _errors(values: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    gap = values - reference
    return float(np.sqrt(np.mean(gap**2))), float(np.max(np.abs(gap)))

"""TreeSHAP on 1,000,000 rows: rows/s and peak memory of ours and of ``shap.TreeExplainer``.

The model is a LightGBM binary classifier, 200 trees x 31 leaves, 50 features, trained with
one thread on 20,000 rows of ``make_classification``; the rows explained are 1,000,000 more
rows of the same generator (400 MB as float64), generated once and saved to a ``.npy`` file.
Each case runs in a fresh Python process that loads the rows and the model, so that its peak
resident memory (``VmHWM``) is its own; the table shows it together with the memory
before the explanation started (libraries, rows and model loaded) and the difference.

Cases:

* ``ours global``: ``TreeExplainer(model, n_jobs=k).explain_global(X, include_local=False)``,
  k = 1 and 2: chunks streamed through joblib, only the aggregate kept;
* ``ours local``: ``explain_local(X)`` with 2 threads: all 1M x 50 local values kept
  (x2 classes, as the explanation holds both);
* ``shap``: ``shap.TreeExplainer(model).shap_values(X)`` with OpenMP limited to 2 threads
  (shap calls LightGBM's ``pred_contrib``).

The global importances (mean |value| of class 1) of every case are compared with shap's.

Run: ``python benchmarks/bench_tree_large.py [--rows N] [--shap-rows N]``
(``--shap-rows`` below ``--rows`` times shap on the first rows only and says so).
"""

from __future__ import annotations

import os

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # before NumPy/LightGBM load OpenMP

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_TRAIN = 20_000
N_FEATURES = 50


def _data(n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import make_classification

    X, y = make_classification(N_TRAIN + n_rows, N_FEATURES, n_informative=25, random_state=0)
    return X[:N_TRAIN], y[:N_TRAIN], np.ascontiguousarray(X[N_TRAIN:])


def _rss_mb() -> float:
    """Peak resident memory of this process so far, MB.

    Linux's ``VmHWM`` (``/proc/self/status``) belongs to this process image; ``ru_maxrss``
    would carry over the parent's peak across ``exec``.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_case(case: str, model_path: str, n_rows: int) -> dict[str, object]:
    """Run one case in this process; returns its figures."""
    import joblib
    import shap
    from threadpoolctl import threadpool_limits

    import explain

    X = np.load(Path(model_path).with_name("rows.npy"))[:n_rows]
    model = joblib.load(model_path)
    before = _rss_mb()
    start = time.perf_counter()
    cpu = time.process_time()
    if case.startswith("ours"):
        threads = int(case[-1])
        explainer = explain.TreeExplainer(model, n_jobs=threads)
        if "global" in case:
            explanation = explainer.explain_global(X, include_local=False)
        else:
            explanation = explainer.explain_local(X)
        importance = np.asarray(explanation.per_class_values[1], dtype=float)
    else:
        with threadpool_limits(2, user_api="openmp"):
            values = np.asarray(shap.TreeExplainer(model).shap_values(X), dtype=float)
        importance = np.abs(values).mean(axis=0)
    seconds = time.perf_counter() - start
    return {"case": case, "seconds": seconds, "cpu": time.process_time() - cpu,
            "rows": n_rows, "rss_before": before, "rss_peak": _rss_mb(),
            "importance": importance.tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shap-rows", type=int, default=None)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:  # child process
        print(json.dumps(_run_case(args.case, args.model, args.rows)))
        return
    import joblib
    import lightgbm

    shap_rows = args.shap_rows or args.rows
    X_train, y_train, X = _data(args.rows)
    model = lightgbm.LGBMClassifier(n_estimators=200, num_leaves=31, n_jobs=1, verbose=-1,
                                    random_state=0).fit(X_train, y_train)
    print(f"LightGBM 200 trees x 31 leaves, {N_FEATURES} features; {args.rows:,} rows explained "
          f"(shap: {shap_rows:,}); python {sys.version.split()[0]}, {os.cpu_count()} cores")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "model.joblib")
        joblib.dump(model, path)
        np.save(Path(tmp) / "rows.npy", X)
        del X
        for case, rows in (("ours global, n_jobs=1", args.rows), ("ours global, n_jobs=2", args.rows),
                           ("ours local, n_jobs=2", args.rows), ("shap, 2 threads", shap_rows)):
            out = subprocess.run([sys.executable, __file__, "--case", case, "--model", path,
                                  "--rows", str(rows)], capture_output=True, text=True, check=True)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            r = results[-1]
            print(f"  done: {case} in {r['seconds']:.1f} s", flush=True)
    reference = np.asarray(results[-1]["importance"])
    header = ("case", "rows", "seconds", "rows/s", "cores", "RSS before MB", "peak RSS MB",
              "added MB", "max |importance diff| vs shap")
    lines = []
    for r in results:
        seconds = float(r["seconds"])  # type: ignore[arg-type]
        diff = (np.abs(np.asarray(r["importance"]) - reference).max()
                if r["rows"] == results[-1]["rows"] else float("nan"))
        lines.append((r["case"], f"{r['rows']:,}", f"{seconds:.1f}",
                      f"{int(r['rows']) / seconds:,.0f}",  # type: ignore[call-overload]
                      f"{float(r['cpu']) / seconds:.1f}",  # type: ignore[arg-type]
                      f"{r['rss_before']:.0f}", f"{r['rss_peak']:.0f}",
                      f"{float(r['rss_peak']) - float(r['rss_before']):.0f}",  # type: ignore[arg-type]
                      f"{diff:.1e}"))
    widths = [max(len(str(row[i])) for row in (header, *lines)) for i in range(len(header))]
    for row in (header, tuple("-" * w for w in widths), *lines):
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    shap_rate = int(results[-1]["rows"]) / float(results[-1]["seconds"])  # type: ignore[call-overload, arg-type]
    for r in results[:-1]:
        rate = int(r["rows"]) / float(r["seconds"])  # type: ignore[call-overload, arg-type]
        print(f"{r['case']}: {rate / shap_rate:.1f}x shap's rows/s")


if __name__ == "__main__":
    main()

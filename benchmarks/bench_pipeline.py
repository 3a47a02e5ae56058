"""A featurization + LightGBM ``Pipeline`` explained in raw columns: native tree path vs black box.

The model is ``make_pipeline(ColumnTransformer(imputer + scaler, imputer + one-hot), LGBM)``
on a 10,000-row mixed table (numeric with NaN, categoricals, irrelevant columns).
``explain.TabularExplainer`` splits the pipeline: the featurizing steps become the feature
map and LightGBM gets TreeSHAP, so raw explanations of all 10,000 rows take seconds. The
alternative — treating the whole pipeline as a black box for Kernel SHAP, as a generic
explainer must — is timed on a few rows with ``shap.KernelExplainer`` (background of 10
k-means rows of the one-hot-encoded data is not possible on raw strings, so the background is
20 raw rows) and extrapolated to 10,000 rows.

Run: ``python benchmarks/bench_pipeline.py [--quick]``
"""

from __future__ import annotations

import os

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # before NumPy/LightGBM load OpenMP

import sys
import time
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
from _common import parse_args, print_environment, print_table
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import explain
from tests._synthetic import make_mixed_table


def build(n_rows: int) -> tuple[pd.DataFrame, object]:
    X, y = make_mixed_table("binary", n_rows=n_rows)
    X = X.drop(columns=["signup", "comment"])
    featurize = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["income", "noise_num"]),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                ["region", "segment", "noise_cat"],
            ),
        ]
    )
    model = lightgbm.LGBMClassifier(n_estimators=200, num_leaves=31, n_jobs=1, verbose=-1, random_state=0)
    return X, make_pipeline(featurize, model).fit(X, y)


def kernel_seconds_per_row(X: pd.DataFrame, pipeline: object, n_rows: int) -> float:
    import shap

    background = X.iloc[:20]

    def predict(rows: np.ndarray) -> np.ndarray:
        return pipeline.predict_proba(pd.DataFrame(rows, columns=X.columns))[:, 1]

    explainer = shap.KernelExplainer(predict, background.to_numpy(dtype=object))
    start = time.perf_counter()
    explainer.shap_values(X.iloc[:n_rows].to_numpy(dtype=object), nsamples="auto", silent=True)
    return (time.perf_counter() - start) / n_rows


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    print_environment()
    n_rows = 2_000 if args.quick else 10_000
    X, pipeline = build(n_rows)
    start = time.perf_counter()
    explainer = explain.TabularExplainer(pipeline, X)
    explanation = explainer.explain_local(X)
    ours = time.perf_counter() - start
    per_row = kernel_seconds_per_row(X, pipeline, 3 if args.quick else 10)
    print_table(
        f"Raw explanation of a one-hot + LightGBM pipeline, {n_rows:,} rows x {X.shape[1]} raw columns",
        ["explainer", "method", "seconds", "rows/s"],
        [
            [
                "explain.TabularExplainer (pipeline split)",
                explanation.method,
                f"{ours:.2f}",
                f"{n_rows / ours:,.0f}",
            ],
            [
                "shap.KernelExplainer on the whole pipeline (extrapolated)",
                "kernel",
                f"{per_row * n_rows:,.0f}",
                f"{1 / per_row:,.1f}",
            ],
        ],
    )
    print(f"ratio (black-box Kernel / tree path): {per_row * n_rows / ours:,.0f}x")
    print(f"raw features: {list(explanation.features)}; top 3: {explanation.get_ranked_global_names(3)}")
    print(f"additivity error: {explanation.fidelity.additivity_error:.2e}")


if __name__ == "__main__":
    main()

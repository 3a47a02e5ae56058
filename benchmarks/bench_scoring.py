"""Scoring explainers: ``TreeScoringExplainer`` per call vs the bare LightGBM contribution call.

The requirement measured: a ``TreeScoringExplainer`` on LightGBM explains one row with well
under a millisecond of library overhead on top of the model's own contribution call. Models:

* **LightGBM**: ``LGBMClassifier(n_estimators=200, num_leaves=31, n_jobs=1)`` trained on 20,000
  ``make_classification`` rows x 50 numeric features (a DataFrame with columns ``f00``..``f49``),
  served by ``TreeScoringExplainer(TreeExplainer(model))``; rows are sent as a NumPy array and as
  a DataFrame;
* **pipeline**: ``make_pipeline(ColumnTransformer(imputer + StandardScaler, imputer +
  OneHotEncoder), LGBMClassifier(same))`` on a mixed 5-column frame (2 numeric with NaN, 3
  categorical), 20,000 training rows, served by ``TreeScoringExplainer(TreeExplainer(pipeline,
  X_train[:1000]))``, which featurizes the raw rows and maps the values back to the 5 raw columns.

For batches of 1, 100 and 10,000 held-out rows, these calls run alternately (one round = one
call of each), and the **median** wall time and median process CPU time per call are reported:

* ``explain``: ``scoring.explain(X)`` vs the bare call ``booster.predict(X, pred_contrib=True,
  num_threads=1)`` on the same rows (for the pipeline, ``featurizer.transform(X)`` + that call);
* ``score``: ``scoring.score(X, explain=True)`` (prediction + probabilities + explanation) vs
  ``booster.predict(X, raw_score=True)`` + the contribution call (pipeline: after featurizing);
* peer: ``shap.TreeExplainer(model).shap_values(X)`` with the shap explainer built once, outside
  the timed calls (pipeline: on ``featurizer.transform(X)``, engineered values, no raw mapping).

Overhead = ours - bare, per call. The ``stages`` cases time the steps of the 1-row path one by
one (``perf_counter_ns`` / ``process_time_ns`` around each), mirroring
``ScoringExplainer.explain``/``score`` and checked against them, to show where the overhead goes.

**AutoML pipeline, before and after** (``--only automl``): the case of ``_automl_case.py``
(``AutoFeaturizer`` + ``LGBMClassifier(200 trees)`` on 50 raw columns with numbers, integers,
categories, datetimes, a text date, free text and missing values; the explainer AutoML stores),
``score(rows, explain=True)`` per batch of held-out rows:

* ``before, old service``: what ``automl serve`` did before the stored explainer and the compiled
  featurization -- a ``MimicExplainer`` with a LightGBM surrogate (trained here, outside the
  timings; the old service trained it at every start) served with the fitted featurization run
  on a DataFrame per request;
* ``before, stored explainer``: the run's stored TreeSHAP explainer with the featurization run on
  a DataFrame (``compile_featurization=False``);
* ``after``: the stored explainer with the compiled featurization, rows as a DataFrame and (one
  row) as JSON records (``score_records``, the service's path);
* ``TreeSHAP floor``: the same ``score`` steps on rows already featurized (predictions,
  probabilities, TreeSHAP and the raw mapping; no featurization), the speed a batch can reach.

Target (issue 17): one row scored and explained in at most 5 ms, after.

Rounds: at most ``max(K, 2000 // rows)`` (``--repeat K``, default 5), at least ``min(3, that)``,
and no more once a case has used 20 s. Everything runs inside ``threadpool_limits(1)`` (shap's
LightGBM call would otherwise use every core).

Run: ``python benchmarks/bench_scoring.py [--quick] [--repeat K] [--only TEXT]``
(``--only "1 row"``, ``--only pipeline``, ``--only stages``...).
"""

from __future__ import annotations

import os
import warnings

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # before NumPy/LightGBM load OpenMP

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
import pandas as pd
import shap
from _common import print_environment, print_table
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import explain
from explain._validation import to_tabular
from explain.explainers._tree import _split_contrib
from explain.models import LGBMExplainableModel
from explain.scoring import ScoringExplainer, TreeScoringExplainer
from tests._synthetic import make_mixed_table

BATCHES = (1, 100, 10_000)
QUICK_BATCHES = (1, 100, 1_000)
AUTOML_BATCHES = (1, 10, 100, 1_000)  # of the case's 2,000 held-out rows
BUDGET_SECONDS = 20.0


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def case_names(batches: Sequence[int]) -> tuple[str, ...]:
    timed = [f"{model}, {kind}, {_rows(n)}" for model, kinds in (("LightGBM", ("ndarray", "DataFrame")),
                                                                   ("pipeline", ("DataFrame",)))
             for kind in kinds for n in batches]
    stages = ["stages: LightGBM, ndarray, 1 row", "stages: LightGBM, DataFrame, 1 row",
              "stages: pipeline, DataFrame, 1 row"]
    automl = [f"AutoML pipeline, {_rows(n)}" for n in AUTOML_BATCHES]
    return (*timed, *stages, *automl)


def parse_args() -> argparse.Namespace:
    """``--quick``, ``--repeat`` and ``--only``, as in the other scripts (medians here, not best)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="20 trees, 2,000 training rows, batches of 1, 100 and 1,000 rows")
    parser.add_argument("--repeat", type=int, default=5,
                        help="rounds for the largest batch (small batches get up to 2000 // rows; "
                             "the median is reported)")
    cases = case_names(BATCHES)
    parser.add_argument("--only", action="append", metavar="TEXT",
                        help=f"run only the cases whose name contains TEXT; cases: {'; '.join(cases)}")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.batches = QUICK_BATCHES if args.quick else BATCHES
    wanted = [t.lower() for t in args.only or ()]
    args.cases = [c for c in case_names(args.batches) if not wanted or any(t in c.lower() for t in wanted)]
    if not args.cases:
        parser.error(f"--only matches no case; cases: {'; '.join(case_names(args.batches))}")
    return args


# ---------------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Median:
    """Median wall and CPU seconds per call over ``calls`` calls."""

    wall: float
    cpu: float
    calls: int


def median_calls(functions: dict[str, Callable[[], Any]], *, max_rounds: int,
                 budget: float = BUDGET_SECONDS) -> dict[str, Median]:
    """Call every function once per round, alternately; median wall and CPU time of each."""
    walls: dict[str, list[int]] = {name: [] for name in functions}
    cpus: dict[str, list[int]] = {name: [] for name in functions}
    min_rounds, rounds, start = min(3, max_rounds), 0, time.perf_counter()
    while rounds < max_rounds and (rounds < min_rounds or time.perf_counter() - start < budget):
        for name, function in functions.items():
            cpu, wall = time.process_time_ns(), time.perf_counter_ns()
            function()
            walls[name].append(time.perf_counter_ns() - wall)
            cpus[name].append(time.process_time_ns() - cpu)
        rounds += 1
    return {name: Median(statistics.median(walls[name]) / 1e9, statistics.median(cpus[name]) / 1e9, rounds)
            for name in functions}


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}" if ms < 1000 else f"{ms:,.0f}"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:+,.0f}"


# ---------------------------------------------------------------------------------- models


@dataclass
class Served:
    """A fitted model, its scoring explainer, its shap peer and the held-out rows."""

    name: str
    scoring: TreeScoringExplainer
    booster: Any
    featurizer: Pipeline | None
    shap_explainer: Any
    rows: pd.DataFrame
    shap_seconds: float

    def featurized(self, X: Any) -> Any:
        return X if self.featurizer is None else self.featurizer.transform(X)


def _lightgbm(n_trees: int) -> lightgbm.LGBMClassifier:
    return lightgbm.LGBMClassifier(n_estimators=n_trees, num_leaves=31, n_jobs=1, verbose=-1, random_state=0)


def _serve(name: str, model: Any, init: Any, rows: pd.DataFrame) -> Served:
    scoring = TreeScoringExplainer(explain.TreeExplainer(model, init))
    featurizer = model[:-1] if isinstance(model, Pipeline) else None
    estimator = model[-1] if isinstance(model, Pipeline) else model
    start = time.perf_counter()
    shap_explainer = shap.TreeExplainer(estimator)
    return Served(name, scoring, estimator.booster_, featurizer, shap_explainer, rows,
                  time.perf_counter() - start)


def build_lightgbm(n_train: int, n_rows: int, n_trees: int) -> Served:
    X, y = make_classification(n_samples=n_train + n_rows, n_features=50, n_informative=25, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i:02d}" for i in range(50)])
    model = _lightgbm(n_trees).fit(frame.iloc[:n_train], y[:n_train])
    return _serve("LightGBM", model, None, frame.iloc[n_train:].reset_index(drop=True))


def build_pipeline(n_train: int, n_rows: int, n_trees: int) -> Served:
    X, y = make_mixed_table("binary", n_rows=n_train + n_rows)
    X = X.drop(columns=["signup", "comment"])
    featurize = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["income", "noise_num"]),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                              OneHotEncoder(handle_unknown="ignore")), ["region", "segment", "noise_cat"]),
    ])
    model = make_pipeline(featurize, _lightgbm(n_trees)).fit(X.iloc[:n_train], y[:n_train])
    return _serve("pipeline", model, X.iloc[:1000], X.iloc[n_train:].reset_index(drop=True))


# ---------------------------------------------------------------------------------- timed cases


def _contrib(served: Served, X: Any) -> Any:
    return served.booster.predict(X, pred_contrib=True, num_threads=1)


def _bare_score(served: Served, X: Any) -> tuple[Any, Any]:
    X = served.featurized(X)
    return served.booster.predict(X, raw_score=True, num_threads=1), _contrib(served, X)


def _shap(served: Served, X: Any) -> Any:
    return served.shap_explainer.shap_values(served.featurized(X))


def time_case(served: Served, kind: str, n_rows: int, repeat: int) -> dict[str, Any]:
    """Median per call of ours, bare and shap on the first ``n_rows`` held-out rows."""
    X: Any = served.rows.iloc[:n_rows]
    if kind == "ndarray":
        X = X.to_numpy()
    scoring = served.scoring
    functions = {
        "bare": lambda: _contrib(served, served.featurized(X)),
        "explain": lambda: scoring.explain(X),
        "bare score": lambda: _bare_score(served, X),
        "score": lambda: scoring.score(X, explain=True),
        "shap": lambda: _shap(served, X),
    }
    timings = median_calls(functions, max_rounds=max(repeat, 2000 // n_rows))
    ours = scoring.explain(X)[1]  # class 1, (rows, features)
    theirs = np.asarray(_shap(served, X), dtype=float)
    if scoring.feature_map_ is not None:  # shap's engineered values mapped to the raw columns
        theirs = scoring.feature_map_.map_values(theirs)
    return {"timings": timings, "max_diff": float(np.max(np.abs(ours - theirs)))}


def report(results: list[tuple[str, int, dict[str, Any]]]) -> None:
    explain_rows, score_rows = [], []
    for case, n, result in results:
        t = result["timings"]
        bare, ours, peer = t["bare"], t["explain"], t["shap"]
        bare_score, score = t["bare score"], t["score"]
        explain_rows.append([
            case, f"{bare.calls:,}", _ms(bare.wall), _ms(ours.wall),
            _us(ours.wall - bare.wall), _us(ours.cpu - bare.cpu), f"{ours.wall / bare.wall:.2f}x",
            f"{n / bare.wall:,.0f}", f"{n / ours.wall:,.0f}", f"{n / ours.cpu:,.0f}",
            _ms(peer.wall), f"{peer.wall / ours.wall:.2f}x", f"{result['max_diff']:.1e}",
        ])
        score_rows.append([
            case, _ms(bare_score.wall), _ms(score.wall), _us(score.wall - bare_score.wall),
            _us(score.cpu - bare_score.cpu), f"{score.wall / bare_score.wall:.2f}x",
            f"{n / score.wall:,.0f}", _us(score.cpu - ours.cpu),
        ])
    print_table(
        "explain(X) vs the bare contribution call (median per call; overhead = ours - bare)",
        ["case", "calls", "bare ms", "ours ms", "overhead us", "overhead cpu us", "ours/bare",
         "rows/s bare", "rows/s ours", "rows/s ours cpu", "shap ms", "shap/ours", "max abs diff shap"],
        explain_rows,
    )
    print_table(
        "score(X, explain=True) vs raw-score + contribution calls (median per call)",
        ["case", "bare ms", "score ms", "overhead us", "overhead cpu us", "score/bare", "rows/s score",
         "score - explain cpu us"],
        score_rows,
    )
    print("bare: booster.predict(X, pred_contrib=True, num_threads=1) (pipeline: featurizer.transform(X) "
          "first); bare score: + booster.predict(X, raw_score=True); shap: shap_values(X) of a prebuilt "
          "shap.TreeExplainer. 'cpu' columns: medians of process CPU time.")


# ---------------------------------------------------------------------------------- 1-row stages


def _featurize(raw_input: Any, frame: pd.DataFrame) -> Any:
    """The featurizing part of ``RawInput.transform`` (after ``RawInput.check``)."""
    out: Any = frame
    for step in raw_input.steps:
        out = step.transform(out)
    return out.to_numpy(dtype=np.float64, na_value=np.nan) if isinstance(out, pd.DataFrame) else out


def stage_pass(served: Served, X: Any) -> tuple[list[tuple[str, int, int]], Any]:
    """One pass of ``explain`` then ``score``'s extra steps, timed step by step (ns)."""
    scoring = served.scoring
    inner = scoring.explainer_
    steps: list[tuple[str, int, int]] = []
    value: Any = X

    def run(name: str, function: Callable[[Any], Any]) -> None:
        nonlocal value
        cpu, wall = time.process_time_ns(), time.perf_counter_ns()
        value = function(value)
        steps.append((name, time.perf_counter_ns() - wall, time.process_time_ns() - cpu))

    where, argument, names = "TreeExplainer.explain", "evaluation_examples", None
    if inner.raw_input_ is not None:
        run("RawInput.check (raw frame validation, column order)",
            lambda v: inner.raw_input_.check(v, argument))
        run("featurize (ColumnTransformer.transform)", lambda v: _featurize(inner.raw_input_, v))
        argument, names = "evaluation_examples after transformations", inner.features_
    run("to_tabular (dtype check, float64 copy, isfinite)",
        lambda v: to_tabular(v, argument=argument, caller=where, allow_nan=inner.adapter_.allow_nan,
                             names=names))
    run("_aligned (column names / order)", lambda v: inner._aligned(v, "evaluation_examples", where))
    matrix = value
    run("booster.predict(pred_contrib=True) [the model's own call]", lambda v: _contrib(served, v))
    run("_split_contrib + explain_subset", lambda v: (
        scoring._subset(_split_contrib(np.asarray(v), inner.n_features_in_, np.zeros(0))[0])))
    run("binary expansion (np.concatenate [-v, v])", lambda v: np.concatenate([-v, v]))
    if scoring.feature_map_ is not None:
        run("raw mapping (FeatureMap.map_values)", scoring.feature_map_.map_values)
    explained = value
    value = matrix
    run("score: adapter.predict_output (LGBMClassifier.predict_proba)", inner.adapter_.predict_output)
    value = matrix
    run("score: adapter.predict (LGBMClassifier.predict)", inner.adapter_.predict)
    value = matrix
    run("reference: booster.predict(raw_score=True)",
        lambda v: served.booster.predict(v, raw_score=True, num_threads=1))
    return steps, explained


def time_stages(served: Served, kind: str, repeat: int) -> None:
    X: Any = served.rows.iloc[:1]
    if kind == "ndarray":
        X = X.to_numpy()
    scoring = served.scoring
    rounds = max(repeat, 2000)
    totals = median_calls({"explain": lambda: scoring.explain(X), "score": lambda: scoring.score(X)},
                          max_rounds=rounds, budget=BUDGET_SECONDS / 2)
    passes, start = [], time.perf_counter()
    explained = None
    while len(passes) < rounds and (len(passes) < 3 or time.perf_counter() - start < BUDGET_SECONDS / 2):
        steps, explained = stage_pass(served, X)
        passes.append(steps)
    difference = float(np.max(np.abs(np.asarray(explained) - scoring.explain(X))))
    if difference > 1e-12:
        raise AssertionError(f"the staged path differs from ScoringExplainer.explain by {difference}")
    names = [name for name, _, _ in passes[0]]
    wall = {n: statistics.median(p[i][1] for p in passes) / 1e3 for i, n in enumerate(names)}
    cpu = {n: statistics.median(p[i][2] for p in passes) / 1e3 for i, n in enumerate(names)}
    model_call = next(n for n in names if n.startswith("booster.predict(pred_contrib"))
    featurize = [n for n in names if n.startswith("featurize")]
    explain_steps = [n for n in names if not n.startswith(("score:", "reference:"))]
    library = [n for n in explain_steps if n != model_call and n not in featurize]
    rows = [[n, f"{wall[n]:,.1f}", f"{cpu[n]:,.1f}"] for n in names]
    rows += [
        ["sum of the explain steps", f"{sum(wall[n] for n in explain_steps):,.1f}",
         f"{sum(cpu[n] for n in explain_steps):,.1f}"],
        ["  of which library steps (not model, not featurizer)", f"{sum(wall[n] for n in library):,.1f}",
         f"{sum(cpu[n] for n in library):,.1f}"],
        ["measured scoring.explain(X), whole call", f"{totals['explain'].wall * 1e6:,.1f}",
         f"{totals['explain'].cpu * 1e6:,.1f}"],
        ["measured scoring.score(X), whole call", f"{totals['score'].wall * 1e6:,.1f}",
         f"{totals['score'].cpu * 1e6:,.1f}"],
        ["  score - explain (the score steps above should sum to it)",
         f"{(totals['score'].wall - totals['explain'].wall) * 1e6:,.1f}",
         f"{(totals['score'].cpu - totals['explain'].cpu) * 1e6:,.1f}"],
    ]
    print_table(f"1-row path by stage: {served.name}, {kind} (median us over {len(passes):,} passes)",
                ["stage", "wall us", "cpu us"], rows)


# ---------------------------------------------------------------------------------- AutoML case


def automl_section(batches: Sequence[int], n_train: int, n_trees: int, repeat: int) -> None:
    """Before / after table of the AutoML pipeline case (see the module docstring)."""
    from _automl_case import automl_case, records

    started = time.perf_counter()
    pipeline, explainer, held_out = automl_case(n_train=n_train, n_trees=n_trees)
    featurizer = pipeline[:-1]
    built = time.perf_counter() - started
    started = time.perf_counter()
    mimic = explain.MimicExplainer(pipeline, featurizer_rows(n_train), LGBMExplainableModel,
                                   random_state=0)
    surrogate_seconds = time.perf_counter() - started
    old = ScoringExplainer.for_explainer(mimic, compile_featurization=False)
    before = ScoringExplainer.for_explainer(explainer, compile_featurization=False)
    after = ScoringExplainer.for_explainer(explainer)
    assert after.compiled_ is not None
    print(f"AutoML pipeline case: {len(after.input_columns_)} raw columns -> {len(after.features_)} "
          f"engineered features, {n_trees} trees, trained on {n_train:,} rows in {built:.1f} s; the old "
          f"service's LightGBM surrogate trained in {surrogate_seconds:.1f} s (not timed below); "
          f"{after.compiled_!r}", flush=True)
    table = []
    for n in batches:
        rows = held_out.iloc[:n]
        sent = records(rows)
        engineered = after._engineered(np.asarray(featurizer.transform(rows), dtype=np.float64), "bench")
        functions = {  # each call on this batch's rows (bound now)
            "old": lambda rows=rows: old.score(rows, explain=True),
            "before": lambda rows=rows: before.score(rows, explain=True),
            "after": lambda rows=rows: after.score(rows, explain=True),
            "records": lambda sent=sent: after.score_records(sent, explain=True),
            "floor": lambda engineered=engineered: after._scored(engineered, True, True, ()),
        }
        timings = median_calls(functions, max_rounds=max(repeat, 2000 // n))
        same = np.max(np.abs(after.score(rows).values - before.score(rows).values))
        t = {name: timing.wall for name, timing in timings.items()}
        table.append([
            _rows(n), f"{timings['after'].calls:,}", _ms(t["old"]), _ms(t["before"]), _ms(t["after"]),
            _ms(t["records"]), _ms(t["floor"]), f"{t['before'] / t['after']:.1f}x",
            f"{t['old'] / t['after']:.1f}x", f"{t['after'] / t['floor']:.2f}x", f"{n / t['after']:,.0f}",
            f"{same:.1e}",
        ])
        print(f"  done: AutoML pipeline, {_rows(n)}", flush=True)
    print_table(
        "AutoML pipeline: score(rows, explain=True) before / after (median ms per call)",
        ["batch", "calls", "before: old service ms", "before: stored explainer ms", "after ms",
         "after, records ms", "TreeSHAP floor ms", "before/after", "old/after", "after/floor", "rows/s after",
         "max |after - before|"],
        table,
    )
    print("old service: LightGBM-surrogate mimic + the fitted featurization on a DataFrame per request; "
          "stored explainer: the run's TreeSHAP explainer, featurization on a DataFrame; after: compiled "
          "featurization (records: JSON records, the service's path); floor: the same steps on featurized "
          "rows. Target: 1 row after <= 5 ms.")


def featurizer_rows(n_train: int) -> pd.DataFrame:
    """The rows the old service's surrogate was trained on: a sample of the training data."""
    from _automl_case import wide_table

    return wide_table(n_train + 2000)[0].iloc[:n_train].sample(min(2000, n_train), random_state=0)


# ---------------------------------------------------------------------------------- main


def main() -> None:
    args = parse_args()
    print_environment()
    warnings.filterwarnings("ignore", message="LightGBM binary classifier with TreeExplainer")
    n_train, n_trees = (2_000, 20) if args.quick else (20_000, 200)
    n_rows = max(args.batches)
    print(f"sizes: {n_trees} trees x 31 leaves, trained on {n_train:,} rows; LightGBM 50 numeric features; "
          f"pipeline 5 raw columns; batches {', '.join(f'{b:,}' for b in args.batches)} rows")
    built: dict[str, Served] = {}

    def served(name: str) -> Served:
        if name not in built:
            build = build_lightgbm if name == "LightGBM" else build_pipeline
            built[name] = build(n_train, n_rows, n_trees)
            print(f"{name}: shap.TreeExplainer(model) built in {built[name].shap_seconds * 1e3:.1f} ms "
                  f"(once, not in the timed calls); {len(built[name].scoring.features_)} engineered "
                  f"features", flush=True)
        return built[name]

    results = []
    with threadpool_limits(1):
        automl = [int(c.split(", ")[1].split()[0].replace(",", "")) for c in args.cases
                  if c.startswith("AutoML")]
        if automl:
            automl_section(automl, n_train=2_000 if args.quick else 5_000, n_trees=n_trees,
                           repeat=args.repeat)
        for case in args.cases:
            if case.startswith(("stages: ", "AutoML")):
                continue
            name, kind, size = case.split(", ")
            n = int(size.split()[0].replace(",", ""))
            results.append((case, n, time_case(served(name), kind, n, args.repeat)))
            print(f"  done: {case}", flush=True)
        if results:
            report(results)
        for case in args.cases:
            if case.startswith("stages: "):
                name, kind, _ = case.removeprefix("stages: ").split(", ")
                time_stages(served(name), kind, args.repeat)


if __name__ == "__main__":
    main()

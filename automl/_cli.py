"""The ``automl`` command line (also ``python -m automl``); ``automl COMMAND --help`` for details.

``automl run`` searches and prints the leaderboard, the best run and its explanation,
``automl runs`` lists the experiments (or the runs of one), ``automl explain`` prints a stored
explanation, ``automl report`` writes the HTML report and CSV tables, ``automl dashboard``
serves the interactive explanation dashboard of a run with every run on a leaderboard, and
``automl serve`` its model with explanations over HTTP (``POST /score``). Exit
status: 0 on success, 2 on bad usage or input (one line on stderr names the problem), 130 when interrupted
(finished runs are stored; the same command resumes). ``automl run`` reads one of:

* ``--data train.csv --label COLUMN``; experiment named after the file. Without ``--task``, a
  non-numeric label or one with at most 20 distinct integer values means classification,
  anything else regression (the choice is printed).
* ``--example breast_cancer|wine|diabetes``: scikit-learn's shipped data (no download) with
  AUC_weighted, log_loss (on 178 rows accuracy moves in steps of several percent per fold, so
  runs tie) and r2_score; 30 iterations, a 5-minute limit, ``random_state=0``.
* ``CONFIG.yaml``: a mapping of :class:`automl.AutoMLConfig`'s parameters (not
  ``training_data``, ``X``, ``y``) plus ``data``, the training CSV (required), and
  ``validation_data``, a CSV; CSV paths are relative to the YAML file, ``task`` may be omitted
  (inferred as above), ``experiment_name`` defaults to the file's name::

      data: train.csv
      label_column_name: churned
      validation_data: valid.csv        # optional; else n_cross_validations folds
      primary_metric: AUC_weighted
      iterations: 40
      experiment_timeout_minutes: 10
      allowed_models: [LightGBM, LogisticRegression]
      featurization: auto               # or "off"
      storage: sqlite:///automl_runs/automl.db
      random_state: 0

Flags on the command line override the example's or the file's settings.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import shlex
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from automl._cli_settings import EXAMPLES, run_settings
from automl._defaults import CLASSIFICATION_METRICS, DEFAULT_STORAGE, REGRESSION_METRICS
from automl._exceptions import AutoMLError, ConfigError, RunNotFoundError
from explain._cli import add_address_arguments, add_log_requests_argument, add_serve_arguments, serve_scoring
from explain._exceptions import ExplanationError
from explain._startup import loading_without_gc
from explain._version import __version__

if TYPE_CHECKING:
    from automl._config import AutoMLConfig
    from automl._runs import AutoMLRun, ChildRun
    from explain._explanation import Explanation

# The search, the runs, the report and their dependencies (pandas, scikit-learn, Optuna,
# LightGBM) are imported by the command that needs them, so `automl --help` answers at once.

__all__ = ["main"]

_EXPERIMENT = "the experiment's name (`automl runs` lists them)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``automl`` command line.

    Parameters
    ----------
    argv : sequence of str, default=None
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on bad usage or bad input, 130 when interrupted.

    Examples
    --------
    ``automl run --example breast_cancer`` searches, then prints the leaderboard, the best
    run and its explanation; ``automl report breast_cancer`` writes the HTML report.
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage and the problem (or the help)
        return exc.code if isinstance(exc.code, int) else 2
    from featurization import FeaturizationError  # with the command, not for --help

    try:
        return int(args.handler(args))
    except BrokenPipeError:  # e.g. `automl runs | head`: stop quietly, as Python's docs advise
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (AutoMLError, ExplanationError, FeaturizationError, OSError) as exc:
        print(f"automl {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("automl: interrupted; finished runs are stored, the same command resumes.", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    """The argument parser, one sub-parser per command."""
    parser = argparse.ArgumentParser(prog="automl", description="AutoML with explanations.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     help="`automl COMMAND --help` shows its arguments")
    run = commands.add_parser("run", help="search for a model and explain the best one",
                              description="Search, then print the leaderboard and the best model's "
                              "explanation. Give a CSV (--data), a YAML config or --example.")
    run.add_argument("config", nargs="?", metavar="CONFIG.yaml",
                     help="YAML file of AutoMLConfig's settings plus `data: train.csv` (fields: README)")
    run.add_argument("--data", help="training CSV file")
    run.add_argument("--label", help="label column of the CSV")
    run.add_argument("--task", choices=["classification", "regression"], help="default: inferred")
    run.add_argument("--example", choices=sorted(EXAMPLES), help="a data set shipped with scikit-learn")
    run.add_argument("--metric", help=f"primary metric; classification: {', '.join(CLASSIFICATION_METRICS)} "
                     f"(default AUC_weighted); regression: {', '.join(REGRESSION_METRICS)} (default "
                     "r2_score); scikit-learn's names (roc_auc, r2, ...) work too")
    run.add_argument("--iterations", type=int, help="number of runs to try")
    run.add_argument("--timeout-minutes", type=float, help="time limit of the search")
    run.add_argument("--experiment", help="experiment name (same name + storage = resume)")
    run.add_argument("--validation", help="validation CSV (instead of cross-validation)")
    run.add_argument("--cv", type=int, help="number of cross-validation folds")
    run.add_argument("--seed", type=int, help="random seed")
    run.add_argument("--quiet", action="store_true", help="no progress bar, log lines or warnings")
    run.add_argument("--overwrite", action="store_true",
                     help="if the experiment exists with other data or settings, delete it and start again "
                          "(default: refuse; with the same data and settings the search resumes)")
    runs = commands.add_parser("runs", help="list the experiments, or the runs of one")
    runs.add_argument("experiment", nargs="?", metavar="EXPERIMENT",
                      help="an experiment's name: list its runs (default: list the experiments)")
    explain = commands.add_parser("explain", help="print the stored explanation of a run")
    explain.add_argument("experiment", nargs="?", metavar="EXPERIMENT",
                         help=f"{_EXPERIMENT}; not with --mlflow-run")
    explain.add_argument("--run", help="run id or number (default: the best run)")
    explain.add_argument("--mlflow-run", metavar="RUN_ID",
                         help="read the newest explanation logged to this MLflow run instead "
                              "(AutoMLConfig(mlflow=...) logs the best model's to its run)")
    explain.add_argument("--tracking-uri", metavar="URI",
                         help="MLflow tracking server or store of --mlflow-run "
                              "(default: MLFLOW_TRACKING_URI)")
    explain.add_argument("--raw", action="store_true", help="raw columns instead of engineered features")
    explain.add_argument("--top-k", type=int, default=20, help="features to show (default 20)")
    report = commands.add_parser("report", help="write the HTML report and CSV tables")
    report.add_argument("experiment", metavar="EXPERIMENT", help=_EXPERIMENT)
    report.add_argument("--output", help="HTML path (default automl_report_<experiment>.html)")
    dashboard = commands.add_parser("dashboard", help="serve the interactive explanation dashboard")
    dashboard.add_argument("experiment", metavar="EXPERIMENT", help=_EXPERIMENT)
    dashboard.add_argument("--run", help="run id or number (default: the best run)")
    add_address_arguments(dashboard, port=8050)
    add_log_requests_argument(dashboard)
    serve = commands.add_parser("serve", help="serve a run's model with explanations over HTTP")
    serve.add_argument("experiment", metavar="EXPERIMENT", help=_EXPERIMENT)
    serve.add_argument("--run", help="run id or number (default: the best run)")
    add_serve_arguments(serve)
    for sub, handler in ((run, _cmd_run), (runs, _cmd_runs), (explain, _cmd_explain), (report, _cmd_report),
                         (dashboard, _cmd_dashboard), (serve, _cmd_serve)):
        sub.add_argument("--storage", help=f"Optuna storage URL (default {DEFAULT_STORAGE})")
        sub.add_argument("--artifact-path", help="artifact folder (default: beside a SQLite database)")
        sub.set_defaults(handler=handler)
    return parser


# ---------------------------------------------------------------------- automl run
def _cmd_run(args: argparse.Namespace) -> int:
    """``automl run``: validate the settings, search, print the results."""
    from automl._config import AutoMLConfig
    from automl._search import AutoML

    settings, source, notes = run_settings(args)
    config = AutoMLConfig(**settings)
    from automl._runs import AutoMLRun

    try:
        existing = len(AutoMLRun.load(config.experiment_name, config.storage, config.artifact_path)
                       .get_children())
    except RunNotFoundError:
        existing = 0
    _print_header(config, source, notes, existing)
    with _logging_to_stderr(config.logger_level):
        run = AutoML(config).fit()
    _print_results(run, args)
    return 0


def _print_header(config: AutoMLConfig, source: str, notes: list[str], existing: int) -> None:
    """What is about to be searched."""
    from automl._folds import PROBE_FROM_ROWS, is_large  # imported on use: the CLI starts fast

    data, classes = config.data, config.data.classes
    minutes = config.experiment_timeout_minutes
    shown = "" if classes is None else f", {len(classes)} classes: {', '.join(map(str, classes[:8]))}"
    if data.X_valid is not None:
        scoring = "scored on the validation data"
    elif is_large(config):
        scoring = "scored on one validation split (a large table: runs fit growing samples of the rows)"
    else:
        scoring = f"{config.n_cross_validations}-fold cross-validated"
        if len(data.y) >= PROBE_FROM_ROWS and minutes is not None:
            scoring += " (or one validation split, if featurizing the folds would not fit the time)"
    limit = "" if minutes is None else f" or {minutes:g} min"
    print(f"automl run: experiment {config.experiment_name!r}: {config.task} of {config.label_column_name!r} "
          f"from {source} ({data.X.shape[0]} rows x {data.X.shape[1]} columns{shown})")
    for note in notes:
        print(f"  {note}")
    better = "higher" if config.metric.greater_is_better else "lower"
    print(f"  up to {config.iterations} runs{limit}; {config.primary_metric} ({better} is better), {scoring}")
    if existing:
        print(f"  resuming: the experiment already has {existing} runs in {config.storage} "
              "(use --experiment NAME for a fresh search)")
    print(flush=True)


def _print_results(run: AutoMLRun, args: argparse.Namespace) -> None:
    """The leaderboard, the best run, its explanation and where everything is stored."""
    from automl._text import SHORT_NAMES, format_value, leaderboard_text

    print(leaderboard_text(run, limit=10))
    try:
        best = run.best_child()
    except RunNotFoundError:
        print("\nNo run completed: nothing to explain. `automl runs EXPERIMENT` shows why runs failed.")
        return
    metrics = best.metrics
    order = [run.primary_metric, *(k for k in metrics if k not in (run.primary_metric, "explain_seconds"))]
    print(f"\nBest run: {best.id}, {_describe_estimator(best)}")
    print("  " + " · ".join(f"{SHORT_NAMES.get(k, k)} {format_value(metrics[k])}" for k in order))
    try:
        _print_importances(run, best)
    except (RunNotFoundError, ExplanationError) as exc:
        print(f"\nNo explanation of the best run: {_one_line(exc)}")
    flags = "".join(f" --{flag.replace('_', '-')} {shlex.quote(getattr(args, flag))}"
                    for flag in ("storage", "artifact_path") if getattr(args, flag))
    name = shlex.quote(run.experiment_name)
    print(f"\nRuns stored in {run.store.url} as experiment {run.experiment_name!r} "
          f"(models and explanations in {run.store.artifact_path}). Next:")
    ranked = "per-class importances" if run.task == "classification" else "all importances"
    for command, what in ((f"explain {name} --raw", f"{ranked}, expected values, fidelity"),
                          (f"report {name}", "HTML report with charts, plus CSV tables"),
                          (f"dashboard {name}", "interactive dashboard: cohorts, what-if, ICE, all runs "
                                                "(pip install 'automl-explain[dashboard]')"),
                          (f"runs {name}", "every run, with the errors of failed ones")):
        print(f"  automl {command}{flags}\n      {what}")


def _describe_estimator(child: ChildRun) -> str:
    """``"LightGBM (n_estimators=200, ...)"`` or the ensemble's members and weights."""
    params = child.params
    if child.estimator == "Ensemble":
        members = ", ".join(str(m) for m in params.get("members", []))
        weights = ", ".join(f"{w:.2f}" for w in params.get("weights", []))
        return f"weighted ensemble of runs {members} (weights {weights})"
    text = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in sorted(params.items()))
    return f"{child.estimator} ({text})" if text else child.estimator


def _print_importances(run: AutoMLRun, best: ChildRun) -> None:
    """Top-10 raw and engineered global importances of the best run, expected values, fidelity."""
    import numpy as np

    from automl._compat import retrieve_model_explanation
    from automl._report import BEST_MODEL, format_expected_values, load_run_explanation, output_unit
    from automl._text import importance_text

    explanation = load_run_explanation(best, raw=True, comment=BEST_MODEL)
    unit = output_unit(explanation)
    print(f"\nWhat drives the best model: mean |contribution| to the {unit} over {explanation.num_examples} "
          f"rows (method {explanation.method})")
    (raw_values, raw_names), (eng_values, eng_names) = (retrieve_model_explanation(run, raw=raw)[2:4]
                                                        for raw in (True, False))
    print(importance_text(raw_names, raw_values, "Raw columns"))
    if eng_names == raw_names and np.allclose(eng_values, raw_values):
        print(f"  Engineered features: the {len(eng_names)} raw columns passed through one-to-one.")
    else:
        print(importance_text(eng_names, eng_values, "Engineered features"))
    expected = format_expected_values(explanation)
    if expected:
        print(f"\n  Expected value ({unit}; contributions start from it): {expected}")
    print(f"  Fidelity: {explanation.fidelity.summary()}")


# ---------------------------------------------------------------------- runs / explain / report
def _cmd_runs(args: argparse.Namespace) -> int:
    """``automl runs``: the experiments of a storage, or the leaderboard of one."""
    from automl._store import ExperimentStore
    from automl._text import format_value, leaderboard_text, text_table

    if args.experiment:
        run = _load(args, args.experiment)
        print(f"Experiment {run.experiment_name!r} in {run.store.url}: {run.task} of "
              f"{run.settings.get('label_column_name')!r}")
        print(leaderboard_text(run, limit=None))
        return 0
    url = _require_storage(args.storage)
    names = ExperimentStore(url, args.artifact_path).experiment_names()
    rows = []
    for name in names:
        run = _load(args, name)
        children = run.get_children()
        try:
            best = run.best_child()
            best_cells = [format_value(best.score), f"{best.id} ({best.estimator})"]
        except RunNotFoundError:
            best_cells = ["", ""]
        rows.append([name, run.task or "?", run.primary_metric, str(len(children)),
                     str(sum(c.status == "Completed" for c in children)), *best_cells])
    print(f"Experiments in {url}:" if rows else f"No experiments in {url}.")
    if rows:
        header = ["experiment", "task", "metric", "runs", "completed", "best score", "best run"]
        print(text_table(header, rows))
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    """``automl explain``: the stored explanation of the best run or of ``--run``, or the one
    logged to ``--mlflow-run``."""
    from automl._report import BEST_MODEL, load_run_explanation
    from automl._text import format_value

    if args.top_k < 1:
        raise ConfigError(f"--top-k must be a positive integer, got {args.top_k}.")
    if args.mlflow_run is not None:
        return _explain_mlflow_run(args)
    if args.tracking_uri is not None:
        raise ConfigError("--tracking-uri goes with --mlflow-run RUN_ID (the MLflow run to read).")
    if args.experiment is None:
        raise ConfigError("automl explain needs an EXPERIMENT (`automl runs` lists them) or "
                          "--mlflow-run RUN_ID.")
    run = _load(args, args.experiment)
    child = run.best_child() if args.run is None else run.get_child(args.run)
    try:
        explanation, whole = load_run_explanation(child, args.raw, BEST_MODEL), True
    except RunNotFoundError:
        explanation, whole = load_run_explanation(child, args.raw), False
    print(f"Explanation of run {child.id}: {_describe_estimator(child)}")
    print(f"  {child.status}, {run.primary_metric} {format_value(child.score)}"
          + (" (the best run)" if run.study.user_attrs.get("finalized_run") == child.number else ""))
    print("  explains " + ("the final model" if whole
                           else "the model of the run's last cross-validation fold, on that fold's rows"))
    _print_explanation(explanation, args.top_k)
    return 0


def _explain_mlflow_run(args: argparse.Namespace) -> int:
    """``automl explain --mlflow-run RUN_ID``: the newest explanation logged to that MLflow run."""
    from explain import ExplanationClient
    from explain.mlflow._run import MlflowRun

    if args.experiment is not None or args.run is not None:
        raise ConfigError("--mlflow-run reads an MLflow run: give it without EXPERIMENT and --run.")
    try:
        run = MlflowRun(args.mlflow_run, args.tracking_uri)
    except ImportError as exc:  # MLflow is an extra: say which one to install
        raise ConfigError(str(exc)) from exc
    explanation = ExplanationClient(run).download_model_explanation(raw=bool(args.raw))
    print(f"Explanation logged to MLflow run {run.run_id} (tracking store {run.tracking_uri})")
    _print_explanation(explanation, args.top_k)
    return 0


def _print_explanation(explanation: Explanation, top_k: int) -> None:
    """The explanation's feature space, rows, ranked importances, expected values and fidelity."""
    import numpy as np

    from automl._report import format_expected_values, output_unit
    from automl._text import importance_text
    from explain._wording import importance_title

    top = min(top_k, explanation.num_features)
    space = "raw columns" if explanation.is_raw else "engineered features"
    print(f"  {space}, {explanation.num_examples} rows, method {explanation.method}, "
          f"values add up to the {output_unit(explanation)}")
    print(importance_text(explanation.get_ranked_global_names(), explanation.get_ranked_global_values(),
                          importance_title(explanation), top, ""))
    per_class = explanation.per_class_values
    if per_class is not None and len(per_class) == 2 and np.allclose(per_class[0], per_class[1]):
        print("\nPer-class importance: the same for both classes (a binary model has one output; "
              "a contribution to one class is the opposite contribution to the other).")
    elif per_class is not None:
        for label, names, values in zip(explanation.classes or range(len(per_class)),
                                        explanation.get_ranked_per_class_names(),
                                        explanation.get_ranked_per_class_values(), strict=True):
            print(importance_text(names, values, f"Importance for class {label}", top, ""))
    expected = format_expected_values(explanation)
    if expected:
        print(f"\nExpected value(s): {expected}")
    print(f"Fidelity: {explanation.fidelity.summary()}")


def _cmd_report(args: argparse.Namespace) -> int:
    """``automl report``: write the HTML report and its CSV tables, print their paths."""
    from automl._report import companion_paths, write_report

    run = _load(args, args.experiment)
    safe = re.sub(r"[^\w.-]+", "_", run.experiment_name)
    path = write_report(run, args.output or f"automl_report_{safe}.html")
    print(f"Report: {Path(path).resolve()}")
    for key, file in companion_paths(path).items():
        if key != "html" and file.exists():
            print(f"  {key.replace('_', ' ')} table: {file.resolve()}")
    return 0


def _cmd_dashboard(args: argparse.Namespace) -> int:
    """``automl dashboard``: serve the chosen run's explanation, model and rows, and every run."""
    from automl._dashboard import experiment_dashboard

    run = _load(args, args.experiment)
    try:
        with _logging_to_stderr(logging.INFO):
            dashboard = experiment_dashboard(run, args.run, host=args.host, port=args.port)
    except ImportError as exc:  # Dash is an extra: say which one to install
        raise ConfigError(str(exc)) from exc
    dashboard.log_requests = args.log_requests  # read when the server starts
    dashboard.serve_forever()
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    """``automl serve``: a scoring explainer of the run's model, served until interrupted."""
    with loading_without_gc():
        from explain.scoring import ScoringExplainer

        run = _load(args, args.experiment)
        child = run.best_child() if args.run is None else run.get_child(args.run)
        if child.status != "Completed":
            raise RunNotFoundError(f"run {child.id} is {child.status.lower()}: only completed runs have a "
                                   "model.")
    try:
        with _logging_to_stderr(logging.INFO), loading_without_gc():
            scoring = ScoringExplainer.from_run(child)
        serve_scoring(scoring, args)
    except ImportError as exc:  # FastAPI / uvicorn are an extra: say which one to install
        raise ConfigError(str(exc)) from exc
    return 0


# ---------------------------------------------------------------------- shared
def _require_storage(storage: str | None) -> str:
    """The storage URL; a missing SQLite file is an error (reading must not create one)."""
    url = storage or DEFAULT_STORAGE
    if "://" not in url:
        raise ConfigError(f"--storage must be a database URL such as {DEFAULT_STORAGE!r}, got {url!r}.")
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        file = Path(url.removeprefix("sqlite:///"))
        if not file.is_file():
            raise RunNotFoundError(f"no experiment database {file} (storage {url}); run `automl run` "
                                   "first or pass the --storage of your experiments.")
    return url


def _load(args: argparse.Namespace, experiment: str) -> AutoMLRun:
    """The stored experiment called ``experiment``."""
    from automl._runs import AutoMLRun

    return AutoMLRun.load(experiment, _require_storage(args.storage), args.artifact_path)


def _one_line(exc: BaseException) -> str:
    """An error as one line: ``"No such file or directory: train.csv"`` for a missing file."""
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}"
    return " ".join(str(exc).split()) or type(exc).__name__


@contextlib.contextmanager
def _logging_to_stderr(level: int) -> Iterator[None]:
    """Show the search's log lines (``automl: ...``) on stderr; hide warnings when quiet."""
    logger = logging.getLogger("automl")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("automl: %(message)s"))
    handler.setLevel(level)
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings():
            if level > logging.INFO:
                warnings.simplefilter("ignore")
            # XGBoost's float32 probabilities sum to 1 +- 1e-7, harmless for log_loss; not worth a line
            warnings.filterwarnings("ignore", "The y_prob values do not sum to one", UserWarning)
            yield
    finally:
        logger.removeHandler(handler)

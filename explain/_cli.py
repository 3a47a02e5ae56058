"""The ``explain`` command line: ``explain dashboard PATH`` serves a saved explanation in the
interactive dashboard, ``explain serve DIRECTORY`` a saved scoring explainer over HTTP.

``PATH`` is a file written by :func:`explain.save_explanation` (or ``--mlflow-run RUN_ID``
the newest explanation logged to that MLflow run, ``--tracking-uri`` its server). Without
``--data`` the dashboard shows the explanation alone (global and local importances, cohorts over row
index); ``--data rows.csv`` adds the explained rows (same order as the local importances),
``--label COLUMN`` their true labels, and ``--model model.joblib`` the fitted model for
model performance, what-if and ICE. Exit status: 0 on success, 2 on bad usage or input (one
line on stderr names the problem), 130 when interrupted.

A ``--model`` file and a scoring explainer's directory are unpickled: that runs code from the
files, so only load files you trust (``serve`` checks the directory's checksums and library
versions first).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from explain._exceptions import ExplanationError, ExplanationValueError
from explain._optional import require
from explain._startup import loading_without_gc
from explain._version import __version__

# the explainers, the dashboard and the service are imported by the command that needs them, so
# `explain --help` answers at once

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``explain`` command line.

    Parameters
    ----------
    argv : sequence of str, default=None
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on bad usage or input, 130 when interrupted.
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage and the problem (or the help)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return int(args.handler(args))
    except (ExplanationError, OSError, ImportError) as exc:
        print(f"explain {args.command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="explain", description="Explanations of machine-learning models.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     help="`explain COMMAND --help` shows its arguments")
    dashboard = commands.add_parser("dashboard",
                                    help="serve a saved explanation in the interactive dashboard")
    dashboard.add_argument("path", nargs="?", metavar="PATH",
                           help="explanation file written by explain.save_explanation; not with --mlflow-run")
    dashboard.add_argument("--mlflow-run", metavar="RUN_ID",
                           help="serve the newest explanation logged to this MLflow run instead of PATH")
    dashboard.add_argument("--tracking-uri", metavar="URI",
                           help="MLflow tracking server or store of --mlflow-run "
                                "(default: MLFLOW_TRACKING_URI)")
    dashboard.add_argument("--data", help="CSV of the explained rows, in the explanation's row order")
    dashboard.add_argument("--label", help="label column of --data (true labels or targets)")
    dashboard.add_argument("--model", help="fitted model saved with joblib (trusted files only: unpickled)")
    add_address_arguments(dashboard, port=8050)
    add_log_requests_argument(dashboard)
    dashboard.set_defaults(handler=_cmd_dashboard)
    serve = commands.add_parser("serve", help="serve a saved scoring explainer over HTTP (POST /score)")
    serve.add_argument("directory", metavar="DIRECTORY", help="folder written by explain.scoring.save")
    add_serve_arguments(serve)
    serve.set_defaults(handler=_cmd_serve)
    return parser


def add_address_arguments(parser: argparse.ArgumentParser, port: int, any_port: bool = True) -> None:
    """``--host`` and ``--port`` of a command that serves (shared with ``automl``)."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to serve on (default 127.0.0.1)")
    parser.add_argument("--port", type=_bounded(int, 0 if any_port else 1, 65535), default=port,
                        help=f"port (default {port}{'; 0 = any free port' if any_port else ''})")


def add_log_requests_argument(parser: argparse.ArgumentParser) -> None:
    """``--log-requests`` of a dashboard command (shared with ``automl dashboard``)."""
    parser.add_argument("--log-requests", action="store_true",
                        help="print a line per HTTP request (default: only the URL and errors)")


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a scoring service command (shared with ``automl serve``)."""
    from explain.scoring._limits import (
        DEFAULT_BODY_TIMEOUT,
        DEFAULT_HEADER_TIMEOUT,
        DEFAULT_LIMIT_CONCURRENCY,
        DEFAULT_MAX_BODY_BYTES,
        DEFAULT_MAX_ROWS,
    )

    add_address_arguments(parser, port=8000, any_port=False)
    parser.add_argument("--max-rows", type=_bounded(int, 1), default=DEFAULT_MAX_ROWS,
                        help=f"most rows per request (default {DEFAULT_MAX_ROWS})")
    parser.add_argument("--max-body-bytes", type=_bounded(int, 1), default=DEFAULT_MAX_BODY_BYTES,
                        help=f"largest request body (default {DEFAULT_MAX_BODY_BYTES})")
    parser.add_argument("--header-timeout", type=_bounded(float, 0.001), default=DEFAULT_HEADER_TIMEOUT,
                        metavar="SECONDS", help=f"most seconds to receive a request's headers "
                                                f"(default {DEFAULT_HEADER_TIMEOUT:g})")
    parser.add_argument("--body-timeout", type=_bounded(float, 0.001), default=DEFAULT_BODY_TIMEOUT,
                        metavar="SECONDS", help=f"most seconds to receive a request's body "
                                                f"(default {DEFAULT_BODY_TIMEOUT:g})")
    parser.add_argument("--limit-concurrency", type=_bounded(int, 1), default=DEFAULT_LIMIT_CONCURRENCY,
                        metavar="N", help=f"most connections and requests at once per worker; more get 503 "
                                          f"(default {DEFAULT_LIMIT_CONCURRENCY})")
    parser.add_argument("--workers", type=_bounded(int, 1, 64), default=1, metavar="N",
                        help="worker processes serving on the same port, each with its own copy of the "
                             "scoring explainer (default 1)")
    parser.add_argument("--unknown-categories", choices=("accept", "refuse"), default=None,
                        help="a category the model's featurization did not see in training: accept it "
                             "(encoded as the featurization does, and reported in the response) or "
                             "refuse it (422 naming it); default: the scoring explainer's own setting "
                             "(accept)")


def _bounded(kind: type[int] | type[float], low: float, high: float = float("inf")) -> Any:
    """An argparse type: a ``kind`` number in ``[low, high]`` (finite), else a one-line usage error."""
    noun = "an integer" if kind is int else "a number"

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        if not low <= value <= high:  # also refuses nan
            bound = f"from {low:g} to {high:g}" if high != float("inf") else f"of at least {low:g}"
            raise argparse.ArgumentTypeError(f"expected {noun} {bound}, got {text!r}")
        return value

    return parse


def serve_scoring(scoring: Any, args: argparse.Namespace, directory: str | None = None) -> None:
    """Serve a scoring explainer with uvicorn until interrupted, in ``args.workers`` processes.

    Worker processes load a saved scoring explainer: ``directory`` if it is one already (``explain
    serve``), else ``scoring`` saved to a temporary folder first (removed when serving ends).
    """
    with loading_without_gc():  # the service's imports (FastAPI, uvicorn): see explain._startup
        from explain.scoring import create_app, save

        require("uvicorn", "serve", "the scoring service")
        from explain.scoring._server import WORKER_SETTINGS, serve, server_config

    if args.unknown_categories is not None:
        scoring.unknown_categories = args.unknown_categories
    limits = {"host": args.host, "port": args.port, "header_timeout": args.header_timeout,
              "limit_concurrency": args.limit_concurrency}
    where = (f"Scoring service at http://{args.host}:{args.port}/ (POST /score, GET /metadata, GET /docs; "
             f"{args.workers} worker{'s' if args.workers > 1 else ''}; Ctrl+C to stop)")
    if args.workers == 1:
        with loading_without_gc():
            app = create_app(scoring, max_rows=args.max_rows, max_body_bytes=args.max_body_bytes,
                             body_timeout=args.body_timeout)
            config = server_config(app, **limits)
        print(where, flush=True)
        serve(config)
        return
    with tempfile.TemporaryDirectory(prefix="scoring-") as folder:
        saved = directory if directory is not None else str(save(scoring, Path(folder) / "scoring"))
        os.environ[WORKER_SETTINGS] = json.dumps({
            "directory": saved, "check_versions": True, "unknown_categories": scoring.unknown_categories,
            "max_rows": args.max_rows, "max_body_bytes": args.max_body_bytes,
            "body_timeout": args.body_timeout})
        config = server_config("explain.scoring._server:worker_app", workers=args.workers, **limits)
        print(where, flush=True)
        serve(config)


def _cmd_serve(args: argparse.Namespace) -> int:
    """``explain serve``: load (checksums and versions first), then serve until interrupted."""
    with loading_without_gc():
        from explain.scoring import load

        scoring = load(args.directory)
    serve_scoring(scoring, args, directory=args.directory)
    return 0


def _cmd_dashboard(args: argparse.Namespace) -> int:
    """``explain dashboard``: validate everything, then serve until interrupted."""
    from explain.dashboard import ExplanationDashboard

    explanation = _read_explanation(args)
    dataset, labels = _read_rows(args.data, args.label)
    model = _read_model(args.model)
    dashboard = ExplanationDashboard(explanation, model, dataset=dataset, true_y=labels, port=args.port,
                                     host=args.host, start=False, log_requests=args.log_requests)
    dashboard.serve_forever()
    return 0


def _read_explanation(args: argparse.Namespace) -> Any:
    """The explanation of ``PATH``, or the newest one logged to ``--mlflow-run``."""
    if (args.path is None) == (args.mlflow_run is None):
        raise ExplanationValueError("give an explanation file PATH or --mlflow-run RUN_ID (one of them).")
    if args.mlflow_run is None:
        if args.tracking_uri is not None:
            raise ExplanationValueError("--tracking-uri goes with --mlflow-run RUN_ID (the run to read).")
        from explain._serialization import load_explanation

        return load_explanation(args.path)
    from explain._client import ExplanationClient

    return ExplanationClient.from_mlflow_run(args.mlflow_run, args.tracking_uri).download_model_explanation()


def _read_rows(path: str | None, label: str | None) -> tuple[Any, Any]:
    if path is None:
        if label is not None:
            raise ExplanationValueError("--label needs --data, the CSV holding that column.")
        return None, None
    import pandas as pd

    frame = pd.read_csv(path)
    if label is None:
        return frame, None
    if label not in frame.columns:
        shown = ", ".join(repr(c) for c in list(frame.columns)[:8])
        raise ExplanationValueError(f"--label {label!r} is not a column of {path}; its columns: {shown}.")
    return frame.drop(columns=[label]), frame[label].to_numpy()


def _read_model(path: str | None) -> Any:
    if path is None:
        return None
    import joblib

    if not Path(path).is_file():
        raise FileNotFoundError(2, "No such file or directory", path)
    try:
        return joblib.load(path)
    except Exception as exc:  # unpickling runs the file's code, which can raise anything: report it
        raise ExplanationValueError(f"--model {path} could not be unpickled ({type(exc).__name__}: "
                                    f"{str(exc)[:200]}); expected a fitted model saved with "
                                    "joblib.dump.") from exc

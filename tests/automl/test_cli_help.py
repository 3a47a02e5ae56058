"""The command lines answer ``--help`` and ``--version`` at once, and document every argument."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from automl._cli import _parser as automl_parser
from automl._defaults import CLASSIFICATION_METRICS, REGRESSION_METRICS
from automl._metrics import metric_names
from explain._cli import _parser as explain_parser
from explain._version import __version__

HELP_SECONDS = 2.0  # generous: about 0.2 s on 2 busy cores (README), 5 s when every command imported all
HEAVY = ("sklearn", "pandas", "optuna", "lightgbm", "numba", "scipy", "skrub", "mlflow", "plotly", "dash")


def _command(name: str) -> list[str]:
    """The installed console script, or ``python -m`` when the scripts are not on this interpreter."""
    script = Path(sys.executable).parent / name
    found = str(script) if script.exists() else shutil.which(name)
    return [found] if found else [sys.executable, "-m", name]


@pytest.mark.parametrize("name", ["automl", "explain"])
def test_help_answers_within_the_bound(name: str) -> None:
    _run([*_command(name), "--help"])  # warm the file cache, as a user's second call is
    start = time.perf_counter()
    result = _run([*_command(name), "--help"])
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    assert "COMMAND" in result.stdout
    assert seconds < HELP_SECONDS, f"{name} --help took {seconds:.2f} s"


@pytest.mark.parametrize("name", ["automl", "explain"])
def test_help_imports_none_of_the_heavy_dependencies(name: str) -> None:
    code = (f"import sys, contextlib, io\nfrom {name}._cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    for argv in (['--help'], *([c, '--help'] for c in "
            f"{_subcommands(automl_parser() if name == 'automl' else explain_parser())!r})):\n"
            "        main(argv)\n"
            f"print(__import__('json').dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    result = _run([sys.executable, "-c", code])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []


@pytest.mark.parametrize("name", ["automl", "explain"])
def test_version(name: str) -> None:
    result = _run([*_command(name), "--version"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{name} {__version__}"


@pytest.mark.parametrize("parser", [automl_parser, explain_parser], ids=["automl", "explain"])
def test_every_argument_has_help(parser: object) -> None:
    built = parser()  # type: ignore[operator]
    missing = [f"{command} {action.metavar or action.dest}"
               for command, sub in _subparsers(built).items() for action in sub._actions
               if not action.help and not isinstance(action, argparse._HelpAction)]
    assert not missing, f"arguments without help: {missing}"


def test_metric_help_lists_every_metric_name() -> None:
    run = _subparsers(automl_parser())["run"]
    metric = next(a for a in run._actions if "--metric" in a.option_strings)
    assert metric.help is not None
    for name in (*metric_names("classification"), *metric_names("regression")):
        assert name in metric.help


def test_the_command_line_metric_names_are_the_implemented_ones() -> None:
    assert list(CLASSIFICATION_METRICS) == metric_names("classification")
    assert list(REGRESSION_METRICS) == metric_names("regression")


def test_importing_the_packages_imports_no_optional_tracking_library() -> None:
    code = ("import sys\nimport automl, explain\nfrom automl import AutoML, AutoMLConfig\n"
            "from explain import ExplanationClient, TabularExplainer\nimport explain.scoring\n"
            "explain.scoring.ScoringExplainer\nprint('mlflow' in sys.modules)")
    result = _run([sys.executable, "-c", code])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "False"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"": parser, **commands.choices}


def _subcommands(parser: argparse.ArgumentParser) -> list[str]:
    return [name for name in _subparsers(parser) if name]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)

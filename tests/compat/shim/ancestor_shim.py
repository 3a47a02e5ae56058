"""interpret-community's import paths as aliases of this library's names (a pytest plugin).

Loaded with ``-p ancestor_shim`` by ``tests/compat/run_ancestor.py``, it registers modules
such as ``interpret_community.mimic.mimic_explainer`` in :data:`sys.modules` whose attributes
*are* this library's objects (``MimicExplainer is explain.MimicExplainer``). Nothing here
adds behaviour: every name is an alias, a constant, or a placeholder for an
interpret-community internal that this library does not have. A placeholder skips the test
that uses it, saying which internal it needed; a placeholder that is merely imported costs
nothing, so a test module importing one internal still runs its other tests.

It also swaps the ancestor's downloads for the offline stand-ins of :mod:`standins` and
applies the skip reasons of :mod:`skips`.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import types
from typing import Any

import pytest
import skips
import standins
from aliases import ALIASES, INTERNALS


class Internal:
    """Placeholder for an interpret-community internal: using it skips the test."""

    def __init__(self, qualname: str) -> None:
        self.qualname = qualname

    def _skip(self) -> Any:
        pytest.skip(f"uses {self.qualname}, an interpret-community internal (or another "
                    "package's name) with no equivalent in this library")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._skip()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._skip()

    def __instancecheck__(self, instance: Any) -> bool:
        return False


class Missing(Internal):
    """Placeholder for a public name this library lacks: using it fails the test, naming it.

    A test module importing it still loads, so each of its tests fails or passes on its own
    (an ImportError at import would turn the whole module into one collection error).
    """

    def _skip(self) -> Any:
        raise ImportError(f"this library has no equivalent of {self.qualname}")


def _resolve(target: str) -> Any:
    """The object named by ``module:attribute``; of ``a|b``, the first that exists.

    ``fallback_constants`` stands in for ``explain.compat``'s constants when measuring a
    version of this library from before that module existed.
    """
    for alternative in target.split("|"):
        module_name, _, attribute = alternative.partition(":")
        try:
            module = importlib.import_module(module_name)
            return getattr(module, attribute) if attribute else module
        except (ImportError, AttributeError):
            continue
    raise ImportError(target)


def install() -> list[str]:
    """Register the alias modules; return the aliases this library lacks (``module.name``)."""
    missing = []
    for module_name in sorted(set(ALIASES) | set(INTERNALS)):
        module = types.ModuleType(module_name, "alias of this library's names (tests/compat/shim)")
        module.__path__ = []  # a package, so that submodules import
        for name, target in ALIASES.get(module_name, {}).items():
            try:
                setattr(module, name, _resolve(target))
            except (ImportError, AttributeError):
                missing.append(f"{module_name}.{name}")
                setattr(module, name, Missing(f"{module_name}.{name}"))
        for name in INTERNALS.get(module_name, ()):
            setattr(module, name, Internal(f"{module_name}.{name}"))
        sys.modules[module_name] = module
        parent, _, child = module_name.rpartition(".")
        if parent and parent in sys.modules:
            setattr(sys.modules[parent], child, module)
    return missing


MISSING = install()
standins.install()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"ancestor shim: {len(MISSING)} aliases missing in this library: {MISSING}"]


RESULTS = os.environ.get("ANCESTOR_RESULTS")


def _record(entry: dict[str, str]) -> None:
    """Append one event to the results file the runner watches (JSON lines, flushed at once)."""
    if RESULTS:
        with open(RESULTS, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _record({"nodeid": nodeid, "event": "start", "time": str(time.time())})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Record a test's outcome: its setup failing or skipping, its call, or its teardown failing."""
    if report.when == "call" or report.outcome != "passed":
        if report.skipped and isinstance(report.longrepr, tuple):
            message = str(report.longrepr[2])
        elif report.failed:
            message = report.longreprtext.strip().splitlines()[-1] if report.longreprtext else ""
        else:
            message = ""
        outcome = "error" if report.failed and report.when != "call" else report.outcome
        _record({"nodeid": report.nodeid, "event": "end", "outcome": outcome, "message": message[:300],
                 "seconds": f"{report.duration:.2f}"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        reason = skips.reason(item.nodeid)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))

"""Run interpret-community's public-API tests against this library and count the outcomes.

The pinned test files (``tests/compat/ancestor/tests``, interpret-community at its last
commit, MIT licence beside them) import ``interpret_community``; the shim
(``tests/compat/shim``) maps those imports to this library's names and swaps downloads for
offline stand-ins. This script runs them in a subprocess and prints passed / failed / skipped
with the skip reasons and the first line of each failure.

Usage::

    python tests/compat/run_ancestor.py                  # every public-API test file
    python tests/compat/run_ancestor.py --passing        # only the tests listed in passing.txt
    python tests/compat/run_ancestor.py --write-passing 30  # record those passing in <= 30 s
    python tests/compat/run_ancestor.py -k mimic --json out.json

CI runs ``--passing`` through ``tests/compat/test_ancestor.py``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ANCESTOR = HERE / "ancestor" / "tests"
SHIM = HERE / "shim"
PASSING = HERE / "passing.txt"

# interpret-community's public-API test files: explainers, explanations, serialization,
# permutation importance, raw features, mimic, the dashboard, imports through interpret.ext
PUBLIC_API_FILES = (
    "test_explain_model.py",
    "test_explanation_adapter.py",
    "test_explanation_dashboard.py",
    "test_lime_explainer.py",
    "test_mimic_explainer.py",
    "test_misc_explainers.py",
    "test_pfi_explainer.py",
    "test_serialize_explanation.py",
    "test_through_ext.py",
    "test_validate_explanations.py",
    "raw_explain/test_raw_explanation.py",
)


def pytest_command(targets: list[str], deselect: list[str]) -> list[str]:
    """The pytest command line that runs ``targets`` through the shim."""
    command = [sys.executable, "-m", "pytest", *targets, "-p", "ancestor_shim", "-c",
               str(SHIM / "pytest.ini"), "--rootdir", str(ANCESTOR), "-p", "no:cacheprovider",
               "-q", "--tb=no", "--no-header"]
    for nodeid in deselect:
        command += ["--deselect", nodeid]
    return command


def run(targets: list[str], timeout: float) -> dict[str, dict[str, str]]:
    """Run ``targets``; return ``{nodeid: {"outcome": ..., "message": ...}}``.

    The shim appends each test's start and end to a JSON-lines file. A test still running
    ``timeout`` seconds after it started is recorded as failed ("timed out") and pytest is
    killed (a test stuck in compiled code cannot be interrupted from inside), then started
    again on the tests not yet run.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SHIM), str(ROOT), env.get("PYTHONPATH", "")])
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    results: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as folder:
        events = Path(folder) / "events.jsonl"
        env["ANCESTOR_RESULTS"] = str(events)
        while True:
            events.write_text("")
            process = subprocess.Popen(pytest_command(targets, sorted(results)), cwd=ANCESTOR.parent,
                                       env=env)
            stuck = _watch(process, events, results, timeout)
            if stuck is None:
                return results
            results[stuck] = {"outcome": "failed", "message": f"timed out after {timeout:.0f} s"}


def _watch(process: subprocess.Popen[bytes], events: Path, results: dict[str, dict[str, str]],
           timeout: float) -> str | None:
    """Wait for ``process``, collecting outcomes; kill it and return the node id of a test
    that runs over ``timeout`` seconds, or ``None`` when pytest finished."""
    running: tuple[str, float] | None = None
    offset = 0
    while True:
        finished = process.poll() is not None
        with events.open(encoding="utf-8") as handle:
            handle.seek(offset)
            for line in handle:
                if not line.endswith("\n"):
                    break
                offset += len(line.encode("utf-8"))
                entry = json.loads(line)
                if entry["event"] == "start":
                    running = (entry["nodeid"], float(entry["time"]))
                else:
                    results[entry["nodeid"]] = {"outcome": entry["outcome"], "message": entry["message"],
                                                "seconds": entry.get("seconds", "0")}
                    running = None
        if finished:
            return None
        if running is not None and time.time() - running[1] > timeout:
            process.kill()
            process.wait()
            return running[0]
        time.sleep(0.5)


def summarize(results: dict[str, dict[str, str]]) -> str:
    counts = collections.Counter(r["outcome"] for r in results.values())
    lines = [f"{len(results)} tests: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))]
    run_ = counts["passed"] + counts["failed"] + counts["error"]
    if run_:
        lines.append(f"passed {counts['passed']} of {run_} run ({100 * counts['passed'] / run_:.0f} %)")
    for outcome in ("skipped", "failed", "error"):
        reasons = collections.Counter(r["message"] for r in results.values() if r["outcome"] == outcome)
        if reasons:
            lines.append(f"-- {outcome} by reason:")
            lines += [f"  {n:3d}  {why}" for why, n in reasons.most_common()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passing", action="store_true", help="run only the tests of passing.txt")
    parser.add_argument("--write-passing", type=float, metavar="SECONDS",
                        help="record the passing tests that take at most SECONDS each")
    parser.add_argument("--json", type=Path, help="write every test's outcome here")
    parser.add_argument("--files", nargs="*", default=list(PUBLIC_API_FILES))
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a test may run")
    args = parser.parse_args(argv)
    targets = [f"tests/{t}" for t in (PASSING.read_text().split() if args.passing else args.files)]
    results = run(targets, args.timeout)
    print(summarize(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, sort_keys=True))
    if args.write_passing is not None:
        passing = sorted(n for n, r in results.items() if r["outcome"] == "passed"
                         and float(r.get("seconds", 0)) <= args.write_passing)
        PASSING.write_text("\n".join(passing) + "\n")
    failed = [n for n, r in results.items() if r["outcome"] in ("failed", "error")]
    return 1 if args.passing and failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

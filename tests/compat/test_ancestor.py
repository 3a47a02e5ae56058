"""interpret-community's own tests that pass here keep passing (tests/compat/passing.txt).

``run_ancestor.py --passing`` runs them in a subprocess through the import shim; a test of
the list that fails (or times out) fails this test, with the failures listed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.mark.slow
def test_the_ancestors_passing_tests_still_pass(tmp_path: Path) -> None:
    if not (HERE / "passing.txt").read_text().split():
        pytest.fail(
            "tests/compat/passing.txt lists no tests; regenerate it with run_ancestor.py --write-passing"
        )
    pytest.importorskip("lightgbm")
    report = tmp_path / "results.json"
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    done = subprocess.run(
        [
            sys.executable,
            str(HERE / "run_ancestor.py"),
            "--passing",
            "--timeout",
            "120",
            "--json",
            str(report),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    results = json.loads(report.read_text()) if report.exists() else {}
    failed = {name: r["message"] for name, r in results.items() if r["outcome"] in ("failed", "error")}
    assert results, f"run_ancestor.py reported nothing:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    assert not failed, f"{len(failed)} of interpret-community's passing tests fail now: {failed}"
    listed = set((HERE / "passing.txt").read_text().split())
    assert listed <= set(results), f"not run: {sorted(listed - set(results))[:5]}"

"""Helpers for tests that start the library's servers as subprocesses."""

from __future__ import annotations

import subprocess
import time


def printed_url(process: subprocess.Popen[str], timeout: float = 120) -> str:
    """The URL a server prints as ``... dashboard at URL ...`` on stdout; fails if it exits first."""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if "dashboard at " in line:
            return line.split("dashboard at ")[1].split()[0]
        if not line and process.poll() is not None:
            raise AssertionError(f"the server exited: {process.stderr.read() if process.stderr else ''}")
    raise AssertionError("the server did not print its URL in time")

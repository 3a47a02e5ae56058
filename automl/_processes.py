"""Processes of this machine: whether one still runs, and when it started."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["process_exists", "process_start"]


def process_exists(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (owned by anyone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), or ``None``.

    With the process id it names a process uniquely, since ids are reused.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command name

"""Tests of loading a service without the cyclic garbage collector (run in a fresh interpreter:
freezing objects would outlive a test)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import gc
from explain._startup import loading_without_gc

assert gc.isenabled()
before = gc.get_freeze_count()
with loading_without_gc():
    assert not gc.isenabled()
    loaded = [[i] for i in range(1000)]  # long-lived objects made while loading
assert gc.isenabled() and gc.get_freeze_count() >= before + 1000
try:
    with loading_without_gc():
        raise KeyError("a failed load")
except KeyError:
    pass
assert gc.isenabled()  # turned back on after a failure too
gc.disable()
frozen = gc.get_freeze_count()
with loading_without_gc():  # the caller manages the collector: nothing changes
    pass
assert not gc.isenabled() and gc.get_freeze_count() == frozen
print("ok")
"""


def test_the_collector_is_off_while_loading_then_back_on_with_the_loaded_objects_frozen() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"

"""Tests of importing skrub without importing matplotlib's pyplot until it is used."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from featurization._imports import defer_pyplot
defer_pyplot()
import skrub
assert type(sys.modules["matplotlib.pyplot"]).__name__ == "_LazyModule", "pyplot was executed"
assert "matplotlib.figure" not in sys.modules
import matplotlib.pyplot as plt
figure = plt.figure()  # the first use executes pyplot
assert type(figure).__name__ == "Figure"
import pandas as pd
html = skrub.TableReport(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), verbose=0).html()
assert "<svg" in html  # skrub's own plots still draw
defer_pyplot()  # pyplot imported: nothing to do
print("ok")
"""


def test_skrub_imports_without_executing_pyplot_and_still_draws() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_fitting_an_auto_featurizer_defers_pyplot() -> None:
    script = """
import sys, pandas as pd
from featurization import AutoFeaturizer
AutoFeaturizer().fit(pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["x", "y", "x", "y"]}))
assert type(sys.modules["matplotlib.pyplot"]).__name__ == "_LazyModule"
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"

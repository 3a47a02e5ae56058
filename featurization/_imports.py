"""Importing skrub without paying for plotting that featurization never does.

skrub's package ``__init__`` imports its table-report module, which imports
``matplotlib.pyplot`` (about 0.7 s of a scoring service's start-up, a third of it). Featurizing
and scoring never draw, so before skrub is imported -- by fitting an
:class:`~featurization.AutoFeaturizer`, or by unpickling a fitted pipeline, which imports the
classes it holds -- :func:`defer_pyplot` registers ``matplotlib.pyplot`` as a module that is
executed on its first attribute access (the standard library's
:class:`importlib.util.LazyLoader`). Code that does use pyplot, skrub's reports included, gets
the real module at that first access; nothing else changes.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

__all__ = ["defer_pyplot"]

_PYPLOT = "matplotlib.pyplot"


def defer_pyplot() -> None:
    """Make a later ``import matplotlib.pyplot`` cheap until pyplot is first used.

    Does nothing when pyplot is already imported, skrub is already imported (it imported
    pyplot), or matplotlib is not installed.
    """
    if _PYPLOT in sys.modules or "skrub" in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(_PYPLOT)  # imports the matplotlib package itself (cheap)
    except ImportError:
        return
    if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[_PYPLOT] = module
    loader.exec_module(module)
    parent: Any = sys.modules["matplotlib"]
    parent.pyplot = module  # as a real import sets the submodule on its package

"""Optional dependencies, imported where a feature needs them, with the extra that installs them."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["require"]


def require(module: str, extra: str, feature: str) -> Any:
    """Import ``module``; if it is missing, an ``ImportError`` naming the extra to install.

    Examples
    --------
    >>> require("json", "dashboard", "the dashboard").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{feature} needs {module}: pip install 'automl-explain[{extra}]'") from exc

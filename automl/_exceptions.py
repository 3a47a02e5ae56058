"""The exception hierarchy of :mod:`automl`.

Every error raised on purpose derives from :class:`AutoMLError`; each subclass also derives
from the matching builtin, so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class AutoMLError(Exception):
    """Root of every error raised by :mod:`automl`."""


class ConfigError(AutoMLError, ValueError):
    """An :class:`~automl.AutoMLConfig` field has an unusable value."""


class ConfigTypeError(AutoMLError, TypeError):
    """An :class:`~automl.AutoMLConfig` field has the wrong type."""


class DataError(AutoMLError, ValueError):
    """The training data cannot be learned from (empty, single class, NaN labels, ...)."""


class RunNotFoundError(AutoMLError, LookupError):
    """No experiment or run with that name or id exists in the storage."""


class StorageError(AutoMLError, OSError):
    """The experiment's database or artifact folder cannot be read or written (read-only, full, gone)."""


class SearchError(AutoMLError, RuntimeError):
    """The search ended without a usable run (every trial failed or ran out of time)."""

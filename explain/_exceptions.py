"""The exception hierarchy of :mod:`explain`.

Every error raised on purpose by the package derives from :class:`ExplanationError`; each
subclass also derives from the matching builtin, so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class ExplanationError(Exception):
    """Root of every error raised by :mod:`explain`."""


class ExplanationValueError(ExplanationError, ValueError):
    """An argument has the right type but an unusable value (shape, names, NaN, ...)."""


class ExplanationTypeError(ExplanationError, TypeError):
    """An argument has a type the explainer cannot work with."""


class ExplanationAttributeError(ExplanationValueError, AttributeError):
    """An explanation lacks what was asked of it (e.g. local values of a global-only one).

    Also an :class:`AttributeError`, so ``hasattr(explanation, "local_importance_values")``
    is ``False`` for a global-only explanation, as in interpret-community.
    """


class UnsupportedScenarioError(ExplanationValueError):
    """What was asked cannot be computed for this model or data (interpret-community's
    ``ScenarioNotSupportedException``)."""


class ModelCallError(ExplanationError, ValueError):
    """The explained model raised when it was called on the data."""


class ExplanationFileError(ExplanationError, ValueError):
    """A file that :func:`~explain.load_explanation` refuses: not an explanation file, damaged,
    inconsistent, or over the size limit. The message names the file and the cause."""


class SchemaVersionError(ExplanationFileError):
    """A saved explanation has a format version this library cannot read."""


class CompatibilityWarning(UserWarning):
    """An interpret-community argument was accepted but does something else (or nothing) here;
    the message says what happens instead."""


class NotFittedError(ExplanationError, AttributeError):
    """An estimator was used before ``fit``."""

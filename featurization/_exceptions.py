"""The exception hierarchy of :mod:`featurization`.

Every error raised on purpose derives from :class:`FeaturizationError`; each subclass also
derives from the matching builtin, so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class FeaturizationError(Exception):
    """Root of every error raised by :mod:`featurization`."""


class FeaturizationValueError(FeaturizationError, ValueError):
    """An argument has an unusable value (unknown column, mismatched shapes, ...)."""


class FeaturizationTypeError(FeaturizationError, TypeError):
    """An argument has a type featurization cannot work with."""


class UnsupportedTransformationError(FeaturizationValueError):
    """A transformer mixes several inputs into several outputs and the caller did not allow it."""


class UnknownCategoryWarning(UserWarning):
    """``transform`` met categories ``fit`` did not see; they were encoded as no category.

    A ``UserWarning``, so it shows by default; ``warnings.simplefilter("ignore",
    UnknownCategoryWarning)`` silences it alone (an AutoML search does while it transforms its
    own validation folds and held-out rows, where unseen categories are expected).
    """

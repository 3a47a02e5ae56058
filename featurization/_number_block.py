"""The number columns of a compiled featurizer encoded together, in one NumPy cast.

A wide table has dozens of number columns; encoding them one plan at a time costs a Python
call and a small array per column. :class:`NumberBlock` takes every float32 number column of
a featurizer at once: when all values are plain ``int`` (below 2**53 in magnitude, exact in
float64) / ``float`` (finite) / ``None``, one float64 matrix is cast to float32, which is the
value each column's own plan gives (a float32 of an exact float64 rounds once, as the int64 cast
does). Anything else -- booleans, text, infinities, huge integers, values beyond float32 --
goes to the columns' own plans, which refuse it with their message or encode it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from featurization._column_plans import NumberPlan

__all__ = ["NumberBlock"]

_EXACT = 2**53


class NumberBlock:
    """Number plans (float32, kinds ``"number"`` / ``"integer"``) encoded together.

    Parameters
    ----------
    plans : list of NumberPlan
        The plans; each writes one output column.
    """

    def __init__(self, plans: list[NumberPlan]) -> None:
        self.plans = plans
        self.names = [plan.spec.name for plan in plans]
        self.positions = np.array([plan.positions[0] for plan in plans], dtype=np.int64)

    def encode(self, columns: Mapping[str, Sequence[Any]], out: np.ndarray,
               unknown: list[tuple[int, str, Any]]) -> None:
        """Write every column's float32 values into ``out`` (see the module docstring)."""
        values = [columns[name] for name in self.names]
        if not all(_plain(column) for column in values):
            for plan in self.plans:
                plan.encode(columns[plan.spec.name], out, unknown)
            return
        matrix = np.array([[np.nan if v is None else v for v in column] for column in values],
                          dtype=np.float64)
        with np.errstate(over="ignore"):
            single = matrix.astype(np.float32)
        if np.isinf(single).any():  # beyond float32: the plans say which value
            for plan in self.plans:
                plan.encode(columns[plan.spec.name], out, unknown)
            return
        out[:, self.positions] = single.T


def _plain(column: Sequence[Any]) -> bool:
    for value in column:
        kind = type(value)
        if kind is float:
            if value in (np.inf, -np.inf):
                return False
        elif kind is int:
            if not -_EXACT < value < _EXACT:
                return False
        elif value is not None:
            return False
    return True

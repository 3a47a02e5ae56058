"""A bounded, thread-safe cache of cohort results (masks, importances, metrics).

Each distinct cohort filter costs a boolean mask of ``n_rows`` bytes plus its aggregates, and
filters arrive from the browser: an unbounded dict grows with every filter ever typed (about
94 KB a filter at 100,000 rows). This cache keeps the most recently used entries, at most
``max_entries`` of them and at most ``max_bytes`` of array data, and evicts the least
recently used first.

Written by hand rather than with :func:`functools.lru_cache` because the bound is also in
bytes (a mask of a million rows weighs 1 MB, an importance vector a few hundred bytes) and
because the values are computed by closures over the dashboard's data, not by one function.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from explain._validation import check_positive_int

__all__ = ["CohortCache", "MAX_CACHE_BYTES", "MAX_CACHE_ENTRIES"]

MAX_CACHE_ENTRIES = 256
MAX_CACHE_BYTES = 64 << 20  # 64 MiB: 64 masks of a million rows


class CohortCache:
    """Least-recently-used cache bounded in entries and in bytes.

    Parameters
    ----------
    max_entries : int, default=256
        Most entries kept.
    max_bytes : int, default=64 MiB
        Most bytes of values kept (``nbytes`` of arrays, ``sys.getsizeof`` of other values).
        A single value larger than this is returned but not kept.

    Examples
    --------
    >>> cache = CohortCache(max_entries=2)
    >>> for text in ("a > 1", "a > 2", "a > 3"):
    ...     _ = cache.get_or_compute(("mask", text), lambda: np.ones(4, dtype=bool))
    >>> len(cache), ("mask", "a > 1") in cache
    (2, False)
    """

    def __init__(self, max_entries: int = MAX_CACHE_ENTRIES, max_bytes: int = MAX_CACHE_BYTES) -> None:
        check_positive_int(max_entries, "max_entries", "CohortCache")
        check_positive_int(max_bytes, "max_bytes", "CohortCache")
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    @property
    def nbytes(self) -> int:
        """Bytes of the values kept."""
        return self._bytes

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value kept under ``key``, or ``compute()`` (kept, evicting the least recently used).

        ``compute`` runs outside the lock: two threads asking for the same new key may both
        compute it, which costs time but never a wrong value.
        """
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
        value = compute()
        size = _size(value)
        if size > self.max_bytes:
            return value
        with self._lock:
            if key in self._entries:
                self._bytes -= self._entries.pop(key)[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._bytes -= self._entries.popitem(last=False)[1][1]
        return value


def _size(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    return int(sys.getsizeof(value))

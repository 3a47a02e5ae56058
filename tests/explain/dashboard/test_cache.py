import threading

import numpy as np
import pandas as pd
import pytest

from explain import Explanation, ExplanationValueError
from explain.dashboard import Cohort
from explain.dashboard._cache import MAX_CACHE_BYTES, MAX_CACHE_ENTRIES, CohortCache
from explain.dashboard._data import DashboardData


def test_least_recently_used_entry_is_evicted_first():
    cache = CohortCache(max_entries=3)
    computed = []

    def value(key):
        return lambda: computed.append(key) or key * 10

    for key in (1, 2, 3):
        assert cache.get_or_compute(key, value(key)) == key * 10
    assert cache.get_or_compute(1, value(1)) == 10  # a hit: 1 becomes the most recent
    assert computed == [1, 2, 3]
    cache.get_or_compute(4, value(4))
    assert len(cache) == 3 and 2 not in cache and all(k in cache for k in (1, 3, 4))


def test_bytes_are_bounded_too_and_an_oversized_value_is_returned_but_not_kept():
    cache = CohortCache(max_entries=100, max_bytes=1_000)
    for i in range(10):
        cache.get_or_compute(("mask", str(i)), lambda: np.zeros(300, dtype=bool))
    assert len(cache) == 3 and cache.nbytes == 900
    big = cache.get_or_compute("big", lambda: np.zeros(5_000, dtype=bool))
    assert big.shape == (5_000,) and "big" not in cache and cache.nbytes == 900


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"max_entries": 0}, "CohortCache: max_entries must be a positive integer, got 0"),
    ({"max_bytes": -1}, "CohortCache: max_bytes must be a positive integer, got -1"),
    ({"max_entries": 2.5}, "max_entries must be a positive integer, got 2.5"),
])
def test_bounds_must_be_positive_integers(kwargs, message):
    with pytest.raises(ExplanationValueError, match=message):
        CohortCache(**kwargs)


def test_concurrent_use_never_loses_a_value():
    cache = CohortCache(max_entries=4)
    errors = []

    def work(start):
        for i in range(400):
            key = (start + i) % 9
            if cache.get_or_compute(key, lambda key=key: key) != key:
                errors.append(key)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(cache) <= 4


def test_many_distinct_filters_keep_the_dashboard_cache_at_its_bound():
    rng = np.random.default_rng(0)
    n = 2_000
    frame = pd.DataFrame({"age": rng.normal(40, 10, n), "kids": rng.integers(0, 5, n)})
    explanation = Explanation(method="shap.tree", model_task="regression", features=["age", "kids"],
                              global_values=np.array([1.0, 0.5]),
                              local_values=rng.normal(size=(1, n, 2)), is_raw=True)
    data = DashboardData(explanation, dataset=frame)
    for i in range(MAX_CACHE_ENTRIES + 100):
        cohort = Cohort(f"c{i}", f"age > {i / 10}")
        assert data.mask(cohort).sum() == int((frame["age"] > i / 10).sum())
        data.importance("raw", cohort, None)
    assert len(data._cache) == MAX_CACHE_ENTRIES  # masks and importances, the most recent kept
    assert data._cache.nbytes <= MAX_CACHE_BYTES
    assert ("mask", f"age > {(MAX_CACHE_ENTRIES + 99) / 10}") in data._cache
    assert ("mask", "age > 0.0") not in data._cache

"""Chunked, parallel explanations: same values as one batch, in order, flat memory, progress."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import (
    KernelExplainer,
    LIMEExplainer,
    LinearExplainer,
    MimicExplainer,
    TabularExplainer,
)
from explain.explainers._streaming import chunk_rows
from explain.models import LGBMExplainableModel
from tests._synthetic import make_ground_truth


def _binary() -> tuple[pd.DataFrame, np.ndarray]:
    return make_ground_truth("binary", n_rows=300)


def _linear() -> tuple[Any, pd.DataFrame]:
    X, y = _binary()
    return LinearExplainer(LogisticRegression().fit(X, y), X), X.iloc[:60]


def _kernel() -> tuple[Any, pd.DataFrame]:
    X, y = _binary()
    return KernelExplainer(LogisticRegression().fit(X, y), X, nclusters=5), X.iloc[:12]


def _mimic() -> tuple[Any, pd.DataFrame]:
    X, y = _binary()
    model = LogisticRegression().fit(X, y)
    return MimicExplainer(model, X, LGBMExplainableModel,
                          explainable_model_args={"n_estimators": 20}), X.iloc[:60]


def _lime() -> tuple[Any, pd.DataFrame]:
    X, y = _binary()
    return LIMEExplainer(LogisticRegression().fit(X, y), X, num_samples=300), X.iloc[:30]


def _tree() -> tuple[Any, pd.DataFrame]:
    X, y = _binary()
    model = LGBMClassifier(n_estimators=20, num_leaves=8, n_jobs=1, verbose=-1).fit(X, y)
    return TabularExplainer(model, X), X.iloc[:60]


MAKERS: dict[str, Callable[[], tuple[Any, pd.DataFrame]]] = {
    "linear": _linear, "kernel": _kernel, "mimic": _mimic, "lime": _lime, "tree": _tree,
}


def _set_jobs(explainer: Any, n_jobs: int) -> None:
    getattr(explainer, "explainer", explainer).n_jobs = n_jobs


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_chunked_and_parallel_equal_one_batch(kind: str) -> None:
    explainer, rows = MAKERS[kind]()
    whole = explainer.explain_local(rows)
    chunked = explainer.explain_local(rows, batch_size=7)
    _set_jobs(explainer, 2)
    parallel = explainer.explain_global(rows, batch_size=5)
    global_only = explainer.explain_global(rows, include_local=False, batch_size=4)
    for other in (chunked, parallel):  # same values, same row order
        np.testing.assert_allclose(other.local_values, whole.local_values, rtol=0, atol=1e-12)
    for other in (chunked, parallel, global_only):
        np.testing.assert_allclose(other.global_values, whole.global_values, rtol=0, atol=1e-12)
        assert other.num_examples == len(rows)
    assert global_only.local_values is None
    assert parallel.fidelity.summary() == whole.fidelity.summary()


def test_automatic_chunks_cover_every_worker_and_cap_memory() -> None:
    assert chunk_rows(10, bytes_per_row=80, n_jobs=1) == 10
    assert chunk_rows(10, bytes_per_row=80, n_jobs=2) == 5
    assert chunk_rows(10_000_000, bytes_per_row=800, n_jobs=2) * 800 <= 8 * 2**20
    assert chunk_rows(10, bytes_per_row=80, n_jobs=2, batch_size=3) == 3
    # a multiple of the workers' number of chunks, of near-equal size
    assert chunk_rows(114, bytes_per_row=80, n_jobs=2, max_rows=24) == 19
    assert chunk_rows(100, bytes_per_row=80, n_jobs=2, max_rows=24) == 17  # 6 chunks, not 5
    assert chunk_rows(96, bytes_per_row=80, n_jobs=2, max_rows=24) == 24


def test_progress_bar_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    explainer, rows = _linear()
    explainer.explain_local(rows, batch_size=10, show_progress=True)
    assert "LinearExplainer (shap.linear)" in capsys.readouterr().err
    explainer.explain_global(rows, batch_size=1)  # many chunks, but stderr is not a terminal
    explainer.explain_local(rows, batch_size=1, show_progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"batch_size": 0}, "explain_local: batch_size must be a positive integer"),
    ({"batch_size": 2.5}, "batch_size must be a positive integer"),
    ({"show_progress": "yes"}, "show_progress must be True, False or None"),
])
def test_bad_options_are_refused(kwargs: dict[str, Any], match: str) -> None:
    explainer, rows = _linear()
    with pytest.raises(ValueError, match=match):
        explainer.explain_local(rows, **kwargs)


@pytest.mark.parametrize("n_jobs", [0, 1.5, True, "2"])
def test_bad_n_jobs_is_refused(n_jobs: Any) -> None:
    X, y = _binary()
    with pytest.raises(ValueError, match="LinearExplainer: n_jobs must be a non-zero integer"):
        LinearExplainer(LogisticRegression().fit(X, y), X, n_jobs=n_jobs)
    with pytest.raises(ValueError, match="TabularExplainer: n_jobs must be a non-zero integer"):
        TabularExplainer(LogisticRegression().fit(X, y), X, n_jobs=n_jobs)


def _peak(function: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _raw_linear(n_rows: int) -> tuple[Any, pd.DataFrame]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(n_rows, 6)), columns=[f"n{i}" for i in range(6)])
    X["colour"] = rng.choice(["red", "green", "blue"], size=n_rows)
    featurize = ColumnTransformer([("num", StandardScaler(), [f"n{i}" for i in range(6)]),
                                   ("cat", OneHotEncoder(), ["colour"])]).fit(X.iloc[:500])
    engineered = featurize.transform(X.iloc[:500])
    model = Ridge().fit(engineered, engineered[:, 0] - engineered[:, -1])
    return LinearExplainer(model, X.iloc[:500], transformations=featurize), X


def _lightgbm(n_rows: int) -> tuple[Any, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, 10))
    model = LGBMClassifier(n_estimators=20, num_leaves=8, n_jobs=1, verbose=-1)
    return TabularExplainer(model.fit(X[:500], X[:500, 0] > 0), X[:500]), X


@pytest.mark.parametrize("make", [_raw_linear, _lightgbm], ids=["raw-linear", "lightgbm"])
def test_global_only_memory_stays_flat_as_rows_grow(make: Callable[[int], Any]) -> None:
    explainer, X = make(40_000)
    small, large = X[:10_000], X

    def run(rows: Any) -> Callable[[], Any]:
        return lambda: explainer.explain_global(rows, include_local=False, batch_size=1_000)

    run(small)()  # warm-up: caches and lazy imports are not the rows' cost
    # the explanation keeps the model's predictions (eval_y_predicted, and two probabilities
    # per row for the classifier), as interpret-community did: one row's worth each, no more
    predictions = (large.shape[0] - small.shape[0]) * 3 * 8
    assert _peak(run(large)) < 1.5 * _peak(run(small)) + predictions


def _slow_kernel(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, pd.DataFrame]:
    """A Kernel explainer whose automatic chunks hold one row (as for a slow model)."""
    from explain.explainers import _streaming

    monkeypatch.setattr(_streaming, "PROGRESS_MININTERVAL", 0.0)  # draw every update
    X, y = _binary()
    explainer = KernelExplainer(LogisticRegression().fit(X, y), X, nclusters=3, n_jobs=1)
    explainer.model_cost_ = (0.0, 1.0)  # as if one evaluation took a second
    return explainer, X.iloc[:6]


def test_kernel_progress_bar_advances_chunk_by_chunk(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    explainer, rows = _slow_kernel(monkeypatch)
    assert explainer._max_chunk_rows() == 1
    explainer.explain_global(rows, show_progress=True)
    err = capsys.readouterr().err
    assert "KernelExplainer (shap.kernel)" in err
    states = [f"{k}/6" for k in range(7)]
    assert all(state in err for state in states), err  # one redraw per chunk of one row
    assert "rows/s" in err or "s/rows" in err  # a rate, from which the ETA is drawn


def test_automatic_progress_needs_interactive_output(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from explain.explainers import _streaming

    explainer, rows = _slow_kernel(monkeypatch)
    monkeypatch.setattr(_streaming, "PROGRESS_DELAY", 0.0)
    explainer.explain_local(rows)  # show_progress=None, output not interactive: quiet
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(_streaming, "interactive", lambda: True)
    explainer.explain_local(rows)
    assert "6/6" in capsys.readouterr().err
    explainer.explain_local(rows, show_progress=False)
    assert capsys.readouterr().err == ""


def test_interactive_is_false_under_pytest_and_true_in_a_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    from explain.explainers._streaming import interactive

    assert not interactive()  # stderr is captured, no IPython kernel
    kernel = type("ZMQInteractiveShell", (), {})()
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: kernel))
    assert interactive()

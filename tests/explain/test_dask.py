"""Dask input: explanations computed partition-wise on a LocalCluster equal the in-memory ones."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import (
    KernelExplainer,
    LinearExplainer,
    SamplingPolicy,
    TabularExplainer,
    local_values_dask,
)
from tests._synthetic import make_ground_truth

try:
    import dask.array as da
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster
except ImportError:  # pragma: no cover - the distributed extra is not installed
    if os.environ.get("CI"):
        raise
    pytest.skip("dask[distributed] is not installed", allow_module_level=True)

ATOL = 1e-12


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """Two single-threaded worker processes: every test's graph runs on the cluster."""
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, memory_limit="1GiB")
    with cluster, Client(cluster) as connected:
        yield connected


@pytest.fixture(scope="module")
def regression() -> tuple[pd.DataFrame, LinearExplainer]:
    X, y = make_ground_truth("regression", n_rows=400)
    return X, LinearExplainer(Ridge().fit(X, y), X)


def _close(actual: Any, expected: Any) -> None:
    np.testing.assert_allclose(actual, expected, rtol=0, atol=ATOL)


def _same_explanation(ours: Any, reference: Any) -> None:
    assert ours.features == reference.features and ours.num_examples == reference.num_examples
    _close(ours.global_values, reference.global_values)
    _close(ours.expected_values_, reference.expected_values_)
    if reference.per_class_values_ is not None:
        _close(ours.per_class_values_, reference.per_class_values_)
    if ours.local_values is not None:
        _close(ours.local_values, reference.local_values)


def test_linear_dask_array_local_and_global(client: Client, regression: Any) -> None:
    X, explainer = regression
    lazy = da.from_array(X.to_numpy(), chunks=(90, 3))  # column chunks are joined per block
    reference = explainer.explain_local(X.to_numpy())
    _same_explanation(explainer.explain_local(lazy), reference)
    global_only = explainer.explain_global(lazy, include_local=False)
    assert global_only.local_values is None
    _same_explanation(global_only, reference)


def test_tree_via_tabular_on_a_dask_dataframe(client: Client) -> None:
    X, y = make_ground_truth("binary", n_rows=600)
    model = LGBMClassifier(n_estimators=20, num_leaves=8, n_jobs=1, verbose=-1).fit(X, y)
    explainer = TabularExplainer(model, X)
    frame = dd.from_pandas(X, npartitions=4)
    reference = explainer.explain_local(X)
    _same_explanation(explainer.explain_local(frame), reference)
    _same_explanation(explainer.explain_global(frame, include_local=False), reference)


def test_kernel_on_a_dask_array(client: Client) -> None:
    X, y = make_ground_truth("binary", n_rows=300)
    explainer = KernelExplainer(LogisticRegression().fit(X, y), X, nclusters=5)
    rows = X.to_numpy()[:24]
    reference = explainer.explain_local(rows)
    _same_explanation(explainer.explain_local(da.from_array(rows, chunks=(7, -1))), reference)


def _raw_case() -> tuple[pd.DataFrame, Pipeline]:
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"size": rng.normal(size=300), "weight": rng.normal(size=300),
                      "colour": rng.choice(["red", "green", "blue"], size=300)})
    y = (X["size"] + (X["colour"] == "red") > 0.5).astype(int)
    featurize = ColumnTransformer([("num", StandardScaler(), ["size", "weight"]),
                                   ("cat", OneHotEncoder(), ["colour"])])
    return X, Pipeline([("featurize", featurize), ("model", LogisticRegression())]).fit(X, y)


def test_raw_explanation_of_a_pipeline_featurizes_partition_wise(client: Client) -> None:
    X, pipeline = _raw_case()
    explainer = TabularExplainer(pipeline, X)
    reference = explainer.explain_local(X)
    ours = explainer.explain_local(dd.from_pandas(X, npartitions=3))
    assert ours.is_raw and ours.features == ("size", "weight", "colour")
    _same_explanation(ours, reference)
    _same_explanation(ours.engineered_explanation, reference.engineered_explanation)
    lazy = local_values_dask(explainer, dd.from_pandas(X, npartitions=3))
    assert lazy.shape[0] == 2 and lazy.shape[2] == 3
    _close(lazy.compute(), reference.local_values)


def test_local_values_as_a_lazy_dask_array(client: Client, regression: Any) -> None:
    X, explainer = regression
    lazy = local_values_dask(explainer, da.from_array(X.to_numpy(), chunks=(100, -1)))
    assert lazy.shape == (1, 400, X.shape[1]) and lazy.chunks[1] == (100, 100, 100, 100)
    _close(lazy.compute(), explainer.explain_local(X).local_values)
    engineered = local_values_dask(explainer, da.from_array(X.to_numpy(), chunks=(100, -1)),
                                   engineered=True)
    assert engineered.shape == lazy.shape


def test_random_sampling_of_a_dask_collection_records_the_population(client: Client,
                                                                     regression: Any) -> None:
    X, explainer = regression
    policy = SamplingPolicy(allow_eval_sampling=True, max_rows=50, sampling_method="random")
    sampled = explainer.explain_global(dd.from_pandas(X, npartitions=4), sampling_policy=policy)
    assert sampled.num_examples == 50
    assert "random sample of 50 of 400 rows" in sampled.fidelity.notes[0]
    assert sampled.fidelity.sampled_from == 400 and sampled.fidelity.sampling_method == "random"
    kmeans = explainer.explain_global(dd.from_pandas(X, npartitions=4),
                                      sampling_policy=SamplingPolicy(allow_eval_sampling=True,
                                                                     max_rows=20))
    assert kmeans.num_examples <= 20 and "of 400 rows" in kmeans.fidelity.notes[0]


def test_missing_and_unknown_columns_are_refused_before_computing(client: Client,
                                                                  regression: Any) -> None:
    X, explainer = regression
    renamed = dd.from_pandas(X.rename(columns={X.columns[0]: "other"}), npartitions=2)
    with pytest.raises(ValueError, match=f"missing: '{X.columns[0]}'; unknown: 'other'"):
        explainer.explain_global(renamed, include_local=False)
    with pytest.raises(ValueError, match="has 2 columns but the explainer was set up"):
        explainer.explain_local(da.zeros((10, 2), chunks=5))
    with pytest.raises(TypeError, match="non-numeric columns 'text'"):
        explainer.explain_local(dd.from_pandas(X.assign(text="a"), npartitions=2))
    with pytest.raises(TypeError, match=r"a 2-D dask\.array\.Array is accepted"):
        explainer.explain_local(dd.from_pandas(X.iloc[:, 0], npartitions=2))
    _, pipeline = _raw_case()
    raw = TabularExplainer(pipeline, _raw_case()[0])
    with pytest.raises(ValueError, match="missing: 'colour'"):
        raw.explain_local(dd.from_pandas(_raw_case()[0].drop(columns="colour"), npartitions=2))


def test_nan_found_on_a_worker_names_the_column(client: Client) -> None:
    X, y = make_ground_truth("regression", n_rows=200)
    explainer = KernelExplainer(Ridge().fit(X, y), X, nclusters=5)  # Ridge takes no NaN
    holed = X.copy()
    holed.iloc[150, 2] = np.nan
    with pytest.raises(ValueError, match=f"contains NaN in '{X.columns[2]}'"):
        explainer.explain_global(dd.from_pandas(holed, npartitions=4), include_local=False)


def test_local_values_dask_refuses_in_memory_data(regression: Any) -> None:
    X, explainer = regression
    with pytest.raises(TypeError, match="must be a dask DataFrame or Array"):
        local_values_dask(explainer, X)
    with pytest.raises(TypeError, match="must be a set-up explainer"):
        local_values_dask(object(), da.from_array(X.to_numpy()))

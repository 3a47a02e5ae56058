"""Explaining Dask collections partition by partition, on the cluster the Dask client points to.

A ``dask.dataframe.DataFrame`` or ``dask.array.Array`` of evaluation rows is explained where
its partitions are: the explainer is shipped to the workers once (as one delayed object the
partition tasks depend on), every partition is validated, featurized (raw explanations) and
explained there, and only its summary comes back (``|value|`` sums per output and feature,
the row weight, and the local values when they are kept). The summaries are merged here in
partition order, so the explanation is the one the same rows would give in memory.

Columns and dtypes of a Dask collection are known without computing it, so unknown,
missing or non-numeric columns are refused before any task runs; NaN can only be found in
the data, and is reported from the worker with the usual error naming the column.

Dask is optional (``pip install 'automl-explain[distributed]'``) and imported only when a
Dask collection is given: an object can be one only if ``dask`` was imported already.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._optional import require
from explain._sampling import SamplingPolicy
from explain._validation import Matrix
from explain.explainers._assembly import BatchSummary
from featurization import FeatureMap

__all__ = ["DaskRows", "is_dask_collection", "local_values_dask"]

_FEATURE = "Explaining Dask collections"
_KMEANS_SAMPLE = 10  # k-means clusters a uniform sample of this many times max_rows rows


def is_dask_collection(data: Any) -> bool:
    """Whether ``data`` is a Dask collection (without importing Dask when it is not loaded)."""
    if "dask" not in sys.modules:
        return False
    import dask

    return bool(dask.is_dask_collection(data))


class _PartitionJob:
    """What every partition task runs: validate, featurize, explain, reduce.

    One instance (holding the explainer) is wrapped in a single delayed object, so the
    explainer travels to each worker once, not once per partition.
    """

    def __init__(self, explainer: Any, method: str, output_map: FeatureMap | None,
                 keep_local: bool) -> None:
        self.explainer, self.method = explainer, method
        self.output_map, self.keep_local = output_map, keep_local

    def _matrix(self, part: Any) -> Matrix | None:
        if part.shape[0] == 0:  # filtering leaves empty partitions; they add nothing
            return None
        return self.explainer._evaluation_matrix(part, self.method)

    def summary(self, part: Any) -> BatchSummary | None:
        X = self._matrix(part)
        if X is None:
            return None
        return self.explainer._summarize_chunk(X, None, output_map=self.output_map,
                                               keep_local=self.keep_local)

    def local_values(self, part: Any, n_outputs: int, n_features: int) -> np.ndarray:
        X = self._matrix(part)
        if X is None:
            return np.zeros((n_outputs, 0, n_features))
        result = self.explainer._local_result(X)
        return result.values if self.output_map is None else self.output_map.map_values(result.values)


class DaskRows:
    """Evaluation rows given as a Dask DataFrame or Array, checked without computing them.

    Parameters
    ----------
    explainer : BaseExplainer
        The explainer the rows are for.
    data : dask.dataframe.DataFrame or dask.array.Array of shape (n_rows, n_columns)
        The rows (raw columns when the explainer has transformations).
    where : str
        ``"ClassName.method"``, for error messages.
    """

    def __init__(self, explainer: Any, data: Any, where: str) -> None:
        self.dask = require("dask", "distributed", _FEATURE)
        dd = require("dask.dataframe", "distributed", _FEATURE)
        da = require("dask.array", "distributed", _FEATURE)
        self.explainer, self.where = explainer, where
        self.method = where.rsplit(".", 1)[-1]
        if isinstance(data, dd.DataFrame):
            self.is_frame = True
            self._check_columns(data._meta_nonempty)
        elif isinstance(data, da.Array):
            self.is_frame = False
            if data.ndim != 2:
                raise ExplanationValueError(
                    f"{where}: evaluation_examples must be 2-D (rows x features), got a dask "
                    f"array with shape {data.shape}.")
            self._check_columns(np.zeros((1, data.shape[1]), dtype=data.dtype))
            data = data.rechunk({1: -1})  # whole rows in each block
        else:
            raise ExplanationTypeError(
                f"{where}: evaluation_examples is a {type(data).__name__}; of Dask collections "
                "a dask.dataframe.DataFrame or a 2-D dask.array.Array is accepted.")
        self.data = data

    def _check_columns(self, probe: Any) -> None:
        """Validate column names, count and dtypes on an empty-like probe of the data."""
        raw_input = self.explainer.raw_input_
        if raw_input is not None:
            raw_input.check(probe, "evaluation_examples")
        else:
            self.explainer._evaluation_matrix(probe, self.method)

    def partitions(self) -> list[Any]:
        """One delayed object per partition (row block), in row order."""
        parts = self.data.to_delayed()
        return list(parts) if self.is_frame else list(parts.ravel())

    def _job(self, output_map: FeatureMap | None, keep_local: bool) -> Any:
        job = _PartitionJob(self.explainer, self.method, output_map, keep_local)
        return self.dask.delayed(job, pure=False)

    def summaries(self, output_map: FeatureMap | None, *, keep_local: bool) -> list[BatchSummary]:
        """Compute every partition's summary on the cluster; return them in row order."""
        job = self._job(output_map, keep_local)
        tasks = [job.summary(part) for part in self.partitions()]
        found = [s for s in self.dask.compute(*tasks) if s is not None]
        if not found:
            raise ExplanationValueError(f"{self.where}: evaluation_examples has no rows.")
        return found

    def sample(self, policy: SamplingPolicy) -> tuple[Matrix, int]:
        """A uniform random sample of the rows, computed here, and the total row count.

        ``max_rows`` rows (a little more, trimmed by :func:`sample_rows`) for ``"random"``;
        ``10 * max_rows`` for ``"kmeans"``, which then clusters that sample.
        """
        dd = require("dask.dataframe", "distributed", _FEATURE)
        frame = self.data if self.is_frame else dd.from_dask_array(self.data)
        n_total = len(frame)
        target = policy.max_rows * (_KMEANS_SAMPLE if policy.sampling_method == "kmeans" else 1.1)
        if n_total > target:
            frame = frame.sample(frac=target / n_total, random_state=policy.random_state)
        local = frame.compute()
        rows = local if self.is_frame else local.to_numpy()
        return self.explainer._evaluation_matrix(rows, self.method), n_total


def local_values_dask(explainer: Any, evaluation_examples: Any, *, engineered: bool = False) -> Any:
    """Local values of a Dask collection as a lazy Dask array, chunked by rows like the input.

    Nothing is computed until the array is: each block explains one partition on the
    worker that holds it, so local values larger than one machine's memory can be written
    out (``to_zarr``) or reduced on the cluster.

    Parameters
    ----------
    explainer : BaseExplainer or TabularExplainer
        A set-up explainer with local values (not :class:`PFIExplainer`).
    evaluation_examples : dask.dataframe.DataFrame or dask.array.Array of shape (n_rows, n_columns)
        Rows to explain (raw columns when the explainer has transformations).
    engineered : bool, default=False
        For an explainer with transformations: the engineered features' values instead of
        the raw columns' (the feature space of ``explain_local(...)`` by default).

    Returns
    -------
    dask.array.Array of shape (n_outputs, n_rows, n_features)
        Signed local values, as ``Explanation.local_values``: ``n_outputs`` is the number of
        classes (2 for a binary classifier) or 1; the row chunks are the input's partitions
        (of unknown size for a DataFrame whose divisions are not known).

    Raises
    ------
    TypeError
        If ``evaluation_examples`` is not a Dask DataFrame or Array.
    ValueError
        For columns that do not match the explainer's, before anything is computed.

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from explain import LinearExplainer, local_values_dask
    >>> X, y = load_diabetes(return_X_y=True)
    >>> explainer = LinearExplainer(Ridge().fit(X, y), X)
    >>> values = local_values_dask(explainer, da.from_array(X, chunks=(100, 10)))
    >>> values.shape, values.chunks[1][:2]
    ((1, 442, 10), (100, 100))
    >>> bool(abs(values.compute() - explainer.explain_local(X).local_values).max() < 1e-12)
    True
    """
    da = require("dask.array", "distributed", _FEATURE)
    inner = explainer if hasattr(explainer, "_summarize_chunk") else getattr(explainer, "explainer", None)
    if inner is None or not hasattr(inner, "_local_result"):
        raise ExplanationTypeError(
            "local_values_dask: explainer must be a set-up explainer with local values "
            f"(TabularExplainer, TreeExplainer, ...), got {type(explainer).__name__}.")
    if not is_dask_collection(evaluation_examples):
        raise ExplanationTypeError(
            "local_values_dask: evaluation_examples must be a dask DataFrame or Array, got "
            f"{type(evaluation_examples).__name__}; use explain_local for in-memory data.")
    rows = DaskRows(inner, evaluation_examples, f"{type(inner).__name__}.explain_local")
    output_map = None if engineered else inner._explained_map()
    features = len(inner._explained_features() if output_map is None else output_map.raw_feature_names)
    job = rows._job(output_map, True)
    parts = rows.partitions()
    outputs = _n_outputs(inner, job, parts[0], features)
    lengths = rows.data.chunks[0] if not rows.is_frame else (np.nan,) * len(parts)
    blocks = [da.from_delayed(job.local_values(part, outputs, features), dtype=np.float64,
                              shape=(outputs, n, features))
              for part, n in zip(parts, lengths, strict=True)]
    return da.concatenate(blocks, axis=1)


def _n_outputs(explainer: Any, job: Any, first: Any, features: int) -> int:
    """Outputs of the local values: 1 for regression, else the classes (computed if unknown)."""
    if explainer.model_task != "classification":
        return 1
    if explainer.classes_ is not None:
        return max(2, len(explainer.classes_))
    return int(job.local_values(first, 0, features).compute().shape[0])

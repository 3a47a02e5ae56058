"""What every local explainer shares: validation at set-up and at call, chunking, assembly.

A concrete explainer implements :meth:`BaseExplainer._local_values` for a validated matrix
and declares its ``method`` name; everything users call lives here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from explain._codes import ColumnCodes
from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._explanation import Explanation
from explain._frames import to_pandas
from explain._ic_shape import records_call
from explain._mapping import as_feature_map
from explain._raw_input import RawInput, RawRows, maps_only, split_pipeline
from explain._sampling import SamplingPolicy, sample_rows
from explain._validation import (
    Matrix,
    Tabular,
    align_features,
    check_features_argument,
    check_positive_int,
    column_kinds,
    match_model_columns,
    resolve_subset,
    to_tabular,
)
from explain.explainers._adapters import (
    ModelAdapter,
    booster_feature_names,
    lightgbm_name,
    model_family,
    reads_pandas_categoricals,
    resolve_task,
)
from explain.explainers._assembly import BatchSummary, LocalResult, assemble, binary_expand, summarize
from explain.explainers._dask import DaskRows, is_dask_collection
from explain.explainers._groups import check_groups, group_map
from explain.explainers._kept_data import with_data
from explain.explainers._streaming import (
    check_n_jobs,
    check_show_progress,
    chunk_rows,
    stream_chunks,
)
from featurization import FeatureMap

__all__ = ["BaseExplainer", "LocalResult", "additivity_error"]


def additivity_error(values: np.ndarray, expected: np.ndarray, output: np.ndarray) -> float:
    """Largest ``|sum(values) + expected - output|``; values (k, n, f), output (k, n)."""
    if values.shape[1] == 0:
        return 0.0
    residual = values.sum(axis=2) + expected[:, None] - output
    return float(np.max(np.abs(residual)))


class BaseExplainer:
    """Shared set-up and public methods of the local explainers.

    Subclasses implement ``_local_values(X) -> LocalResult`` on a validated float matrix
    whose columns are in :attr:`columns_` order, and set ``method`` and ``output_space_``.

    Contract for chunked, parallel computation: ``explain_local`` / ``explain_global`` cut
    the rows into chunks and call ``_local_values`` on ``n_jobs`` chunks at a time, in
    threads of this process (or processes, or Dask workers, when the user asks for them).
    So ``_local_values`` must

    * depend only on its rows (a row's values must not depend on which other rows share
      its chunk), so that results do not depend on the chunking;
    * not mutate ``self`` (anything a chunk reports goes into its :class:`LocalResult`),
      so that it is thread-safe and its results survive being computed in another process;
    * compute single-threaded (e.g. LightGBM ``num_threads=1``): the parallelism is across
      chunks, and threads inside a chunk would oversubscribe the cores;
    * release the GIL in its heavy work (compiled code, NumPy) for threads to pay off.

    A subclass that cannot be made thread-safe sets ``parallel_chunks = False``; its chunks
    then run one after another whatever ``n_jobs`` says. The explainer must also pickle
    for Dask input (it is shipped once to each worker).
    """

    method: str = "base"
    output_space_: str = "raw"
    parallel_chunks: ClassVar[bool] = True
    """Whether ``_local_values`` may run on several chunks at once (see the class docstring)."""
    reads_model_structure: ClassVar[bool] = False
    """Whether values come from the model's structure rather than calls: then only pandas
    categorical columns, of a model that reads their codes itself (LightGBM), are coded."""
    n_jobs: int = 1
    classes_: tuple[Any, ...] | None
    group_map_: FeatureMap | None = None
    """(groups + ungrouped columns) x columns map of the ``groups`` argument, if any."""

    def _set_up(self, model: Any, initialization_examples: Any, *, is_function: bool,
                explain_subset: Sequence[int | str] | None, features: Any, classes: Any,
                transformations: Any, model_task: str, n_jobs: int = 1,
                require_init: bool = True, allow_all_transformations: bool = False,
                groups: Any = None, index_columns: tuple[Any, ...] = ()) -> None:
        caller = type(self).__name__
        n_jobs = check_n_jobs(n_jobs, caller)
        self.init_rows_given_ = initialization_examples  # as given, kept as init_data
        # polars / pyarrow frames become pandas once, so their columns are aligned by name
        initialization_examples = to_pandas(initialization_examples, argument="initialization_examples",
                                            caller=caller)
        featurizer = None
        self.input_model_ = model  # as given (a pipeline stays whole), for saving and scoring
        if not is_function:
            model, featurizer = split_pipeline(model, allow_all_transformations)
        self.model = model
        self.is_function = is_function
        self.n_jobs = n_jobs
        self.raw_input_: RawInput | None = None
        self.pending_raw_: tuple[Any, ...] | None = None
        self.input_kinds_ = column_kinds(initialization_examples)
        steps = [t for t in (transformations, featurizer) if t is not None]
        if steps and not maps_only(transformations) and initialization_examples is None and not require_init:
            # the raw columns are those of the first rows explained (_raw_input_from)
            self.pending_raw_ = (steps, features, allow_all_transformations, groups)
            features = transformations = groups = None
        elif steps and not maps_only(transformations):
            self.raw_input_ = RawInput(steps, initialization_examples, features,
                                       allow_all_transformations, caller)
            initialization_examples = self.raw_input_.transform(initialization_examples,
                                                                "initialization_examples")
            features = None  # with transformations, features names the raw columns
        # text, categorical and datetime columns are carried as codes, decoded for the model
        structure = self.reads_model_structure
        codable = self.raw_input_ is None and (not structure or reads_pandas_categoricals(model))
        self.codes_ = None if not codable else ColumnCodes.fit(
            initialization_examples, categorical_only=structure, index=index_columns)
        if self.codes_ is not None:
            initialization_examples = self.codes_.encode(initialization_examples)
        probe_data: Tabular | None = None
        if initialization_examples is not None or require_init:
            probe_data = to_tabular(initialization_examples, argument="initialization_examples",
                                    caller=caller)
        task = resolve_task(model, model_task, is_function, self._prober(model, probe_data), caller)
        self.adapter_ = ModelAdapter(model, is_function=is_function, task=task, caller=caller)
        self.model_task = task
        self._set_columns(probe_data, features, caller)
        if self.codes_ is not None:
            self.adapter_.codes = self.codes_.ordered(self.columns_)
        elif isinstance(initialization_examples, pd.DataFrame) and self.raw_input_ is None:
            self.adapter_.call_with_frames(initialization_examples, self.columns_)
        if probe_data is not None and not self.adapter_.allow_nan:
            to_tabular(initialization_examples, argument="initialization_examples",
                       caller=caller, allow_nan=False)
        self.initialization_examples_ = (
            None if probe_data is None else self._aligned(probe_data, "initialization_examples",
                                                          caller)
        )
        self.classes_ = self._resolve_classes(classes, caller)
        self.explain_subset_ = resolve_subset(explain_subset, self.features_, caller)
        self.feature_map_ = self._output_map(transformations, allow_all_transformations, caller)
        self.group_map_ = self._group_map(groups, caller)

    def _raw_input_from(self, rows: Any) -> None:
        """Set up the raw side left pending at set-up (transformations without initialization
        rows, as interpret-community's TreeExplainer took them) from the first rows explained."""
        if self.pending_raw_ is None:
            return
        steps, features, allow_all, groups = self.pending_raw_
        caller = type(self).__name__
        self.raw_input_ = RawInput(steps, to_pandas(rows, argument="evaluation_examples", caller=caller),
                                   features, allow_all, caller)
        self.feature_map_ = self._output_map(None, allow_all, caller)
        self.group_map_ = self._group_map(groups, caller)
        self.pending_raw_ = None

    def _group_map(self, groups: Any, caller: str) -> FeatureMap | None:
        """The (groups + ungrouped columns) x columns map of ``groups``; see ``_groups.py``."""
        columns = self.features_ if self.feature_map_ is None else self.feature_map_.raw_feature_names
        spelling = lightgbm_name if model_family(self.model) == "lightgbm" else None
        checked = check_groups(groups, columns, caller, spelling)
        return None if checked is None else group_map(checked, columns)

    def _output_map(self, transformations: Any, allow_all: bool, caller: str) -> FeatureMap | None:
        """The raw -> engineered map explanations are returned through, if any."""
        if self.raw_input_ is not None:
            fmap = self.raw_input_.feature_map
            if fmap.n_engineered != self.n_features_in_:
                raise ExplanationValueError(
                    f"{caller}: the transformations produce {fmap.n_engineered} features but the "
                    f"model takes {self.n_features_in_}."
                )
            self.features_ = fmap.engineered_feature_names
            return fmap
        if transformations is None:
            return None
        fmap = as_feature_map(transformations, None, self.features_, allow_all)
        if fmap.n_engineered != self.n_features_in_:
            raise ExplanationValueError(
                f"{caller}: the feature map has {fmap.n_engineered} engineered features but the "
                f"data has {self.n_features_in_}."
            )
        if not self.by_name_ and self.features_ == self.columns_:  # unnamed data: the map names it
            self.features_ = fmap.engineered_feature_names
        return fmap

    def _prober(self, model: Any, data: Tabular | None) -> Any:
        if data is None:
            return None
        codes = self.codes_
        return lambda: model(data.rows(0, 2) if codes is None else codes.decode_rows(data.rows(0, 2)))

    def _set_columns(self, data: Tabular | None, features: Any, caller: str) -> None:
        model_names = self.adapter_.feature_names_in
        n_model = getattr(self.model, "n_features_in_", None)
        if model_names is not None:
            columns, by_name = tuple(model_names), True
        elif data is not None and data.columns is not None:
            columns, by_name = data.columns, True
            if (booster_names := booster_feature_names(self.model)) is not None:
                # a booster reads columns by position: named data goes in the booster's order
                columns = match_model_columns(
                    data.columns, booster_names, argument="initialization_examples", caller=caller,
                    spelling=lightgbm_name if model_family(self.model) == "lightgbm" else None)
        elif data is not None:
            columns, by_name = tuple(f"x{i}" for i in range(data.n_columns)), False
        elif (booster_names := booster_feature_names(self.model)) is not None:
            columns, by_name = booster_names, True
        elif n_model is not None:
            columns, by_name = tuple(f"x{i}" for i in range(int(n_model))), False
        else:
            raise ExplanationValueError(
                f"{caller}: cannot tell the model's features; pass initialization_examples."
            )
        if n_model is not None and int(n_model) != len(columns):
            raise ExplanationValueError(
                f"{caller}: the model was fitted on {n_model} features but the data has "
                f"{len(columns)} columns (initialization_examples"
                f"{' after transformations' if self.raw_input_ is not None else ''})."
            )
        self.columns_ = columns
        self.by_name_ = by_name
        if getattr(self.model, "feature_names_in_", None) is not None and by_name:
            self.adapter_.frame_columns = list(columns)
        self.n_features_in_ = len(columns)
        self.features_ = check_features_argument(features, len(columns), caller) or columns

    def _aligned(self, data: Tabular, argument: str, caller: str) -> Matrix:
        if data.columns is not None and model_family(self.model) == "lightgbm":
            # LightGBM stores column names with whitespace replaced by "_"
            data = Tabular(data.values, tuple(lightgbm_name(c) if c not in self.columns_
                                              else c for c in data.columns))
        return align_features(data, self.columns_, by_name=self.by_name_, argument=argument,
                              caller=caller)

    def _resolve_classes(self, classes: Any, caller: str) -> tuple[Any, ...] | None:
        if self.model_task != "classification":
            if classes is not None:
                raise self.adapter_.classes_refused()
            return None
        found = self.adapter_.model_classes
        if classes is None:
            return found
        if isinstance(classes, str) or not hasattr(classes, "__len__"):
            raise ExplanationTypeError(f"{caller}: classes must be a list of class labels.")
        if found is not None and len(classes) != len(found):
            raise ExplanationValueError(
                f"{caller}: classes has {len(classes)} labels but the model has "
                f"{len(found)} classes: {list(found)[:5]}."
            )
        return tuple(np.asarray(classes).tolist())

    # ------------------------------------------------------------------ public API
    @records_call("explain_local")
    def explain_local(self, evaluation_examples: Any, *, batch_size: int | None = None,
                      show_progress: bool | None = None) -> Explanation:
        """Explain each row of ``evaluation_examples``.

        Rows are explained in chunks, ``n_jobs`` chunks at a time (see the explainer's
        ``n_jobs``); the values do not depend on the chunking.

        Parameters
        ----------
        evaluation_examples : array-like, DataFrame, sparse matrix, dask DataFrame or dask Array
            Rows to explain, of shape (n_rows, n_features), with the features the explainer
            was set up with. A Dask collection is explained partition by partition on the
            cluster of the active Dask client and the local values gathered here; for lazy
            local values use :func:`explain.local_values_dask`.
        batch_size : int, default=None
            Rows per chunk; ``None`` chooses it so a chunk's local values take a few MB and
            there are at least ``n_jobs`` chunks.
        show_progress : bool, default=None
            Show a progress bar (tqdm); ``None`` shows one for long runs (many chunks) when
            stderr is a terminal.

        Returns
        -------
        Explanation
            Local values for every row, and the global importances they aggregate to.
        """
        where = f"{type(self).__name__}.explain_local"
        _check_options(batch_size, show_progress, where)
        if is_dask_collection(evaluation_examples):
            rows = DaskRows(self, evaluation_examples, where)
            return with_data(self, self._explain(rows, include_local=True, batch_size=None),
                             evaluation_examples, None)
        given = self._rows(evaluation_examples, "explain_local")
        return with_data(self, self._explain(given, include_local=True, batch_size=batch_size,
                                             show_progress=show_progress), evaluation_examples, given)

    @records_call("explain_global")
    def explain_global(self, evaluation_examples: Any = None,
                       sampling_policy: SamplingPolicy | None = None,
                       include_local: bool = True, batch_size: int | None = None, *,
                       show_progress: bool | None = None) -> Explanation:
        """Explain the model globally, from local values on ``evaluation_examples``.

        Parameters
        ----------
        evaluation_examples : array-like, DataFrame, sparse matrix, dask DataFrame or dask Array
            Rows of shape (n_rows, n_features) whose local values are aggregated (mean
            |value| per feature). A Dask collection is explained partition by partition on
            the cluster of the active Dask client; only per-partition sums travel back when
            ``include_local=False``.
        sampling_policy : SamplingPolicy, default=None
            Allows summarizing many evaluation rows by representative ones; the explanation's
            ``fidelity.notes`` then say so and from how many rows. With a Dask collection a
            uniform random sample (``max_rows`` rows for ``"random"``, ``10 * max_rows`` for
            ``"kmeans"``, which then clusters it) is computed to this process first.
        include_local : bool, default=True
            Keep the local values on the explanation. With ``False`` only their aggregate is
            kept, chunk by chunk (and the model's predictions, one number per row and output).
        batch_size : int, default=None
            Rows per chunk; ``None`` chooses it as in :meth:`explain_local`. Chunks are
            computed ``n_jobs`` at a time (see the explainer's ``n_jobs``).
        show_progress : bool, default=None
            Show a progress bar (tqdm); ``None`` shows one for long runs when stderr is a
            terminal.
        """
        where = f"{type(self).__name__}.explain_global"
        _check_options(batch_size, show_progress, where)
        if is_dask_collection(evaluation_examples):
            rows = DaskRows(self, evaluation_examples, where)
            if sampling_policy is not None and sampling_policy.allow_eval_sampling:
                X, n_total = rows.sample(sampling_policy)
                explanation = self._explain_global_matrix(X, sampling_policy, include_local, batch_size,
                                                          show_progress=show_progress, total_rows=n_total)
            else:
                explanation = self._explain(rows, include_local=include_local, batch_size=None)
            return with_data(self, explanation, evaluation_examples, None)
        if sampling_policy is None or not sampling_policy.allow_eval_sampling:
            given = self._rows(evaluation_examples, "explain_global")
            return with_data(self, self._explain(given, include_local=include_local, batch_size=batch_size,
                                                 show_progress=show_progress), evaluation_examples, given)
        X = self._evaluation_matrix(evaluation_examples, "explain_global")
        return with_data(self, self._explain_global_matrix(X, sampling_policy, include_local, batch_size,
                                                           show_progress=show_progress),
                         evaluation_examples, X)

    def _explain_global_matrix(self, X: Matrix, sampling_policy: SamplingPolicy | None,
                               include_local: bool, batch_size: int | None, *,
                               show_progress: bool | None = None,
                               total_rows: int | None = None) -> Explanation:
        _check_options(batch_size, show_progress, f"{type(self).__name__}.explain_global")
        weights: np.ndarray | None = None
        notes: tuple[str, ...] = ()
        sampling: tuple[int, str] | None = None
        if sampling_policy is not None:
            n_rows = X.shape[0] if total_rows is None else total_rows
            X, weights, notes = sample_rows(X, sampling_policy, total_rows=total_rows)
            if notes:  # sampled
                sampling = (int(n_rows), sampling_policy.sampling_method)
        return self._explain(X, include_local=include_local, batch_size=batch_size,
                             weights=weights, notes=notes, show_progress=show_progress,
                             sampling=sampling)

    def _rows(self, evaluation_examples: Any, caller: str) -> Matrix | RawRows:
        """Validated rows to explain: the matrix, or raw rows featurized chunk by chunk."""
        self._raw_input_from(evaluation_examples)
        evaluation_examples = to_pandas(evaluation_examples, argument="evaluation_examples",
                                        caller=f"{type(self).__name__}.{caller}")
        if self.raw_input_ is None:
            return self._evaluation_matrix(evaluation_examples, caller)
        frame = self.raw_input_.check(evaluation_examples, "evaluation_examples")
        return RawRows(frame, caller)

    def _evaluation_matrix(self, evaluation_examples: Any, caller: str) -> Matrix:
        where = f"{type(self).__name__}.{caller}"
        self._raw_input_from(evaluation_examples)
        argument, names = "evaluation_examples", None
        evaluation_examples = to_pandas(evaluation_examples, argument=argument, caller=where)
        if self.raw_input_ is not None:
            evaluation_examples = self.raw_input_.transform(evaluation_examples, argument)
            argument, names = "evaluation_examples after transformations", self.features_
        elif self.adapter_.codes is not None:
            self.adapter_.codes = self.adapter_.codes.extended(evaluation_examples)
            evaluation_examples = self.adapter_.codes.encode(evaluation_examples)
        data = to_tabular(evaluation_examples, argument=argument, caller=where,
                          allow_nan=self.adapter_.allow_nan, names=names)
        return self._aligned(data, "evaluation_examples", where)

    def _explain(self, X: Matrix | RawRows | DaskRows, *, include_local: bool,
                 batch_size: int | None,
                 weights: np.ndarray | None = None, notes: tuple[str, ...] = (),
                 show_progress: bool | None = None,
                 sampling: tuple[int, str] | None = None) -> Explanation:
        """Explain ``X`` (validated rows, raw rows or a Dask collection) chunk by chunk; assemble.

        Subclasses that add notes override this and pass ``**kwargs`` on.
        """
        output_map = self._explained_map()
        meta = {
            "method": self.method, "model_task": self.model_task,
            "features": self._explained_features(), "classes": self.classes_,
            "output_space": self.output_space_, "model_type": self.adapter_.name,
        }
        batches: Iterable[BatchSummary]
        if isinstance(X, DaskRows):
            batches = X.summaries(output_map, keep_local=include_local)
        else:
            compute = functools.partial(
                self._summarize_chunk if not isinstance(X, RawRows) else self._summarize_raw_chunk,
                output_map=output_map, keep_local=include_local,
            )
            n_jobs = check_n_jobs(self.n_jobs, type(self).__name__)
            chunk = chunk_rows(X.shape[0], self._local_bytes_per_row(output_map), n_jobs, batch_size,
                               max_rows=self._max_chunk_rows())
            batches = stream_chunks(compute, X, weights, chunk=chunk, n_jobs=n_jobs,
                                    parallel=self.parallel_chunks, show_progress=show_progress,
                                    desc=f"{type(self).__name__} ({self.method})")
        return assemble(batches, include_local=include_local, meta=meta, output_map=output_map,
                        notes=notes, sampling=sampling)

    def _explained_map(self) -> FeatureMap | None:
        """The raw -> explained-engineered map explanations are returned through, if any
        (composed with the group map: grouped values are sums of engineered values)."""
        if self.feature_map_ is None:
            explained = None if self.group_map_ is None else FeatureMap.identity(self.features_)
        else:
            explained = self.feature_map_
        if explained is None:
            return None
        if self.raw_input_ is not None:
            explained = self.raw_input_.subset_map(self.explain_subset_)
        else:
            explained = _subset_map(explained, self.explain_subset_)
        return explained if self.group_map_ is None else self.group_map_.compose(explained)

    def _max_chunk_rows(self) -> int | None:
        """Largest automatic chunk, for explainers slow per row (a chunk should take seconds,
        so that progress moves); ``None``: chunks are sized by memory alone."""
        return None

    def _local_bytes_per_row(self, output_map: FeatureMap | None) -> int:
        """Bytes of one row's local values (engineered, plus raw when mapped), to size chunks."""
        outputs = 1 if self.model_task != "classification" else max(2, len(self.classes_ or ()))
        features = len(self._explained_features())
        if output_map is not None:
            features += len(output_map.raw_feature_names)
        return 8 * outputs * features

    def _summarize_chunk(self, X: Matrix, weights: np.ndarray | None, *,
                         output_map: FeatureMap | None, keep_local: bool) -> BatchSummary:
        """Explain one chunk and reduce it; runs in a worker thread (or a Dask worker)."""
        return summarize(self._local_result(X), weights, output_map=output_map,
                         keep_local=keep_local)

    def _summarize_raw_chunk(self, rows: RawRows, weights: np.ndarray | None, *,
                             output_map: FeatureMap | None, keep_local: bool) -> BatchSummary:
        """Featurize one chunk of raw rows, then :meth:`_summarize_chunk` it."""
        return self._summarize_chunk(self._evaluation_matrix(rows.frame, rows.method), weights,
                                     output_map=output_map, keep_local=keep_local)

    def _local_result(self, X: Matrix) -> LocalResult:
        result = self._local_values(X)
        if self.model_task == "classification" and result.values.shape[0] == 1:
            result = binary_expand(result)
        if self.classes_ is not None and len(self.classes_) != result.values.shape[0]:
            raise ExplanationValueError(
                f"{type(self).__name__}: {len(self.classes_)} classes but the model has "
                f"{result.values.shape[0]} outputs."
            )
        return result

    def _explained_features(self) -> tuple[str, ...]:
        if self.explain_subset_ is None:
            return self.features_
        return tuple(self.features_[i] for i in self.explain_subset_)

    def _select(self, values: np.ndarray) -> np.ndarray:
        """Keep the columns of ``explain_subset`` (values of shape (k, n, n_features))."""
        return values if self.explain_subset_ is None else values[:, :, self.explain_subset_]

    def _local_values(self, X: Matrix) -> LocalResult:  # pragma: no cover - abstract
        raise NotImplementedError


def _subset_map(fmap: FeatureMap, index: np.ndarray | None) -> FeatureMap:
    if index is None:
        return fmap
    names = [fmap.engineered_feature_names[i] for i in index]
    return FeatureMap(fmap.raw_feature_names, names, fmap.to_matrix()[:, index])


def _check_options(batch_size: Any, show_progress: Any, caller: str) -> None:
    if batch_size is not None:
        check_positive_int(batch_size, "batch_size", caller)
    check_show_progress(show_progress, caller)

"""Permutation feature importance (PFI): how much a metric degrades when a feature is shuffled.

Written here rather than calling ``sklearn.inspection.permutation_importance``: that function
calls the model once per feature and repeat, while this one stacks many permuted copies of
the data into one model call (up to a memory budget), which is what makes models with a
per-call overhead fast; the importances themselves are the same quantity.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.pipeline import Pipeline

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._explanation import Explanation
from explain._fidelity import Fidelity
from explain._frames import to_pandas
from explain._ic_shape import records_call
from explain._labels import LabelMap, observed_classes, to_label_array
from explain._validation import Matrix, check_positive_int, to_tabular
from explain.explainers._base import BaseExplainer
from explain.explainers._ic_options import check_unknown, named_columns, pop_use_gpu, warn
from explain.explainers._kept_data import with_data
from explain.explainers._metrics import Metric, resolve_metric

__all__ = ["PFIExplainer"]

_CELLS_PER_CALL = 20_000_000  # float64 cells per stacked model call (~160 MB)
_SAMPLE = 10_000  # rows whose predictions tell the classes of a model that reports none
_WHERE = "PFIExplainer.explain_global"


class PFIExplainer(BaseExplainer):
    """Global importance by permutation: the drop in a metric when one feature is shuffled.

    Parameters
    ----------
    model : estimator or callable
        A fitted model, or a prediction function (``is_function=True``; then ``model_task``
        must be set).
    is_function : bool, default=False
        Whether ``model`` is a prediction function.
    metric : str or callable, default=None
        A name (``"accuracy"``, ``"f1_score"``, ``"roc_auc"``, ``"log_loss"``, ``"r2_score"``,
        ``"mean_absolute_error"``, ...) or ``metric(y_true, y_pred, **metric_args)``.
        Default: F1 (micro) for classifiers, mean absolute error for regressors.
    metric_args : dict, default=None
        Extra keyword arguments for the metric.
    is_error_metric : bool, default=False
        For a callable metric: ``True`` when lower is better.
    explain_subset : list of int or str, default=None
        Permute only these features.
    features : list of str, default=None
        Feature names.
    classes : list, default=None
        Class labels.
    transformations : object, default=None
        The fitted featurization from raw data to the model's input (see
        :class:`TabularExplainer`); explanations are then returned for the raw columns.
    allow_all_transformations : bool, default=False
        Accept transformers that mix several inputs into several outputs, splitting each
        output evenly over its inputs.
    seed : int, default=0
        Seed of the permutations.
    for_classifier_use_predict_proba : bool, default=False
        As in interpret-community: a callable metric of a classifier gets class
        probabilities (``predict_proba``) instead of predicted labels. Named metrics already
        get what they take (``roc_auc``, ``log_loss``: probabilities); for a named label
        metric ``True`` warns that it has no effect.
    show_progress : bool, default=None
        Accepted for interpret-community's signature; permutation importance batches its model
        calls and shows no progress bar (``True`` warns).
    model_task : {"unknown", "classification", "regression"}, default="unknown"
        Set for functions and models whose type does not tell.
    n_repeats : int, default=5
        Permutations per feature; their spread gives the standard deviation and the 95%
        confidence interval recorded in ``fidelity``.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from explain import PFIExplainer
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> explainer = PFIExplainer(Ridge().fit(X, y), metric="r2_score")
    >>> explainer.explain_global(X, true_labels=y).get_ranked_global_names(top_k=2)
    ['bmi', 's5']
    """

    method = "permutation_importance"
    output_space_ = "metric"

    def __init__(self, model: Any, is_function: bool = False, metric: Any = None,
                 metric_args: dict[str, Any] | None = None, is_error_metric: bool = False,
                 explain_subset: Any = None, features: Any = None, classes: Any = None,
                 transformations: Any = None, allow_all_transformations: bool = False,
                 seed: int = 0, for_classifier_use_predict_proba: bool = False,
                 show_progress: bool | None = None, model_task: str = "unknown", *,
                 n_repeats: int = 5, **kwargs: Any) -> None:
        pop_use_gpu(kwargs, "PFIExplainer")
        check_unknown(kwargs, (), "PFIExplainer")
        check_positive_int(n_repeats, "n_repeats", "PFIExplainer")
        if not isinstance(for_classifier_use_predict_proba, bool):
            raise ExplanationTypeError("PFIExplainer: for_classifier_use_predict_proba must be True or "
                                       f"False, got {for_classifier_use_predict_proba!r}.")
        if show_progress:
            warn("PFIExplainer: show_progress=True is accepted for interpret-community's signature; "
                 "permutation importance batches its model calls and shows no progress bar.",
                 stacklevel=3)
        self.for_classifier_use_predict_proba = for_classifier_use_predict_proba
        self.metric = metric
        self.metric_args = metric_args
        self.is_error_metric = is_error_metric
        self.seed = seed
        self.n_repeats = n_repeats
        self.allow_all_transformations = allow_all_transformations
        self._options = {"is_function": is_function, "explain_subset": explain_subset,
                         "features": features, "classes": classes,
                         "transformations": transformations, "model_task": model_task}
        self.model = model
        # set up on the first evaluation data: their column names become the feature names
        self._raw_data = transformations is not None or isinstance(model, Pipeline)

    def explain_local(self, evaluation_examples: Any, *, batch_size: int | None = None,
                      show_progress: bool | None = None) -> Explanation:
        """Not available: permutation importance is a global method.

        Raises
        ------
        ValueError
            Always.
        """
        raise ExplanationValueError(
            "PFIExplainer.explain_local: permutation feature importance is global only and "
            "has no per-row values; use explain_global(evaluation_examples, true_labels), or "
            "TabularExplainer / MimicExplainer for local explanations."
        )

    # interpret-community's signature: PFI needs true labels and has no local values
    @records_call("explain_global")
    def explain_global(  # type: ignore[override]
        self, evaluation_examples: Any = None, true_labels: Any = None, **kwargs: Any
    ) -> Explanation:
        """Permutation importance of every feature on ``evaluation_examples``.

        Parameters
        ----------
        evaluation_examples : array-like, DataFrame or sparse matrix of shape (n_rows, n_features)
            Rows to permute (pandas or polars DataFrames and pyarrow Tables are aligned to
            the model's features by column name).
        true_labels : array-like of shape (n_rows,)
            True targets of those rows (list, array, pandas / polars Series, pyarrow array).
            Class labels may be the values of ``classes``, the model's own labels
            (``classes_``), or positions ``0..k-1``; model predictions are matched the same
            way (see :mod:`explain._labels`).

        Raises
        ------
        ExplanationValueError
            For labels that match none of these, or a metric undefined on the rows.

        Returns
        -------
        Explanation
            Global importances (mean drop of the metric over repeats); ``fidelity`` holds
            their standard deviation and 95% confidence interval.
        """
        if kwargs:
            raise ExplanationValueError(
                f"PFIExplainer.explain_global: unexpected arguments {sorted(kwargs)}."
            )
        if true_labels is None:  # a TypeError, as the missing argument was in interpret-community
            raise ExplanationTypeError(
                "PFIExplainer.explain_global: true_labels is required; permutation importance "
                "measures how much the metric against the true labels degrades."
            )
        if sp.issparse(true_labels) and 1 in true_labels.shape:  # a sparse column, as from NPZ data
            true_labels = true_labels.toarray().ravel()
        rows_given = evaluation_examples  # kept as eval_data
        evaluation_examples = to_pandas(evaluation_examples, argument="evaluation_examples",
                                        caller=_WHERE)
        if not hasattr(self, "adapter_"):  # set up from the data (functions, raw data)
            if not self._raw_data:
                # validated first so that errors name this method's argument, not the set-up's
                to_tabular(evaluation_examples, argument="evaluation_examples", caller=_WHERE)
            self._options["transformations"] = named_columns(self._options["transformations"],
                                                             evaluation_examples)
            self._set_up(self.model, evaluation_examples, require_init=True,
                         allow_all_transformations=self.allow_all_transformations, **self._options)
        X = self._evaluation_matrix(evaluation_examples, "explain_global")
        given = to_label_array(true_labels, argument="true_labels", caller=_WHERE, n_rows=X.shape[0])
        labels = self._label_map(X, given)
        y = self._targets(given, labels)
        metric = self._metric(labels)
        baseline = self._baseline(metric, y, self._predict(X, metric, labels))
        predict = functools.partial(self._predict, metric=metric, labels=labels)
        engineered = self._build(self._importances(X, y, metric, baseline, predict), X.shape[0],
                                 metric, features=self._explained_features())
        if self.raw_input_ is None:
            return with_data(self, engineered, rows_given, None)
        frame = self.raw_input_.check(evaluation_examples, "evaluation_examples")
        return with_data(self, self._build(self._raw_importances(frame, X, y, metric, baseline, predict),
                                           X.shape[0], metric, features=self.raw_input_.names, is_raw=True,
                                           engineered_explanation=engineered,
                                           feature_map=self.raw_input_.feature_map), rows_given, None)

    def _label_map(self, X: Matrix, given: np.ndarray) -> LabelMap | None:
        """How labels become positions in the classes (see :mod:`explain._labels`)."""
        if self.model_task != "classification":
            return None
        classes = self.classes_
        if classes is None and self.is_function:  # the function's output columns, by position
            classes = tuple(range(self.adapter_.predict_output(X[:1]).shape[1]))
        elif classes is None:
            classes = observed_classes(given, self.adapter_.predict(X[:_SAMPLE]))
        model_classes = None if self.is_function else self.adapter_.model_classes
        return LabelMap.create(classes, model_classes, caller=_WHERE)

    @staticmethod
    def _targets(y: np.ndarray, labels: LabelMap | None) -> np.ndarray:
        """Class positions of the true labels (classifiers), or the true values (regressors)."""
        if labels is not None:
            return labels.codes(y, argument="true_labels")
        if y.dtype.kind not in "biuf":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ExplanationTypeError(
                    f"{_WHERE}: true_labels of a regression must be numbers, got values such as "
                    f"{y[0]!s:.40}.") from exc
        y = y.astype(np.float64, copy=False)
        if not np.isfinite(y).all():
            raise ExplanationValueError(f"{_WHERE}: true_labels contains NaN or inf.")
        return y

    def _metric(self, labels: LabelMap | None) -> Metric:
        """The metric, fed class positions (a callable metric gets the class labels back)."""
        positions = None if labels is None else np.arange(labels.n_classes)
        metric = resolve_metric(self.metric, self.metric_args, self.is_error_metric,
                                self.model_task, positions)
        if labels is not None and self.for_classifier_use_predict_proba and metric.needs == "label":
            if not callable(self.metric):
                warn(f"PFIExplainer: for_classifier_use_predict_proba=True has no effect with "
                     f"{metric.name}, which compares predicted labels; choose a metric of "
                     "probabilities (roc_auc, log_loss) or a callable.", stacklevel=4)
            else:
                function = metric.function
                return replace(metric, needs="proba",
                               function=lambda y, p: function(labels.names(y), p))
        if labels is None or not callable(self.metric):
            return metric
        function = metric.function
        return replace(metric, function=lambda y, p: function(labels.names(y), labels.names(p)))

    @staticmethod
    def _baseline(metric: Metric, y: np.ndarray, prediction: np.ndarray) -> float:
        """The metric on the unpermuted rows; a metric that cannot be computed is refused here,
        before the permutations, rather than giving NaN importances."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", UndefinedMetricWarning)
                baseline = metric(y, prediction)
        except (ValueError, UndefinedMetricWarning) as exc:
            raise ExplanationValueError(
                f"{_WHERE}: the metric {metric.name} cannot be computed on true_labels: {exc}"
            ) from exc
        if not np.isfinite(baseline):
            raise ExplanationValueError(
                f"{_WHERE}: the metric {metric.name} is {baseline} on true_labels; choose a metric "
                "defined on these rows (e.g. roc_auc needs rows of at least two classes).")
        return baseline

    def _predict(self, X: Matrix, metric: Metric, labels: LabelMap | None) -> np.ndarray:
        """What the metric takes: probabilities, regression values, or predicted class positions."""
        if metric.needs == "proba":
            return self.adapter_.predict_output(X)
        if labels is None:
            return self.adapter_.predict_output(X)[:, 0]
        predicted = self.adapter_.predict(X)
        if self.is_function:  # a function's predictions are positions (argmax of its outputs)
            return np.asarray(predicted, dtype=np.int64)
        return labels.codes(predicted, argument="the model's predictions")

    def _importances(self, X: Matrix, y: np.ndarray, metric: Metric, baseline: float,
                     predict: Callable[[Matrix], np.ndarray]) -> np.ndarray:
        """Importance per (explained feature, repeat), shape (n_explained, n_repeats)."""
        columns = (np.arange(X.shape[1]) if self.explain_subset_ is None
                   else self.explain_subset_)
        return self._drops(columns.size, X, y, metric, baseline, predict, lambda chunk: _stack(
            [_permuted(X, int(columns[f]), perm) for f, _, perm in chunk]))

    def _raw_importances(self, frame: pd.DataFrame, X: Matrix, y: np.ndarray, metric: Metric,
                         baseline: float, predict: Callable[[Matrix], np.ndarray]) -> np.ndarray:
        """Importance per (raw column, repeat): permute raw columns, then featurize."""
        assert self.raw_input_ is not None
        raw_input = self.raw_input_

        def stack(chunk: list[Any]) -> Matrix:
            blocks = []
            for c, _, perm in chunk:
                block = frame.copy()
                block.iloc[:, c] = frame.iloc[perm, c].to_numpy()
                blocks.append(block)
            return raw_input.transform(pd.concat(blocks, ignore_index=True), "evaluation_examples")

        return self._drops(frame.shape[1], X, y, metric, baseline, predict, stack)

    def _drops(self, n_columns: int, X: Matrix, y: np.ndarray, metric: Metric, baseline: float,
               predict: Callable[[Matrix], np.ndarray],
               stack: Callable[[list[Any]], Matrix]) -> np.ndarray:
        """Metric drop per (column, repeat); ``stack(chunk)`` builds one model call's permuted copies.

        Tasks ``(column, repeat, permutation)`` are drawn in a fixed order from ``seed`` and
        grouped so that one call holds at most ``_CELLS_PER_CALL`` engineered cells.
        """
        n_rows = X.shape[0]
        rng = np.random.default_rng(self.seed)
        tasks = [(c, r, rng.permutation(n_rows)) for c in range(n_columns)
                 for r in range(self.n_repeats)]
        scores = np.empty((n_columns, self.n_repeats))
        for chunk in _chunks(tasks, max(1, _CELLS_PER_CALL // max(1, n_rows * X.shape[1]))):
            prediction = predict(stack(chunk))
            for i, (c, r, _) in enumerate(chunk):
                scores[c, r] = metric(y, prediction[i * n_rows:(i + 1) * n_rows])
        return scores - baseline if metric.is_error else baseline - scores

    def _build(self, importances: np.ndarray, n_rows: int, metric: Metric, *,
               features: tuple[str, ...], **extra: Any) -> Explanation:
        mean = importances.mean(axis=1)
        std = importances.std(axis=1, ddof=1) if self.n_repeats > 1 else np.zeros_like(mean)
        if self.n_repeats > 1:
            half = stats.t.ppf(0.975, self.n_repeats - 1) * std / np.sqrt(self.n_repeats)
        else:
            half = np.zeros_like(mean)
        fidelity = Fidelity(importance_std=std, confidence_interval=np.vstack([mean - half,
                                                                               mean + half]),
                            confidence_level=0.95, n_repeats=self.n_repeats,
                            notes=(f"metric: {metric.name}",))
        return Explanation(
            method=self.method, model_task=self.model_task, features=features,
            global_values=mean, classes=self.classes_, output_space=self.output_space_,
            num_examples=n_rows, fidelity=fidelity, model_type=self.adapter_.name, **extra,
        )


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _permuted(X: Matrix, column: int, permutation: np.ndarray) -> Matrix:
    if sp.issparse(X):
        original = X[:, [column]].toarray().ravel()
        delta = original[permutation] - original
        rows = np.flatnonzero(delta)
        change = sp.csr_matrix((delta[rows], (rows, np.full(rows.size, column))), shape=X.shape)
        return (X + change).tocsr()
    out = np.array(X, copy=True)
    out[:, column] = X[permutation, column]
    return out


def _stack(blocks: list[Matrix]) -> Matrix:
    return sp.vstack(blocks, format="csr") if sp.issparse(blocks[0]) else np.vstack(blocks)

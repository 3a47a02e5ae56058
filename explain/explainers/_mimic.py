"""Global surrogate ("mimic") explanations: explain an explainable model trained on the model."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split

from explain._codes import index_as_columns
from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._explanation import Explanation
from explain._fidelity import Fidelity
from explain._ic_shape import records_call
from explain._sampling import SamplingPolicy
from explain._validation import Matrix
from explain.explainers._adapters import _has_proba
from explain.explainers._base import BaseExplainer, LocalResult, additivity_error
from explain.explainers._ic_options import (
    as_rows,
    check_shap_values_output,
    check_unknown,
    named_columns,
    pop_progress,
    pop_use_gpu,
)
from explain.explainers._kept_data import with_data
from explain.explainers._mimic_compat import InterpretCommunityMimic, check_reset_index, surrogate_args
from explain.explainers._probability import NOTES as _PROBABILITY_NOTES
from explain.explainers._probability import binary_probability, softmax_probability, spread_to_target
from explain.explainers._surrogates import ExplainableModel, LGBMExplainableModel
from explain.explainers._torch import TorchModel, is_torch_model, wrap_module

__all__ = ["MimicExplainer", "augment", "teacher_targets"]

SMALL_DATA_THRESHOLD = 50
"""With fewer training rows, the LightGBM surrogate grows leaves of one row (as interpret-community)."""
_LOGIT_CLIP = 1e-7
_MIN_HOLDOUT_ROWS = 10
_SURROGATE_NAMES = {"lightgbm": "LightGBM", "tree": "decision tree", "linear": "linear", "sgd": "SGD linear"}


def augment(X: Matrix, max_num_of_augmentations: int, random_state: int) -> Matrix:
    """Append copies of ``X`` with each column permuted independently, when it is short.

    As in interpret-community, data is augmented only when it has fewer rows than columns:
    ``min(n_columns // n_rows - 1, max_num_of_augmentations)`` copies are appended. Each
    copy samples every feature from its marginal, so the surrogate sees the model's response
    outside the few rows given.
    """
    copies = min(X.shape[1] // X.shape[0] - 1, max_num_of_augmentations)
    if copies <= 0:
        return X
    rng = np.random.default_rng(random_state)
    dense = X.toarray() if sp.issparse(X) else np.asarray(X)
    blocks = [dense] + [rng.permuted(dense, axis=0) for _ in range(copies)]
    stacked = np.vstack(blocks)
    return sp.csr_matrix(stacked) if sp.issparse(X) else stacked


def teacher_targets(output: np.ndarray, task: str) -> tuple[np.ndarray, bool]:
    """Targets the surrogate learns from the model's output (n_rows, n_outputs).

    Returns ``(targets, classification)``: the prediction for regression, the log-odds of the
    positive class for binary classifiers (a regression target), the predicted label index
    for multiclass classifiers.
    """
    if task == "regression":
        return output[:, 0], False
    if output.shape[1] == 2:
        p = np.clip(output[:, 1], _LOGIT_CLIP, 1 - _LOGIT_CLIP)
        return np.log(p) - np.log1p(-p), False
    return output.argmax(axis=1), True


class MimicExplainer(BaseExplainer, InterpretCommunityMimic):
    """Explain a model through an explainable surrogate trained to mimic it.

    The surrogate learns the model's output on the initialization examples (a binary
    classifier's log-odds, a multiclass classifier's labels, a regressor's predictions) and
    is explained exactly: tree SHAP for LightGBM and the decision tree, linear SHAP for the
    linear and SGD surrogates. How well it mimics the model is measured on held-out rows and
    recorded in the explanation's ``fidelity`` (accuracy for classifiers, R² for regressors).

    Parameters
    ----------
    model : estimator or callable
        The model to explain (``predict`` / ``predict_proba``), or a function with
        ``is_function=True``.
    initialization_examples : array-like, DataFrame or sparse matrix of shape (n_rows, n_features)
        Rows the surrogate is trained on.
    explainable_model : type
        A surrogate class from :mod:`explain.models`, e.g. ``LGBMExplainableModel``.
    explainable_model_args : dict, default=None
        Keyword arguments for the surrogate's underlying model (e.g. ``{"n_estimators": 200}``).
        interpret-community's surrogate options are accepted: ``sparse_data`` (sparse data
        is handled as such anyway) and ``multiclass`` / ``classification`` (decided from the
        model here; a contradicting value warns).
    is_function : bool, default=False
        Whether ``model`` is a prediction function.
    augment_data : bool, default=True
        Augment short data (fewer rows than columns) with column-permuted copies.
    max_num_of_augmentations : int, default=10
        Most copies appended by augmentation.
    explain_subset : list of int or str, default=None
        Report only these features.
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
    shap_values_output : {"default", "probability", "teacher_probability"}, default="default"
        What the values add up to (:class:`explain.compat.ShapValuesOutput`): the surrogate's
        own output (a classifier's log-odds); its probability; or the model's own
        probabilities (its prediction, for regression). The last two correct each row's
        values to add up to that target (see :mod:`explain.explainers._probability`).
    categorical_features : list of int or str, default=None
        Integer-coded categorical columns; the LightGBM surrogate splits on them as categories,
        the other surrogates treat the codes as numbers.
    groups : dict of str to list of str, default=None
        Groups of columns explained as one feature: ``{group name: [column, ...]}`` over the
        raw columns (with ``transformations``) or the features. Ungrouped columns stay
        features of their own. A group's value is the sum of its columns' values (exact and
        additive); the per-column explanation is its ``engineered_explanation``.
    model_task : {"unknown", "classification", "regression"}, default="unknown"
        Set for functions and models whose type does not tell.
    reset_index : {"ignore", "reset", "reset_teacher"}, default="ignore"
        interpret-community's handling of a DataFrame's index. ``"ignore"``: the index is
        not a feature and the model is called without it. ``"reset"`` (or ``True``): the
        index levels become the last features (a datetime as nanoseconds, text as codes) and
        the model is called with them back as its index, also on evaluation rows given with
        that index. ``"reset_teacher"`` warns and is ignored.
    holdout_fraction : float, default=0.2
        Share of rows held out to measure the surrogate's fidelity; the final surrogate is
        then refitted on all rows.
    random_state : int, default=0
        Seed for augmentation, the hold-out split and the surrogate.
    n_jobs : int, default=1
        Threads of the surrogate's training, and chunks of rows explained at the same time
        (each chunk single-threaded; ``-1``: all cores).
    **kwargs
        interpret-community's ``show_progress`` / ``verbose`` (the default of
        ``explain_*``'s ``show_progress``) and ``use_gpu`` (``True`` warns: CPU only).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.svm import SVC
    >>> from explain import MimicExplainer
    >>> from explain.models import LGBMExplainableModel
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = SVC(probability=True, random_state=0).fit(X, y)
    >>> explainer = MimicExplainer(model, X, LGBMExplainableModel)
    >>> explainer.explain_global().fidelity.surrogate_metric
    'accuracy'
    """

    def __init__(self, model: Any, initialization_examples: Any, explainable_model: type,
                 explainable_model_args: dict[str, Any] | None = None, is_function: bool = False,
                 augment_data: bool = True, max_num_of_augmentations: int = 10,
                 explain_subset: Any = None, features: Any = None, classes: Any = None,
                 transformations: Any = None, allow_all_transformations: bool = False,
                 shap_values_output: Any = "default", categorical_features: Any = None,
                 model_task: str = "unknown", reset_index: Any = "ignore", *,
                 holdout_fraction: float = 0.2, random_state: int = 0, n_jobs: int = 1,
                 groups: Any = None, **kwargs: Any) -> None:
        pop_use_gpu(kwargs, "MimicExplainer")
        transformations = named_columns(transformations, initialization_examples)
        self._progress = pop_progress(kwargs, "MimicExplainer")
        check_unknown(kwargs, (), "MimicExplainer")
        self.shap_values_output_ = check_shap_values_output(shap_values_output, "MimicExplainer")
        self.reset_index_ = check_reset_index(reset_index)
        index_columns: tuple[Any, ...] = ()
        if self.reset_index_ == "reset" and isinstance(initialization_examples, pd.DataFrame):
            # the index, as the last columns, is explained; the model is given it back as its index
            reset = index_as_columns(initialization_examples)
            index_columns = tuple(c for c in reset.columns if c not in initialization_examples.columns)
            initialization_examples = reset
        if not (isinstance(explainable_model, type) and issubclass(explainable_model,
                                                                   ExplainableModel)):
            raise ExplanationTypeError(
                "MimicExplainer: explainable_model must be a surrogate class from "
                "explain.models (LGBMExplainableModel, LinearExplainableModel, "
                f"SGDExplainableModel, DecisionTreeExplainableModel); got {explainable_model!r}."
            )
        if not 0.0 < holdout_fraction < 1.0:
            raise ExplanationValueError(
                f"MimicExplainer: holdout_fraction must be in (0, 1), got {holdout_fraction!r}."
            )
        self.explainable_model = explainable_model
        self.explainable_model_args = surrogate_args(explainable_model_args)
        self.augment_data = augment_data
        self.max_num_of_augmentations = max_num_of_augmentations
        self.allow_all_transformations = allow_all_transformations
        self.holdout_fraction = holdout_fraction
        self.random_state = random_state
        if not is_function and is_torch_model(model) and not isinstance(model, TorchModel):
            # a bare torch module, wrapped as interpret-community did (outputs checked)
            model = wrap_module(model, initialization_examples, model_task, classes, "MimicExplainer")
        self._set_up(model, initialization_examples, is_function=is_function,
                     explain_subset=explain_subset, features=features, classes=classes,
                     transformations=transformations,
                     allow_all_transformations=allow_all_transformations,
                     model_task=model_task, n_jobs=n_jobs, groups=groups, index_columns=index_columns)
        # a classifier without predict_proba is mimicked on its predicted labels
        self.labels_only_ = (self.model_task == "classification" and not self.adapter_.is_function
                             and not _has_proba(self.adapter_.model))
        if self.labels_only_ and self.shap_values_output_ == "teacher_probability":
            raise ExplanationValueError(
                f"MimicExplainer: shap_values_output='teacher_probability' needs the model's "
                f"probabilities, and {self.adapter_.name} has no predict_proba; use 'probability' "
                "(the surrogate's) or 'default'.")
        self.categorical_features_ = self._resolve_categorical(categorical_features)
        self.method = f"mimic.{explainable_model.kind}"
        self.surrogate_, self.surrogate_fidelity_ = self._train_surrogate()
        # A binary classifier is mimicked by a regressor on its log-odds, so the values add
        # up to log-odds even though the surrogate itself is a regressor ("raw").
        binary = self.model_task == "classification" and not self.surrogate_.classification
        self.output_space_ = "log_odds" if binary else self.surrogate_.output_space
        if self.shap_values_output_ == "teacher_probability" and self.model_task == "regression":
            self.output_space_ = "raw"
        elif self.shap_values_output_ != "default" and self.model_task == "classification":
            self.output_space_ = "probability"

    def _resolve_categorical(self, categorical: Any) -> list[int]:
        if categorical is None:
            return []
        index = {name: i for i, name in enumerate(self.features_)}
        out = []
        for item in categorical:
            if isinstance(item, str) and item in index:
                out.append(index[item])
            elif isinstance(item, int | np.integer) and 0 <= int(item) < self.n_features_in_:
                out.append(int(item))
            else:
                raise ExplanationValueError(
                    f"MimicExplainer: categorical_features names unknown feature {item!r}."
                )
        return out

    def _new_surrogate(self, classification: bool, n_rows: int | None = None) -> ExplainableModel:
        args = dict(self.explainable_model_args)
        small = n_rows is not None and n_rows < SMALL_DATA_THRESHOLD
        if small and self.explainable_model is LGBMExplainableModel and "min_data_in_leaf" not in args:
            args.setdefault("min_child_samples", 1)  # else LightGBM's 20 rows a leaf give a constant
        random_state = args.pop("random_state", self.random_state)
        return self.explainable_model(classification=classification, random_state=random_state,
                                      n_jobs=self.n_jobs, params=args or None)

    def _train_surrogate(self) -> tuple[ExplainableModel, Fidelity]:
        X = self.initialization_examples_
        assert X is not None  # MimicExplainer requires initialization_examples
        if self.augment_data:
            X = augment(X, self.max_num_of_augmentations, self.random_state)
        if self.labels_only_:
            targets, n_outputs, classification = self._label_positions(X), len(self._label_values()), True
        else:
            output = self.adapter_.predict_output(X)
            targets, classification = teacher_targets(output, self.model_task)
            n_outputs = output.shape[1]
        if classification and np.unique(targets).size < n_outputs:
            raise ExplanationValueError(
                f"MimicExplainer: the model predicts only {np.unique(targets).size} of its "
                f"{n_outputs} classes on initialization_examples; give examples on which "
                "it predicts every class."
            )
        fidelity = self._holdout_fidelity(X, targets, classification)
        surrogate = self._new_surrogate(classification, X.shape[0])
        surrogate.fit(X, targets, self.categorical_features_ or None)
        return surrogate, fidelity

    def _holdout_fidelity(self, X: Matrix, targets: np.ndarray, classification: bool) -> Fidelity:
        n_rows = X.shape[0]
        n_holdout = round(self.holdout_fraction * n_rows)
        if n_holdout < _MIN_HOLDOUT_ROWS or n_rows - n_holdout < _MIN_HOLDOUT_ROWS:
            return Fidelity(notes=(f"surrogate fidelity not measured: only {n_rows} rows",))
        stratify = targets if classification and _stratifiable(targets, n_holdout) else None
        X_fit, X_hold, y_fit, y_hold = train_test_split(
            X, targets, test_size=n_holdout, random_state=self.random_state, stratify=stratify
        )
        surrogate = self._new_surrogate(classification, X.shape[0]).fit(
            X_fit, y_fit, self.categorical_features_ or None
        )
        predicted = surrogate.predict(X_hold)
        if self.model_task == "regression":
            metric, score = "r2", float(r2_score(y_hold, predicted))
        elif classification:
            metric, score = "accuracy", float(accuracy_score(y_hold, predicted))
        else:  # binary: agreement of the predicted class, from the sign of the log-odds
            metric, score = "accuracy", float(np.mean((predicted > 0) == (y_hold > 0)))
        return Fidelity(surrogate_metric=metric, surrogate_score=score,
                        surrogate_holdout_rows=n_holdout)

    @records_call("explain_global")
    def explain_global(self, evaluation_examples: Any = None,
                       sampling_policy: SamplingPolicy | None = None,
                       include_local: bool = True, batch_size: int | None = None, *,
                       show_progress: bool | None = None) -> Explanation:
        """Explain the model globally; without ``evaluation_examples``, on the initialization rows.

        See :meth:`BaseExplainer.explain_global` for the parameters (Dask collections
        included).
        """
        show_progress = self._progress.resolve(show_progress)
        if evaluation_examples is None:  # as interpret-community: explain the training rows
            return with_data(self, self._with_surrogate_fidelity(self._explain_global_matrix(
                self.initialization_examples_, sampling_policy, include_local, batch_size,
                show_progress=show_progress,
            )), None, None)
        return self._with_surrogate_fidelity(super().explain_global(
            evaluation_examples, sampling_policy, include_local, batch_size,
            show_progress=show_progress,
        ))

    @records_call("explain_local")
    def explain_local(self, evaluation_examples: Any, *, batch_size: int | None = None,
                      show_progress: bool | None = None) -> Explanation:
        """Explain each row of ``evaluation_examples`` through the surrogate.

        See :meth:`BaseExplainer.explain_local` for the parameters (Dask collections included).
        """
        return self._with_surrogate_fidelity(super().explain_local(
            as_rows(evaluation_examples), batch_size=batch_size,
            show_progress=self._progress.resolve(show_progress)))

    def _with_surrogate_fidelity(self, explanation: Explanation) -> Explanation:
        base, mimic = explanation.fidelity, self.surrogate_fidelity_
        engineered = explanation.engineered_explanation
        if engineered is not None:
            explanation = replace(explanation,
                                  engineered_explanation=self._with_surrogate_fidelity(engineered))
        return explanation.with_fidelity(Fidelity(
            additivity_error=base.additivity_error, exact=base.exact,
            surrogate_metric=mimic.surrogate_metric, surrogate_score=mimic.surrogate_score,
            surrogate_holdout_rows=mimic.surrogate_holdout_rows,
            surrogate_model=_SURROGATE_NAMES.get(self.method.removeprefix("mimic."),
                                                 self.method.removeprefix("mimic.")),
            notes=base.notes + mimic.notes + ((_PROBABILITY_NOTES[self.shap_values_output_],)
                                               if self.shap_values_output_ != "default" else ()),
        ))

    def _local_values(self, X: Matrix) -> LocalResult:
        values, expected, output = self.surrogate_.shap_values(X)
        if self.shap_values_output_ != "default":
            values, expected, output = self._probability_values(X, values, expected, output)
        return LocalResult(values=self._select(values), expected=expected,
                           additivity=additivity_error(values, expected, output))

    def _label_values(self) -> tuple[Any, ...]:
        """The classes of a classifier without ``predict_proba``, in output order."""
        classes = self.adapter_.model_classes or self.classes_
        if classes is None:
            raise ExplanationValueError(
                f"MimicExplainer: {self.adapter_.name} has neither predict_proba nor classes_; pass "
                "classes=[...] (in the order of its labels) to mimic its predicted labels.")
        return tuple(classes)

    def _label_positions(self, X: Matrix) -> np.ndarray:
        """The model's predicted labels as positions in :meth:`_label_values`."""
        classes = self._label_values()
        index = {value: i for i, value in enumerate(classes)}
        predicted = np.asarray(self.adapter_.predict(X)).ravel().tolist()
        unknown = sorted({str(p) for p in predicted if p not in index})
        if unknown:
            raise ExplanationValueError(
                f"MimicExplainer: the model predicts labels {unknown[:5]} that are not among its "
                f"classes {list(classes)[:5]}.")
        return np.asarray([index[p] for p in predicted], dtype=np.int64)

    def _probability_values(self, X: Matrix, values: np.ndarray, expected: np.ndarray,
                            output: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Values adding up to probabilities (or the model's output): see ``_probability``."""
        classification = self.model_task == "classification"
        if classification and not self.surrogate_.classification:  # binary: log-odds regressor
            values, expected, output = binary_probability(values, expected, output)
        elif classification and self.surrogate_.output_space != "probability":
            expected, output = softmax_probability(expected, output)
        if self.shap_values_output_ == "teacher_probability":
            output = self.adapter_.predict_output(X).T
        return spread_to_target(values, expected, output), expected, output


def _stratifiable(targets: np.ndarray, n_holdout: int) -> bool:
    """Whether a stratified hold-out split exists: every class twice, room for each on both sides
    (a class the model predicts once is held out or fitted at random instead)."""
    counts = np.unique(targets, return_counts=True)[1]
    n_rows = len(targets)
    return bool(counts.min() >= 2 and min(n_holdout, n_rows - n_holdout) >= counts.size)

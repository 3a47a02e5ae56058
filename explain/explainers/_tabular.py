"""``TabularExplainer``: one entry point that picks the best SHAP explainer for a model."""

from __future__ import annotations

import inspect
from typing import Any

from explain._exceptions import ExplanationValueError
from explain._explanation import Explanation
from explain._ic_shape import records_call
from explain._sampling import SamplingPolicy
from explain.explainers._ic_options import (
    as_rows,
    check_shap_values_output,
    check_unknown,
    named_columns,
    pop_progress,
    pop_use_gpu,
    warn,
)
from explain.explainers._selection import EXPLAINER_CHOICES, choose_explainer
from explain.explainers._streaming import check_n_jobs
from explain.explainers._tree import TreeExplainer

__all__ = ["TabularExplainer"]


class TabularExplainer:
    """Explain any tabular model with the fastest exact-enough SHAP method it supports.

    The model is inspected, in order: tree ensembles (scikit-learn, LightGBM, XGBoost) get
    :class:`TreeExplainer`, scikit-learn linear models :class:`LinearExplainer`, anything else
    (pipelines, SVMs, neural networks, functions) :class:`KernelExplainer`. The choice is
    available as :attr:`explainer` and recorded on every explanation's ``method``.

    Parameters
    ----------
    model : estimator or callable
        A fitted model, or a prediction function with ``is_function=True`` in ``kwargs``.
    initialization_examples : array-like, DataFrame or sparse matrix of shape (n_rows, n_features)
        Background / example rows.
    explain_subset : list of int or str, default=None
        Explain only these features.
    features : list of str, default=None
        Feature names.
    classes : list, default=None
        Class labels.
    transformations : object, default=None
        The fitted featurization that turns raw data into the model's input (a
        ``ColumnTransformer``, a ``Pipeline``, a list of ``(columns, transformer)`` tuples,
        skrub's ``TableVectorizer``, an ``AutoFeaturizer``, or a ``FeatureMap``). The explainer
        then takes raw data and returns raw explanations, the engineered one reachable as
        ``explanation.engineered_explanation``.
    allow_all_transformations : bool, default=False
        Accept transformers that mix several inputs into several outputs, splitting each
        output evenly over its inputs.
    model_task : {"unknown", "classification", "regression"}, default="unknown"
        Set for functions and models whose type does not tell.
    use_gpu : bool, default=False
        interpret-community's switch to its GPU Kernel SHAP; this library computes on the
        CPU, so ``True`` warns (:class:`~explain._exceptions.CompatibilityWarning`) and
        explains on the CPU.
    **kwargs
        Passed to the chosen explainer (e.g. ``is_function``, ``nsamples``, ``nclusters``
        for Kernel SHAP; options of another explainer of the family are ignored, as in
        interpret-community), and ``n_jobs``: chunks of rows explained at the same time, for
        every chosen explainer (``-1``: all cores; by default the chosen explainer's own: all
        cores for Kernel SHAP on a scikit-learn model that runs no threads of its own, else 1).
        ``show_progress`` (or ``verbose``) sets the default of ``explain_local`` /
        ``explain_global``'s ``show_progress``.
        ``shap_values_output`` (``"default"``, ``"probability"``) is accepted; when the chosen
        explainer's values do not add up to probabilities a warning says what they add up to.
        Anything else is refused with an :class:`ExplanationTypeError` naming it.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from explain import TabularExplainer
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> explainer = TabularExplainer(model, X)
    >>> explainer.explain_global(X.iloc[:50]).method
    'shap.tree'
    """

    def __init__(self, model: Any, initialization_examples: Any, explain_subset: Any = None,
                 features: Any = None, classes: Any = None, transformations: Any = None,
                 allow_all_transformations: bool = False, model_task: str = "unknown",
                 use_gpu: bool = False, **kwargs: Any) -> None:
        kwargs["use_gpu"] = use_gpu
        pop_use_gpu(kwargs, "TabularExplainer")
        transformations = named_columns(transformations, initialization_examples)
        self._progress = pop_progress(kwargs, "TabularExplainer")
        output = check_shap_values_output(kwargs.pop("shap_values_output", "default"), "TabularExplainer")
        n_jobs = kwargs.pop("n_jobs", None)  # None: the chosen explainer's own default
        if n_jobs is not None:
            n_jobs = check_n_jobs(n_jobs, "TabularExplainer")
        chosen = choose_explainer(model, is_function=kwargs.get("is_function", False),
                                  allow_all_transformations=allow_all_transformations)
        check_unknown(kwargs, _family_options(), "TabularExplainer")
        taken = _options(chosen)
        # options of another explainer of the family (nsamples for Kernel SHAP given a tree
        # model, ...) are ignored, as interpret-community's explainers ignored them
        kwargs = {name: value for name, value in kwargs.items() if name in taken}
        self.explainer = chosen(
            model, initialization_examples, explain_subset=explain_subset, features=features,
            classes=classes, transformations=transformations,
            allow_all_transformations=allow_all_transformations, model_task=model_task, **kwargs
        )
        # every explainer computes n_jobs chunks of rows at a time (BaseExplainer.n_jobs),
        # whether or not its constructor takes n_jobs
        if n_jobs is not None:
            self.explainer.n_jobs = n_jobs
        if output != "default" and self.explainer.output_space_ != "probability":
            warn(f"TabularExplainer: shap_values_output={output!r} is accepted, but the chosen "
                 f"{type(self.explainer).__name__} explains this model in {self.explainer.output_space_!r} "
                 "space: its values add up to that output, not to probabilities (see "
                 "explanation.output_space).", stacklevel=3)

    @property
    def method(self) -> str:
        """The method of the chosen explainer (``"shap.tree"``, ``"shap.linear"``, ...)."""
        return self.explainer.method

    @property
    def features(self) -> tuple[str, ...]:
        """The explained feature names."""
        return self.explainer.features_

    @property
    def n_jobs(self) -> int:
        """Chunks of rows explained at the same time (see :class:`BaseExplainer`)."""
        return self.explainer.n_jobs

    @records_call("explain_global")
    def explain_global(self, evaluation_examples: Any, sampling_policy: SamplingPolicy | None = None,
                       include_local: bool = True, batch_size: int | None = None, *,
                       show_progress: bool | None = None) -> Explanation:
        """Global explanation; see :meth:`BaseExplainer.explain_global` (Dask collections included)."""
        return self.explainer.explain_global(evaluation_examples, sampling_policy, include_local,
                                             batch_size, show_progress=self._progress.resolve(show_progress))

    @records_call("explain_local")
    def explain_local(self, evaluation_examples: Any, interactions: bool = False, *,
                      batch_size: int | None = None, show_progress: bool | None = None) -> Explanation:
        """Local explanation of each row; see :meth:`BaseExplainer.explain_local`.

        ``interactions=True`` adds SHAP interaction values, for tree models only (see
        :meth:`TreeExplainer.explain_local`). ``batch_size`` and ``show_progress`` are as in
        :meth:`BaseExplainer.explain_local`.
        """
        options: dict[str, Any] = {"batch_size": batch_size,
                                   "show_progress": self._progress.resolve(show_progress)}
        evaluation_examples = as_rows(evaluation_examples)
        if interactions:
            if not isinstance(self.explainer, TreeExplainer):
                raise ExplanationValueError(
                    f"TabularExplainer.explain_local: interactions=True needs a tree model; this model "
                    f"is explained by {self.explainer.method}.")
            return self.explainer.explain_local(evaluation_examples, interactions=True, **options)
        return self.explainer.explain_local(evaluation_examples, **options)


def _options(explainer: type) -> set[str]:
    """Keyword arguments ``explainer``'s constructor takes besides the shared ones."""
    return set(inspect.signature(explainer).parameters) - {"model", "initialization_examples"}


def _family_options() -> set[str]:
    """Every keyword argument some explainer :func:`choose_explainer` may pick takes."""
    return set().union(*(_options(explainer) for _, explainer in EXPLAINER_CHOICES))

"""Porting from interpret-community and azureml-interpret: the names it needs, and every difference.

Code ports by changing imports (the README's table gives the replacement of every public
name); :mod:`explain.compat` holds what has no home elsewhere: interpret-community's
constants (``ModelTask``, ``ShapValuesOutput``, ``ExplainParams``, ...), its
``ExplanationAdapter`` and its exception ``ScenarioNotSupportedException``.

What matches interpret-community
--------------------------------
* Explainer signatures: ``TabularExplainer(model, initialization_examples, explain_subset,
  features, classes, transformations, allow_all_transformations, model_task, use_gpu,
  **kwargs)``, ``MimicExplainer(model, initialization_examples, explainable_model,
  explainable_model_args, ..., shap_values_output, categorical_features, model_task,
  reset_index)``, ``PFIExplainer(model, is_function, metric, ..., seed,
  for_classifier_use_predict_proba, show_progress, model_task)``; ``explain_global`` /
  ``explain_local``; ``PFIExplainer.explain_global(evaluation_examples, true_labels)``.
* Explanations: ``local_importance_values``, ``global_importance_values``,
  ``per_class_values`` and ``expected_values`` return Python lists (``[v]`` for a
  regression's expected value); ``features`` equals the list of names; ``global_importance_rank``,
  ``per_class_rank``, ``get_local_importance_rank()``, the ``get_ranked_*`` getters,
  ``get_feature_importance_dict()``, ``get_raw_explanation(maps)``,
  ``get_raw_feature_importances(maps)``, ``num_classes``, ``num_examples``,
  ``num_features``, ``is_raw``, ``is_engineered``, ``is_local_sparse``, ``id``, ``name``,
  ``data(key)`` (interpret-core's dictionaries) and ``visualize(key)`` (a Plotly figure).
  A global-only explanation has no ``local_importance_values`` (``hasattr`` is ``False``).
* ``save_explanation(explanation, path, exist_ok=False)`` / ``load_explanation(path)``.
* ``MimicExplainer.surrogate_model`` and ``get_surrogate_model_replication_measure``.
* ``SamplingPolicy(allow_eval_sampling, max_dim_clustering, sampling_method)`` with
  ``"hdbscan"`` (scikit-learn's HDBSCAN), ``"kmeans"`` and ``"random"``.
* azureml-interpret's ``ExplanationClient`` (``from_run``, ``from_run_id``,
  ``upload_model_explanation(..., true_ys, model_id, ...)``, ``list_model_explanations``,
  ``download_model_explanation``) and its scoring explainers; Azure AutoML's
  ``explain_model`` / ``retrieve_model_explanation``.

What differs, and why
---------------------
* **Arrays.** The same values as read-only NumPy arrays are the explanation's fields
  ``local_values`` (outputs x rows x features, one output for regression),
  ``global_values``, ``per_class_values_`` and ``expected_values_``: the lists are built at
  each access, the arrays are free. interpret-community's private arrays
  (``_local_importance_values`` ...) are available under their names.
* **Method names** are this library's: ``"shap.tree"``, ``"shap.linear"``,
  ``"shap.kernel"``, ``"shap.deep"``, ``"lime"``, ``"mimic.<surrogate>"`` (as there) and
  ``"permutation_importance"`` where interpret-community said ``"shap_tree"`` ...
  ``"pfi"``; :func:`interpret_community_method` translates. The dotted names are stored in
  saved files and read by the dashboard, so they stay.
* **Saved files.** ``save_explanation`` writes one ``.npz`` file (JSON metadata and NumPy
  arrays, no pickle, the data rows and predictions included) where interpret-community wrote
  a directory of JSON files; the explanation's ``id`` is not stored (it is a hash of the
  content, so it is equal after loading). :func:`load_explanation` here also reads
  interpret-community's directories.
* **Immutability.** Explanations are frozen: attributes cannot be assigned.
* **Feature names are strings** (``features=[0, 1]`` becomes ``["0", "1"]``), so that names
  survive JSON, files and the dashboard.
* **Explanations of ``explain_local``** also carry global importances (interpret-community's
  were local only), so ``visualize()`` works on them too.
* **Local values are dense** (``is_local_sparse`` is ``False``); sparse input is explained
  as such, but local values of 60,000 sparse columns take dense memory.
* **Arguments that tuned interpret-community's internals** are accepted:
  ``use_gpu=True`` (no GPU here: explained on the CPU, with a
  :class:`~explain._exceptions.CompatibilityWarning`), ``show_progress`` / ``verbose``
  (progress bars of ``explain_*``), ``shap_values_output`` (``MimicExplainer``: values
  corrected to add up to probabilities, as there; ``TreeExplainer``: a boosted classifier's
  log-odds values rescaled to probabilities, as there; ``TabularExplainer``: a warning when
  the chosen explainer's values add up to another output), ``reset_index`` (``"ignore"`` and
  ``"reset"``, as there; ``"reset_teacher"`` warns), ``explainable_model_args``
  ``sparse_data`` / ``multiclass`` / ``classification``, ``for_classifier_use_predict_proba``.
* **No GPU explainer, no TensorFlow.** ``GPUKernelExplainer`` and Keras / TensorFlow models
  are not supported; PyTorch models are (``DeepExplainer``, ``TorchModel``).
* **interpret-core's ``show()``** is not used; the dashboard is ``explain.dashboard``.
"""

from explain._exceptions import UnsupportedScenarioError as ScenarioNotSupportedException
from explain.compat._adapter import ExplanationAdapter
from explain.compat._constants import (
    SMALL_DATA_THRESHOLD,
    ExplainParams,
    ExplainType,
    InterpretData,
    ModelTask,
    ResetIndex,
    Scipy,
    ShapValuesOutput,
)
from explain.compat._files import interpret_community_method, load_explanation

__all__ = [
    "ExplainParams",
    "ExplainType",
    "ExplanationAdapter",
    "InterpretData",
    "ModelTask",
    "ResetIndex",
    "SMALL_DATA_THRESHOLD",
    "ScenarioNotSupportedException",
    "Scipy",
    "ShapValuesOutput",
    "interpret_community_method",
    "load_explanation",
]

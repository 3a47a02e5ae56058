"""interpret-community's constants (``interpret_community.common.constants``), same names and values.

The enums are ``str`` enums as there, so ``ModelTask.Classification`` is accepted wherever
this library takes ``"classification"``. ``ExplainParams`` names the attributes of an
explanation and ``InterpretData`` the keys of :meth:`Explanation.data`.
"""

from __future__ import annotations

from enum import Enum

from explain.explainers._mimic import SMALL_DATA_THRESHOLD

__all__ = [
    "SMALL_DATA_THRESHOLD",
    "ExplainParams",
    "ExplainType",
    "InterpretData",
    "ModelTask",
    "ResetIndex",
    "Scipy",
    "ShapValuesOutput",
]



class ModelTask(str, Enum):
    """The task of a model: ``"classification"``, ``"regression"`` or ``"unknown"`` (inferred)."""

    Classification = "classification"
    Regression = "regression"
    Unknown = "unknown"


class ShapValuesOutput(str, Enum):
    """What a surrogate's SHAP values add up to (``MimicExplainer(shap_values_output=...)``).

    ``DEFAULT``: the surrogate's own output (log-odds for a binary classifier);
    ``PROBABILITY`` / ``TEACHER_PROBABILITY``: the model's probabilities.
    """

    DEFAULT = "default"
    PROBABILITY = "probability"
    TEACHER_PROBABILITY = "teacher_probability"


class ResetIndex(str, Enum):
    """What ``MimicExplainer(reset_index=...)`` does with a DataFrame's index."""

    Ignore = "ignore"
    Reset = "reset"
    ResetTeacher = "reset_teacher"


class Scipy:
    """SciPy constants."""

    CSR_FORMAT = "csr"


class ExplainType:
    """Explanation and explainer type names."""

    CLASSIFICATION = "classification"
    DATA = "data_type"
    EXPLAIN = "explain_type"
    EXPLAINER = "explainer"
    FUNCTION = "function"
    GLOBAL = "global"
    HAN = "han"
    IS_ENG = "is_engineered"
    IS_RAW = "is_raw"
    LIME = "lime"
    LOCAL = "local"
    METHOD = "method"
    MIMIC = "mimic"
    MODEL = "model_type"
    MODEL_CLASS = "model_class"
    MODEL_TASK = "model_task"
    PFI = "pfi"
    REGRESSION = "regression"
    SHAP = "shap"
    SHAP_DEEP = "shap_deep"
    SHAP_KERNEL = "shap_kernel"
    SHAP_TREE = "shap_tree"
    SHAP_LINEAR = "shap_linear"
    TABULAR = "tabular"
    SHAP_GPU_KERNEL = "shap_gpu_kernel"


class InterpretData:
    """Keys of the dictionaries :meth:`Explanation.data` returns (interpret-core's format)."""

    BASE_VALUE = "Base Value"
    EXPLANATION_TYPE = "explanation_type"
    EXTRA = "extra"
    FEATURE_LIST = "feature_list"
    GLOBAL_FEATURE_IMPORTANCE = "global_feature_importance"
    INTERCEPT = "intercept"
    LOCAL_FEATURE_IMPORTANCE = "local_feature_importance"
    MLI = "mli"
    NAMES = "names"
    OVERALL = "overall"
    PERF = "perf"
    SCORES = "scores"
    SPECIFIC = "specific"
    TYPE = "type"
    UNIVARIATE = "univariate"
    VALUE = "value"
    VALUES = "values"
    EXPLANATION_CLASS_DIMENSION = "explanation_class_dimension"
    MULTICLASS = "multiclass"
    SINGLE = "single"


class ExplainParams:
    """Names of explainer arguments and of explanation attributes."""

    BATCH_SIZE = "batch_size"
    CHECK_ADDITIVITY = "check_additivity"
    CLASSES = "classes"
    CLASSIFICATION = "classification"
    EVAL_DATA = "eval_data"
    EVAL_Y_PRED = "eval_y_predicted"
    EVAL_Y_PRED_PROBA = "eval_y_predicted_proba"
    EXPECTED_VALUES = "expected_values"
    EXPLAIN_SUBSET = "explain_subset"
    EXPLANATION_ID = "explanation_id"
    FEATURES = "features"
    GLOBAL_IMPORTANCE_NAMES = "global_importance_names"
    GLOBAL_IMPORTANCE_VALUES = "global_importance_values"
    GLOBAL_IMPORTANCE_RANK = "global_importance_rank"
    GLOBAL_NAMES = "global_names"
    GLOBAL_VALUES = "global_values"
    GLOBAL_RANK = "global_rank"
    ID = "id"
    INCLUDE_LOCAL = "include_local"
    INIT_DATA = "init_data"
    IS_ENG = "is_engineered"
    IS_LOCAL_SPARSE = "is_local_sparse"
    IS_RAW = "is_raw"
    LOCAL_EXPLANATION = "local_explanation"
    LOCAL_IMPORTANCE_VALUES = "local_importance_values"
    METHOD = "method"
    MODEL_ID = "model_id"
    MODEL_TASK = "model_task"
    MODEL_TYPE = "model_type"
    NUM_CLASSES = "num_classes"
    NUM_EXAMPLES = "num_examples"
    NUM_FEATURES = "num_features"
    PER_CLASS_NAMES = "per_class_names"
    PER_CLASS_RANK = "per_class_rank"
    PER_CLASS_VALUES = "per_class_values"
    PROBABILITIES = "probabilities"
    SAMPLING_POLICY = "sampling_policy"
    SHAP_VALUES_OUTPUT = "shap_values_output"

    @classmethod
    def get_serializable(cls) -> set[str]:
        """Names of the constants that name explanation attributes."""
        return {name for name, value in vars(cls).items()
                if not name.startswith("__") and isinstance(value, str)}

    @classmethod
    def get_private(cls, explain_param: str) -> str:
        """The private attribute name of ``explain_param`` (``"_" + explain_param``)."""
        return "_" + explain_param

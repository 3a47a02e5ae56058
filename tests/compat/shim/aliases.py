"""interpret-community's (and azureml-interpret's) import paths and what they alias here.

Data only: :mod:`ancestor_shim` registers these modules; ``tests/compat/test_porting.py``
checks that every alias is a row of the README's porting table.
"""

# ancestor module -> {name: "module:attribute" in this library}; "module" alone is the module.
_EXPLAINERS = {
    "KernelExplainer": "explain:KernelExplainer",
    "LIMEExplainer": "explain:LIMEExplainer",
    "MimicExplainer": "explain:MimicExplainer",
    "PFIExplainer": "explain:PFIExplainer",
    "TabularExplainer": "explain:TabularExplainer",
}
_GREYBOX = {
    "DeepExplainer": "explain:DeepExplainer",
    "LinearExplainer": "explain:LinearExplainer",
    "TreeExplainer": "explain:TreeExplainer",
}
_SURROGATES = {
    "DecisionTreeExplainableModel": "explain.models:DecisionTreeExplainableModel",
    "LGBMExplainableModel": "explain.models:LGBMExplainableModel",
    "LinearExplainableModel": "explain.models:LinearExplainableModel",
    "SGDExplainableModel": "explain.models:SGDExplainableModel",
}
_CONSTANTS = {name: f"explain.compat:{name}|fallback_constants:{name}" for name in (
    "ExplainParams", "ExplainType", "InterpretData", "ModelTask", "ResetIndex", "Scipy",
    "ShapValuesOutput",
)}

ALIASES: dict[str, dict[str, str]] = {
    "interpret_community": {"TabularExplainer": "explain:TabularExplainer"},
    "interpret_community.tabular_explainer": {"TabularExplainer": "explain:TabularExplainer"},
    "interpret_community.mimic": {"MimicExplainer": "explain:MimicExplainer"},
    "interpret_community.mimic.mimic_explainer": {
        "MimicExplainer": "explain:MimicExplainer",
        "SMALL_DATA_THRESHOLD": ("explain.compat:SMALL_DATA_THRESHOLD"
                                 "|fallback_constants:SMALL_DATA_THRESHOLD"),
    },
    "interpret_community.mimic.models": {
        **_SURROGATES, "BaseExplainableModel": "explain.models:ExplainableModel"},
    "interpret_community.mimic.models.explainable_model": {
        "BaseExplainableModel": "explain.models:ExplainableModel"},
    "interpret_community.mimic.models.lightgbm_model": {
        "LGBMExplainableModel": "explain.models:LGBMExplainableModel"},
    "interpret_community.mimic.models.linear_model": {
        "LinearExplainableModel": "explain.models:LinearExplainableModel",
        "SGDExplainableModel": "explain.models:SGDExplainableModel"},
    "interpret_community.mimic.models.tree_model": {
        "DecisionTreeExplainableModel": "explain.models:DecisionTreeExplainableModel"},
    "interpret_community.permutation": {"PFIExplainer": "explain:PFIExplainer"},
    "interpret_community.permutation.permutation_importance": {"PFIExplainer": "explain:PFIExplainer"},
    "interpret_community.shap": {**_GREYBOX, "KernelExplainer": "explain:KernelExplainer"},
    "interpret_community.shap.deep_explainer": {"DeepExplainer": "explain:DeepExplainer"},
    "interpret_community.shap.kernel_explainer": {"KernelExplainer": "explain:KernelExplainer"},
    "interpret_community.shap.linear_explainer": {"LinearExplainer": "explain:LinearExplainer"},
    "interpret_community.shap.tree_explainer": {"TreeExplainer": "explain:TreeExplainer"},
    "interpret_community.lime": {"LIMEExplainer": "explain:LIMEExplainer"},
    "interpret_community.lime.lime_explainer": {"LIMEExplainer": "explain:LIMEExplainer"},
    "interpret_community.explanation": {
        "load_explanation": "explain.compat:load_explanation|explain:load_explanation",
        "save_explanation": "explain:save_explanation"},
    "interpret_community.explanation.explanation": {
        "load_explanation": "explain.compat:load_explanation|explain:load_explanation",
        "save_explanation": "explain:save_explanation"},
    "interpret_community.adapter": {"ExplanationAdapter": "explain.compat:ExplanationAdapter"},
    "interpret_community.common": {},
    "interpret_community.common.policy": {"SamplingPolicy": "explain:SamplingPolicy"},
    "interpret_community.common.constants": _CONSTANTS,
    "interpret_community.common.exception": {
        "ScenarioNotSupportedException": "explain.compat:ScenarioNotSupportedException"},
    "interpret_community.common.explanation_utils": {},
    "interpret_community.common.metrics": {},
    "interpret_community.dataset": {},
    "interpret_community.dataset.dataset_wrapper": {},
    "interpret_community.widget": {},
    "interpret": {},
    "interpret.ext": {},
    "interpret.ext.blackbox": _EXPLAINERS,
    "interpret.ext.greybox": _GREYBOX,
    "interpret.ext.glassbox": _SURROGATES,
    "raiwidgets": {"ExplanationDashboard": "explain.dashboard:ExplanationDashboard"},
    "ml_wrappers": {},
    "captum": {},
    "captum.attr": {},
}

# interpret-community internals (and other packages' names) its tests import, with no
# equivalent here: a placeholder per name that skips the test using it
INTERNALS: dict[str, tuple[str, ...]] = {
    "interpret_community.common.explanation_utils": ("_summarize_data", "reformat_importance_values"),
    "interpret_community.common.metrics": ("ndcg",),
    "interpret_community.dataset.dataset_wrapper": ("DatasetWrapper",),
    "interpret_community.explanation.explanation": ("_create_local_explanation", "_DatasetsMixin"),
    "interpret_community.shap": ("GPUKernelExplainer",),
    "interpret_community.tabular_explainer": ("_get_uninitialized_explainers",),
    "interpret_community.widget": ("ExplanationDashboard",),
    "interpret": ("show",),
    "ml_wrappers": ("DatasetWrapper", "wrap_model"),
    "captum.attr": ("IntegratedGradients",),
}

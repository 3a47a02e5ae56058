"""Explanations of machine-learning models: global and local, with their fidelity.

The public API follows interpret-community's: ``TabularExplainer``, ``MimicExplainer``,
``PFIExplainer`` and the SHAP explainers return one :class:`Explanation` object, which
:func:`save_explanation` / :func:`load_explanation` store without pickle.
"""

from explain._client import DirectoryRun, ExplanationClient, RunArtifacts
from explain._exceptions import (
    CompatibilityWarning,
    ExplanationAttributeError,
    ExplanationError,
    ExplanationFileError,
    ExplanationTypeError,
    ExplanationValueError,
    ModelCallError,
    SchemaVersionError,
    UnsupportedScenarioError,
)
from explain._explanation import Explanation
from explain._fidelity import Fidelity
from explain._sampling import SamplingPolicy
from explain._serialization import load_explanation, save_explanation
from explain._version import __version__
from explain.explainers import (
    DeepExplainer,
    KernelExplainer,
    LIMEExplainer,
    LinearExplainer,
    MimicExplainer,
    PFIExplainer,
    TabularExplainer,
    TorchModel,
    TreeExplainer,
)
from explain.explainers._dask import local_values_dask

__all__ = [
    "CompatibilityWarning",
    "DeepExplainer",
    "DirectoryRun",
    "Explanation",
    "ExplanationAttributeError",
    "ExplanationClient",
    "ExplanationError",
    "ExplanationFileError",
    "ExplanationTypeError",
    "ExplanationValueError",
    "Fidelity",
    "KernelExplainer",
    "LIMEExplainer",
    "LinearExplainer",
    "MimicExplainer",
    "ModelCallError",
    "PFIExplainer",
    "RunArtifacts",
    "SamplingPolicy",
    "SchemaVersionError",
    "TabularExplainer",
    "TorchModel",
    "TreeExplainer",
    "UnsupportedScenarioError",
    "__version__",
    "load_explanation",
    "local_values_dask",
    "save_explanation",
]

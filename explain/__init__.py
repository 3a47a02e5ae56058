"""Explanations of machine-learning models: global and local, with their fidelity.

The public API follows interpret-community's: ``TabularExplainer``, ``MimicExplainer``,
``PFIExplainer`` and the SHAP explainers return one :class:`Explanation` object, which
:func:`save_explanation` / :func:`load_explanation` store without pickle.
"""

# Public names are imported on first use, so `explain --help` and `import explain` do not wait for
# scikit-learn, numba and the explainers (seconds); `from explain import TabularExplainer` works as before.
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# where each public name is defined
_SOURCES = {
    "DirectoryRun": "explain._client",
    "ExplanationClient": "explain._client",
    "RunArtifacts": "explain._client",
    "CompatibilityWarning": "explain._exceptions",
    "ExplanationAttributeError": "explain._exceptions",
    "ExplanationError": "explain._exceptions",
    "ExplanationFileError": "explain._exceptions",
    "ExplanationTypeError": "explain._exceptions",
    "ExplanationValueError": "explain._exceptions",
    "ModelCallError": "explain._exceptions",
    "SchemaVersionError": "explain._exceptions",
    "UnsupportedScenarioError": "explain._exceptions",
    "Explanation": "explain._explanation",
    "Fidelity": "explain._fidelity",
    "SamplingPolicy": "explain._sampling",
    "load_explanation": "explain._serialization",
    "save_explanation": "explain._serialization",
    "__version__": "explain._version",
    "DeepExplainer": "explain.explainers",
    "KernelExplainer": "explain.explainers",
    "LIMEExplainer": "explain.explainers",
    "LinearExplainer": "explain.explainers",
    "MimicExplainer": "explain.explainers",
    "PFIExplainer": "explain.explainers",
    "TabularExplainer": "explain.explainers",
    "TorchModel": "explain.explainers",
    "TreeExplainer": "explain.explainers",
    "local_values_dask": "explain.explainers._dask",
}


def __getattr__(name: str) -> Any:
    """Import a public name of :mod:`explain` on first use (PEP 562)."""
    if name not in _SOURCES:
        raise AttributeError(f"module 'explain' has no attribute {name!r}")
    value = getattr(importlib.import_module(_SOURCES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

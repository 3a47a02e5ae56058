"""Tests of interpret-community that cannot say anything about this library, with the reason.

Each entry is a regular expression matched against the test's node id and the reason the
test is skipped. The reasons allowed: the test exercises an interpret-community internal (a
private helper, its own serialization of explainers, its class hierarchy); it needs
TensorFlow / Keras / cuML / Captum or another package this library does not build on; it
needs a download that has no offline stand-in; or the ancestor's own test helper fails on
the installed scikit-learn or pandas before this library is called (those are skipped only
on the versions where the helper fails, see :data:`HELPER_VERSIONS`). Tests that fail for
any other reason are failures, counted as such by ``run_ancestor.py``.
"""

from __future__ import annotations

import re

KERAS = "needs TensorFlow / Keras, which this library does not support (PyTorch only)"

SKIPS: list[tuple[str, str]] = [
    # TensorFlow / Keras / GPU / Captum
    (r"keras|_dnn\b|_dnn\[|test_explain_model_with_tensorflow", KERAS),
    (r"test_validate_against_shap|cuml", "needs RAPIDS cuML (GPU)"),
    (r"captum", "needs Captum, which this library does not use"),
    # interpret-community internals
    (r"test_backwards_compatibility\.py",
     "loads interpret-community's own JSON serialization of a MimicExplainer (MimicExplainer._load)"),
    (r"test_old_explanation_dashboard",
     "checks interpret-community's deprecation warning for its removed widget"),
    (r"test_interpret_dashboard", "needs interpret-core's show() dashboard"),
    (r"test_tabular_explainer_get_explainers",
     "interpret-community's private explainer list (_get_uninitialized_explainers)"),
    # downloads: rankings of the real data sets, which run here on offline stand-ins
    (r"test_explain_model\.py::TestTabularExplainer::test_explain_model_(linear_regression|local_kernel_regression"
     r"|local_tree_regression|random_forest_classification)$",
     "asserts feature rankings of the downloaded California-housing / adult data; on the offline "
     "stand-in (standins.py) this library's rankings are the exact ones (linear models: those of "
     "coef x (x - mean); forests: values equal shap.TreeExplainer's to 1e-15), not the real data's"),
]

# the ancestor's helpers that stopped working with newer libraries (LogisticRegression(solver=
# "liblinear") on more than two classes and an unfitted-looking IdentityTransformer from
# scikit-learn 1.8, DataFrame.fillna(method=...) from pandas 3) are made to work by
# standins._patch_helpers / standins._fillna_method; entries here would skip tests whose helpers
# still cannot run on the installed versions: (pattern, applies, reason)
HELPER_VERSIONS: list[tuple[str, bool, str]] = []
SKIPS += [(pattern, why) for pattern, applies, why in HELPER_VERSIONS if applies]

_COMPILED = [(re.compile(pattern), reason) for pattern, reason in SKIPS]


def reason(nodeid: str) -> str | None:
    """The skip reason of a test, or ``None`` when it runs."""
    for pattern, why in _COMPILED:
        if pattern.search(nodeid):
            return why
    return None

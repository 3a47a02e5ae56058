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

import pandas as pd
import sklearn
from packaging.version import Version

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
]

# the ancestor's helpers that stopped working with newer libraries: create_sklearn_logistic_regressor
# fits LogisticRegression(solver="liblinear") on three or four classes (refused from scikit-learn
# 1.8); get_transformations_many_to_many's IdentityTransformer has no fitted attribute (a Pipeline
# holding it is "not fitted" from scikit-learn 1.8); create_simple_titanic_data calls
# DataFrame.fillna(method=...) (removed in pandas 3). These run on the oldest versions (.ci/oldest).
LIBLINEAR = (r"test_explain_model_hashing|test_explain_model_subset_classification_sparse|"
             r"test_get_local_raw_explanations_sparse_classification|"
             r"test_linear_explainer_raw_transformations_(list|column_transformer)_classification")
HELPER_VERSIONS: list[tuple[str, bool, str]] = [
    (LIBLINEAR, Version(sklearn.__version__) >= Version("1.8"),
     "the ancestor's helper fits LogisticRegression(solver='liblinear') on more than two classes, "
     f"which scikit-learn {sklearn.__version__} refuses (>= 1.8)"),
    (r"transformations_(list|column_transformer)_(classification|regression)",
     Version(sklearn.__version__) >= Version("1.8"),
     "the ancestor's helper puts its IdentityTransformer (no fitted attribute) in a Pipeline, which "
     f"scikit-learn {sklearn.__version__} refuses to transform as not fitted (>= 1.8)"),
    (r"test_explain_raw_feats_titanic", Version(pd.__version__) >= Version("3"),
     f"the ancestor's helper calls DataFrame.fillna(method=...), removed in pandas {pd.__version__}"),
]
SKIPS += [(pattern, why) for pattern, applies, why in HELPER_VERSIONS if applies]

_COMPILED = [(re.compile(pattern), reason) for pattern, reason in SKIPS]


def reason(nodeid: str) -> str | None:
    """The skip reason of a test, or ``None`` when it runs."""
    for pattern, why in _COMPILED:
        if pattern.search(nodeid):
            return why
    return None

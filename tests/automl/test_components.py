"""Text components labelled with their top tokens (``automl._components``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from automl._components import component_labels
from featurization import AutoFeaturizer


def _pipeline() -> object:
    rng = np.random.default_rng(0)
    n = 200
    words = np.array(["refund", "delivery", "broken", "thanks", "invoice", "password"])
    X = pd.DataFrame({"amount": rng.normal(size=n),
                      "message": [" ".join(rng.choice(words, 3)) + f" #{i}" for i in range(n)]})
    y = rng.integers(0, 2, n)
    return make_pipeline(AutoFeaturizer(text_components=4), LGBMClassifier(n_estimators=5, verbose=-1,
                                                                           n_jobs=1)).fit(X, y)


def test_each_component_is_labelled_with_its_largest_loadings() -> None:
    model = _pipeline()
    labels = component_labels(model)
    encoder = model.steps[0][1].vectorizer_.transformers_["message"]
    vocabulary = encoder.vectorizer_.get_feature_names_out()
    assert list(labels) == list(encoder.all_outputs_) and len(labels) == 4  # message_0 ... message_3
    assert set(labels) <= set(model.steps[0][1].get_feature_names_out())  # the engineered features
    for j, name in enumerate(encoder.all_outputs_):
        top = str(vocabulary[int(np.argmax(encoder.tsvd_.components_[j]))]).strip()
        tokens = labels[name].removeprefix(f"{name} (").removesuffix(")").split(", ")
        assert len(tokens) == 3 and any(top in token for token in tokens)  # the top n-gram, or a longer one
        assert all(a not in b for a in tokens for b in tokens if a != b)  # no n-gram inside another
    assert "amount" not in labels  # numbers are not components


def test_models_without_the_featurizer_have_no_labels() -> None:
    assert component_labels(LogisticRegression()) == {}
    assert component_labels(make_pipeline(LogisticRegression())) == {}

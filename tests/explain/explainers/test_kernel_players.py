"""Kernel SHAP's players: raw columns (``players="raw"``), the many-players warning, defaults."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import ExplanationValueError, KernelExplainer
from explain.explainers._kernel import _auto_jobs
from featurization import FeatureMap


def _raw_table(n_rows: int = 300) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.normal(40, 10, n_rows), "city": rng.choice(["a", "b", "c"], n_rows),
                          "plan": rng.choice(["x", "y"], n_rows), "income": rng.normal(size=n_rows)})
    score = (frame["age"] - 40) / 10 + 1.5 * (frame["city"] == "a") * (frame["plan"] == "x") + frame["income"]
    return frame, (score > 0.5).to_numpy().astype(int)


def _one_hot_model() -> tuple[Any, Any, pd.DataFrame]:
    frame, y = _raw_table()
    featurizer = ColumnTransformer([("num", StandardScaler(), ["age", "income"]),
                                    ("cat", OneHotEncoder(), ["city", "plan"])]).fit(frame)
    engineered = featurizer.transform(frame)
    # interactions between one-hot columns, so that grouping changes the values
    model = LogisticRegression().fit(np.column_stack([engineered, engineered[:, 2] * engineered[:, 5]]), y)

    def predict_proba(Z: np.ndarray) -> np.ndarray:
        return model.predict_proba(np.column_stack([Z, Z[:, 2] * Z[:, 5]]))

    return predict_proba, featurizer, frame


def test_raw_players_add_up_and_are_not_summed_engineered_values() -> None:
    predict, featurizer, frame = _one_hot_model()
    options = {"is_function": True, "model_task": "classification", "transformations": featurizer}
    raw = KernelExplainer(predict, frame.iloc[:40], players="raw", **options)
    assert raw.n_players_ == 4  # age, income, city, plan: one player per raw column
    explanation = raw.explain_local(frame.iloc[100:110])
    assert explanation.features == ("age", "city", "plan", "income") and explanation.is_raw
    assert explanation.engineered_explanation is None  # the grouped game has no engineered values
    values = np.asarray(explanation.local_values)
    output = predict(featurizer.transform(frame.iloc[100:110])).T
    np.testing.assert_allclose(values.sum(axis=2) + explanation.expected_values_[:, None], output, atol=1e-10)
    summed = KernelExplainer(predict, frame.iloc[:40], **options).explain_local(frame.iloc[100:110])
    assert summed.features == explanation.features and summed.engineered_explanation is not None
    np.testing.assert_allclose(np.asarray(summed.local_values).sum(axis=2), values.sum(axis=2), atol=1e-10)
    # one-hot columns switched together never mix categories: values differ from summed ones
    assert np.max(np.abs(np.asarray(summed.local_values) - values)) > 1e-3


def test_raw_players_need_columns_that_do_not_share_outputs() -> None:
    frame, y = _raw_table()
    mixed = np.column_stack([frame["age"], frame["age"] * frame["income"]])
    model = LogisticRegression().fit(mixed, y)
    fmap = {"age": ["age", "age*income"], "income": ["age*income"]}
    shared = FeatureMap.from_groups(["age", "income"], fmap, ["age", "age*income"])
    with pytest.raises(ExplanationValueError, match=r"'age\*income' are made from columns of several"):
        KernelExplainer(model, mixed[:20], transformations=shared, players="raw")


@pytest.mark.parametrize("players", ["columns", None, 1])
def test_bad_players_is_refused(players: Any) -> None:
    with pytest.raises(ExplanationValueError, match="players must be 'engineered' or 'raw'"):
        KernelExplainer(lambda Z: Z.sum(axis=1), np.zeros((5, 3)), is_function=True,
                        model_task="regression", players=players)


def test_many_players_warn_with_the_time_and_the_ways_out() -> None:
    rng = np.random.default_rng(0)
    background = rng.normal(size=(4, 120))
    explainer = KernelExplainer(lambda Z: np.tanh(Z[:, :5]).sum(axis=1), background, is_function=True,
                                model_task="regression", nsamples=242)
    with pytest.warns(UserWarning, match=r"Kernel SHAP on 120 players evaluates the model up to") as caught:
        explainer.explain_local(background[:2])
    message = str(caught[0].message)
    for way_out in ("s per row", "2 rows may take up to", "explain_subset=", "groups=", "MimicExplainer"):
        assert way_out in message
    small = KernelExplainer(lambda Z: Z.sum(axis=1), background[:, :99], is_function=True,
                            model_task="regression", nsamples=200)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small.explain_local(background[:1, :99])


def test_auto_jobs_use_the_cores_only_for_models_without_threads_of_their_own() -> None:
    from lightgbm import LGBMClassifier
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC

    assert _auto_jobs(make_pipeline(StandardScaler(), SVC()), is_function=False) == -1
    assert _auto_jobs(RandomForestClassifier(), is_function=False) == -1  # n_jobs=None is one thread
    assert _auto_jobs(RandomForestClassifier(n_jobs=4), is_function=False) == 1
    assert _auto_jobs(make_pipeline(StandardScaler(), LGBMClassifier()), is_function=False) == 1
    assert _auto_jobs(make_pipeline(StandardScaler(), LGBMClassifier(n_jobs=1)), is_function=False) == -1
    assert _auto_jobs(lambda Z: Z, is_function=True) == 1


def test_tabular_explainer_keeps_kernel_shap_on_all_cores_unless_told() -> None:
    from sklearn.svm import SVC

    from explain import TabularExplainer

    frame, y = _raw_table(120)
    X = frame[["age", "income"]].to_numpy()
    model = SVC(probability=True, random_state=0).fit(X, y)
    assert TabularExplainer(model, X).n_jobs == -1
    assert TabularExplainer(model, X, n_jobs=1).n_jobs == 1

"""Text, categorical and datetime columns given to explainers with a model that takes them:
carried as codes, decoded before every model call (explain._codes, BaseExplainer._set_up)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from explain import KernelExplainer, LIMEExplainer, TabularExplainer, TreeExplainer

CITIES = ["Oslo", "Rome", "Lima", "Kyiv"]


def _days(frame: pd.DataFrame) -> np.ndarray:
    return (frame.to_numpy(dtype="datetime64[ns]").astype(np.int64) // 86_400_000_000_000).astype(float)


def _mixed(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "city": rng.choice(CITIES, n),
        "size": rng.normal(0, 1, n),
        "kind": pd.Categorical(rng.choice(["a", "b"], n)),
        "when": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 400, n), "D"),
    })
    y = ((frame["city"] == "Oslo") + frame["size"] + rng.normal(0, 0.3, n) > 0.5).astype(int).to_numpy()
    return frame, y


class _Checking(BaseEstimator, ClassifierMixin):
    """A pipeline's stand-in that refuses any row not made of its training values."""

    def __init__(self, pipeline: object = None) -> None:
        self.pipeline = pipeline

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> _Checking:
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        assert isinstance(X, pd.DataFrame) and set(X["city"].dropna()) <= set(CITIES)
        assert X["kind"].dtype == "category" and X["when"].dtype.kind == "M"
        return self.pipeline.predict_proba(X)  # type: ignore[union-attr]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, _Checking]:
    frame, y = _mixed()
    features = ColumnTransformer([
        ("onehot", OneHotEncoder(handle_unknown="ignore"), ["city", "kind"]),
        ("days", FunctionTransformer(_days), ["when"]),
    ], remainder="passthrough")
    pipeline = make_pipeline(features, LogisticRegression(max_iter=500)).fit(frame, y)
    return frame, _Checking(pipeline).fit(frame, y)


def test_kernel_explains_text_categorical_and_datetime_columns(
        fitted: tuple[pd.DataFrame, _Checking]) -> None:
    frame, model = fitted
    explainer = KernelExplainer(model, frame.iloc[:40], nsamples=200)
    rows = frame.iloc[40:46]
    explanation = explainer.explain_local(rows)
    values = np.asarray(explanation.local_importance_values)
    assert values.shape == (2, 6, 4)
    expected = np.asarray(explanation.expected_values)
    np.testing.assert_allclose(values.sum(axis=2).T + expected, model.predict_proba(rows), atol=1e-6)
    np.testing.assert_array_equal(explanation.eval_y_predicted, model.predict(rows))
    assert np.asarray(explanation.eval_data, dtype=object)[:, 0].tolist() == rows["city"].tolist()


def test_lime_draws_categories_of_the_initialization_rows(fitted: tuple[pd.DataFrame, _Checking]) -> None:
    frame, model = fitted
    explainer = LIMEExplainer(model, frame, num_samples=300)
    assert explainer.categorical_.tolist() == [True, False, True, False]
    explanation = explainer.explain_local(frame.iloc[:3])
    assert np.asarray(explanation.local_importance_values).shape == (2, 3, 4)


def test_values_first_seen_in_evaluation_rows_reach_the_model(fitted: tuple[pd.DataFrame, _Checking]) -> None:
    frame, model = fitted
    explainer = TabularExplainer(model.pipeline, frame.iloc[:40])
    rows = frame.iloc[:4].assign(city=["Oslo", "Quito", "Rome", "Quito"])
    explanation = explainer.explain_local(rows)
    np.testing.assert_array_equal(explanation.eval_y_predicted, model.pipeline.predict(rows))


def test_object_arrays_reach_the_model_as_object_arrays() -> None:
    frame, y = _mixed()
    array = frame[["city", "size"]].to_numpy(dtype=object)
    pipeline = make_pipeline(
        ColumnTransformer([("onehot", OneHotEncoder(handle_unknown="ignore"), [0])], remainder="passthrough"),
        LogisticRegression(max_iter=500)).fit(array, y)
    explanation = KernelExplainer(pipeline, array[:30], nsamples=100).explain_global(array[30:35])
    assert np.asarray(explanation.local_importance_values).shape == (2, 5, 2)
    np.testing.assert_array_equal(explanation.eval_y_predicted, pipeline.predict(array[30:35]))


def test_tree_explainer_reads_a_lightgbm_categorical_column_by_its_codes() -> None:
    lightgbm = pytest.importorskip("lightgbm")
    frame, y = _mixed(300)
    data = frame[["size"]].assign(city=pd.Categorical(frame["city"]))
    model = lightgbm.LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1).fit(data, y)
    explanation = TreeExplainer(model, data).explain_local(data.iloc[:20])
    contributions = model.predict(data.iloc[:20], pred_contrib=True)
    np.testing.assert_allclose(np.asarray(explanation.local_importance_values)[1], contributions[:, :2],
                               atol=1e-6)


def test_explainers_reading_the_model_refuse_text_columns() -> None:
    """A tree or linear model cannot have been fitted on text; its own codes are unknown here."""
    from sklearn.ensemble import RandomForestClassifier

    frame, y = _mixed()
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(
        frame[["size"]].assign(city=frame["city"].map(CITIES.index)), y)
    with pytest.raises(TypeError, match="non-numeric columns 'city'"):
        TreeExplainer(forest, frame[["size", "city"]])


def test_a_categorical_column_is_refused_for_a_model_fitted_on_numbers() -> None:
    """Only a LightGBM model fitted on pandas categoricals reads their codes itself."""
    lightgbm = pytest.importorskip("lightgbm")
    frame, y = _mixed(200)
    numeric = frame[["size"]].assign(code=frame["city"].map(CITIES.index).astype(float))
    model = lightgbm.LGBMClassifier(n_estimators=5, n_jobs=1, verbose=-1).fit(numeric, y)
    with pytest.raises(TypeError, match="non-numeric columns 'code'"):
        TreeExplainer(model, numeric.assign(code=pd.Categorical(frame["city"])))

"""Rows and predictions kept on explanations (explain/_datasets.py, explainers/_kept_data.py):
interpret-community's init_data, eval_data, eval_y_predicted, eval_y_predicted_proba."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import (
    KernelExplainer,
    LIMEExplainer,
    MimicExplainer,
    PFIExplainer,
    TabularExplainer,
    load_explanation,
    save_explanation,
)
from explain.compat import ExplanationAdapter
from explain.models import LinearExplainableModel

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3))
y_class = (X[:, 0] + X[:, 1] > 0).astype(int)
y_reg = X @ np.array([1.0, -2.0, 0.5])


def test_kernel_keeps_rows_by_reference_and_the_models_predictions():
    model = LogisticRegression().fit(X, y_class)
    background, rows = X[:20], X[40:50]
    explanation = KernelExplainer(model, background).explain_global(rows)
    assert explanation._eval_data is rows and explanation._init_data is background  # no copies
    assert explanation.eval_data == rows.tolist() and explanation.init_data == background.tolist()
    assert explanation.eval_y_predicted == model.predict(rows).tolist()
    np.testing.assert_allclose(explanation.eval_y_predicted_proba, model.predict_proba(rows))


def test_tree_keeps_no_init_data_and_regression_no_probabilities():
    model = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y_reg)
    explanation = TabularExplainer(model, X[:20]).explain_local(X[:4])
    assert explanation.init_data is None and hasattr(explanation, "init_data")
    assert explanation.eval_y_predicted == model.predict(X[:4]).tolist()
    assert explanation.eval_y_predicted_proba is None


def test_lime_and_pfi_keep_the_rows_only_as_interpret_community():
    model = LinearRegression().fit(X, y_reg)
    few, more = X[:2], X[:30]
    lime = LIMEExplainer(model, X[:20]).explain_local(few)
    pfi = PFIExplainer(model).explain_global(more, y_reg[:30])
    for explanation, rows in ((lime, few), (pfi, more)):
        assert explanation._eval_data is rows
        assert explanation.init_data is None and explanation.eval_y_predicted is None


def test_mimic_without_evaluation_rows_keeps_init_data_only():
    model = LinearRegression().fit(X, y_reg)
    explanation = MimicExplainer(model, X, LinearExplainableModel).explain_global()
    assert explanation._init_data is X
    assert explanation.eval_data is None and explanation.eval_y_predicted is None


def test_raw_rows_through_a_pipeline_predicted_block_by_block():
    frame = pd.DataFrame({"city": ["a", "b", "c"] * 20, "x": X[:, 0]})
    featurize = ColumnTransformer([("c", OneHotEncoder(), ["city"]), ("n", StandardScaler(), ["x"])])
    model = make_pipeline(featurize, LinearRegression()).fit(frame, y_reg)
    rows = frame[30:40]
    explanation = KernelExplainer(model, frame[:20]).explain_global(rows)
    assert explanation.is_raw and explanation._eval_data is rows
    np.testing.assert_allclose(explanation.eval_y_predicted, model.predict(frame[30:40]))
    assert explanation.engineered_explanation.datasets is explanation.datasets  # shared, not copied


def test_get_raw_explanation_carries_predictions_and_takes_raw_rows():
    model = LogisticRegression().fit(X, y_class)
    engineered = KernelExplainer(model, X[:20]).explain_global(X[40:50])
    raw_rows = np.ones((10, 2))
    raw = engineered.get_raw_explanation([np.eye(2, 3)], eval_data=raw_rows)
    assert raw.eval_data == raw_rows.tolist() and raw.init_data is None
    assert raw.eval_y_predicted == engineered.eval_y_predicted
    assert raw.eval_y_predicted_proba == engineered.eval_y_predicted_proba
    assert engineered.get_raw_explanation([np.eye(2, 3)]).eval_data is None
    # the explanation mapped from is the engineered side, even when a column maps to nothing
    assert engineered.is_engineered
    assert raw.classes == [0, 1]  # a tuple equal to the list of the labels


def test_raw_global_values_are_numpys_mean_of_the_local_list():
    """Exactly, as interpret-community's tests compare them with np.array_equal."""
    model = LogisticRegression().fit(X, y_class)
    raw = KernelExplainer(model, X[:20]).explain_global(X[40:50]).get_raw_explanation([np.eye(2, 3)])
    expected = np.mean(np.mean(np.absolute(raw.local_importance_values), axis=1), axis=0)
    assert np.array_equal(raw.global_importance_values, expected)


def test_files_store_the_data_unless_told_not_to(tmp_path):
    model = LinearRegression().fit(X, y_reg)
    explanation = KernelExplainer(model, X[:20]).explain_global(X[:5])
    loaded = load_explanation(save_explanation(explanation, tmp_path / "e.npz"))
    assert loaded.eval_data == explanation.eval_data and loaded.init_data == explanation.init_data
    np.testing.assert_array_equal(loaded.eval_y_predicted, explanation.eval_y_predicted)
    save_explanation(explanation, tmp_path / "values.npz", include_data=False)
    values_only = load_explanation(tmp_path / "values.npz")
    assert not hasattr(values_only, "eval_data")
    with pytest.raises(AttributeError, match="saved with include_data=False"):
        values_only.eval_y_predicted  # noqa: B018


def test_adapter_keeps_the_evaluation_rows():
    rows = np.zeros((2, 2))
    explanation = ExplanationAdapter(["a", "b"]).create_local(np.ones((2, 2)), evaluation_examples=rows)
    assert explanation._eval_data is rows and explanation.eval_y_predicted is None
    assert not hasattr(ExplanationAdapter(["a", "b"]).create_local(np.ones((2, 2))), "eval_data")


def test_predictions_of_gathers_blocks_without_a_second_copy():
    from explain.explainers._kept_data import predictions_of

    class Adapter:  # what predictions_of reads of a ModelAdapter
        is_function, task, model = False, "classification", LogisticRegression().fit(X, y_class)

        def predict(self, block):
            return np.array(["yes" * (len(block) % 2 + 1)] * len(block))  # widths differ

        def predict_output(self, block):
            return self.model.predict_proba(block)

    y_pred, y_proba = predictions_of(Adapter(), [X[:3], X[3:5]], 5)
    assert y_pred.tolist() == ["yesyes"] * 3 + ["yes"] * 2
    np.testing.assert_allclose(y_proba, Adapter.model.predict_proba(X[:5]))


def test_a_prediction_function_fills_the_probabilities_when_2d():
    model = LogisticRegression().fit(X, y_class)
    explanation = KernelExplainer(model.predict_proba, X[:20], is_function=True).explain_local(X[:3])
    assert explanation.eval_y_predicted is None
    np.testing.assert_allclose(explanation.eval_y_predicted_proba, model.predict_proba(X[:3]))

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import ExplanationValueError, TabularExplainer
from explain.dashboard._data import DashboardData
from explain.dashboard._whatif import BACKGROUND_ROWS, ICE_OTHER_ROWS, ICE_POINTS, WhatIf, unavailable_reason

N = 120


def frame(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "age": rng.normal(40, 10, N),
        "kids": rng.integers(0, 5, N),
        "member": rng.random(N) < 0.5,
        "city": rng.choice(["rome", "oslo", "paris", "lima"], N, p=[0.4, 0.3, 0.2, 0.1]),
    })
    score = 0.2 * (X["age"] - 40) + 0.8 * X["kids"] - 1.6 + 1.5 * X["member"] + 1.0 * (X["city"] == "rome")
    return X, np.where(score + rng.normal(0, 1, N) > 0, "yes", "no")


@pytest.fixture(scope="module")
def tree():
    """LightGBM on the numeric and boolean columns, its explanation and dashboard data."""
    X, y = frame()
    X = X.drop(columns="city")
    model = LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1, min_child_samples=5).fit(X, y)
    explanation = TabularExplainer(model, X.iloc[:50]).explain_global(X)
    return model, DashboardData(explanation, model, X, y)


@pytest.fixture(scope="module")
def pipeline():
    """Featurization + logistic regression over all four columns, strings included."""
    X, y = frame()
    featurize = ColumnTransformer([("num", StandardScaler(), ["age", "kids", "member"]),
                                   ("cat", OneHotEncoder(), ["city"])])
    model = make_pipeline(featurize, LogisticRegression()).fit(X, y)
    explanation = TabularExplainer(model, X.iloc[:50]).explain_global(X)
    return model, DashboardData(explanation, model, X, y)


# -- edited rows ------------------------------------------------------------------------------


def test_edits_are_converted_to_each_columns_type(pipeline):
    _, data = pipeline
    whatif = WhatIf(data)
    original = data.frame.iloc[[7]].copy()
    edited = whatif.edited_row(7, {"age": " 33.5 ", "kids": "3", "member": "TRUE", "city": "  lima "})
    assert edited.index.tolist() == [7] and list(edited.columns) == list(data.frame.columns)
    assert edited["age"].iloc[0] == 33.5 and edited["age"].dtype == np.float64
    assert edited["kids"].iloc[0] == 3 and edited["kids"].dtype == np.int64
    assert edited["member"].iloc[0] is np.True_ and edited["member"].dtype == bool
    assert edited["city"].iloc[0] == "lima"
    pd.testing.assert_frame_equal(data.frame.iloc[[7]], original)  # the dataset is untouched


@pytest.mark.parametrize(("column", "text", "expected"), [
    ("member", "false", False), ("member", "1", True), ("member", "0", False), ("member", True, True),
    ("kids", "2.0", 2), ("kids", 4, 4), ("kids", "2.5", 2.5), ("age", "1e2", 100.0), ("age", 7, 7.0),
    ("city", "new york", "new york"),
])
def test_single_edit_conversions(pipeline, column, text, expected):
    edited = WhatIf(pipeline[1]).edited_row(0, {column: text})
    value = edited[column].iloc[0]
    assert value == expected and type(value.item() if hasattr(value, "item") else value) is type(expected)


def test_blank_edits_become_missing_values(pipeline):
    edited = WhatIf(pipeline[1]).edited_row(0, {"age": "  ", "city": ""})
    assert np.isnan(edited["age"].iloc[0]) and edited["city"].iloc[0] is None


def test_no_edits_give_the_original_row(pipeline):
    _, data = pipeline
    pd.testing.assert_frame_equal(WhatIf(data).edited_row(11, {}), data.frame.iloc[[11]])


@pytest.mark.parametrize(("edits", "message"), [
    ({"age": "old"}, r"what-if: column 'age' is numeric; 'old' is not a number"),
    ({"kids": "two"}, r"what-if: column 'kids' is numeric; 'two' is not a number"),
    ({"age": "30", "kids": [1]}, r"column 'kids' is numeric; \[1\] is not a number"),
    ({"member": "maybe"}, r"what-if: column 'member' takes true or false, got 'maybe'"),
    ({"height": "180"}, r"what-if: unknown column 'height'"),
])
def test_bad_edits_name_the_column(pipeline, edits, message):
    with pytest.raises(ExplanationValueError, match=message):
        WhatIf(pipeline[1]).edited_row(0, edits)


# -- predictions and explanations -------------------------------------------------------------


def test_predict_returns_class_probabilities_for_classifiers(pipeline):
    model, data = pipeline
    whatif = WhatIf(data)
    edited = whatif.edited_row(3, {"age": "70", "city": "rome"})
    predicted = whatif.predict(edited)
    assert predicted.shape == (1, 2)
    np.testing.assert_allclose(predicted, model.predict_proba(edited))
    assert predicted.sum() == pytest.approx(1.0)
    assert not np.allclose(predicted, model.predict_proba(data.frame.iloc[[3]]))
    np.testing.assert_allclose(whatif.predict(data.frame.iloc[:5]), data.proba[:5])


def test_predict_returns_one_column_for_regressors():
    X, _ = frame()
    X = X[["age", "kids"]]
    y = 2 * X["age"] - X["kids"]
    model = LinearRegression().fit(X, y)
    data = DashboardData(TabularExplainer(model, X.iloc[:40]).explain_global(X), model, X, y)
    whatif = WhatIf(data)
    edited = whatif.edited_row(0, {"age": "10", "kids": "1"})
    np.testing.assert_allclose(whatif.predict(edited), [[19.0]], atol=1e-8)
    assert whatif.predict(X.iloc[:4]).shape == (4, 1)


def test_explanation_of_an_edited_row_adds_up_to_the_tree_models_log_odds(tree):
    model, data = tree
    whatif = WhatIf(data)
    edited = whatif.edited_row(5, {"age": "55", "kids": "0", "member": "false"})
    explained = whatif.explain(edited)
    assert explained.method == "shap.tree" and explained.output_space == "log_odds"
    assert explained.local_values.shape == (2, 1, 3)
    raw_score = model.predict(edited, raw_score=True)[0]
    total = explained.local_values[1, 0].sum() + explained.expected_values_[1]
    assert total == pytest.approx(raw_score, abs=1e-6)
    # the default explainer is a TabularExplainer over a seeded sample of the dataset
    background = data.frame.iloc[data.sample(np.ones(N, bool), BACKGROUND_ROWS)]
    direct = TabularExplainer(model, background, classes=["no", "yes"],
                              model_task="classification").explain_local(edited)
    np.testing.assert_allclose(explained.local_values, direct.local_values, atol=1e-10)
    np.testing.assert_allclose(explained.expected_values_, direct.expected_values_, atol=1e-10)
    assert whatif.explainer() is whatif.explainer()  # built once


def test_a_given_explainer_is_used(tree):
    _, data = tree

    class Recording:
        def __init__(self):
            self.rows = []

        def explain_local(self, rows):
            self.rows.append(rows)
            return "explained"

    explainer = Recording()
    edited = WhatIf(data, explainer).edited_row(1, {"kids": "4"})
    assert WhatIf(data, explainer).explain(edited) == "explained"
    pd.testing.assert_frame_equal(explainer.rows[0], edited)


# -- ICE ---------------------------------------------------------------------------------------


def by_hand(model, data, feature, rows, grid, output):
    """Predicted probability of ``output`` for copies of ``rows`` with ``feature`` set to each grid value."""
    curves = []
    for row in rows:
        copies = pd.concat([data.frame.iloc[[row]]] * len(grid), ignore_index=True)
        copies[feature] = pd.Series(list(grid), dtype=data.frame[feature].dtype)
        curves.append(model.predict_proba(copies)[:, output])
    return np.array(curves)


def test_ice_sweeps_a_float_column_from_its_minimum_to_its_maximum(pipeline):
    model, data = pipeline
    others = np.arange(0, 60, 2)
    grid, selected, curves, categorical = WhatIf(data).ice("age", 4, others, output=1)
    assert not categorical and len(grid) == ICE_POINTS
    ages = data.frame["age"]
    np.testing.assert_allclose(grid, np.linspace(ages.min(), ages.max(), ICE_POINTS))
    np.testing.assert_allclose(selected, by_hand(model, data, "age", [4], grid, 1)[0])
    expected_others = [r for r in others if r != 4][:ICE_OTHER_ROWS]
    assert curves.shape == (ICE_OTHER_ROWS, ICE_POINTS)
    np.testing.assert_allclose(curves, by_hand(model, data, "age", expected_others, grid, 1))
    assert np.all(np.diff(selected) > 0)  # age raises the probability of "yes" in this model


def test_ice_of_an_integer_column_uses_its_integers(pipeline, tree):
    model, data = pipeline
    grid, selected, curves, categorical = WhatIf(data).ice("kids", 9, np.array([9]), output=0)
    assert not categorical and grid.tolist() == [0, 1, 2, 3, 4]
    assert curves is None  # the selected row is not repeated among the others
    np.testing.assert_allclose(selected, by_hand(model, data, "kids", [9], grid, 0)[0])
    wide = data.frame.assign(kids=np.arange(N) * 7)  # 0 .. 833: 30 distinct integers
    grid, *_ = WhatIf(DashboardData(data.explanation, model, wide)).ice("kids", 0, np.array([]), output=1)
    assert grid.tolist() == np.round(np.linspace(0, 833, ICE_POINTS)).astype(int).tolist()
    tree_model, tree_data = tree
    grid, selected, _, _ = WhatIf(tree_data).ice("kids", 2, np.array([]), output=1)
    np.testing.assert_allclose(selected, by_hand(tree_model, tree_data, "kids", [2], grid, 1)[0])


def test_ice_of_a_string_column_uses_its_most_frequent_categories(pipeline):
    model, data = pipeline
    grid, selected, curves, categorical = WhatIf(data).ice("city", 0, np.array([1, 2, 3]), output=1)
    assert categorical
    assert grid.tolist() == data.frame["city"].value_counts().index.tolist()
    assert grid.tolist()[0] == "rome" and sorted(grid.tolist()) == ["lima", "oslo", "paris", "rome"]
    np.testing.assert_allclose(selected, by_hand(model, data, "city", [0], grid, 1)[0])
    np.testing.assert_allclose(curves, by_hand(model, data, "city", [1, 2, 3], grid, 1))


def test_ice_categories_are_capped():
    X = pd.DataFrame({"x": np.arange(100.0), "code": [f"c{i % 40:02d}" for i in range(100)]})
    model = make_pipeline(ColumnTransformer([("cat", OneHotEncoder(), ["code"])], remainder="passthrough"),
                          LinearRegression()).fit(X, X["x"])
    explanation = TabularExplainer(model, X.iloc[:30]).explain_global(X.iloc[:50])
    data = DashboardData(explanation, model, X.iloc[:50])
    grid, selected, _, categorical = WhatIf(data).ice("code", 0, np.array([]), output=0)
    assert categorical and len(grid) == ICE_POINTS == len(selected)


def test_ice_errors_name_the_feature(pipeline, tree):
    _, data = pipeline
    with pytest.raises(ExplanationValueError, match="ICE: unknown feature 'height'"):
        WhatIf(data).ice("height", 0, np.array([1]), output=1)
    _, data = tree  # LightGBM takes missing values
    empty = DashboardData(data.explanation, data.model, data.frame.assign(age=np.nan))
    with pytest.raises(ExplanationValueError, match="ICE: column 'age' has no finite values"):
        WhatIf(empty).ice("age", 0, np.array([1]), output=1)


def test_ice_of_a_boolean_column_keeps_its_dtype(tree):
    model, data = tree
    grid, selected, _, categorical = WhatIf(data).ice("member", 0, np.array([1, 2]), output=1)
    assert categorical and sorted(grid.tolist()) == [False, True]
    np.testing.assert_allclose(selected, by_hand(model, data, "member", [0], grid, 1)[0])


# -- availability ------------------------------------------------------------------------------


def test_unavailable_reason_without_model_or_dataset(pipeline):
    model, data = pipeline
    assert unavailable_reason(data) is None
    no_model = DashboardData(data.explanation, None, data.frame)
    assert unavailable_reason(no_model).startswith("What-if and ICE need the model")
    assert "Pass model= (and dataset=)" in unavailable_reason(no_model)
    no_rows = DashboardData(data.explanation, model, None)
    assert unavailable_reason(no_rows) == ("What-if and ICE need the explained rows: pass dataset= to "
                                           "ExplanationDashboard.")

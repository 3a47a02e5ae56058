import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import Explanation, TabularExplainer


def test_to_html_writes_one_offline_page_with_raw_and_engineered_sections(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.normal(40, 10, 200), "city": rng.choice(["<b>x</b>", "y"], 200)})
    y = np.where(X["age"] > 40, "old", "young")
    featurize = ColumnTransformer([("num", StandardScaler(), ["age"]), ("cat", OneHotEncoder(), ["city"])])
    model = make_pipeline(featurize, LogisticRegression()).fit(X, y)
    explanation = TabularExplainer(model, X).explain_global(X.iloc[:50])
    path = explanation.to_html(tmp_path / "e.html", feature_values=X.iloc[:50].to_numpy())
    page = path.read_text()
    assert page.count("<script type=\"text/javascript\">/**") <= 1  # plotly.js embedded once
    assert '<script src="http' not in page
    assert "Explanation in raw features" in page and "Explanation in engineered features" in page
    assert "cat__city_&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page.split("<script")[0]
    assert [p.name for p in tmp_path.iterdir()] == ["e.html"]


def test_global_only_regression_explanation_exports(tmp_path):
    explanation = Explanation(method="permutation_importance", model_task="regression",
                              features=["a", "b"], global_values=np.array([0.2, 0.5]),
                              output_space="metric")
    page = explanation.to_html(tmp_path / "g.html").read_text()
    assert "permutation importance" in page and "Importance per class" not in page

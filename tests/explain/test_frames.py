"""Frames at the explainers' boundary: polars and pyarrow frames aligned by name like pandas ones;
colliding names, text in numeric columns and infinity refused naming the column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from lightgbm import LGBMClassifier
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explain import (
    ExplanationTypeError,
    ExplanationValueError,
    KernelExplainer,
    LinearExplainer,
    TabularExplainer,
    TreeExplainer,
)
from explain._frames import check_column_names, to_pandas
from explain._validation import to_tabular

COLUMNS = ["age", "income", "score", "height"]


@pytest.fixture(scope="module")
def table() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 4)), columns=COLUMNS)
    y = 3 * X["age"] - 2 * X["income"] + 0.5 * X["score"] + rng.normal(scale=0.1, size=120)
    return X, y.to_numpy()


def _flavours(frame: pd.DataFrame) -> dict[str, object]:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return {"polars": pl.from_pandas(frame), "pyarrow Table": table,
            "pyarrow RecordBatch": table.to_batches()[0]}


@pytest.mark.parametrize("flavour", ["polars", "pyarrow Table", "pyarrow RecordBatch"])
def test_reordered_frames_of_other_libraries_are_aligned_by_name(table, flavour):
    """They used to be read by position: wrong values, no error."""
    X, y = table
    model = LinearRegression().fit(X, y)
    reordered = X[COLUMNS[::-1]]
    expected = LinearExplainer(model, X.iloc[:60]).explain_local(X.iloc[:20]).local_values
    given = _flavours(reordered)[flavour]
    explainer = LinearExplainer(model, _flavours(reordered.iloc[:60])[flavour])
    assert explainer.features_ == tuple(COLUMNS)
    explained = explainer.explain_local(_flavours(reordered.iloc[:20])[flavour])
    np.testing.assert_allclose(explained.local_values, expected, atol=1e-12)
    assert explained.features == tuple(COLUMNS)
    global_values = TabularExplainer(model, X).explain_global(given).global_values
    np.testing.assert_allclose(global_values, TabularExplainer(model, X).explain_global(X).global_values)


def test_a_tree_model_fitted_on_arrays_takes_named_frames_in_the_set_up_order(table):
    X, y = table
    model = LGBMClassifier(n_estimators=10, n_jobs=1, verbose=-1).fit(X, y > 0)
    explainer = TreeExplainer(model, pl.from_pandas(X))
    reference = explainer.explain_local(X.iloc[:10]).local_values
    explained = explainer.explain_local(pl.from_pandas(X[COLUMNS[::-1]].iloc[:10]))
    np.testing.assert_allclose(explained.local_values, reference, atol=1e-12)


@pytest.mark.parametrize("flavour", ["pandas", "polars"])
def test_a_booster_set_up_from_reordered_named_rows_reads_them_in_its_own_order(table, flavour):
    """LightGBM reads columns by position: set up from reordered named rows, the explainer
    used to feed them in that order (wrong values, no error)."""
    X, y = table
    X = X.rename(columns={"income": "in come"})  # LightGBM stores it as "in_come"
    model = LGBMClassifier(n_estimators=10, n_jobs=1, verbose=-1).fit(X, y > 0)
    reference = TreeExplainer(model, X).explain_local(X.iloc[:10])
    reordered = X[list(X.columns[::-1])]
    explainer = TreeExplainer(model, reordered if flavour == "pandas" else pl.from_pandas(reordered))
    assert explainer.features_ == ("age", "in come", "score", "height")
    np.testing.assert_allclose(explainer.explain_local(X.iloc[:10]).local_values, reference.local_values,
                               atol=1e-12)
    with pytest.raises(ExplanationValueError, match=r"TreeExplainer: initialization_examples columns do not "
                                                    r"match the features the model was fitted on; "
                                                    r"missing: 'age'; unknown: 'years'"):
        TreeExplainer(model, X.rename(columns={"age": "years"}))


def test_missing_and_unknown_columns_are_named(table):
    X, y = table
    explainer = LinearExplainer(LinearRegression().fit(X, y), X)
    frame = pl.from_pandas(X.rename(columns={"age": "years"}))
    with pytest.raises(ExplanationValueError, match=r"missing: 'age'; unknown: 'years'"):
        explainer.explain_local(frame)


def test_numpy_input_keeps_positional_semantics(table):
    X, y = table
    explainer = LinearExplainer(LinearRegression().fit(X, y), X)
    np.testing.assert_allclose(explainer.explain_local(X.to_numpy()[:5]).local_values,
                               explainer.explain_local(X.iloc[:5]).local_values)
    with pytest.raises(ExplanationValueError, match="has 3 columns but the explainer was set up with 4"):
        explainer.explain_local(X.to_numpy()[:5, :3])


def test_raw_inputs_with_transformations_are_aligned_by_name():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"age": rng.normal(40, 10, 150), "city": rng.choice(["oslo", "rome"], 150),
                      "income": rng.normal(50, 5, 150)})
    y = (X["age"] + 10 * (X["city"] == "rome") > 45).to_numpy()
    featurize = ColumnTransformer([("num", StandardScaler(), ["age", "income"]),
                                   ("cat", OneHotEncoder(), ["city"])])
    pipeline = make_pipeline(featurize, LGBMClassifier(n_estimators=10, n_jobs=1, verbose=-1)).fit(X, y)
    explainer = TabularExplainer(pipeline, pl.from_pandas(X[["income", "city", "age"]]))
    reference = TabularExplainer(pipeline, X).explain_local(X.iloc[:10])
    explained = explainer.explain_local(pa.Table.from_pandas(X[["city", "age", "income"]].iloc[:10]))
    # raw features are named in the order of the set-up rows, as with pandas
    assert explained.features == ("income", "city", "age")
    order = [reference.features.index(name) for name in explained.features]
    np.testing.assert_allclose(explained.local_values, reference.local_values[:, :, order], atol=1e-12)


def test_dtypes_survive_the_conversion():
    frame = pl.DataFrame({"n": [1, None, 3], "b": [True, None, False], "f": [1.5, None, 2.0],
                          "c": pl.Series(["x", "y", "x"], dtype=pl.Categorical),
                          "d": pl.Series([0, 86_400_000_000, 0]).cast(pl.Datetime("us"))})
    for given in (frame, frame.to_arrow(), frame.to_arrow().to_batches()[0]):
        converted = to_pandas(given, argument="X", caller="T")
        assert str(converted["n"].dtype) == "Int64" and converted["n"].isna().tolist() == [False, True, False]
        assert str(converted["b"].dtype) == "boolean" and converted["b"].isna().sum() == 1
        assert converted["f"].dtype == np.float64
        assert isinstance(converted["c"].dtype, pd.CategoricalDtype)
        assert converted["d"].dtype.kind == "M"
    with pytest.raises(ExplanationTypeError, match=r"polars LazyFrame; call \.collect"):
        to_pandas(frame.lazy(), argument="X", caller="T")
    values = to_tabular(frame.select("n", "b", "f"), argument="X", caller="T").values
    np.testing.assert_array_equal(values, [[1, 1, 1.5], [np.nan, np.nan, np.nan], [3, 0, 2.0]])


@pytest.mark.parametrize("columns", [[1, "1"], ["a", "a"], [0, "b", "0"]])
def test_names_that_collide_as_text_are_refused(columns):
    frame = pd.DataFrame(np.zeros((2, len(columns))), columns=columns)
    with pytest.raises(ExplanationValueError, match=r"columns whose names repeat once written as text: "):
        to_tabular(frame, argument="evaluation_examples", caller="T")
    with pytest.raises(ExplanationValueError, match=r"'1' from 1, '1'"):
        check_column_names([1, "1", "x"], argument="X", caller="T")


def test_colliding_names_are_refused_by_an_explainer(table):
    X, y = table
    explainer = LinearExplainer(LinearRegression().fit(X.to_numpy(), y), X.to_numpy())
    frame = pd.DataFrame(X.to_numpy()[:3], columns=[1, "1", 2, 3])
    with pytest.raises(ExplanationValueError, match=r"LinearExplainer.explain_local: evaluation_examples has "
                                                    r"columns whose names repeat once written as text: '1'"):
        explainer.explain_local(frame)
    arrow = pa.Table.from_arrays([pa.array([1.0])] * 2, names=["a", "a"])
    with pytest.raises(ExplanationValueError, match=r"'a' from 'a', 'a'"):
        explainer.explain_local(arrow)


def test_text_columns_of_numbers_are_numbers_and_other_text_is_refused(table):
    X, y = table
    explainer = LinearExplainer(LinearRegression().fit(X, y), X)
    as_text = X.iloc[:5].astype({"income": str})
    np.testing.assert_allclose(explainer.explain_local(as_text).local_values,
                               explainer.explain_local(X.iloc[:5]).local_values, atol=1e-12)
    bad = X.iloc[:5].astype({"income": str})
    bad.loc[2, "income"] = "n/a"
    with pytest.raises(ExplanationTypeError, match=r"non-numeric columns 'income' \(e.g. 'n/a'\)"):
        explainer.explain_local(bad)
    dates = X.iloc[:5].assign(income=pd.Timestamp("2020-01-01"))
    with pytest.raises(ExplanationTypeError, match=r"non-numeric columns 'income' \(e.g. Timestamp"):
        explainer.explain_local(dates)


def test_infinity_is_refused_naming_the_column(table):
    X, y = table
    explainer = LinearExplainer(LinearRegression().fit(X, y), X)
    with pytest.raises(ExplanationValueError, match=r"contains infinite values in 'score'"):
        explainer.explain_local(pl.from_pandas(X.iloc[:5].assign(score=np.inf)))
    with pytest.raises(ExplanationValueError, match=r"contains infinite values in 'income'"):
        explainer.explain_local(X.iloc[:5].astype({"income": str}).assign(income="inf"))
    with pytest.raises(ExplanationValueError, match=r"initialization_examples contains infinite values in"):
        KernelExplainer(LinearRegression().fit(X, y), X.assign(age=-np.inf))

"""``Explanation.to_dataframe(backend=...)``: the same values as a pandas, polars or pyarrow table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explain import Explanation, ExplanationValueError
from tests.explain.test_explanation import make_classification_explanation

polars = pytest.importorskip("polars")
pyarrow = pytest.importorskip("pyarrow")


def _regression() -> Explanation:
    local = np.array([[[1.0, -2.0], [0.5, 3.0], [0.0, -1.0]]])
    return Explanation.from_local(local, np.array([4.0]), method="demo", model_task="regression",
                                  features=["x", "y"])


def _as_pandas(table: object) -> pd.DataFrame:
    return table.to_pandas()  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("backend", ["polars", "pyarrow"])
def test_global_table_has_the_feature_column_first(backend: str) -> None:
    e = make_classification_explanation()
    table = e.to_dataframe(backend=backend)
    assert type(table).__module__.split(".")[0] == backend
    expected = e.to_dataframe().reset_index()
    assert list(table.columns if backend == "polars" else table.column_names) == [
        "feature", "importance", "importance[no]", "importance[yes]"]
    pd.testing.assert_frame_equal(_as_pandas(table), expected, check_dtype=False)


@pytest.mark.parametrize("backend", ["polars", "pyarrow"])
def test_local_tables_have_row_and_class_columns(backend: str) -> None:
    e = make_classification_explanation()
    local = _as_pandas(e.to_dataframe("local", backend=backend))
    assert list(local.columns) == ["class", "row", "a", "b", "c"]
    assert local.loc[(local["class"] == "yes") & (local["row"] == 1), "c"].item() == 1.0
    np.testing.assert_array_equal(local[["a", "b", "c"]].to_numpy(), e.local_values.reshape(-1, 3))
    regression = _as_pandas(_regression().to_dataframe("local", backend=backend))
    assert list(regression.columns) == ["row", "x", "y"] and list(regression["row"]) == [0, 1, 2]
    np.testing.assert_array_equal(regression[["x", "y"]].to_numpy(), _regression().local_values[0])


def test_pandas_stays_the_default() -> None:
    e = make_classification_explanation()
    pd.testing.assert_frame_equal(e.to_dataframe(backend="pandas"), e.to_dataframe())
    assert isinstance(e.to_dataframe("local").index, pd.MultiIndex)


def test_an_unknown_backend_is_refused_naming_it() -> None:
    with pytest.raises(ExplanationValueError, match="to_dataframe: backend must be one of 'pandas', "
                                                    "'polars', 'pyarrow', got 'spark'"):
        make_classification_explanation().to_dataframe(backend="spark")
    with pytest.raises(ExplanationValueError, match="scope must be 'global' or 'local'"):
        make_classification_explanation().to_dataframe("rows", backend="polars")

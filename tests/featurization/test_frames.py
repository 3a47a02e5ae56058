"""polars and pyarrow tables in featurization: dtypes kept through ``foreign_to_pandas``, columns by name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from featurization import AutoFeaturizer, FeaturizationTypeError
from featurization._frames import foreign_to_pandas, is_foreign_frame
from tests._backends import to_backend

polars = pytest.importorskip("polars")
pytest.importorskip("pyarrow")


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame({
        "amount": rng.normal(size=n),
        "count": pd.array([None if i % 7 == 0 else i for i in range(n)], dtype="Int64"),
        "flag": pd.array([None if i % 5 == 0 else bool(i % 2) for i in range(n)], dtype="boolean"),
        "city": pd.Categorical(rng.choice(["oslo", "rome", "lima"], n)),
        "when": pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC"),
        "note": rng.choice(["a", "b", None], n),
    })


@pytest.mark.parametrize("backend", ["polars", "pyarrow"])
def test_nullable_integers_and_booleans_categories_and_time_zones_survive(backend: str) -> None:
    X = _table()
    table = to_backend(X, backend)
    assert is_foreign_frame(table)
    back = foreign_to_pandas(table)
    assert str(back["count"].dtype) == "Int64" and str(back["flag"].dtype) == "boolean"
    assert isinstance(back["city"].dtype, pd.CategoricalDtype) and str(back["when"].dt.tz) == "UTC"
    pd.testing.assert_frame_equal(back, X, check_categorical=False, check_dtype=False)
    assert back["count"].isna().sum() == X["count"].isna().sum() == 9


@pytest.mark.parametrize("backend", ["polars", "pyarrow"])
def test_auto_featurizer_fits_and_transforms_foreign_tables_by_name(backend: str) -> None:
    X = _table().drop(columns=["when"])
    on_pandas = AutoFeaturizer().fit(X)
    on_backend = AutoFeaturizer().fit(to_backend(X, backend))
    assert list(on_backend.get_feature_names_out()) == list(on_pandas.get_feature_names_out())
    reordered = to_backend(X[list(reversed(X.columns))], backend)
    np.testing.assert_array_equal(on_pandas.transform(reordered), on_pandas.transform(X))
    np.testing.assert_array_equal(on_backend.transform(X), on_pandas.transform(X))


def test_a_lazy_frame_must_be_collected() -> None:
    with pytest.raises(FeaturizationTypeError, match=r"AutoFeaturizer.fit: X is a polars LazyFrame; call "
                                                     r"\.collect\(\)"):
        AutoFeaturizer().fit(polars.from_pandas(_table()).lazy())

"""pandas frames as polars DataFrames or pyarrow Tables, for the tests that run on all three."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

BACKENDS = ("pandas", "polars", "pyarrow")


def to_backend(frame: pd.DataFrame, backend: str) -> Any:
    """``frame`` as a ``backend`` table (columns and their order kept; the index dropped).

    The pyarrow table carries no pandas metadata (as one read from Parquet written by another
    tool, or received over Arrow Flight): its ``to_pandas()`` cannot restore pandas' dtypes
    from it. Skips the test when the library is not installed.
    """
    if backend == "pandas":
        return frame
    if backend == "polars":
        polars = pytest.importorskip("polars")
        return polars.from_pandas(frame.reset_index(drop=True))
    if backend == "pyarrow":
        pyarrow = pytest.importorskip("pyarrow")
        return pyarrow.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")

"""Property-based: any table given to ``AutoMLConfig`` is either accepted and featurized, or refused
with one of the documented errors (``ConfigError``, ``ConfigTypeError``, ``DataError``)."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from automl import AutoMLConfig, ConfigError, ConfigTypeError, DataError
from automl._fingerprint import data_fingerprint
from automl._folds import prepare

OUTCOMES: Counter[str] = Counter()

NAMES = st.one_of(st.text(min_size=0, max_size=6), st.integers(-3, 3), st.sampled_from(["a", "1", 1, "b"]))
FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)
CELLS = {
    "float": FLOATS,
    "int": st.integers(-(2**40), 2**40),
    "text": st.text(max_size=5),
    "bool": st.booleans(),
    "mixed": st.one_of(FLOATS, st.text(max_size=3), st.none(), st.integers(-5, 5)),
    "date": st.datetimes().map(pd.Timestamp),
}


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, list[Any]]:
    n_rows = draw(st.integers(0, 10))
    kinds = draw(st.lists(st.sampled_from(sorted(CELLS)), min_size=0, max_size=4))
    names = draw(st.lists(NAMES, min_size=len(kinds), max_size=len(kinds)))
    columns = {}
    for position, (kind, name) in enumerate(zip(kinds, names, strict=True)):
        values = draw(st.lists(CELLS[kind], min_size=n_rows, max_size=n_rows))
        key = name if name not in columns else f"{name}_{position}"
        columns[key] = pd.Series(values, dtype=object if kind == "mixed" else None)
    frame = pd.DataFrame(columns) if columns else pd.DataFrame(index=range(n_rows))
    label = draw(st.one_of(
        st.lists(st.sampled_from(["yes", "no"]), min_size=n_rows, max_size=n_rows),
        st.lists(st.sampled_from([0, 1, "1", None]), min_size=n_rows, max_size=n_rows),
        st.lists(st.integers(0, 2), min_size=n_rows, max_size=n_rows),
    ))
    return frame, label


def _try(task: str, frame: pd.DataFrame, label: list[Any], **kwargs: Any) -> AutoMLConfig | None:
    try:
        config = AutoMLConfig(task, X=frame, y=np.asarray(label, dtype=object), n_cross_validations=2,
                              **kwargs)
    except (ConfigError, ConfigTypeError, DataError) as exc:
        assert str(exc).startswith("AutoMLConfig: "), exc
        OUTCOMES[f"refused: {type(exc).__name__}"] += 1
        return None
    return config


EXAMPLES = int(os.environ.get("AUTOML_PROPERTY_EXAMPLES", "60"))  # more for a thorough offline run


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(), task=st.sampled_from(["classification", "regression"]))
def test_any_table_is_accepted_and_featurized_or_refused_with_a_documented_error(
        table: tuple[pd.DataFrame, list[Any]], task: str) -> None:
    frame, label = table
    note(f"frame: {frame.to_dict('list')!r}, dtypes {frame.dtypes.to_dict()}, label {label!r}")
    config = _try(task, frame, label)
    if config is None:
        return
    X = config.data.X
    assert len(set(X.columns)) == X.shape[1] and X.shape[0] >= 1
    numeric = X.select_dtypes("number").to_numpy(dtype=np.float64, na_value=np.nan)
    assert not np.isinf(numeric).any()
    fingerprint = data_fingerprint(X, config.data.y)
    assert fingerprint == data_fingerprint(X.copy(), config.data.y.copy())
    try:
        data = prepare(config)
    except DataError as exc:  # e.g. the featurizer found nothing to learn from
        assert str(exc).startswith("AutoML: the training data cannot be featurized: "), exc
        OUTCOMES[f"refused at featurization: {type(exc).__name__}"] += 1
        return
    for fold in data.folds:
        assert fold.X_train.shape[0] + fold.X_valid.shape[0] == X.shape[0]
    OUTCOMES["accepted"] += 1


@pytest.fixture(scope="module", autouse=True)
def report_outcomes() -> Any:
    yield
    print(f"\nAutoMLConfig boundary: {dict(OUTCOMES)}")

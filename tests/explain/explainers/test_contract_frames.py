"""The explainer contract on polars DataFrames and pyarrow Tables.

Every test of :mod:`tests.explain.explainers.test_contract` (the pandas run) runs again here,
per case and per backend: the explainer is set up on the initialization rows as a polars
DataFrame or a pyarrow Table, and every frame a test passes to ``explain_local`` /
``explain_global`` reaches it as that backend's table (:class:`_OnBackend`), reordered
columns included. The explanations must equal the pandas run's.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests._backends import to_backend
from tests.explain.explainers.test_contract import (  # noqa: F401 (the contract's tests run here too)
    CASES,
    Fitted,
    _fit,
    _fitted,
    _function_explainer,
    test_explain_global_keeps_the_same_local_values,
    test_global_is_mean_over_classes_of_mean_absolute_local,
    test_global_only_in_batches_matches_the_full_explanation,
    test_local_values_add_up_to_model_output,
    test_reordered_dataframe_columns_are_aligned_by_name,
    test_result_is_an_explanation_of_the_method_and_task,
    test_save_load_round_trip_is_exact,
    test_shapes_and_feature_names,
)

FOREIGN = ("polars", "pyarrow")


class _OnBackend:
    """An explainer whose ``explain_local`` / ``explain_global`` get pandas frames as ``backend`` tables."""

    def __init__(self, explainer: Any, backend: str) -> None:
        self.explainer, self.backend = explainer, backend

    def _rows(self, rows: Any) -> Any:
        return to_backend(rows, self.backend) if isinstance(rows, pd.DataFrame) else rows

    def explain_local(self, rows: Any, **kwargs: Any) -> Any:
        return self.explainer.explain_local(self._rows(rows), **kwargs)

    def explain_global(self, rows: Any, **kwargs: Any) -> Any:
        return self.explainer.explain_global(self._rows(rows), **kwargs)


@functools.cache
def _fitted_on(name: str, backend: str) -> Fitted:
    case = next(c for c in CASES if c.name == name)
    model, X = _fit(case)
    explainer = _OnBackend(case.make(model, to_backend(X.iloc[:12], backend)), backend)
    rows = X.iloc[100:112]
    return Fitted(case, model, X, rows, explainer, explainer.explain_local(rows))


@pytest.fixture(params=[(case.name, backend) for case in CASES for backend in FOREIGN],
                ids=lambda p: f"{p[0]}-{p[1]}")
def fitted(request: pytest.FixtureRequest) -> Fitted:
    return _fitted_on(*request.param)


def test_same_values_as_on_pandas(fitted: Fitted) -> None:
    on_pandas = _fitted(fitted.case.name).explanation
    explanation = fitted.explanation
    assert explanation.features == on_pandas.features and explanation.classes == on_pandas.classes
    np.testing.assert_allclose(explanation.local_values, on_pandas.local_values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(explanation.expected_values_, on_pandas.expected_values_, rtol=0, atol=1e-12)

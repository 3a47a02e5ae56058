"""AutoML on pandas, polars and pyarrow tables: the same data, dtypes, scores, models and explanations.

The table has what a conversion can get wrong: a categorical, text with missing values, a
datetime with a time zone, integers and booleans with missing values (pandas' nullable
``Int64`` / ``boolean``; polars and Arrow hold them natively). The pyarrow table carries no
pandas metadata. The best model, its scoring explainer and ``explain_model`` then take
polars and pyarrow rows with their columns in another order, matched by name.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl import AutoML, AutoMLConfig, AutoMLRun
from automl._compat import explain_model
from explain.scoring import ScoringExplainer
from tests._backends import BACKENDS, to_backend
from tests._synthetic import make_mixed_table

pytest.importorskip("polars")
pytest.importorskip("pyarrow")


@functools.cache
def _table() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_mixed_table("binary", n_rows=160)
    X = X.drop(columns=["comment"])
    rng = np.random.default_rng(1)
    X["region"] = X["region"].astype("category")
    X["signup"] = X["signup"].dt.tz_localize("Europe/Paris")
    X["visits"] = pd.array([None if v < 0.1 else int(v * 10) for v in rng.random(160)], dtype="Int64")
    X["member"] = pd.array([None if v < 0.1 else bool(v > 0.5) for v in rng.random(160)], dtype="boolean")
    return X, y


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, AutoMLRun]:
    """One small search per input kind, on the same rows."""
    folder: Path = tmp_path_factory.mktemp("frames")
    X, y = _table()
    found = {}
    for backend in BACKENDS:
        config = AutoMLConfig("classification", X=to_backend(X, backend), y=y, iterations=2,
                              storage=f"sqlite:///{folder}/{backend}.db", experiment_name=backend,
                              allowed_models=["LogisticRegression", "LightGBM"], n_cross_validations=3,
                              ensemble=False, model_explainability=True, explain_runs=False,
                              random_state=0, verbosity=logging.WARNING)
        found[backend] = AutoML(config).fit()
    return found


def test_the_stored_training_data_is_the_same(runs: dict[str, AutoMLRun]) -> None:
    X, y = _table()
    for backend, run in runs.items():
        stored, labels = run.training_data()
        assert dict(stored.dtypes.astype(str)) == dict(X.dtypes.astype(str)), backend
        # polars numbers categories in order of appearance: the same categories, in another order
        assert set(stored["region"].cat.categories) == set(X["region"].cat.categories)
        pd.testing.assert_frame_equal(stored.reset_index(drop=True), X, check_index_type=False,
                                      check_categorical=False, obj=backend)
        np.testing.assert_array_equal(labels, y)


def test_the_search_gives_the_same_results(runs: dict[str, AutoMLRun]) -> None:
    boards = {backend: run.leaderboard() for backend, run in runs.items()}
    metric = runs["pandas"].primary_metric
    for backend in ("polars", "pyarrow"):
        assert list(boards[backend]["estimator"]) == list(boards["pandas"]["estimator"])
        np.testing.assert_array_equal(boards[backend][metric], boards["pandas"][metric])
        np.testing.assert_array_equal(runs[backend].best_child().get_model().predict_proba(_table()[0]),
                                      runs["pandas"].best_child().get_model().predict_proba(_table()[0]))


@pytest.mark.parametrize("backend", ["polars", "pyarrow"])
def test_the_model_and_its_explainers_take_reordered_columns_by_name(runs: dict[str, AutoMLRun],
                                                                     backend: str) -> None:
    X = _table()[0]
    rows, best = X.iloc[:12], runs["pandas"].best_child()
    reordered = to_backend(rows[list(reversed(X.columns))], backend)
    model = best.get_model()
    np.testing.assert_array_equal(model.predict_proba(reordered), model.predict_proba(rows))
    scoring = ScoringExplainer.from_run(best)
    np.testing.assert_array_equal(scoring.explain(reordered), scoring.explain(rows))
    on_pandas = explain_model(model, X.iloc[40:], rows, raw=True)
    on_backend = explain_model(model, to_backend(X.iloc[40:], backend), reordered, raw=True)
    assert on_backend[3] == on_pandas[3]  # raw feature names, ranked
    np.testing.assert_allclose(on_backend[2], on_pandas[2], rtol=0, atol=1e-12)

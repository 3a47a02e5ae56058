"""Tests of building a scoring explainer's TreeSHAP tables before the first request: in the
background after ``load`` (a service answers at once), for every explainer that has tables, and
a failed background build reported again by the request that needs the tables."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from explain import ExplanationTypeError, LinearExplainer, MimicExplainer, TabularExplainer, TreeExplainer
from explain.explainers._blend import BlendExplainer
from explain.explainers._fast_tree_shap import CompiledTreeShap
from explain.explainers._tree_ensemble import UnsupportedTrees
from explain.models import LGBMExplainableModel
from explain.scoring import ScoringExplainer, create_app, load, save
from explain.scoring._warm import table_builders, warm_up
from featurization import AutoFeaturizer
from tests._synthetic import make_ground_truth


def _lgbm(n_rows: int = 200) -> tuple[lightgbm.LGBMClassifier, object]:
    X, y = make_ground_truth("binary", n_rows=n_rows, n_features=4, seed=3)
    return lightgbm.LGBMClassifier(n_estimators=20, verbose=-1, n_jobs=1).fit(X, y), X


def _warm_up_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "scoring-warm-up"]


def test_the_service_builds_the_tables_in_the_background_when_it_starts(tmp_path: Path) -> None:
    model, X = _lgbm()
    directory = save(ScoringExplainer.for_explainer(TreeExplainer(model, X)), tmp_path / "scoring")
    loaded = load(directory)
    assert loaded.explainer_.compiled_._tables is None  # loading builds nothing
    with TestClient(create_app(loaded)) as client:  # the server's start
        assert client.get("/health").status_code == 200
        for thread in _warm_up_threads():
            thread.join(timeout=60)
        assert loaded.explainer_.compiled_._tables is not None  # built without any request
        rows = X.iloc[:5]  # type: ignore[attr-defined]
        expected = TreeExplainer(model, X).explain_local(rows).local_values
        np.testing.assert_allclose(np.asarray(loaded.explain(rows)), np.asarray(expected), atol=1e-10)


def test_a_request_during_the_build_gets_the_same_values() -> None:
    model, X = _lgbm()
    explainer = TreeExplainer(model, X)
    thread = warm_up(explainer, wait=False)
    assert thread is not None
    values, expected = explainer.shap_values(X.iloc[:3])  # type: ignore[attr-defined]
    thread.join(timeout=60)
    reference = TreeExplainer(model, X).shap_values(X.iloc[:3])  # type: ignore[attr-defined]
    np.testing.assert_allclose(values, reference[0])
    np.testing.assert_allclose(expected, reference[1])


def test_every_explainer_with_tables_is_found() -> None:
    model, X = _lgbm()
    assert len(table_builders(TreeExplainer(model, X))) == 1
    mimic = MimicExplainer(KNeighborsClassifier().fit(X, model.predict(X)), X, LGBMExplainableModel,
                           random_state=0)
    assert len(table_builders(mimic)) == 1
    blend = BlendExplainer([LogisticRegression().fit(X, model.predict(X)), model], [0.5, 0.5], X,
                           model_task="classification")
    assert len(table_builders(blend)) == 1  # the forest's; the linear member has none
    assert table_builders(LinearExplainer(Ridge().fit(X, np.arange(len(X))), X)) == []
    assert warm_up(LinearExplainer(Ridge().fit(X, np.arange(len(X))), X), wait=False) is None


def test_a_failed_background_build_is_logged_and_reported_by_the_request(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def unsupported(self: CompiledTreeShap) -> None:
        raise UnsupportedTrees("linear trees")

    monkeypatch.setattr(CompiledTreeShap, "tables", unsupported)
    model, X = _lgbm()
    explainer = TreeExplainer(model, X)
    with caplog.at_level(logging.WARNING, logger="explain"):
        thread = warm_up(explainer, wait=False)
        assert thread is not None
        thread.join(timeout=60)
    assert "building the TreeSHAP tables failed" in caplog.text
    with pytest.raises(ExplanationTypeError, match="linear trees, which TreeSHAP does not support"):
        explainer.shap_values(X.iloc[:2])  # type: ignore[attr-defined]


def test_loading_a_featurized_pipeline_does_not_execute_pyplot(tmp_path: Path) -> None:
    """Unpickling imports skrub (through the fitted featurization), which imports pyplot: the
    service's start-up defers it (featurization._imports)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=120), "c": rng.choice(["a", "b", "c"], 120)})
    y = (X["x"] + (X["c"] == "a") > 0.5).astype(int)
    pipeline = Pipeline([("featurize", AutoFeaturizer()),
                         ("model", lightgbm.LGBMClassifier(n_estimators=10, verbose=-1, n_jobs=1))]).fit(X, y)
    directory = save(ScoringExplainer.for_explainer(TabularExplainer(pipeline, X)), tmp_path / "scoring")
    script = (f"import sys\nfrom explain.scoring import load\nscoring = load({str(directory)!r})\n"
              "assert 'skrub' in sys.modules\n"
              "assert type(sys.modules['matplotlib.pyplot']).__name__ == '_LazyModule'\nprint('ok')\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"

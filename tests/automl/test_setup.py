"""Creating and resuming an experiment: other data is refused, a set-up killed half-way completes."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest

from automl import AutoML, AutoMLConfig, AutoMLRun, ConfigError
from automl._estimators import DEFAULT_ORDER
from automl._fingerprint import data_fingerprint, describe_difference
from tests._synthetic import make_ground_truth

MODELS = ["LogisticRegression", "LightGBM", "RandomForest"]


def settings(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return {"storage": f"sqlite:///{tmp_path}/runs.db", "experiment_name": "e", "iterations": 4,
            "n_cross_validations": 3, "allowed_models": MODELS, "model_explainability": False,
            "explain_runs": False, "ensemble": False, "random_state": 0, "verbosity": logging.WARNING,
            **overrides}


@pytest.fixture(scope="module")
def table() -> tuple[pd.DataFrame, np.ndarray]:
    return make_ground_truth("binary", n_rows=120, n_features=4)


# ---------------------------------------------------------------------- other data on resume
def test_resuming_with_other_labels_is_refused_and_overwrite_starts_again(
        tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = table
    AutoML(AutoMLConfig("classification", X=X, y=y, **settings(tmp_path, iterations=2))).fit()
    flipped = np.where(y == "yes", "no", "yes")
    config = AutoMLConfig("classification", X=X, y=flipped, **settings(tmp_path, iterations=3))
    with pytest.raises(ConfigError, match=r"experiment 'e' in sqlite:///.*runs\.db does not match this "
                                          r"configuration: training data labels differ\. Resuming would .* "
                                          r"use another experiment_name .* or overwrite=True"):
        AutoML(config).fit()
    run = AutoMLRun.load("e", config.storage)
    assert len(run.get_children()) == 2  # untouched
    np.testing.assert_array_equal(run.training_data()[1], y)

    config = AutoMLConfig("classification", X=X, y=flipped,
                          **settings(tmp_path, iterations=3, overwrite=True))
    run = AutoML(config).fit()
    stored_X, stored_y = run.training_data()
    np.testing.assert_array_equal(stored_y, flipped)
    pd.testing.assert_frame_equal(stored_X, X)
    assert len(run.get_children()) == 3  # a new search, not the old trials plus one
    model = run.get_output()[1]
    assert (model.predict(X) == flipped).mean() > 0.8
    # with the same data, overwrite=True resumes instead of starting again (safe for many workers)
    again = AutoML(AutoMLConfig("classification", X=X, y=flipped,
                                **settings(tmp_path, iterations=3, overwrite=True))).fit()
    assert [c.trial.datetime_start for c in again.get_children()] == \
        [c.trial.datetime_start for c in run.get_children()]


@pytest.mark.parametrize(("change", "match"), [
    (lambda X, y: (X.iloc[:100], y[:100]), r"training data rows: 120 stored, 100 given"),
    (lambda X, y: (X.assign(f1=X["f1"] + 1.0), y), r"training data feature values differ"),
    (lambda X, y: (X.astype({"f0": "float32"}), y),
     r"training data column types differ \('f0': float64 -> float32\)"),
])
def test_the_fingerprint_says_what_differs(table: tuple[pd.DataFrame, np.ndarray], change: Any,
                                           match: str) -> None:
    X, y = table
    differences = describe_difference(data_fingerprint(X, y), data_fingerprint(*change(X, y)))
    assert len(differences) == 1 and re.fullmatch(match, differences[0]), differences


def test_validation_data_is_part_of_the_fingerprint(table: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = table
    with_valid = data_fingerprint(X.iloc[:80], y[:80], X.iloc[80:], y[80:])
    other_valid = data_fingerprint(X.iloc[:80], y[:80], X.iloc[80:], y[80:][::-1].copy())
    assert describe_difference(with_valid, other_valid) == ["validation data labels differ"]
    assert describe_difference(with_valid, data_fingerprint(X.iloc[:80], y[:80])) == \
        ["validation data: given before, none now"]


# ---------------------------------------------------------------------- a set-up killed half-way
# A fit in its own process that kills itself (SIGKILL: no cleanup runs) at one point of set-up.
_KILLER = """\
import json, logging, os, signal, sys
import numpy as np
import optuna
from automl import AutoML, AutoMLConfig
from automl._artifacts import AtomicArtifactStore
from automl._store import ExperimentStore
from tests._synthetic import make_ground_truth

point, settings = sys.argv[1], json.loads(sys.argv[2])
X, y = make_ground_truth("binary", n_rows=120, n_features=4)

def die():
    os.kill(os.getpid(), signal.SIGKILL)

upload = ExperimentStore.upload_object
def upload_object(self, study, run, name, obj):
    if point == "before training data" and name == "training_data.joblib":
        die()
    if point == "before featurizer" and name == "featurizer.joblib":
        die()
    return upload(self, study, run, name, obj)
ExperimentStore.upload_object = upload_object

write, writes = AtomicArtifactStore.write, []
def half_write(self, artifact_id, body):
    writes.append(artifact_id)
    if point == "featurizer half written" and len(writes) == 2:  # training data, then featurizer
        class Dying:
            def __init__(self):
                self.first = True
            def read(self, size=-1):  # some bytes reach the partial file, then the process dies
                if not self.first:
                    die()
                self.first = False
                return body.read(100)
        return write(self, artifact_id, Dying())
    return write(self, artifact_id, body)
AtomicArtifactStore.write = half_write

enqueue = optuna.Study.enqueue_trial
def enqueue_trial(self, *args, **kwargs):
    if point == "after the first default" and len(self.trials) == 1:
        die()
    return enqueue(self, *args, **kwargs)
optuna.Study.enqueue_trial = enqueue_trial

AutoML(AutoMLConfig("classification", X=X, y=y, **settings)).fit()
"""


@pytest.mark.parametrize("point", ["before training data", "before featurizer", "featurizer half written",
                                   "after the first default"])
def test_a_set_up_killed_half_way_is_completed_by_the_next_fit(
        tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray], point: str) -> None:
    X, y = table
    config_settings = settings(tmp_path)
    script = tmp_path / "killer.py"
    script.write_text(_KILLER)
    root = str(Path(__file__).parents[2])
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE",
           "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(script), point, json.dumps(config_settings)], env=env,
                          capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    study = optuna.load_study(study_name="e", storage=config_settings["storage"])
    assert "settings" in study.user_attrs and not study.user_attrs.get("setup_complete")
    partials = list(Path(tmp_path / "artifacts").glob(".*.partial"))
    assert len(partials) == (point == "featurizer half written"), partials

    run = AutoML(AutoMLConfig("classification", X=X, y=y, **config_settings)).fit()
    assert run.study.user_attrs["setup_complete"] is True
    for name in ("training_data.joblib", "featurizer.joblib"):
        assert len(run.store.list(run.study, "experiment", name)) == 1, name
    artifacts = Path(run.store.artifact_path)
    assert not list(artifacts.glob("*.partial")) and not list(artifacts.glob(".*.partial"))
    children = run.get_children()
    defaults = [c.estimator for c in children if c.trial.user_attrs.get("default")]
    assert defaults == [m for m in DEFAULT_ORDER if m in MODELS]  # each once, in order
    # the cheap defaults first; the forest's after the first boosted portfolio point
    assert [c.estimator for c in children[:2]] == defaults[:2]
    assert len(children) == 4
    best = run.best_child()
    for child in children:  # every run's model can be rebuilt, not only the best one's
        if child.status == "Completed" and child.number != best.number:
            assert (child.get_model().predict(X) == y).mean() > 0.7, child


# ---------------------------------------------------------------------- the order of the first trials


def _queued(config: AutoMLConfig) -> list[tuple[str, str]]:
    from automl._setup import _enqueue_defaults

    study = optuna.create_study()
    _enqueue_defaults(config, study)
    waiting = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,))
    return [(t.system_attrs["fixed_params"]["estimator"],
             "default" if t.user_attrs.get("default") else "portfolio") for t in waiting]


def test_defaults_then_portfolio_on_a_small_table(table: tuple[pd.DataFrame, np.ndarray]) -> None:
    """Cheap defaults, two boosted portfolio points, the forests' and KNN's defaults, the rest."""
    X, y = table
    queued = _queued(AutoMLConfig("classification", X=X, y=y, iterations=1000))
    assert [name for name, kind in queued if kind == "default"] == [
        m for m in DEFAULT_ORDER if m in AutoMLConfig("classification", X=X, y=y).models]
    late = ("RandomForest", "ExtremeRandomTrees", "KNN")
    first_late = min(i for i, (name, kind) in enumerate(queued) if kind == "default" and name in late)
    assert all(kind == "default" and name not in late for name, kind in queued[:first_late - 2])
    assert queued[first_late - 2:first_late] == [("LightGBM", "portfolio")] * 2
    last_default = max(i for i, (_, kind) in enumerate(queued) if kind == "default")
    assert all(name in late for name, kind in queued[first_late:last_default + 1])
    assert all(kind == "portfolio" for _, kind in queued[last_default + 1:])


def test_forests_come_after_the_portfolio_on_a_large_table() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=110_000), "b": rng.normal(size=110_000)})
    y = np.where(X["a"] + rng.normal(size=110_000) > 0, "yes", "no")
    queued = _queued(AutoMLConfig("classification", X=X, y=y, iterations=1000))
    forests = [i for i, (name, _) in enumerate(queued) if name in ("RandomForest", "ExtremeRandomTrees")]
    assert forests and forests == list(range(len(queued) - len(forests), len(queued)))
    others = [(name, kind) for name, kind in queued if name not in ("RandomForest", "ExtremeRandomTrees")]
    assert others[0] == ("LightGBM", "default") and ("LightGBM", "portfolio") in others
    assert [kind for _, kind in queued[len(others):]][:2] == ["default", "default"]  # forests' defaults first


def test_the_elastic_net_comes_after_the_boosted_portfolio_on_a_large_regression() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=110_000), "b": rng.normal(size=110_000)})
    y = X["a"].to_numpy() + rng.normal(size=110_000)
    queued = _queued(AutoMLConfig("regression", X=X, y=y, iterations=1000))
    late = ("RandomForest", "ExtremeRandomTrees", "ElasticNet")
    grown = [i for i, (name, _) in enumerate(queued) if name in late]
    assert ("ElasticNet", "default") in queued
    assert grown == list(range(len(queued) - len(grown), len(queued)))
    assert queued[0] == ("LightGBM", "default") and ("LightGBM", "portfolio") in queued[:grown[0]]

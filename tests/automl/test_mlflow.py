"""``AutoMLConfig(mlflow=...)``: a search logged to a real MLflow tracking server, read back.

One small search (200 rows with categories and missing values, three trials) is logged to the
session's ``mlflow server`` (:mod:`tests._mlflow_server`) once per test session, also when
pytest-xdist spreads these tests over workers. The tests compare what MLflow holds with what
the library stored: settings, leaderboard, trials' parameters, fold scores, statuses and
explanations, and the best model and its scoring explainer, reloaded in another process.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from automl import AutoML, AutoMLConfig, AutoMLRun, ConfigError, ConfigTypeError
from automl._cli import main
from automl._report import BEST_MODEL, load_run_explanation
from explain import ExplanationClient
from tests._mlflow_server import MlflowServer, locked, mlflow_server, session_folder
from tests._synthetic import make_mixed_table

mlflow = pytest.importorskip("mlflow", reason="the MLflow tests need mlflow: pip install "
                                               "'automl-explain[mlflow]'")

from automl._estimators import ESTIMATORS, get_estimator  # noqa: E402
from automl._mlflow import STUDY_KEY, log_search  # noqa: E402
from explain.mlflow import scored_frame  # noqa: E402

EXPERIMENT = "mlflow-search"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    yield from mlflow_server(tmp_path_factory)


def _table() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_mixed_table("binary", n_rows=200)
    return X.drop(columns=["signup", "comment"]), y


def _config(storage: str, url: str, **overrides: Any) -> AutoMLConfig:
    X, y = _table()
    settings: dict[str, Any] = {
        "iterations": 3, "n_cross_validations": 3,
        "allowed_models": ["LogisticRegression", "LightGBM", "KNN"],
        "ensemble": False, "model_explainability": True, "explain_runs": True, "random_state": 0,
        "verbosity": logging.WARNING, "experiment_name": EXPERIMENT,
        "mlflow": {"tracking_uri": url, "experiment_name": EXPERIMENT}, **overrides}
    return AutoMLConfig("classification", X=X, y=y, storage=storage, **settings)


@dataclass
class Logged:
    """The search (read back from its storage), the config that ran it and its MLflow parent run."""

    run: AutoMLRun
    config: AutoMLConfig
    parent: str
    url: str

    @property
    def client(self) -> Any:
        return mlflow.MlflowClient(self.url)

    def children(self) -> dict[int, Any]:
        """Trial number -> the MLflow run of that trial."""
        experiment = self.client.get_experiment_by_name(EXPERIMENT)
        found = self.client.search_runs([experiment.experiment_id],
                                        f"tags.`mlflow.parentRunId` = '{self.parent}'")
        return {int(r.data.tags["automl.trial"]): r for r in found}


def _broken(params: dict[str, Any], task: str, seed: int | None) -> Any:
    raise RuntimeError("cannot build this estimator")


@pytest.fixture(scope="module")
def logged(server: MlflowServer, tmp_path_factory: pytest.TempPathFactory) -> Logged:
    """The search, logged to MLflow once per session (the first worker searches, others read it):
    the defaults of LogisticRegression and LightGBM complete, KNN's fails (its builder raises)."""
    folder = session_folder(tmp_path_factory, "mlflow-search")
    storage = f"sqlite:///{folder}/runs.db"
    with locked(folder):
        done = folder / "parent.json"
        config = _config(storage, server.url)
        if not done.exists():
            spec = get_estimator("KNN")
            with pytest.MonkeyPatch.context() as patch:
                patch.setitem(ESTIMATORS, "KNN", type(spec)(spec.name, spec.tasks, spec.scaled, spec.space,
                                                            spec.defaults, _broken))
                parent = AutoML(config).fit()
            key = parent.study.user_attrs[STUDY_KEY]  # tells this search's MLflow parent run apart
            client = mlflow.MlflowClient(server.url)
            found = client.search_runs([client.get_experiment_by_name(EXPERIMENT).experiment_id],
                                       f"tags.`automl.study` = '{key}'")
            done.write_text(json.dumps({"parent": found[0].info.run_id}))
        return Logged(AutoMLRun.load(EXPERIMENT, storage), config, json.loads(done.read_text())["parent"],
                      server.url)


# ----------------------------------------------------------------------------- the parent run
def test_parent_run_holds_the_settings_the_leaderboard_and_the_report(logged: Logged, tmp_path: Path) -> None:
    parent = logged.client.get_run(logged.parent)
    run, best = logged.run, logged.run.best_child()
    assert parent.info.status == "FINISHED" and parent.info.run_name == EXPERIMENT
    params = parent.data.params
    assert params["task"] == "classification" and params["primary_metric"] == run.primary_metric
    assert params["iterations"] == "3" and params["n_rows"] == "200" and params["n_features"] == "5"
    assert params["models"] == "['LogisticRegression', 'LightGBM', 'KNN']"
    assert parent.data.metrics[f"best_{run.primary_metric}"] == pytest.approx(best.score, abs=1e-12)
    assert parent.data.tags["automl.best_run"] == logged.children()[best.number].info.run_id

    board = mlflow.artifacts.download_artifacts(run_id=logged.parent, artifact_path="leaderboard.csv",
                                                tracking_uri=logged.url, dst_path=str(tmp_path))
    stored = pd.read_csv(board)
    expected = run.leaderboard()
    assert list(stored["run"]) == list(expected["run"])
    np.testing.assert_allclose(stored[run.primary_metric], expected[run.primary_metric], rtol=1e-12)
    report = {a.path for a in logged.client.list_artifacts(logged.parent, "report")}
    assert {"report/report.html", "report/report_leaderboard.csv"} <= report


# ----------------------------------------------------------------------------- nested trial runs
def test_one_nested_run_per_trial_with_params_fold_scores_status_and_explanation(logged: Logged) -> None:
    children = logged.children()
    trials = {c.number: c for c in logged.run.get_children()}
    assert sorted(children) == sorted(trials) and len(trials) == 3
    completed = {n: r for n, r in children.items() if trials[n].status == "Completed"}
    assert len(completed) == 2
    for number, mlflow_run in completed.items():
        trial = trials[number]
        assert mlflow_run.info.run_name == trial.id
        assert mlflow_run.data.tags["automl.status"] == "Completed"
        assert "automl.error" not in mlflow_run.data.tags
        assert mlflow_run.info.status == "FINISHED"
        params = mlflow_run.data.params
        assert params["estimator"] == trial.estimator
        assert {k: params[k] for k in trial.params} == {k: str(v) for k, v in trial.params.items()}
        assert mlflow_run.data.metrics[logged.run.primary_metric] == pytest.approx(trial.score, abs=1e-12)
        history = logged.client.get_metric_history(mlflow_run.info.run_id,
                                                   f"fold_{logged.run.primary_metric}")
        folds = trial.trial.user_attrs["fold_scores"]
        assert len(folds) == 3 and [m.step for m in history] == [0, 1, 2]
        np.testing.assert_allclose([m.value for m in history], folds, rtol=1e-12)
        # the trial's explanation, read back as from any run
        client = ExplanationClient.from_mlflow_run(mlflow_run.info.run_id, logged.url)
        got = client.download_model_explanation(comment="run", raw=True)
        stored = load_run_explanation(trial, raw=True, comment="run")
        assert got.features == stored.features
        np.testing.assert_array_equal(got.local_values, stored.local_values)


def test_a_failed_trial_is_a_failed_run_with_its_error(logged: Logged) -> None:
    failed = next(c for c in logged.run.get_children() if c.status == "Failed")
    mlflow_run = logged.children()[failed.number]
    assert failed.estimator == "KNN" and mlflow_run.info.status == "FAILED"
    assert mlflow_run.data.tags["automl.status"] == "Failed"
    assert mlflow_run.data.tags["automl.error"] == failed.error == "RuntimeError: cannot build this estimator"
    assert mlflow_run.data.params["estimator"] == "KNN"
    assert logged.run.primary_metric not in mlflow_run.data.metrics
    assert logged.client.list_artifacts(mlflow_run.info.run_id, "explanations") == []


# ----------------------------------------------------------------------------- the best model
def test_best_run_holds_the_model_with_signature_and_example_beside_its_explanations(logged: Logged) -> None:
    best = logged.run.best_child()
    mlflow_run = logged.children()[best.number]
    tags = mlflow_run.data.tags
    assert tags["automl.best"] == "true"
    assert logged.client.get_run(logged.parent).data.tags["automl.model_uri"] == tags["automl.model_uri"]
    with _tracking(logged.url):
        info = mlflow.models.get_model_info(tags["automl.model_uri"])
        explainer_info = mlflow.models.get_model_info(tags["automl.scoring_explainer_uri"])
    assert "python_function" in info.flavors and "sklearn" in info.flavors
    assert info.signature.inputs.input_names() == list(_table()[0].columns)
    assert info.saved_input_example_info is not None
    assert explainer_info.signature.inputs.input_names() == list(_table()[0].columns)
    assert info.run_id == explainer_info.run_id == mlflow_run.info.run_id  # the same run
    # its raw and engineered explanations (the best model's, with the HTML page) are in that run
    client = ExplanationClient.from_mlflow_run(mlflow_run.info.run_id, logged.url)
    raw = client.download_model_explanation(comment=BEST_MODEL, raw=True)
    engineered = client.download_model_explanation(comment=BEST_MODEL, raw=False)
    assert raw.is_raw and not engineered.is_raw and raw.features == tuple(_table()[0].columns)
    assert len(engineered.features) > len(raw.features)  # one-hot encoded categories
    names = {Path(a.path).name for a in logged.client.list_artifacts(mlflow_run.info.run_id, "explanations")}
    assert any(n.endswith(".html") for n in names) and any(n.endswith(".png") for n in names)


_RELOAD = """\
import json, sys
import mlflow, pandas as pd
from explain import ExplanationClient
from automl._report import BEST_MODEL

url, model_uri, explainer_uri, run_id, rows_path = sys.argv[1:]
mlflow.set_tracking_uri(url)
rows = pd.read_pickle(rows_path)
client = ExplanationClient.from_mlflow_run(run_id, url)
raw = client.download_model_explanation(comment=BEST_MODEL, raw=True)
engineered = client.download_model_explanation(comment=BEST_MODEL, raw=False)
print(json.dumps({
    "predictions": mlflow.pyfunc.load_model(model_uri).predict(rows).tolist(),
    "scored": mlflow.pyfunc.load_model(explainer_uri).predict(rows).to_dict(orient="list"),
    "raw": {"features": list(raw.features), "local": raw.local_values.tolist(),
            "expected": raw.expected_values_.tolist()},
    "engineered": {"features": list(engineered.features), "local": engineered.local_values.tolist()},
}))
"""


def test_model_and_explanations_reload_from_the_server_in_another_process(logged: Logged,
                                                                          tmp_path: Path) -> None:
    best = logged.run.best_child()
    mlflow_run = logged.children()[best.number]
    rows = _table()[0].iloc[::20]
    rows.to_pickle(tmp_path / "rows.pkl")
    tags = mlflow_run.data.tags
    result = subprocess.run(
        [sys.executable, "-c", _RELOAD, logged.url, tags["automl.model_uri"],
         tags["automl.scoring_explainer_uri"], mlflow_run.info.run_id, str(tmp_path / "rows.pkl")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])

    from explain.scoring import ScoringExplainer

    assert got["predictions"] == best.get_model().predict(rows).tolist()
    expected_scores = scored_frame(ScoringExplainer.from_run(best), rows)
    pd.testing.assert_frame_equal(pd.DataFrame(got["scored"]), expected_scores, rtol=0, atol=1e-12)
    raw = load_run_explanation(best, raw=True, comment=BEST_MODEL)
    assert got["raw"]["features"] == list(raw.features)
    np.testing.assert_array_equal(got["raw"]["local"], raw.local_values)
    np.testing.assert_array_equal(got["raw"]["expected"], raw.expected_values_)
    assert raw.engineered_explanation is not None
    assert got["engineered"]["features"] == list(raw.engineered_explanation.features)
    np.testing.assert_array_equal(got["engineered"]["local"], raw.engineered_explanation.local_values)


def test_logging_again_adds_nothing(logged: Logged) -> None:
    """A resumed search (or another worker) logs only what MLflow is missing."""
    def artifacts() -> dict[str, list[str]]:
        client = logged.client
        return {r.info.run_id: sorted(a.path for a in client.list_artifacts(r.info.run_id, "explanations"))
                for r in logged.children().values()}

    before, runs = artifacts(), len(logged.children())
    assert log_search(logged.run, logged.config) == logged.parent
    assert len(logged.children()) == runs and artifacts() == before


# ----------------------------------------------------------------------------- errors
def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server_is_a_config_error_before_the_search(tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{_free_port()}"
    config = _config(f"sqlite:///{tmp_path}/runs.db", down)
    started = time.monotonic()
    with pytest.raises(ConfigError, match=f"AutoMLConfig: cannot use the MLflow tracking store "
                                          f"mlflow='{down}': nothing answers there"):
        AutoML(config).fit()
    assert time.monotonic() - started < 10  # one try, not MLflow's minutes of retries
    assert not (tmp_path / "runs.db").exists()  # nothing searched
    with pytest.raises(ConfigError, match=r"mlflow='htp://x'.*unsupported URI"):
        AutoML(_config(f"sqlite:///{tmp_path}/runs.db", "htp://x")).fit()


@pytest.mark.parametrize(("value", "error", "message"), [
    (3, ConfigTypeError, "mlflow must be True, a tracking URI, an MLflow experiment name or"),
    ("  ", ConfigError, "mlflow must be True, a tracking URI or an MLflow experiment name; got an empty"),
    ({"uri": "http://x"}, ConfigTypeError, r"mlflow has unknown keys \['uri'\]"),
    ({"tracking_uri": ""}, ConfigError, r"mlflow\['tracking_uri'\] must be a non-empty string"),
    ({"experiment_name": 5}, ConfigError, r"mlflow\['experiment_name'\] must be a non-empty string"),
])
def test_the_mlflow_argument_is_checked(value: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        _config("sqlite:///:memory:", "unused", mlflow=value)


def test_the_mlflow_argument_is_read() -> None:
    assert _config("sqlite:///:memory:", "", mlflow="http://h:5000").mlflow.tracking_uri == "http://h:5000"
    named = _config("sqlite:///:memory:", "", mlflow="my-experiment").mlflow
    assert named.tracking_uri is None and named.experiment_name == "my-experiment"
    default = _config("sqlite:///:memory:", "", mlflow=True).mlflow
    assert default.tracking_uri is None and default.experiment_name == EXPERIMENT
    assert _config("sqlite:///:memory:", "", mlflow=None).mlflow is None


# ----------------------------------------------------------------------------- command line
def test_automl_explain_reads_the_explanation_of_an_mlflow_run(logged: Logged) -> None:
    best = logged.run.best_child()
    run_id = logged.children()[best.number].info.run_id
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["explain", "--mlflow-run", run_id, "--tracking-uri", logged.url, "--raw",
                     "--top-k", "3"]) == 0
    text = out.getvalue()
    raw = load_run_explanation(best, raw=True, comment=BEST_MODEL)
    assert f"Explanation logged to MLflow run {run_id}" in text and "raw columns" in text
    for name in raw.get_ranked_global_names(3):
        assert name in text
    for argv, message in ((["explain"], "needs an EXPERIMENT"),
                          (["explain", "x", "--mlflow-run", run_id], "give it without EXPERIMENT"),
                          (["explain", "x", "--tracking-uri", logged.url], "--tracking-uri goes with"),
                          (["explain", "--mlflow-run", "nosuch", "--tracking-uri", logged.url],
                           "no run_id='nosuch'")):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            assert main(argv) == 2
        assert message in err.getvalue() and err.getvalue().count("\n") == 1


@contextlib.contextmanager
def _tracking(url: str) -> Iterator[None]:
    mlflow.set_tracking_uri(url)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(None)

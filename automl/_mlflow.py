"""Log a finished search to MLflow (``AutoMLConfig(mlflow=...)``; the ``[mlflow]`` extra).

After :meth:`automl.AutoML.fit`, the experiment stored in Optuna is copied into MLflow:

* a parent run named after the experiment, with the settings as parameters, the best score as
  a metric, the leaderboard (``leaderboard.csv``) and the report (``report/``);
* one nested run per trial: estimator and hyperparameters as parameters, the scores and fold
  scores as metrics, the status (``FINISHED``, ``FAILED``, or ``KILLED`` for a pruned trial,
  with the reason as the tag ``automl.error``) and its stored explanations
  (:func:`explain.mlflow.log_explanation`: the versioned file plus a PNG summary);
* in the best trial's run, the model (``model``: an sklearn / pyfunc model with an input
  signature and example), its scoring explainer (``scoring_explainer``: a pyfunc model whose
  ``predict`` returns predictions and local importances) and the best model's raw and
  engineered explanations with their HTML page.

Logging again (a resumed search, another worker) adds only what MLflow does not have yet: runs
are matched by the tags ``automl.experiment`` / ``automl.storage`` / ``automl.study`` (a key
the experiment keeps in its storage, so a new experiment of the same name is a new parent run)
/ ``automl.trial`` and explanations by their stored ids (tag ``automl.explanations``).

:func:`check_tracking` is called before the search, so an unreachable tracking store is
reported at once (a :class:`~automl.ConfigError` naming ``mlflow``), not after the search.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import math
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import mlflow.sklearn
import numpy as np
from mlflow.entities import RunStatus
from mlflow.exceptions import MlflowException

from automl._exceptions import ConfigError
from automl._finalize import EXPLAINED_ROWS
from automl._lock import experiment_lock
from automl._report import BEST_MODEL, write_report
from automl._runs import AutoMLRun, ChildRun
from automl._urls import without_password
from explain import ExplanationClient, ExplanationValueError
from explain._version import __version__
from explain.mlflow import log_explanation, log_scoring_explainer, model_name
from explain.mlflow._run import mlflow_settings, reach
from explain.scoring import ScoringExplainer

if TYPE_CHECKING:
    from automl._config import AutoMLConfig
    from automl._mlflow_target import MlflowTarget

__all__ = ["check_tracking", "log_search"]

logger = logging.getLogger("automl")
STUDY_KEY = "mlflow_key"  # the experiment's user attribute that tells its MLflow runs apart
_TERMINAL = {"Completed": RunStatus.FINISHED, "Failed": RunStatus.FAILED, "Pruned": RunStatus.KILLED}
MAX_PARAM_CHARS = 500
SIGNATURE_ROWS = 200
EXAMPLE_ROWS = 5


def check_tracking(config: AutoMLConfig) -> None:
    """Make sure ``config.mlflow``'s tracking store answers, before the search spends its budget.

    Raises
    ------
    ConfigError
        When MLflow refuses the tracking URI or nothing answers there (naming ``mlflow``).
    """
    target = config.mlflow
    if target is None:
        return
    try:
        reach(target.tracking_uri, "AutoMLConfig", "mlflow")
    except ExplanationValueError as exc:
        raise ConfigError(str(exc)) from exc


def log_search(run: AutoMLRun, config: AutoMLConfig) -> str:
    """Log the experiment ``run`` to ``config.mlflow``; return the parent MLflow run's id.

    Raises
    ------
    ConfigError
        When MLflow fails while logging (the search itself is stored: ``fit()`` again logs
        what is missing).
    """
    target = config.mlflow
    assert target is not None  # called only when MLflow tracking is asked for
    with experiment_lock(run.store.storage.engine, run.experiment_name, "mlflow"):
        client = mlflow.MlflowClient(tracking_uri=target.tracking_uri)
        try:
            parent = _log_runs(client, run, config, target)
        except MlflowException as exc:
            raise ConfigError(
                f"AutoMLConfig: logging the search to the MLflow tracking store mlflow="
                f"{client.tracking_uri!r} failed: {' '.join(str(exc).split())[:300]}. The search is "
                f"stored in {without_password(run.store.url)}; fit() again logs what MLflow is "
                "missing.") from exc
    logger.info("logged to MLflow %s: experiment %r, run %s", client.tracking_uri, target.experiment_name,
                parent)
    return parent


def _log_runs(client: Any, run: AutoMLRun, config: AutoMLConfig, target: MlflowTarget) -> str:
    """The parent run, one run per finished trial, then the results; return the parent's id.

    MLflow prints a "View run at" line to stdout for every run it ends: only the parent's is
    printed.
    """
    with mlflow_settings(MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT="true"):
        experiment_id = _experiment_id(client, target.experiment_name)
        parent = _parent_run(client, experiment_id, run, config)
        logged = _child_runs(client, experiment_id, parent)
        for child in run.refresh().get_children():
            if child.status in _TERMINAL:
                logged[child.number] = _log_child(client, experiment_id, parent, child,
                                                  logged.get(child.number), target)
        _log_parent_results(client, parent, run, logged, target)
    client.set_terminated(parent, "FINISHED")
    return parent


def _experiment_id(client: Any, name: str) -> str:
    experiment = client.get_experiment_by_name(name)
    return str(experiment.experiment_id if experiment is not None else client.create_experiment(name))


def _identity(run: AutoMLRun) -> dict[str, str]:
    """The tags of the experiment's parent run; the key is made once and kept with the experiment."""
    key = run.study.user_attrs.get(STUDY_KEY)
    if key is None:
        key = uuid.uuid4().hex
        run.study.set_user_attr(STUDY_KEY, key)
    return {"automl.experiment": run.experiment_name, "automl.storage": without_password(run.store.url),
            "automl.study": str(key)}


def _filter(tags: dict[str, str]) -> str:
    return " and ".join(f"tags.`{k}` = '{v.replace(chr(39), chr(92) + chr(39))}'" for k, v in tags.items())


def _search(client: Any, experiment_id: str, tags: dict[str, str]) -> list[Any]:
    runs, token = [], None
    while True:
        page = client.search_runs([experiment_id], _filter(tags), max_results=1000, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def _parent_run(client: Any, experiment_id: str, run: AutoMLRun, config: AutoMLConfig) -> str:
    """The parent run of this experiment (found again on a resumed search), its settings logged."""
    tags = {**_identity(run), "automl.kind": "search"}
    found = _search(client, experiment_id, tags)
    if found:
        return str(found[0].info.run_id)
    parent = client.create_run(experiment_id, run_name=run.experiment_name, tags=tags).info.run_id
    settings = {k: v for k, v in config.describe().items() if k != "features"}
    settings.update(n_features=len(config.data.X.columns), n_rows=len(config.data.y),
                    storage=without_password(run.store.url), library_version=__version__)
    client.log_batch(parent, params=[mlflow.entities.Param(k, _text(v)) for k, v in settings.items()])
    return str(parent)


def _child_runs(client: Any, experiment_id: str, parent: str) -> dict[int, Any]:
    """The trials already logged under ``parent``: trial number -> MLflow run."""
    found = _search(client, experiment_id, {"mlflow.parentRunId": parent})
    return {int(r.data.tags["automl.trial"]): r for r in found if "automl.trial" in r.data.tags}


def _log_child(client: Any, experiment_id: str, parent: str, child: ChildRun, existing: Any,
               target: MlflowTarget) -> Any:
    """Log one trial (params, metrics, status, explanations not logged yet); return its MLflow run."""
    if existing is None:
        tags = {"mlflow.parentRunId": parent, "automl.trial": str(child.number), "automl.run": child.id,
                "automl.status": child.status}
        if child.error:
            tags["automl.error"] = child.error[:4000]
        run_id = client.create_run(experiment_id, start_time=_millis(child.trial.datetime_start),
                                   run_name=child.id, tags=tags).info.run_id
        params = {"estimator": child.estimator, **child.params}
        client.log_batch(run_id, params=[mlflow.entities.Param(str(k)[:250], _text(v))
                                         for k, v in params.items()],
                         metrics=_metrics(child))
        client.set_terminated(run_id, RunStatus.to_string(_TERMINAL[child.status]),
                              end_time=_millis(child.trial.datetime_complete))
    else:
        run_id = existing.info.run_id
    done = set(filter(None, client.get_run(run_id).data.tags.get("automl.explanations", "").split(",")))
    for meta in ExplanationClient.from_run(child).list_model_explanations():
        if meta["id"] in done:
            continue
        explanation = ExplanationClient.from_run(child).download_model_explanation(meta["id"])
        log_explanation(explanation, run_id, target.tracking_uri, comment=meta.get("comment"),
                        html=meta.get("comment") == BEST_MODEL, true_ys=meta.get("true_ys"))
        done.add(meta["id"])
        client.set_tag(run_id, "automl.explanations", ",".join(sorted(done)))
    return client.get_run(run_id)


def _metrics(child: ChildRun) -> list[Any]:
    """The run's scores and timings, and its fold scores as steps of ``fold_<metric>``."""
    now = _millis(child.trial.datetime_complete) or 0
    metrics = [mlflow.entities.Metric(_metric_key(k), float(v), now, 0) for k, v in child.metrics.items()
               if isinstance(v, int | float) and math.isfinite(v)]
    primary = _metric_key(child.parent.primary_metric)
    for step, score in enumerate(child.trial.user_attrs.get("fold_scores") or []):
        if math.isfinite(score):
            metrics.append(mlflow.entities.Metric(f"fold_{primary}", float(score), now, step))
    return metrics


def _log_parent_results(client: Any, parent: str, run: AutoMLRun, logged: dict[int, Any],
                        target: MlflowTarget) -> None:
    """Best score, leaderboard, report, and the best run's model and scoring explainer."""
    with tempfile.TemporaryDirectory() as folder:
        board = Path(folder) / "leaderboard.csv"
        run.leaderboard().to_csv(board, index=False)
        client.log_artifact(parent, str(board))
        report = Path(folder) / "report"
        report.mkdir()
        write_report(run, str(report / "report.html"))
        client.log_artifacts(parent, str(report), "report")
    try:
        best = run.best_child()
    except LookupError:  # RunNotFoundError: nothing completed, nothing to log as a model
        return
    best_run = logged[best.number].info.run_id
    client.log_metric(parent, f"best_{_metric_key(run.primary_metric)}", float(best.score or math.nan))
    client.set_tag(parent, "automl.best_run", best_run)
    if "automl.model_uri" not in client.get_run(best_run).data.tags:
        _log_models(client, best, best_run, target)
    client.set_tag(parent, "automl.model_uri", client.get_run(best_run).data.tags["automl.model_uri"])


def _log_models(client: Any, best: ChildRun, run_id: str, target: MlflowTarget) -> None:
    """The best run's model and scoring explainer, as models of its MLflow run."""
    model = best.get_model()
    stored = best.parent.store.latest_object(best.parent.study, best.number, EXPLAINED_ROWS)
    X = stored["X"] if stored is not None else best.training_sample(SIGNATURE_ROWS)
    sample, example = X.iloc[:SIGNATURE_ROWS], X.iloc[:EXAMPLE_ROWS]
    signature = mlflow.models.infer_signature(sample, model.predict(sample))
    scoring = ScoringExplainer.from_run(best)
    requirements = [f"automl-explain=={__version__}"]
    # nested: fit() may run inside the user's own `with mlflow.start_run():`
    with _tracking(target.tracking_uri), mlflow.start_run(run_id=run_id, nested=True):
        # cloudpickle: MLflow 3's default (skops) refuses the featurization's own classes
        info = mlflow.sklearn.log_model(model, **model_name("model"), signature=signature,
                                        input_example=example, pip_requirements=requirements,
                                        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE)
        explainer = log_scoring_explainer(scoring, name="scoring_explainer", input_example=example,
                                          signature_rows=sample)
    # the fluent run's end stamped the logging time as the trial's end: put the trial's back
    client.set_terminated(run_id, "FINISHED", end_time=_millis(best.trial.datetime_complete))
    client.set_tag(run_id, "automl.model_uri", info.model_uri)
    client.set_tag(run_id, "automl.scoring_explainer_uri", explainer.model_uri)
    client.set_tag(run_id, "automl.best", "true")


@contextlib.contextmanager
def _tracking(uri: str | None) -> Iterator[None]:
    """MLflow's fluent API (``log_model``) pointed at ``uri`` for the block, then back."""
    if uri is None:
        yield
        return
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous)


def _millis(moment: datetime.datetime | None) -> int | None:
    """A trial's start or end as MLflow's milliseconds since the epoch (``None`` if unknown)."""
    return None if moment is None else int(moment.timestamp() * 1000)


def _metric_key(name: str) -> str:
    """A metric name MLflow accepts (letters, digits, ``_-./`` and spaces)."""
    return "".join(c if c.isalnum() or c in "_-./ " else "_" for c in name)


def _text(value: Any) -> str:
    """A parameter value as MLflow stores it (text, cut to :data:`MAX_PARAM_CHARS`)."""
    text = value if isinstance(value, str) else np.array2string(value) if isinstance(value, np.ndarray) \
        else str(value)
    return text if len(text) <= MAX_PARAM_CHARS else text[:MAX_PARAM_CHARS - 1] + "…"

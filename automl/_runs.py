"""Runs read back from Optuna's storage: the parent ``AutoMLRun`` and one ``ChildRun`` per trial."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from automl._exceptions import RunNotFoundError
from automl._store import ExperimentStore
from automl._urls import sqlite_file

__all__ = ["ONE_SPLIT_ATTR", "AutoMLRun", "ChildRun", "RunFiles"]

ONE_SPLIT_ATTR = "one_validation_split"  # study attribute: the first fit's choice of validation

_STATUS = {TrialState.COMPLETE: "Completed", TrialState.FAIL: "Failed",
           TrialState.PRUNED: "Pruned", TrialState.RUNNING: "Running", TrialState.WAITING: "Queued"}


class RunFiles:
    """The files of one run in the experiment's artifact store (:class:`explain.RunArtifacts`)."""

    def __init__(self, store: ExperimentStore, study: optuna.Study, number: int | str) -> None:
        self.store, self.study, self.number = store, study, number

    def upload_file(self, path: str, name: str) -> str:
        return self.store.upload_file(self.study, self.number, name, path)

    def list_files(self) -> list[dict[str, Any]]:
        return self.store.list(self.study, self.number)

    def download_file(self, file_id: str, path: str) -> None:
        self.store.download(file_id, path)


class ChildRun:
    """One trial of the search: an estimator, its hyperparameters, scores, model, explanations.

    Implements :class:`explain.RunArtifacts`, so ``ExplanationClient.from_run(child)`` works.
    """

    def __init__(self, parent: AutoMLRun, trial: FrozenTrial) -> None:
        self.parent = parent
        self.trial = trial

    @property
    def id(self) -> str:
        """``<experiment>_<trial number>``."""
        return f"{self.parent.experiment_name}_{self.trial.number}"

    @property
    def number(self) -> int:
        """The Optuna trial number."""
        return self.trial.number

    @property
    def status(self) -> str:
        """``"Completed"``, ``"Failed"``, ``"Pruned"`` or ``"Running"``."""
        return _STATUS.get(self.trial.state, str(self.trial.state))

    @property
    def estimator(self) -> str:
        """The estimator family (``"Ensemble"`` for the final ensemble)."""
        return str(self.trial.user_attrs.get("estimator", self.trial.params.get("estimator", "")))

    @property
    def params(self) -> dict[str, Any]:
        """The estimator's hyperparameters (unprefixed)."""
        prefix = f"{self.estimator}__"
        params = {k.removeprefix(prefix): v for k, v in self.trial.params.items() if k != "estimator"}
        params.update(self.trial.user_attrs.get("params", {}))
        return params

    @property
    def metrics(self) -> dict[str, float]:
        """The primary metric's score and the run's secondary metrics and timings."""
        out = dict(self.trial.user_attrs.get("metrics", {}))
        if self.trial.value is not None:
            out[self.parent.primary_metric] = float(self.trial.value)
        for key in ("fit_seconds", "explain_seconds"):
            if key in self.trial.user_attrs:
                out[key] = float(self.trial.user_attrs[key])
        return out

    @property
    def score(self) -> float | None:
        """The primary metric's score (``None`` unless completed)."""
        # Optuna gives a pruned trial the last intermediate value: a partial, not a score
        if self.trial.state != TrialState.COMPLETE or self.trial.value is None:
            return None
        return float(self.trial.value)

    @property
    def error(self) -> str | None:
        """Why a failed or pruned run stopped."""
        error = self.trial.user_attrs.get("error")
        if error is None and self.trial.state == TrialState.FAIL:
            return "stopped without a result (its worker ended while it ran)"
        return error

    def get_model(self) -> Any:
        """The run's model fitted on all training data (refitted and stored on first use)."""
        return self.parent._model_of(self)

    def get_explainer(self) -> Any:
        """The explainer of the run's model for scoring (:class:`explain.scoring.RunExplainer`).

        The one stored with the run: for the best run, the explainer that produced its stored
        explanation, with that explanation's fidelity; a run without one gets it built once
        (as the best run's is) and stored, so later calls and scoring services train nothing.
        """
        from automl._run_explainer import run_explainer

        return run_explainer(self.parent, self)

    def training_sample(self, n_rows: int, random_state: int = 0) -> pd.DataFrame:
        """Up to ``n_rows`` rows of the experiment's training data (raw columns), sampled."""
        X, _ = self.parent.training_data()
        return X.sample(min(int(n_rows), len(X)), random_state=random_state)

    def get_explanation_client(self) -> Any:
        """An :class:`explain.ExplanationClient` for this run."""
        from explain import ExplanationClient

        return ExplanationClient.from_run(self)

    # explain.RunArtifacts
    def _files(self) -> RunFiles:
        return RunFiles(self.parent.store, self.parent.study, self.number)

    def upload_file(self, path: str, name: str) -> str:
        return self._files().upload_file(path, name)

    def list_files(self) -> list[dict[str, Any]]:
        return self._files().list_files()

    def download_file(self, file_id: str, path: str) -> None:
        self._files().download_file(file_id, path)

    def __repr__(self) -> str:
        score = "" if self.score is None else f", {self.parent.primary_metric}={self.score:.4f}"
        return f"ChildRun(id={self.id!r}, {self.estimator}, {self.status}{score})"


class AutoMLRun:
    """The parent run of an experiment: its children, the best one and the leaderboard.

    Parameters
    ----------
    store : ExperimentStore
        Where the experiment lives.
    study : optuna.Study
        The experiment's study.
    """

    def __init__(self, store: ExperimentStore, study: optuna.Study) -> None:
        self.store = store
        self.study = study

    @classmethod
    def load(cls, experiment_name: str, storage: str | None = None,
             artifact_path: str | None = None) -> AutoMLRun:
        """Reattach to a stored experiment (from this or another process or machine)."""
        from automl._config import DEFAULT_STORAGE

        url = storage or DEFAULT_STORAGE
        database = sqlite_file(url)
        if database is not None and not database.exists():
            raise RunNotFoundError(f"no experiment {experiment_name!r}: {database} does not exist.")
        store = ExperimentStore(url, artifact_path, create_tables=False)
        return cls(store, store.load_study(experiment_name))

    @property
    def experiment_name(self) -> str:
        return self.study.study_name

    @property
    def settings(self) -> dict[str, Any]:
        """The experiment's settings (task, primary metric, features, ...)."""
        return dict(self.study.user_attrs.get("settings", {}))

    @property
    def primary_metric(self) -> str:
        return str(self.settings.get("primary_metric", "score"))

    @property
    def task(self) -> str:
        return str(self.settings.get("task", ""))

    def refresh(self) -> AutoMLRun:
        """Reload the study (new trials from other workers)."""
        self.study = self.store.load_study(self.experiment_name)
        return self

    def get_children(self) -> list[ChildRun]:
        """One child run per trial, in trial order (the ensemble, if any, last)."""
        return [ChildRun(self, t) for t in self.study.get_trials(deepcopy=False)]

    def get_child(self, run_id: str | int) -> ChildRun:
        """The child run with this id (``"<experiment>_<n>"``) or trial number."""
        for child in self.get_children():
            if str(run_id) in (child.id, str(child.number)):
                return child
        raise RunNotFoundError(f"experiment {self.experiment_name!r} has no run {run_id!r}.")

    def best_child(self, metric: str | None = None) -> ChildRun:
        """The completed run with the best score on ``metric`` (default: the primary metric)."""
        from automl._metrics import get_metric

        completed = [c for c in self.get_children() if c.status == "Completed"]
        if not completed:
            raise RunNotFoundError(f"experiment {self.experiment_name!r} has no completed run yet.")
        resolved = get_metric(metric or self.primary_metric, self.task)  # also scikit-learn's names
        metric, greater = resolved.name, resolved.greater_is_better
        scored = [c for c in completed if not math.isnan(c.metrics.get(metric, math.nan))]
        if not scored:
            raise RunNotFoundError(f"no completed run has the metric {metric!r}.")
        return (max if greater else min)(scored, key=lambda c: c.metrics[metric])

    def get_output(self, metric: str | None = None) -> tuple[ChildRun, Any]:
        """``(best_run, fitted_model)``, best by ``metric`` (default: the primary metric)."""
        best = self.best_child(metric)
        return best, best.get_model()

    def leaderboard(self) -> pd.DataFrame:
        """Every run with its status and scores, best first."""
        rows = []
        for child in self.get_children():
            rows.append({"run": child.id, "estimator": child.estimator, "status": child.status,
                         self.primary_metric: child.score, **{
                             k: v for k, v in child.metrics.items() if k != self.primary_metric},
                         "error": child.error or ""})
        frame = pd.DataFrame(rows)
        if frame.empty:
            return frame
        from automl._metrics import get_metric

        ascending = not get_metric(self.primary_metric, self.task).greater_is_better
        return frame.sort_values(self.primary_metric, ascending=ascending, na_position="last",
                                 kind="stable").reset_index(drop=True)

    def report(self, path: str) -> str:
        """Write the experiment's HTML report (and CSV tables beside it); return its path."""
        from automl._report import write_report

        return write_report(self, path)

    def _model_of(self, child: ChildRun) -> Any:
        model = self.store.latest_object(self.study, child.number, "model.joblib")
        if model is not None:
            return model
        from automl._refit import refit_run

        model = refit_run(self, child)
        self.store.upload_object(self.study, child.number, "model.joblib", model)
        return model

    def training_data(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The training data stored with the experiment."""
        data = self.store.latest_object(self.study, "experiment", "training_data.joblib")
        if data is None:
            raise RunNotFoundError(f"experiment {self.experiment_name!r} has no stored training data.")
        return data["X"], data["y"]

    def __repr__(self) -> str:
        children = self.get_children()
        done = sum(c.status == "Completed" for c in children)
        return f"AutoMLRun({self.experiment_name!r}, {len(children)} runs, {done} completed)"

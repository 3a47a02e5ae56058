"""``MlflowRun``: an MLflow run as a run that stores files, for :class:`explain.ExplanationClient`."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._optional import require
from explain._serialization import _atomic_write

__all__ = ["EXPLANATIONS", "MlflowRun", "mlflow_client", "mlflow_settings", "model_name", "reach"]

EXPLANATIONS = "explanations"  # the artifact folder of a run that holds its explanations
PROBE_TIMEOUT_SECONDS = 10


def mlflow_client(tracking_uri: str | None) -> Any:
    """An ``mlflow.MlflowClient`` for ``tracking_uri`` (default: MLflow's own default)."""
    mlflow = require("mlflow", "mlflow", "tracking explanations in MLflow")
    return mlflow.MlflowClient(tracking_uri=tracking_uri)


@contextlib.contextmanager
def mlflow_settings(**settings: str) -> Iterator[None]:
    """MLflow's environment settings ``settings`` for the block, unless the user set them.

    MLflow reads its settings (``MLFLOW_*``) from the environment each time it uses them, and
    some have no other switch; they are set for the block only and removed after.
    """
    added = [name for name in settings if name not in os.environ]
    os.environ.update({name: settings[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _without_retries() -> contextlib.AbstractContextManager[None]:
    """MLflow's HTTP requests in the block: one try, :data:`PROBE_TIMEOUT_SECONDS` each.

    MLflow retries a refused connection 7 times with exponential backoff (minutes) before it
    raises; a first contact should say at once that the server is down.
    """
    return mlflow_settings(MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
                           MLFLOW_HTTP_REQUEST_TIMEOUT=str(PROBE_TIMEOUT_SECONDS))


def reach(tracking_uri: str | None, caller: str, argument: str = "tracking_uri") -> Any:
    """An ``mlflow.MlflowClient`` for ``tracking_uri``, after one request shows the store answers.

    Parameters
    ----------
    tracking_uri : str or None
        The tracking server or store; ``None``: MLflow's default.
    caller, argument : str
        Who asks, and the name of the argument ``tracking_uri`` came from (for the message).

    Raises
    ------
    ExplanationValueError
        When MLflow refuses the URI or the store does not answer (naming ``argument``).
    """
    exceptions = require("mlflow.exceptions", "mlflow", "tracking explanations in MLflow")
    try:
        client = mlflow_client(tracking_uri)
        with _without_retries():
            client.search_experiments(max_results=1)
    except exceptions.MlflowException as exc:
        where = "MLflow's default tracking store" if tracking_uri is None else repr(tracking_uri)
        raise ExplanationValueError(
            f"{caller}: cannot use the MLflow tracking store {argument}={where}: {_reason(exc)}; pass "
            "the address of a running MLflow tracking server (http://host:port) or a database URI "
            "such as sqlite:///mlflow.db.") from exc
    return client


def _reason(exc: Exception) -> str:
    """MLflow's message in one line: a refused connection said plainly (not urllib3's long repr),
    anything else cut to 300 characters."""
    text = " ".join(str(exc).split())
    if "Max retries exceeded" in text or "NewConnectionError" in text:
        return "nothing answers there (connection refused or timed out)"
    return text[:300]


def model_name(name: str) -> dict[str, str]:
    """The keyword argument naming a model in ``log_model``: ``name`` since MLflow 3, before it
    ``artifact_path`` (which MLflow 3 deprecates)."""
    mlflow = require("mlflow", "mlflow", "logging models to MLflow")
    major = int(mlflow.__version__.split(".")[0])
    return {"name": name} if major >= 3 else {"artifact_path": name}


class MlflowRun:
    """An MLflow run's artifacts as :class:`explain.RunArtifacts` (upload, list, download).

    Files go to the run's ``explanations/`` artifact folder, named ``<time_ns>__<name>`` so
    that listing them is listing them oldest first, as :class:`explain.DirectoryRun` does.

    Parameters
    ----------
    run_id : str
        The MLflow run.
    tracking_uri : str, default=None
        The tracking server or store (``http://127.0.0.1:5000``, ``sqlite:///mlflow.db``, ...);
        default: MLflow's own (``MLFLOW_TRACKING_URI``, else its local default).

    Raises
    ------
    ExplanationValueError
        When the tracking store cannot be reached (naming ``tracking_uri``) or has no run
        ``run_id`` (naming ``run_id``).
    """

    def __init__(self, run_id: str, tracking_uri: str | None = None) -> None:
        if not isinstance(run_id, str) or not run_id.strip():
            raise ExplanationTypeError(
                f"MlflowRun: run_id must be an MLflow run id (a string), got {run_id!r}.")
        if tracking_uri is not None and (not isinstance(tracking_uri, str) or not tracking_uri.strip()):
            raise ExplanationTypeError(
                f"MlflowRun: tracking_uri must be an MLflow tracking URI (a string) or None, got "
                f"{tracking_uri!r}.")
        self.run_id = run_id.strip()
        self.client = reach(tracking_uri, "MlflowRun")
        self.tracking_uri = self.client.tracking_uri
        exceptions = require("mlflow.exceptions", "mlflow", "tracking explanations in MLflow")
        try:
            with _without_retries():
                self.client.get_run(self.run_id)
        except exceptions.MlflowException as exc:
            raise ExplanationValueError(
                f"MlflowRun: no run_id={self.run_id!r} in the MLflow tracking store {self.tracking_uri} "
                f"({exc.error_code}); pass the run id MLflow shows, and tracking_uri if the run is "
                "on another server.") from exc

    def upload_file(self, path: str, name: str) -> str:
        """Log the file at ``path`` as the artifact ``explanations/<time_ns>__<name>``; return its path."""
        artifact = f"{time.time_ns()}__{Path(name).name}"
        with tempfile.TemporaryDirectory() as folder:
            staged = Path(folder) / artifact
            shutil.copyfile(path, staged)
            self.client.log_artifact(self.run_id, str(staged), EXPLANATIONS)
        return f"{EXPLANATIONS}/{artifact}"

    def list_files(self) -> list[dict[str, Any]]:
        """The files under ``explanations/``, oldest first, each ``{"id": path, "name": name}``."""
        stored = []
        for item in self.client.list_artifacts(self.run_id, EXPLANATIONS):
            stamp, _, name = Path(item.path).name.partition("__")
            if not item.is_dir and name and stamp.isdigit():
                stored.append((int(stamp), item.path, name))
        return [{"id": path, "name": name} for _, path, name in sorted(stored)]

    def download_file(self, file_id: str, path: str) -> None:
        """Write the artifact ``file_id`` (a path :meth:`list_files` gave) to ``path``, atomically."""
        artifacts = require("mlflow.artifacts", "mlflow", "tracking explanations in MLflow")
        with tempfile.TemporaryDirectory() as folder:
            local = artifacts.download_artifacts(run_id=self.run_id, artifact_path=file_id, dst_path=folder,
                                                 tracking_uri=self.tracking_uri)
            _atomic_write(Path(path), Path(local).read_bytes())

    def __repr__(self) -> str:
        return f"MlflowRun({self.run_id!r}, tracking_uri={self.tracking_uri!r})"

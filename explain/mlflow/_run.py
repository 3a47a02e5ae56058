"""``MlflowRun``: an MLflow run as a run that stores files, for :class:`explain.ExplanationClient`."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._optional import require
from explain._serialization import _atomic_write

__all__ = ["EXPLANATIONS", "MlflowRun", "mlflow_client"]

EXPLANATIONS = "explanations"  # the artifact folder of a run that holds its explanations


def mlflow_client(tracking_uri: str | None) -> Any:
    """An ``mlflow.MlflowClient`` for ``tracking_uri`` (default: MLflow's own default)."""
    mlflow = require("mlflow", "mlflow", "tracking explanations in MLflow")
    return mlflow.MlflowClient(tracking_uri=tracking_uri)


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
        default: MLflow's own (``MLFLOW_TRACKING_URI``, else ``./mlruns``).

    Raises
    ------
    ExplanationValueError
        When the tracking store has no run ``run_id``.
    """

    def __init__(self, run_id: str, tracking_uri: str | None = None) -> None:
        if not isinstance(run_id, str) or not run_id.strip():
            raise ExplanationTypeError(
                f"MlflowRun: run_id must be an MLflow run id (a string), got {run_id!r}.")
        self.run_id = run_id.strip()
        self.client = mlflow_client(tracking_uri)
        self.tracking_uri = self.client.tracking_uri
        exceptions = require("mlflow.exceptions", "mlflow", "tracking explanations in MLflow")
        try:
            self.client.get_run(self.run_id)
        except exceptions.MlflowException as exc:
            raise ExplanationValueError(
                f"MlflowRun: no run {self.run_id!r} in the MLflow tracking store {self.tracking_uri} "
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

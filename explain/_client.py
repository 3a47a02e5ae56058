"""``ExplanationClient``: upload, list and download explanations stored with a run.

Any run works that offers three file operations (:class:`RunArtifacts`): AutoML's runs
implement them over Optuna's artifact store, :class:`DirectoryRun` over a local folder.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from explain._exceptions import CompatibilityWarning, ExplanationTypeError, ExplanationValueError
from explain._explanation import Explanation
from explain._serialization import _atomic_write, load_explanation, save_explanation

__all__ = ["DirectoryRun", "ExplanationClient", "RunArtifacts"]


@runtime_checkable
class RunArtifacts(Protocol):
    """The file operations :class:`ExplanationClient` needs from a run."""

    def upload_file(self, path: str, name: str) -> str:
        """Store the file at ``path`` under ``name``; return its id."""
        ...

    def list_files(self) -> list[dict[str, Any]]:
        """Stored files, oldest first, each ``{"id": ..., "name": ...}``."""
        ...

    def download_file(self, file_id: str, path: str) -> None:
        """Write the stored file ``file_id`` to ``path``."""
        ...


class DirectoryRun:
    """A run that is a folder on disk, for explanations outside AutoML.

    Parameters
    ----------
    path : str or path-like
        The folder (created if missing).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)

    def upload_file(self, path: str, name: str) -> str:
        file_id = f"{time.time_ns()}__{name}"
        _atomic_write(self.path / file_id, Path(path).read_bytes())
        return file_id

    def list_files(self) -> list[dict[str, Any]]:
        files = sorted(p.name for p in self.path.iterdir() if "__" in p.name and not p.name.startswith("."))
        return [{"id": f, "name": f.split("__", 1)[1]} for f in files]

    def download_file(self, file_id: str, path: str) -> None:
        _atomic_write(Path(path), (self.path / file_id).read_bytes())


class ExplanationClient:
    """Upload, list and download the explanations of a run, as in azureml-interpret.

    Parameters
    ----------
    run : RunArtifacts
        A run offering ``upload_file``, ``list_files`` and ``download_file``.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from explain import DirectoryRun, Explanation, ExplanationClient
    >>> client = ExplanationClient.from_run(DirectoryRun(tempfile.mkdtemp()))
    >>> e = Explanation(method="demo", model_task="regression", features=["a", "b"],
    ...                 global_values=np.array([0.5, 2.0]))
    >>> explanation_id = client.upload_model_explanation(e, comment="first")
    >>> client.download_model_explanation(top_k=1).features
    ('b',)
    """

    def __init__(self, run: RunArtifacts) -> None:
        if not isinstance(run, RunArtifacts):
            raise ExplanationTypeError(
                "ExplanationClient: the run must offer upload_file, list_files and download_file "
                f"(see explain.RunArtifacts); {type(run).__name__} does not."
            )
        self.run = run

    @classmethod
    def from_run(cls, run: RunArtifacts, datastore_name: str | None = None) -> ExplanationClient:
        """A client for ``run`` (``datastore_name``, an Azure datastore, is accepted and unused)."""
        return cls(run)

    @classmethod
    def from_run_id(cls, workspace: Any, experiment_name: str, run_id: str,
                    datastore_name: str | None = None) -> ExplanationClient:
        """A client for the run ``run_id`` of ``experiment_name``, as azureml-interpret's.

        Parameters
        ----------
        workspace : str, path-like or object
            A folder holding experiments: the run is the folder
            ``workspace/experiment_name/run_id`` (a :class:`DirectoryRun`, created if
            missing); or an object with ``get_run(experiment_name, run_id)`` returning a run.
        experiment_name, run_id : str
            Which run.
        datastore_name : str, default=None
            Azure's datastore; accepted and unused.
        """
        for name, value in (("experiment_name", experiment_name), ("run_id", run_id)):
            if not isinstance(value, str) or not value or os.sep in value or value in (".", ".."):
                raise ExplanationValueError(
                    f"ExplanationClient.from_run_id: {name} must be a non-empty name without "
                    f"{os.sep!r}, got {value!r}.")
        if isinstance(workspace, str | os.PathLike):
            return cls(DirectoryRun(Path(workspace) / experiment_name / run_id))
        if callable(getattr(workspace, "get_run", None)):
            return cls(workspace.get_run(experiment_name, run_id))
        raise ExplanationTypeError(
            "ExplanationClient.from_run_id: workspace must be a folder or have get_run(experiment_name, "
            f"run_id); got {type(workspace).__name__}.")

    @classmethod
    def from_mlflow_run(cls, run_id: str, tracking_uri: str | None = None) -> ExplanationClient:
        """A client for the MLflow run ``run_id`` (``pip install 'automl-explain[mlflow]'``).

        Explanations are stored as the run's artifacts under ``explanations/``, in this
        library's versioned format (see :mod:`explain.mlflow`).

        Parameters
        ----------
        run_id : str
            The MLflow run.
        tracking_uri : str, default=None
            The tracking server or store (``http://127.0.0.1:5000``, ...); default MLflow's own
            (``MLFLOW_TRACKING_URI``, else ``./mlruns``).

        Raises
        ------
        ExplanationValueError
            When the tracking store has no such run.
        ImportError
            When MLflow is not installed (the message names the extra).
        """
        from explain.mlflow._run import MlflowRun  # MLflow is optional: imported when asked for

        return cls(MlflowRun(run_id, tracking_uri))

    def upload_model_explanation(self, explanation: Explanation, max_num_blocks: int | None = None,
                                 block_size: int | None = None, top_k: int | None = None,
                                 comment: str | None = None, init_dataset_id: str | None = None,
                                 eval_dataset_id: str | None = None, ys_pred_dataset_id: str | None = None,
                                 ys_pred_proba_dataset_id: str | None = None,
                                 upload_datasets: bool = False, model_id: str | None = None,
                                 true_ys: Any = None, visualization_points: int = 5000) -> str:
        """Store ``explanation`` (its ``top_k`` features only, if given); return its id.

        azureml-interpret's signature. ``comment`` and ``model_id`` are stored and filter
        :meth:`list_model_explanations`; the downloaded explanation carries ``model_id``.
        ``true_ys`` (one label per explained row) and the Azure dataset ids are stored in the
        explanation's metadata. The explanation is stored whole in one file, so
        ``max_num_blocks`` / ``block_size`` (Azure's chunked upload of local values) and
        ``visualization_points`` (the dashboard samples 5,000 points here) change nothing;
        ``upload_datasets=True`` warns: data rows are not stored with explanations here.
        """
        if not isinstance(explanation, Explanation):
            raise ExplanationTypeError(
                f"upload_model_explanation: expected an Explanation, got {type(explanation).__name__}."
            )
        if upload_datasets:
            warnings.warn("upload_model_explanation: upload_datasets=True is accepted, but data rows are "
                          "not stored with explanations here; pass the data to the dashboard instead.",
                          CompatibilityWarning, stacklevel=2)
        if top_k is not None:
            explanation = explanation.top_k(top_k)
        model_id = model_id if model_id is not None else explanation.model_id
        explanation_id = uuid.uuid4().hex
        metadata = {
            "id": explanation_id, "comment": comment, "raw": explanation.is_raw,
            "engineered": not explanation.is_raw or explanation.engineered_explanation is not None,
            "method": explanation.method, "model_task": explanation.model_task,
            "num_features": explanation.num_features, "num_examples": explanation.num_examples,
            "top_k": top_k, "uploaded": time.time(), "model_id": _optional_text(model_id, "model_id"),
            "true_ys": _labels(true_ys, explanation.num_examples),
            "datasets": {name: _optional_text(value, name) for name, value in (
                ("init_dataset_id", init_dataset_id), ("eval_dataset_id", eval_dataset_id),
                ("ys_pred_dataset_id", ys_pred_dataset_id),
                ("ys_pred_proba_dataset_id", ys_pred_proba_dataset_id)) if value is not None},
        }
        with tempfile.TemporaryDirectory() as folder:
            # values only: the rows are referred to by the dataset ids, as in azureml-interpret
            data = save_explanation(explanation, Path(folder) / "explanation.npz", include_data=False)
            self.run.upload_file(str(data), f"explanation-{explanation_id}.npz")
            meta = Path(folder) / "explanation.json"
            meta.write_text(json.dumps(metadata))
            self.run.upload_file(str(meta), f"explanation-{explanation_id}.json")
        return explanation_id

    def list_model_explanations(self, comment: str | None = None, raw: bool | None = None,
                                engineered: bool | None = None) -> list[dict[str, Any]]:
        """Metadata of the stored explanations matching the filters, oldest first.

        Parameters
        ----------
        comment : str, default=None
            Only explanations uploaded with this comment.
        raw : bool, default=None
            ``True``: explanations offering a raw one; ``False``: explanations offering an
            engineered one (a raw explanation stored with its engineered one inside offers
            both); ``None``: no filter.
        engineered : bool, default=None
            ``True`` is ``raw=False`` and ``False`` is ``raw=True``; ``None``: no filter.

        Raises
        ------
        ExplanationValueError
            When ``raw`` and ``engineered`` ask for opposite things.
        """
        view = _view(raw, engineered, "list_model_explanations")
        found = []
        with tempfile.TemporaryDirectory() as folder:
            for item in self.run.list_files():
                if not (item["name"].startswith("explanation-") and item["name"].endswith(".json")):
                    continue
                path = Path(folder) / "meta.json"
                self.run.download_file(item["id"], str(path))
                found.append(json.loads(path.read_text()))
        return [m for m in found
                if (comment is None or m["comment"] == comment) and (view is None or m[view])]

    def download_model_explanation(self, explanation_id: str | None = None, top_k: int | None = None,
                                   comment: str | None = None, raw: bool | None = None,
                                   engineered: bool | None = None) -> Explanation:
        """The explanation ``explanation_id``, or the newest one matching the filters.

        As in azureml-interpret, ``raw=False`` returns the engineered explanation (what
        Azure's AutoML walkthrough downloads with ``download_model_explanation(raw=False)``)
        and ``raw=True`` the raw one; ``engineered=True`` / ``False`` say the same from the
        other side. A raw explanation stored with its engineered one inside answers both:
        ``raw=False`` returns the engineered one it carries. Without ``raw`` and
        ``engineered`` (the default), the newest matching explanation is returned as stored.

        Parameters
        ----------
        explanation_id : str, default=None
            The id :meth:`upload_model_explanation` returned; default the newest match.
        top_k : int, default=None
            Keep only the ``top_k`` most important features.
        comment : str, default=None
            Only explanations uploaded with this comment.
        raw, engineered : bool, default=None
            The feature space wanted (see above).

        Raises
        ------
        ExplanationValueError
            When nothing matches, or ``raw`` and ``engineered`` ask for opposite things.
        """
        view = _view(raw, engineered, "download_model_explanation")
        matching = self.list_model_explanations(comment, raw, engineered)
        if explanation_id is not None:
            matching = [m for m in matching if m["id"] == explanation_id]
        if not matching:
            raise ExplanationValueError(
                "download_model_explanation: no stored explanation matches "
                f"(id={explanation_id!r}, comment={comment!r}, raw={raw!r}, engineered={engineered!r}); "
                "list_model_explanations() shows what is stored."
            )
        explanation = self._load(matching[-1]["id"])
        if matching[-1].get("model_id") is not None:
            explanation = replace(explanation, model_id=matching[-1]["model_id"])
        if view == "engineered" and explanation.is_raw:
            assert explanation.engineered_explanation is not None  # the metadata says it has one
            explanation = explanation.engineered_explanation
        return explanation if top_k is None else explanation.top_k(top_k)

    def _load(self, explanation_id: str) -> Explanation:
        name = f"explanation-{explanation_id}.npz"
        file_id = next(item["id"] for item in self.run.list_files() if item["name"] == name)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "explanation.npz"
            self.run.download_file(file_id, str(path))
            return load_explanation(path)


def _view(raw: bool | None, engineered: bool | None, caller: str) -> str | None:
    """The feature space asked for: ``"raw"``, ``"engineered"`` or ``None`` (either)."""
    if raw is not None and engineered is not None and bool(raw) == bool(engineered):
        if raw:
            raise ExplanationValueError(f"{caller}: ask for raw or engineered, not both.")
        raise ExplanationValueError(
            f"{caller}: raw=False and engineered=False ask for neither feature space; pass one of them.")
    if raw is not None:
        return "raw" if raw else "engineered"
    if engineered is not None:
        return "engineered" if engineered else "raw"
    return None


def _optional_text(value: Any, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ExplanationTypeError(f"upload_model_explanation: {name} must be a string, got {value!r}.")
    return value


def _labels(true_ys: Any, n_rows: int | None) -> list[Any] | None:
    """``true_ys`` as a JSON list, one label per explained row."""
    if true_ys is None:
        return None
    values = np.asarray(true_ys.toarray() if hasattr(true_ys, "toarray") else true_ys).ravel()
    if n_rows is not None and values.size != n_rows:
        raise ExplanationValueError(
            f"upload_model_explanation: true_ys has {values.size} labels but the explanation explains "
            f"{n_rows} rows.")
    labels = values.tolist()
    if values.dtype.kind not in "biufU" and not all(isinstance(v, str | int | float | bool) for v in labels):
        raise ExplanationTypeError("upload_model_explanation: true_ys must be numbers or text labels, got "
                                   f"values of dtype {values.dtype}.")
    return labels

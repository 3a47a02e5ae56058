"""``ExplanationClient``: upload, list and download explanations stored with a run.

Any run works that offers three file operations (:class:`RunArtifacts`): AutoML's runs
implement them over Optuna's artifact store, :class:`DirectoryRun` over a local folder.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from explain._exceptions import ExplanationTypeError, ExplanationValueError
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
    def from_run(cls, run: RunArtifacts) -> ExplanationClient:
        """A client for ``run``."""
        return cls(run)

    def upload_model_explanation(self, explanation: Explanation, top_k: int | None = None,
                                 comment: str | None = None) -> str:
        """Store ``explanation`` (its ``top_k`` features only, if given); return its id."""
        if not isinstance(explanation, Explanation):
            raise ExplanationTypeError(
                f"upload_model_explanation: expected an Explanation, got {type(explanation).__name__}."
            )
        if top_k is not None:
            explanation = explanation.top_k(top_k)
        explanation_id = uuid.uuid4().hex
        metadata = {
            "id": explanation_id, "comment": comment, "raw": explanation.is_raw,
            "engineered": explanation.is_engineered or explanation.engineered_explanation is not None,
            "method": explanation.method, "model_task": explanation.model_task,
            "num_features": explanation.num_features, "num_examples": explanation.num_examples,
            "top_k": top_k, "uploaded": time.time(),
        }
        with tempfile.TemporaryDirectory() as folder:
            data = save_explanation(explanation, Path(folder) / "explanation.npz")
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

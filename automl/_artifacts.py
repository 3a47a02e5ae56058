"""Optuna's file-system artifact store, made atomic: an artifact file is whole or absent."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import threading
import uuid
from pathlib import Path
from typing import BinaryIO

from optuna.artifacts.exceptions import ArtifactNotFound

from automl._processes import process_exists

__all__ = ["AtomicArtifactStore"]

_WRITER = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]  # this machine, in file names


class AtomicArtifactStore:
    """Optuna's file-system artifact store, but each file appears whole or not at all.

    Optuna's ``FileSystemArtifactStore`` writes straight to the final file, so a full disk or
    a kill leaves a truncated artifact behind. Here a file is written beside its final name,
    flushed to disk and renamed into place; a failed write removes what it wrote, and the
    partial file of a writer that was killed is removed by the next store opened on its machine
    (its name carries the machine and the process id).

    Parameters
    ----------
    base_path : str
        The artifact folder.
    """

    def __init__(self, base_path: str) -> None:
        self.base_path = Path(base_path)
        self._local = threading.local()

    def _path(self, artifact_id: str) -> Path:
        path = (self.base_path / artifact_id).resolve()
        if path.parent != self.base_path.resolve():
            raise ValueError(f"invalid artifact id {artifact_id!r}")
        return path

    def open_reader(self, artifact_id: str) -> BinaryIO:
        try:
            return open(self._path(artifact_id), "rb")
        except FileNotFoundError as exc:
            raise ArtifactNotFound(f"artifact {artifact_id} not found in {self.base_path}") from exc

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        path = self._path(artifact_id)
        partial = path.with_name(f".{artifact_id}.{_WRITER}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
        try:
            with open(partial, "wb") as handle:
                shutil.copyfileobj(content_body, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        self._local.written = artifact_id

    def remove_abandoned(self) -> list[Path]:
        """Remove partial files of writers on this machine that died mid-write; return them."""
        removed = []
        for partial in self.base_path.glob(f".*.{_WRITER}.*.partial"):
            pid = partial.name.rsplit(".", 3)[-3]
            if pid.isdigit() and not process_exists(int(pid)):
                partial.unlink(missing_ok=True)
                removed.append(partial)
        return removed

    def remove(self, artifact_id: str) -> None:
        try:
            os.remove(self._path(artifact_id))
        except FileNotFoundError as exc:
            raise ArtifactNotFound(f"artifact {artifact_id} not found in {self.base_path}") from exc

    def take_written(self) -> str | None:
        """The id of the last file this thread wrote, forgotten once read."""
        written = getattr(self._local, "written", None)
        self._local.written = None
        return written

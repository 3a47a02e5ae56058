"""Reading an explanation file's ZIP container within limits, with the library's own errors.

:func:`~explain.load_explanation` reads files that may come from anywhere: truncated copies,
flipped bits, or hostile archives (a small file that inflates to gigabytes, encrypted or
oddly compressed members, pickled or object arrays, ``.npy`` headers declaring absurd shapes,
JSON nested thousands deep). :class:`ExplanationArchive` reads only what the format allows and
turns every failure of :mod:`zipfile`, :mod:`zlib`, :mod:`json` and NumPy's ``.npy`` header
parser into :class:`~explain.ExplanationFileError` naming the file and the cause.

Sizes are checked before and while inflating, because headers can lie: the central
directory's declared sizes against ``max_bytes`` before anything is inflated; each ``.npy``
header's shape against its member's declared size before the array is allocated; and the bytes
actually inflated, read in bounded chunks (:mod:`zipfile` returns at most the declared size and
checks the CRC at the end of a member, so a member that inflates to more, or to other bytes,
fails there). Memory therefore stays within about ``max_bytes`` plus one chunk.

This is done by hand rather than with :func:`numpy.load` because ``numpy.load`` reads a member
whole before parsing it and trusts the declared shape when allocating.
"""

from __future__ import annotations

import json
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np

from explain._exceptions import ExplanationFileError

__all__ = ["DEFAULT_MAX_BYTES", "MAX_JSON_DEPTH", "ExplanationArchive"]

DEFAULT_MAX_BYTES = 2**30
MAX_METADATA_BYTES = 64 * 2**20
MAX_JSON_DEPTH = 32
MAX_ARRAY_DIMENSIONS = 4
CHUNK_BYTES = 16 * 2**20
_ALLOWED_DTYPES = (np.dtype("<f8"), np.dtype(">f8"))
_DATA_DTYPES = (*_ALLOWED_DTYPES, np.dtype("<i8"), np.dtype(">i8"), np.dtype("bool"))
_UNSUPPORTED_FLAGS = 0x1 | 0x20 | 0x40  # encrypted, compressed patched data, strong encryption
# What zipfile, zlib and NumPy's header parser raise on damaged input (a negative seek is an
# OSError, a truncated header a struct.error or EOFError, a bad header a ValueError).
_LIBRARY_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError, ValueError,
                   struct.error, OverflowError, RecursionError)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


class ExplanationArchive:
    """An explanation file opened for reading: its member names, JSON and arrays.

    Parameters
    ----------
    path : Path
        The file (named in every error).
    handle : binary file
        The file opened for reading (the caller opens it, so that a missing file stays a
        :class:`FileNotFoundError`).
    max_bytes : int
        Most bytes all members may inflate to together.

    Raises
    ------
    ExplanationFileError
        If the file is not a ZIP archive, has duplicate, encrypted or not deflated / stored
        members, or declares more than ``max_bytes`` of content.
    """

    def __init__(self, path: Path, handle: IO[bytes], max_bytes: int) -> None:
        self.path, self.max_bytes = path, max_bytes
        with self._translated("its ZIP directory is unreadable"):
            self._zip = zipfile.ZipFile(handle)
        try:
            self._infos = self._checked_infos(self._zip.infolist())
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> ExplanationArchive:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._zip.close()

    @property
    def names(self) -> frozenset[str]:
        """The member names."""
        return frozenset(self._infos)

    def error(self, cause: str) -> ExplanationFileError:
        """The error refusing this file because of ``cause``."""
        return ExplanationFileError(
            f"load_explanation: {self.path} is not an explanation file written by save_explanation, or "
            f"it is damaged: {cause}.")

    def read_json(self, name: str) -> Any:
        """Member ``name`` parsed as UTF-8 JSON nested at most :data:`MAX_JSON_DEPTH` deep."""
        data = self._read_bytes(name, min(self.max_bytes, MAX_METADATA_BYTES))
        with self._translated(f"{name} is not valid UTF-8 JSON"):
            text = data.decode("utf-8")
            depth = _json_depth(text)
            if depth > MAX_JSON_DEPTH:
                raise self.error(f"{name} is nested {depth} levels deep, more than {MAX_JSON_DEPTH}")
            return json.loads(text)

    def read_array(self, name: str, *, data: bool = False) -> np.ndarray:
        """Member ``name`` as a read-only float64 array, checked before it is allocated; with
        ``data`` (saved rows and predictions) int64, bool and unicode arrays are read too."""
        info = self._info(name)
        with self._translated(f"array {name} is unreadable"), self._zip.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise self.error(f"array {name} has .npy format version {version}; expected 1.0 or 2.0")
            out = self._allocated(name, shape, dtype, info.file_size - member.tell(), fortran_order, data)
            self._fill(name, member, out)
        out.setflags(write=False)
        return out

    # ------------------------------------------------------------------ internals
    def _checked_infos(self, infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
        by_name: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if info.filename in by_name:
                raise self.error(f"member {info.filename!r} appears twice")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise self.error(f"member {info.filename!r} uses compression method {info.compress_type}; "
                                 "only stored and deflated members are read")
            if info.flag_bits & _UNSUPPORTED_FLAGS:
                raise self.error(f"member {info.filename!r} is encrypted or patched")
            by_name[info.filename] = info
        declared = sum(info.file_size for info in infos)
        if declared > self.max_bytes:
            raise ExplanationFileError(
                f"load_explanation: {self.path} declares {declared} bytes of content, over the limit "
                f"max_bytes={self.max_bytes}; if you trust the file, pass a larger max_bytes.")
        return by_name

    def _info(self, name: str) -> zipfile.ZipInfo:
        if name not in self._infos:
            raise self.error(f"it has no member {name!r}")
        return self._infos[name]

    def _read_bytes(self, name: str, limit: int) -> bytes:
        info = self._info(name)
        if info.file_size > limit:
            raise self.error(f"{name} declares {info.file_size} bytes, more than the {limit} allowed")
        with self._translated(f"{name} is unreadable"), self._zip.open(info) as member:
            data = member.read(info.file_size + 1)
        if len(data) != info.file_size:
            raise self.error(f"{name} holds {len(data)} bytes but its header declares {info.file_size}")
        return data

    def _allocated(self, name: str, shape: Any, dtype: np.dtype[Any], n_bytes: int,
                   fortran_order: bool, data: bool = False) -> np.ndarray:
        """An empty array of ``shape`` once it is known to fill exactly ``n_bytes`` of its dtype."""
        if dtype not in _ALLOWED_DTYPES and not (data and (dtype in _DATA_DTYPES or dtype.kind == "U")):
            raise self.error(f"array {name} has dtype {dtype}; expected float64"
                             + (", int64, bool or unicode" if data else ""))
        if len(shape) > MAX_ARRAY_DIMENSIONS or any(size < 0 for size in shape):
            raise self.error(f"array {name} has shape {shape}")
        if math.prod(shape) * dtype.itemsize != n_bytes:
            raise self.error(f"array {name} of shape {shape} needs {math.prod(shape) * dtype.itemsize} "
                             f"bytes but its member holds {n_bytes}")
        if fortran_order:
            return np.empty(shape[::-1], dtype=dtype).T
        return np.empty(shape, dtype=dtype)

    def _fill(self, name: str, member: IO[bytes], out: np.ndarray) -> None:
        """Read ``out``'s bytes from ``member`` in chunks, then check that the member ends there."""
        contiguous = out if out.flags.c_contiguous else out.T
        view = contiguous.data.cast("B") if out.size else memoryview(b"")
        position = 0
        while position < len(view):
            chunk = member.read(min(CHUNK_BYTES, len(view) - position))
            if not chunk:
                raise self.error(f"array {name} ends after {position} of {len(view)} bytes")
            view[position:position + len(chunk)] = chunk
            position += len(chunk)
        if member.read(1):
            raise self.error(f"array {name} has bytes after its data")

    @contextmanager
    def _translated(self, cause: str) -> Iterator[None]:
        """Turn the errors of zipfile, zlib, json and NumPy's header parser into ours."""
        try:
            yield
        except ExplanationFileError:
            raise
        except _LIBRARY_ERRORS as exc:
            detail = "nested too deeply" if isinstance(exc, RecursionError) else " ".join(str(exc).split())
            raise self.error(f"{cause} ({type(exc).__name__}: {detail[:200]})") from exc


def _json_depth(text: str) -> int:
    """How deep ``text``'s arrays and objects nest (strings skipped), without parsing it."""
    skeleton = np.frombuffer(_JSON_STRING.sub("", text).encode("utf-8", "surrogatepass"), dtype=np.uint8)
    opened = (skeleton == ord("[")) | (skeleton == ord("{"))
    closed = (skeleton == ord("]")) | (skeleton == ord("}"))
    return int(np.cumsum(opened.astype(np.int64) - closed).max(initial=0))

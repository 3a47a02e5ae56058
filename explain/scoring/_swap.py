"""Exchanging two directories in one step, so a path always holds a complete directory.

Replacing a saved directory by renaming the old one away and the new one in leaves an instant
in which the path holds nothing; a process killed there leaves no loadable directory. Linux
(``renameat2`` with ``RENAME_EXCHANGE``, kernel 3.15+) and macOS (``renamex_np`` with
``RENAME_SWAP``) exchange two paths atomically; Python's standard library does not expose
either, hence :mod:`ctypes` here. Where neither is available (other systems, or file systems
that refuse the flag), :func:`exchange` falls back to two renames, undoing the first if the
second fails; only there a process killed between the two leaves the old directory under the
other name.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["exchange"]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # Linux <linux/fs.h>
_RENAME_SWAP = 2  # macOS <stdio.h>
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}


def exchange(first: Path, second: Path) -> None:
    """Swap the directories at ``first`` and ``second`` (both must exist).

    Raises
    ------
    OSError
        If the swap fails; both paths then hold what they held before.
    """
    call = _native()
    if call is not None:
        if call(os.fsencode(first), os.fsencode(second)) == 0:
            return
        code = ctypes.get_errno()
        if code not in _UNSUPPORTED:
            raise OSError(code, os.strerror(code), str(first), None, str(second))
    _exchange_by_renames(first, second)


def _native() -> Any:
    """A function ``(first, second) -> 0 or -1`` exchanging two paths, or None."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if hasattr(libc, "renameat2"):  # glibc 2.28+, musl 1.2.5+
            renameat2 = libc.renameat2
            renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                  ctypes.c_uint]
            return lambda a, b: renameat2(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE)
    if sys.platform == "darwin":
        libc = ctypes.CDLL(None, use_errno=True)
        if hasattr(libc, "renamex_np"):  # macOS 10.12+
            renamex_np = libc.renamex_np
            renamex_np.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
            return lambda a, b: renamex_np(a, b, _RENAME_SWAP)
    return None


def _exchange_by_renames(first: Path, second: Path) -> None:
    parked = second.with_name(f"{second.name}.{os.getpid()}.exchanging")
    os.rename(second, parked)
    try:
        os.rename(first, second)
    except BaseException:
        os.rename(parked, second)
        raise
    os.rename(parked, first)

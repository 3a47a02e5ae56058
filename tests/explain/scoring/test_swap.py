"""Exchanging two directories in one step (the commit of ``explain.scoring.save``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from explain.scoring import _swap


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        (folder / "name").write_text(folder.name)
    return first, second


def _held(first: Path, second: Path) -> tuple[str, str]:
    return (first / "name").read_text(), (second / "name").read_text()


@pytest.mark.skipif(not sys.platform.startswith(("linux", "darwin")), reason="native exchange only there")
def test_the_native_exchange_is_used_and_swaps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = _pair(tmp_path)
    assert _swap._native() is not None
    monkeypatch.setattr(os, "rename", lambda *a: pytest.fail("fell back to renames"))
    _swap.exchange(first, second)
    assert _held(first, second) == ("second", "first")
    _swap.exchange(first, second)
    assert _held(first, second) == ("first", "second")


@pytest.mark.skipif(not sys.platform.startswith(("linux", "darwin")), reason="native exchange only there")
def test_a_native_failure_is_raised_and_changes_nothing(tmp_path: Path) -> None:
    first, _ = _pair(tmp_path)
    with pytest.raises(FileNotFoundError, match="No such file"):
        _swap.exchange(first, tmp_path / "missing")
    assert (first / "name").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first", "second"]


def test_the_fallback_swaps_by_three_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_swap, "_native", lambda: None)
    first, second = _pair(tmp_path)
    _swap.exchange(first, second)
    assert _held(first, second) == ("second", "first")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first", "second"]


def test_an_unsupported_native_exchange_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes
    import errno

    monkeypatch.setattr(_swap, "_native", lambda: lambda a, b: -1)
    monkeypatch.setattr(ctypes, "get_errno", lambda: errno.EINVAL)  # e.g. a file system without it
    first, second = _pair(tmp_path)
    _swap.exchange(first, second)
    assert _held(first, second) == ("second", "first")


def test_the_fallback_undoes_its_first_rename_when_the_second_fails(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_swap, "_native", lambda: None)
    real: Callable[..., Any] = os.rename
    calls = []

    def rename(source: Any, target: Any) -> None:
        calls.append(Path(source).name)
        if len(calls) == 2:
            raise OSError("disk gone")
        real(source, target)

    monkeypatch.setattr(os, "rename", rename)
    first, second = _pair(tmp_path)
    with pytest.raises(OSError, match="disk gone"):
        _swap.exchange(first, second)
    assert _held(first, second) == ("first", "second")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first", "second"]

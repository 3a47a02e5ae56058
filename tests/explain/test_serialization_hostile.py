"""Damaged and hostile explanation files: every one is refused with ``ExplanationFileError``
naming the file, fast and within bounded memory, or loads as a valid explanation (for a
single flipped byte: the very explanation that was saved).

Covers every single-byte flip and truncation of the golden files, Hypothesis-chosen flips,
truncations, insertions and deletions, zip bombs (declared and lying sizes), ``.npy`` headers
declaring huge shapes, object and pickled arrays, unexpected members (path tricks, duplicates),
unsupported compression and encryption, deeply nested JSON, and metadata of the wrong types.
"""

from __future__ import annotations

import io
import json
import random
import struct
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from explain import (
    Explanation,
    ExplanationError,
    ExplanationFileError,
    ExplanationValueError,
    SchemaVersionError,
    load_explanation,
    save_explanation,
)
from explain._archive import DEFAULT_MAX_BYTES, MAX_JSON_DEPTH
from tests.explain.test_serialization import assert_same

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_FILES = sorted(GOLDEN.glob("*.npz"))
RAW = GOLDEN / "explanation_v2_classification_raw.npz"


def _outcome(path: Path) -> Explanation | None:
    """The explanation loaded, or None if refused; anything else raised fails the test."""
    try:
        explanation = load_explanation(path)
    except ExplanationFileError as exc:
        assert str(path) in str(exc), exc
        return None
    assert isinstance(explanation, Explanation)
    return explanation


def _resaves(explanation: Explanation, folder: Path) -> None:
    """A loaded explanation is consistent: it saves and loads back the same."""
    resaved = save_explanation(explanation, folder / "resaved.npz", exist_ok=True)
    assert_same(explanation, load_explanation(resaved))


def _members(source: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(source) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_zip(target: Path, members: dict[str, bytes] | list[tuple[str, bytes]],
               compression: int = zipfile.ZIP_DEFLATED) -> Path:
    items = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(target, "w", compression=compression) as archive:
        for name, data in items:
            archive.writestr(name, data)
    return target


def _with_metadata(tmp_path: Path, edit: Callable[[dict[str, Any]], Any], source: Path = RAW) -> Path:
    members = _members(source)
    metadata = json.loads(members["metadata.json"])
    edit(metadata)
    members["metadata.json"] = json.dumps(metadata).encode()
    return _write_zip(tmp_path / "edited.npz", members)


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


# ------------------------------------------------------------------------- single-byte damage
@pytest.mark.parametrize("golden", GOLDEN_FILES, ids=lambda p: p.stem)
def test_every_single_byte_flip_is_refused_or_loads_a_valid_explanation(tmp_path: Path,
                                                                        golden: Path) -> None:
    source, original = golden.read_bytes(), load_explanation(golden)
    rng = random.Random(0)
    path = tmp_path / "flipped.npz"
    outcomes = {"loaded": 0, "refused": 0}
    for position in range(len(source)):
        data = bytearray(source)
        data[position] ^= rng.randrange(1, 256)
        path.write_bytes(bytes(data))
        loaded = _outcome(path)
        outcomes["refused" if loaded is None else "loaded"] += 1
        if loaded is not None:  # a byte the content does not depend on (a timestamp, a local header
            assert_same(original, loaded)  # field zipfile ignores): the very explanation saved
    assert outcomes["refused"] > len(source) // 2, outcomes


def test_every_truncation_is_refused(tmp_path: Path) -> None:
    source = RAW.read_bytes()
    path = tmp_path / "truncated.npz"
    for length in range(len(source)):
        path.write_bytes(source[:length])
        assert _outcome(path) is None, length


MUTATIONS = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 8)),
)


def _mutated(source: bytes, mutations: list[tuple[str, int, int]]) -> bytes:
    data = bytearray(source)
    for kind, where, value in mutations:
        position = where % (len(data) + 1)
        if kind == "flip" and position < len(data):
            data[position] ^= value
        elif kind == "truncate":
            del data[position:]
        elif kind == "insert":
            data[position:position] = bytes([value])
        elif kind == "delete":
            del data[position:position + value]
    return bytes(data)


@given(golden=st.sampled_from(GOLDEN_FILES), mutations=st.lists(MUTATIONS, min_size=1, max_size=4))
@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow,
                                                                                 HealthCheck.function_scoped_fixture])
def test_mutated_files_are_refused_or_load(tmp_path: Path, golden: Path,
                                           mutations: list[tuple[str, int, int]]) -> None:
    path = tmp_path / "mutated.npz"
    path.write_bytes(_mutated(golden.read_bytes(), mutations))
    loaded = _outcome(path)
    event("refused" if loaded is None else "loaded")
    if loaded is not None:
        _resaves(loaded, tmp_path)


# ------------------------------------------------------------------------------- zip bombs
def _raw_zip(members: dict[str, tuple[bytes, int, int]]) -> bytes:
    """A ZIP of deflated members given as ``name -> (deflated bytes, declared size, CRC)``."""
    out, central = bytearray(), bytearray()
    for name, (payload, size, crc) in members.items():
        encoded, offset = name.encode(), len(out)
        out += struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 8, 0, 0x21, crc, len(payload), size,
                           len(encoded), 0) + encoded + payload
        central += struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 0, 20, 0, 0, 8, 0, 0x21, crc,
                               len(payload), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + end)


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(), len(data), zlib.crc32(data)


def _zero_bomb(header: bytes, n_mib: int) -> tuple[bytes, int, int]:
    """``header`` then ``n_mib`` MiB of zeros, deflated (the zeros' blocks repeated, so the
    bomb is built in milliseconds), with its true size and CRC."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    zeros = bytes(2**20)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(header)
    for _ in range(n_mib):
        crc = zlib.crc32(zeros, crc)
    return start + block * n_mib + compressor.flush(), len(header) + n_mib * 2**20, crc


def _bomb_metadata() -> tuple[bytes, int, int]:
    metadata = json.loads(_members(GOLDEN / "explanation_v1_regression_global.npz")["metadata.json"])
    metadata.update(arrays=["global_values"], features=["f0"],
                    fidelity={})
    return _deflated(json.dumps(metadata).encode())


def _fails_fast_in_little_memory(path: Path, match: str, **kwargs: Any) -> None:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ExplanationFileError, match=match):
            load_explanation(path, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 5
    assert peak < 40 * 2**20, peak


def test_a_one_megabyte_file_inflating_to_a_gibibyte_is_refused_before_inflating(tmp_path: Path) -> None:
    bomb = _zero_bomb(_npy_header((2**27,)), 2**10)
    path = tmp_path / "bomb.npz"
    path.write_bytes(_raw_zip({"metadata.json": _bomb_metadata(), "global_values.npy": bomb}))
    assert path.stat().st_size < 2 * 2**20 and bomb[1] > DEFAULT_MAX_BYTES
    _fails_fast_in_little_memory(path, rf"{path.name} declares \d+ bytes of content, over the limit "
                                       rf"max_bytes={DEFAULT_MAX_BYTES}; if you trust the file, pass a "
                                       "larger max_bytes")


def test_a_bomb_whose_header_declares_a_small_size_is_stopped_while_inflating(tmp_path: Path) -> None:
    payload, _, crc = _zero_bomb(_npy_header((100,)), 256)  # inflates to 256 MiB
    path = tmp_path / "liar.npz"
    path.write_bytes(_raw_zip({"metadata.json": _bomb_metadata(), "global_values.npy": (payload, 928, crc)}))
    _fails_fast_in_little_memory(path, r"liar\.npz is not an explanation file .* damaged: array "
                                       r"global_values\.npy is unreadable \(BadZipFile: Bad CRC-32")


def test_a_bomb_whose_npy_header_disagrees_with_its_size_is_refused_before_allocating(tmp_path: Path
                                                                                      ) -> None:
    payload, size, crc = _zero_bomb(_npy_header((100,)), 256)  # truthful ZIP sizes, lying .npy shape
    path = tmp_path / "shape.npz"
    path.write_bytes(_raw_zip({"metadata.json": _bomb_metadata(), "global_values.npy": (payload, size, crc)}))
    _fails_fast_in_little_memory(path, r"array global_values\.npy of shape \(100,\) needs 800 bytes but "
                                       r"its member holds \d+")


def test_an_npy_header_declaring_a_huge_shape_is_refused_before_allocating(tmp_path: Path) -> None:
    members = _members(RAW)
    members["global_values.npy"] = _npy_header((10**6, 10**6)) + bytes(24)
    path = _write_zip(tmp_path / "huge.npz", members)
    _fails_fast_in_little_memory(path, r"array global_values\.npy of shape \(1000000, 1000000\) needs "
                                       r"8000000000000 bytes but its member holds 24")


def test_max_bytes_bounds_the_content_and_can_be_raised(tmp_path: Path) -> None:
    with zipfile.ZipFile(RAW) as archive:
        total = sum(info.file_size for info in archive.infolist())
    assert load_explanation(RAW, max_bytes=total).features == ("age", "income", "place")
    with pytest.raises(ExplanationFileError, match=rf"declares {total} bytes of content, over the limit "
                                                   rf"max_bytes={total - 1}"):
        load_explanation(RAW, max_bytes=total - 1)
    for bad in (0, -1, True, 1.5, "1"):
        with pytest.raises(ExplanationValueError, match="max_bytes must be a positive integer"):
            load_explanation(RAW, max_bytes=bad)  # type: ignore[arg-type]


# --------------------------------------------------------------------- hostile archives
def _replaced(name: str, data: bytes) -> Callable[[dict[str, bytes]], list[tuple[str, bytes]]]:
    return lambda members: list({**members, name: data}.items())


def _added(name: str, data: bytes = b"x") -> Callable[[dict[str, bytes]], list[tuple[str, bytes]]]:
    return lambda members: [*members.items(), (name, data)]


def _pickled_local_values(members: dict[str, bytes]) -> list[tuple[str, bytes]]:
    return list({**members, "local_values.npy": _npy(np.array([[["x"] * 3] * 3] * 2, dtype=object))}.items())


HOSTILE: list[tuple[str, Callable[[dict[str, bytes]], list[tuple[str, bytes]]], str]] = [
    ("path trick", _added("../../etc/evil.npy"), r"unexpected: \['\.\./\.\./etc/evil\.npy'\]"),
    ("absolute path", _added("/tmp/evil.npy"), r"unexpected: \['/tmp/evil\.npy'\]"),
    ("extra member", _added("engineered/extra.npy"), r"unexpected: \['engineered/extra\.npy'\]"),
    ("duplicate member", _added("global_values.npy"), r"member 'global_values\.npy' appears twice"),
    ("missing member", lambda m: [(k, v) for k, v in m.items() if k != "local_values.npy"],
     r"missing: \['local_values\.npy'\]"),
    ("no metadata", lambda m: [(k, v) for k, v in m.items() if k != "metadata.json"], "has no metadata.json"),
    ("object array", _pickled_local_values, r"array local_values\.npy has dtype object; expected float64"),
    ("float32 array", _replaced("global_values.npy", _npy(np.zeros(3, dtype=np.float32))),
     "has dtype float32"),
    ("structured array", _replaced("global_values.npy", _npy(np.zeros(3, dtype=[("a", "<f8")]))),
     "expected float64"),
    ("npy version 3", _replaced("global_values.npy", b"\x93NUMPY\x03\x00" + bytes(20)), "format version"),
    ("bad npy magic", _replaced("global_values.npy", b"PK\x03\x04 not numpy"), r"global_values\.npy is "
                                                                               "unreadable"),
    ("trailing bytes", _replaced("global_values.npy", _npy(np.zeros(3)) + b"\0" * 8),
     "needs 24 bytes but its member holds 32"),
    ("negative shape", _replaced("global_values.npy", _npy_header((-3,))), r"has shape \(-3,\)"),
    ("5-d array", _replaced("global_values.npy", _npy(np.zeros((1, 1, 1, 1, 3)))), "has shape"),
    ("deep JSON", _replaced("metadata.json", b"[" * 100_000 + b"]" * 100_000),
     rf"metadata\.json is nested 100000 levels deep, more than {MAX_JSON_DEPTH}"),
    ("not UTF-8", _replaced("metadata.json", b'{"format": "\xff"}'), r"metadata\.json is not valid UTF-8"),
    ("not JSON", _replaced("metadata.json", b"{format"), r"metadata\.json is not valid UTF-8 JSON"),
    ("huge integer", _replaced("metadata.json", b"9" * 5000), r"metadata\.json is not valid"),
    ("JSON list", _replaced("metadata.json", b"[1, 2]"), r"is not an explanation file \(its metadata\.json "
                                                         "holds a list, not an object"),
]


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile writing the duplicate-member case
@pytest.mark.parametrize(("edit", "match"), [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_hostile_archives_are_refused_naming_the_cause(tmp_path: Path, edit: Any, match: str) -> None:
    path = _write_zip(tmp_path / "hostile.npz", edit(_members(RAW)))
    with pytest.raises(ExplanationFileError, match=match) as caught:
        load_explanation(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(("compression", "match"), [
    (zipfile.ZIP_BZIP2, "uses compression method 12; only stored and deflated members are read"),
    (zipfile.ZIP_LZMA, "uses compression method 14"),
    (zipfile.ZIP_STORED, None),
])
def test_only_stored_and_deflated_members_are_read(tmp_path: Path, compression: int, match: str | None
                                                   ) -> None:
    path = _write_zip(tmp_path / "packed.npz", _members(RAW), compression=compression)
    if match is None:
        assert load_explanation(path).features == ("age", "income", "place")
        return
    with pytest.raises(ExplanationFileError, match=match):
        load_explanation(path)


def test_an_encrypted_member_is_refused(tmp_path: Path) -> None:
    data = bytearray(RAW.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x1  # general purpose flag: encrypted
    path = tmp_path / "encrypted.npz"
    path.write_bytes(bytes(data))
    with pytest.raises(ExplanationFileError, match="is encrypted or patched"):
        load_explanation(path)


METADATA_EDITS: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("features not a list", lambda m: m.update(features="age"), "features must be list, got str"),
    ("feature not a string", lambda m: m.update(features=["a", 1, "b"]), "features must hold str only"),
    ("missing method", lambda m: m.pop("method"), "metadata field method is missing"),
    ("is_raw a number", lambda m: m.update(is_raw=1), "is_raw must be bool, got int"),
    ("num_examples negative", lambda m: m.update(num_examples=-1), "num_examples is negative"),
    ("num_examples a float", lambda m: m.update(num_examples=3.5), "num_examples must be int or null"),
    ("classes an object", lambda m: m.update(classes={"a": 1}), "classes must be list, got object"),
    ("class a list", lambda m: m.update(classes=[["no"], "yes"]), "classes must hold str or number or bool"),
    ("unknown array", lambda m: m["arrays"].append("../../x"), r"unknown: \['\.\./\.\./x'\]"),
    ("array listed twice", lambda m: m["arrays"].append("local_values"), "known arrays once each"),
    ("no global values", lambda m: m["arrays"].remove("global_values"), "must list global_values"),
    ("fidelity a list", lambda m: m.update(fidelity=[]), "fidelity must be an object, got list"),
    ("unknown fidelity key", lambda m: m["fidelity"].update(secret=1), r"unknown keys \['secret'\]"),
    ("fidelity exact a string", lambda m: m["engineered"]["fidelity"].update(exact="yes"),
     "engineered.fidelity.exact must be bool or null"),
    ("notes not strings", lambda m: m["fidelity"].update(notes=[1]), "fidelity.notes must hold str only"),
    ("feature map rows", lambda m: m["feature_map"].update(rows="0,1"), "feature_map.rows must be list"),
    ("feature map weights", lambda m: m["feature_map"].update(weights=["1"] * 4),
     "feature_map.weights must hold number only"),
    ("engineered a list", lambda m: m.update(engineered=[]), "engineered must be an object"),
    ("engineered twice", lambda m: m["engineered"].update(engineered=dict(m["engineered"])),
     "only at the top level"),
    ("engineered field missing", lambda m: m["engineered"].pop("features"),
     "metadata field engineered.features is missing"),
    ("duplicate features", lambda m: m.update(features=["age", "age", "place"]),
     "its content is inconsistent .Explanation: feature names are not unique"),
    ("unknown task", lambda m: m.update(model_task="ranking"), "inconsistent .Explanation: model_task"),
    ("too few features", lambda m: m.update(features=["age", "income"]), "inconsistent .Explanation"),
    ("three classes", lambda m: m.update(classes=["a", "b", "c"]), "3 classes given for 2 outputs"),
    ("feature map of other features", lambda m: m["feature_map"].update(raw_feature_names=["a"]),
     r"inconsistent .FeatureMap"),
]


@pytest.mark.parametrize(("edit", "match"), [case[1:] for case in METADATA_EDITS],
                         ids=[case[0] for case in METADATA_EDITS])
def test_metadata_of_the_wrong_types_is_refused_naming_the_field(tmp_path: Path, edit: Any, match: str
                                                                 ) -> None:
    path = _with_metadata(tmp_path, edit)
    with pytest.raises(ExplanationFileError, match=match) as caught:
        load_explanation(path)
    assert str(path) in str(caught.value)


def test_fidelity_arrays_of_the_wrong_shape_are_refused(tmp_path: Path) -> None:
    members = _members(GOLDEN / "explanation_v1_regression_global.npz")
    members["fidelity.confidence_interval.npy"] = _npy(np.zeros((3, 2)))
    path = _write_zip(tmp_path / "ci.npz", members)
    with pytest.raises(ExplanationFileError, match=r"array fidelity\.confidence_interval has shape \(3, 2\), "
                                                   r"expected \(2, 2\)"):
        load_explanation(path)
    members = _members(RAW)
    members["engineered/fidelity.standard_errors.npy"] = _npy(np.zeros((2, 3, 3)))
    path = _write_zip(tmp_path / "se.npz", members)
    with pytest.raises(ExplanationFileError, match=r"engineered/fidelity\.standard_errors has shape"):
        load_explanation(path)


@pytest.mark.parametrize("version", ["2", True, 2.0, None, [2]])
def test_a_schema_version_of_the_wrong_type_is_refused(tmp_path: Path, version: Any) -> None:
    path = _with_metadata(tmp_path, lambda m: m.update(schema_version=version))
    with pytest.raises(SchemaVersionError, match=r"has schema_version .*this library reads"):
        load_explanation(path)


def test_a_fortran_ordered_big_endian_array_loads_as_the_same_values(tmp_path: Path) -> None:
    members = _members(RAW)
    local = np.lib.format.read_array(io.BytesIO(members["local_values.npy"]))
    members["local_values.npy"] = _npy(np.asfortranarray(local.astype(">f8")))
    path = _write_zip(tmp_path / "fortran.npz", members)
    np.testing.assert_array_equal(load_explanation(path).local_values, local)


def test_file_errors_are_value_errors_of_the_library_and_missing_files_stay_os_errors(tmp_path: Path
                                                                                     ) -> None:
    assert issubclass(ExplanationFileError, ExplanationError) and issubclass(ExplanationFileError, ValueError)
    assert issubclass(SchemaVersionError, ExplanationFileError)
    with pytest.raises(FileNotFoundError):
        load_explanation(tmp_path / "missing.npz")

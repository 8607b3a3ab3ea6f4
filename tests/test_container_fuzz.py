"""Property tests: whatever the bytes, the container layer answers or raises OzxError, nothing else."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from viewer.container import open_container
from viewer.container.base import is_safe_key
from viewer.container.archive_comment import ArchiveComment, parse_comment
from viewer.container.central_directory import CentralIndex, _scan_names, name_hash, normalise_name
from viewer.container.conformance import deep_findings
from viewer.container.ozx_writer import ZipEntry, rfc9_comment, write_zip
from viewer.container.zip_tail import read_tail
from viewer.errors import OzxError

from .zipfixtures import cd_offsets, tiny_entries

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_WORK = Path(tempfile.mkdtemp(prefix="ozx-fuzz-"))


def _base(json_first: bool, zip64: bool) -> bytes:
    entries = tiny_entries() + [ZipEntry("0/c/0/1", b"\x01" * 40, method=8), ZipEntry("labels/", None)]
    path = _WORK / f"base-{json_first}-{zip64}.ozx"
    write_zip(path, entries, comment=rfc9_comment(json_first=json_first), zip64_end=zip64)
    return path.read_bytes()


BASES = [_base(j, z) for j in (True, False) for z in (True, False)]


def exercise(data: bytes, background: bool = True) -> None:
    """Open `data` and touch everything; only OzxError may escape."""
    path = _WORK / "case.ozx"
    path.write_bytes(data)
    try:
        zc = open_container(path, background_index=background)
    except OzxError:
        return
    try:
        for key in ["zarr.json", "0/zarr.json", "0/c/0/0", "0/c/0/1", "missing", "../x"]:
            try:
                zc.read(key)
                zc.read_range(key, -4, 4)
                zc.size(key)
            except OzxError:
                pass
        try:
            zc.wait_index()
            for key in zc.metadata_keys():
                try:
                    zc.read(key)
                except OzxError:
                    pass
            deep_findings(zc)
        except OzxError:
            pass
        assert all(f.severity in ("error", "warning", "info") for f in zc.findings)
    finally:
        zc.close()


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(data: bytes) -> None:
    exercise(data)


@FUZZ
@given(st.binary(min_size=0, max_size=200), st.sampled_from(range(len(BASES))))
def test_random_bytes_with_a_zip_tail(junk: bytes, which: int) -> None:
    base = BASES[which]
    exercise(junk + base[-120:])


@FUZZ
@given(st.sampled_from(range(len(BASES))), st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=6),
       st.booleans())
def test_flipped_bytes_in_tail_and_cd(which: int, flips: list[tuple[int, int]], background: bool) -> None:
    base = bytearray(BASES[which])
    region = len(base) - cd_offsets(bytes(base))[0]  # CD + end records + comment
    for back, value in flips:
        base[len(base) - 1 - back % region] = value
    exercise(bytes(base), background)


@FUZZ
@given(st.sampled_from(range(len(BASES))), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4))
def test_flipped_bytes_anywhere(which: int, flips: list[tuple[int, int]]) -> None:
    base = bytearray(BASES[which])
    for pos, value in flips:
        base[pos % len(base)] = value
    exercise(bytes(base))


@FUZZ
@given(st.sampled_from(range(len(BASES))), st.integers(0, 10**6), st.integers(0, 10**6))
def test_truncated_or_cut(which: int, a: int, b: int) -> None:
    base = BASES[which]
    a, b = sorted((a % (len(base) + 1), b % (len(base) + 1)))
    exercise(base[:a])
    exercise(base[:a] + base[b:])


@FUZZ
@given(st.binary(max_size=70_000 + 200))
def test_read_tail_arbitrary(data: bytes) -> None:
    def read_at(offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > len(data):
            raise OzxError("beyond the end")
        return data[offset : offset + length]

    try:
        tail = read_tail(read_at, len(data))
    except OzxError:
        return
    assert 0 <= tail.cd_start <= len(data)
    assert tail.entry_count >= 0 and tail.cd_size >= 0
    assert not any(tail.disk_fields)


@FUZZ
@given(st.binary(max_size=400))
def test_parse_comment_bytes(raw: bytes) -> None:
    out = parse_comment(raw)
    assert isinstance(out, ArchiveComment)
    assert isinstance(out.json_first, bool)
    assert out.version is None or isinstance(out.version, str)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(["ome", "version", "zipFile", "centralDirectory", "jsonFirst", "x"]) | st.text(max_size=5), kids, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(_json, st.sampled_from(["", ",", "\x00", " \n", ",\x00\x00"]), st.booleans())
def test_parse_comment_jsonish(value, suffix: str, nest_in_ome: bool) -> None:
    doc = {"ome": {"version": "0.5", "zipFile": {"centralDirectory": {"jsonFirst": value}}}} if nest_in_ome else value
    text = json.dumps(doc)
    if suffix.startswith(",") and text.endswith("}"):
        text = text[:-1] + ",}" + suffix[1:]
    else:
        text += suffix
    out = parse_comment(text.encode())
    assert isinstance(out.json_first, bool)
    if nest_in_ome:
        assert out.version == "0.5"
        assert out.json_first is (value is True)


_names = st.lists(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)
    .filter(lambda n: not n.startswith(("/", "./")) and len(n.encode()) < 200),
    min_size=1, max_size=40, unique=True,
)


@FUZZ
@given(_names)
def test_vectorised_hash_equals_name_hash(names: list[str]) -> None:
    raw = [n.encode() for n in names]
    buf = b"".join(raw)
    starts = np.cumsum([0] + [len(r) for r in raw[:-1]]).astype(np.int64)
    padded = np.zeros(len(buf) + 8, dtype=np.uint8)
    padded[: len(buf)] = np.frombuffer(buf, dtype=np.uint8)
    hashes, odd, dotdot = _scan_names(padded, starts, np.array([len(r) for r in raw], dtype=np.int64))
    assert hashes.tolist() == [name_hash(r) for r in raw]
    assert odd.tolist() == [b"\\" in r or any(b >= 0x80 for b in r) for r in raw]
    assert dotdot.tolist() == [b".." in r for r in raw]


@FUZZ
@given(_names, st.booleans())
def test_index_lookup_finds_every_record(names: list[str], prefix: bool) -> None:
    path = _WORK / "names.zip"
    write_zip(path, [ZipEntry(n, n.encode()) for n in names], prefix=b"JUNK" if prefix else b"")
    data = path.read_bytes()
    tail = read_tail(lambda o, n: data[o : o + n], len(data))
    index = CentralIndex(data[tail.cd_start : tail.cd_start + tail.cd_size], tail.entry_count, tail.shift)
    keys = [normalise_name(n) for n in names]  # only a leading './' goes; '\\' and '/' stay
    assume(len(set(keys)) == len(keys) and all(keys))
    for i, key in enumerate(keys):
        assert i in index.lookup(key), key
    zc = open_container(path)
    try:
        for name, key in zip(names, keys):  # unsafe names (absolute, '..', '\\', NUL) are never resolved
            assert zc.read(key) == (name.encode() if is_safe_key(key) else None), key
    finally:
        zc.close()


def teardown_module() -> None:
    for p in _WORK.iterdir():
        os.unlink(p)
    os.rmdir(_WORK)

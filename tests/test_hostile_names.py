"""Hostile files, class 4: entry names and dataset paths. Absolute names, '..', backslashes and
NUL are never resolved, and a dataset path with '..' is refused even when an entry of that
literal name exists inside the archive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from viewer.container import open_container
from viewer.container.base import is_safe_key
from viewer.container.ozx_writer import ZipEntry, rfc9_comment, write_zip

from .hostile_probe import probe
from .zipfixtures import array_json, group_json, ome_attrs, tiny_entries


def _zip(path: Path, entries: list[ZipEntry], json_first: bool = True) -> Path:
    write_zip(path, entries, comment=rfc9_comment(json_first=json_first))
    return path


def dotdot_dataset(path: Path) -> Path:
    """The image's level path is '../x'; an entry literally named '../x/zarr.json' exists."""
    return _zip(path, [
        ZipEntry("zarr.json", group_json(ome_attrs(["../x"]))),
        ZipEntry("../x/zarr.json", array_json([4, 4], [4, 4])),
        ZipEntry("../x/c/0/0", bytes(range(16))),
    ])


def absolute_root(path: Path) -> Path:
    return _zip(path, [ZipEntry("/" + e.name, e.data) for e in tiny_entries()])


def backslash_level(path: Path) -> Path:
    return _zip(path, [tiny_entries()[0], ZipEntry("0\\zarr.json", array_json([4, 4], [4, 4])),
                       ZipEntry("0\\c\\0\\0", bytes(range(16)))])


def nul_level(path: Path) -> Path:
    return _zip(path, [tiny_entries()[0], ZipEntry("0/zarr.json\x00.txt", array_json([4, 4], [4, 4]))])


CASES = {
    "dataset-dotdot": (dotdot_dataset, "'../x', which leaves the image"),
    "absolute-names": (absolute_root, "no OME-Zarr metadata at the root"),
    "backslash-names": (backslash_level, "the level array '0' is missing"),
    "nul-names": (nul_level, "the level array '0' is missing"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unsafe_names_are_never_resolved(tmp_path: Path, case: str) -> None:
    build, words = CASES[case]
    path = build(tmp_path / f"{case}.ozx")
    info = probe("info", path)
    info.assert_bounded()
    assert info.code == 2 and words in info.stderr, info.stderr
    prepared = probe("prepare", path)
    prepared.assert_bounded()
    assert prepared.message and words in prepared.message


@pytest.mark.parametrize("case", ["dataset-dotdot", "absolute-names", "backslash-names"])
def test_validate_reports_unsafe_names(tmp_path: Path, case: str) -> None:
    outcome = probe("validate-json", CASES[case][0](tmp_path / f"{case}.ozx"))
    outcome.assert_bounded()
    report = json.loads(outcome.stdout)
    assert outcome.code == 2
    assert "zip-names" in {f["rule"] for f in report["findings"]}, report["findings"]


@pytest.mark.parametrize("json_first", [True, False])
def test_container_refuses_unsafe_keys(tmp_path: Path, json_first: bool) -> None:
    path = _zip(tmp_path / "mixed.ozx", tiny_entries() + [ZipEntry("../evil", b"x"), ZipEntry("/abs", b"y"),
                                                           ZipEntry("a\\b", b"z")], json_first)
    with open_container(path) as zc:
        for key in ("../evil", "/abs", "abs", "a\\b", "a/b", "0/../zarr.json", "0/./zarr.json", "zarr.json\x00"):
            assert zc.read(key) is None, key
        assert zc.read("0/zarr.json") is not None
        assert sorted(zc.metadata_keys()) == ["0/zarr.json", "zarr.json"]


def test_is_safe_key() -> None:
    assert is_safe_key("0/c/0/0") and is_safe_key("labels/cells/zarr.json")
    for key in ("", "/x", "x/", "a//b", "./a", "a/..", "..", "a\\b", "a\x00b"):
        assert not is_safe_key(key), key

"""Hostile files, class 3: folder OME-Zarr. Links leaving the folder are never followed, only
regular files are read (pipes and devices are refused without a blocking open), and reads are
bounded by the size the caller can use."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from viewer.container import open_container
from viewer.errors import OzxError
from viewer.ome import open_document

from .hostile_probe import probe
from .zipfixtures import array_json, group_json, ome_attrs

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX links and pipes")


def image_folder(root: Path) -> Path:
    """A valid 256² uint16 image folder with one stored chunk."""
    (root / "0" / "c" / "0").mkdir(parents=True)
    (root / "zarr.json").write_bytes(group_json(ome_attrs(["0"])))
    (root / "0" / "zarr.json").write_bytes(array_json([256, 256], [256, 256], "uint16"))
    (root / "0" / "c" / "0" / "0").write_bytes(np.arange(65536, dtype="<u2").tobytes())
    return root


def _replace(path: Path, make) -> None:
    path.unlink()
    make(path)


CASES = {
    "chunk-link-to-dev-zero": lambda r: _replace(r / "0/c/0/0", lambda p: p.symlink_to("/dev/zero")),
    "chunk-fifo": lambda r: _replace(r / "0/c/0/0", lambda p: os.mkfifo(p)),
    "chunk-link-outside": lambda r: _replace(r / "0/c/0/0", lambda p: p.symlink_to(r.parent / "outside.bin")),
    "chunk-too-large": lambda r: (r / "0/c/0/0").write_bytes(bytes(64 << 20)),
}


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "outside.bin").write_bytes(bytes(131072))
    return image_folder(tmp_path / "img.ome.zarr")


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_chunk_file_is_one_tile_error(folder: Path, case: str) -> None:
    CASES[case](folder)
    outcome = probe("tiles", folder, timeout=30)
    outcome.assert_bounded()
    assert outcome.message and "array '0', chunk (0, 0)" in outcome.message, outcome.message
    assert ("never" in outcome.message) or ("more than" in outcome.message), outcome.message
    prepared = probe("prepare", folder, timeout=30)
    prepared.assert_bounded()
    assert prepared.message is None  # the image opens; that tile reports its error


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "outside"])
def test_metadata_that_is_no_regular_file_inside_is_refused(folder: Path, kind: str) -> None:
    target = folder / "0" / "zarr.json"
    target.unlink()
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")
    else:
        (folder.parent / "meta.json").write_bytes(array_json([256, 256], [256, 256], "uint16"))
        target.symlink_to(folder.parent / "meta.json")
    outcome = probe("info", folder, timeout=30)
    outcome.assert_bounded()
    assert outcome.code == 2 and "never" in outcome.stderr, outcome.stderr


def test_links_inside_the_folder_are_followed(folder: Path) -> None:
    shutil.move(folder / "0" / "c" / "0" / "0", folder / "stash")
    (folder / "0" / "c" / "0" / "0").symlink_to(folder / "stash")
    doc = open_document(folder)
    try:
        assert doc.images()[0].levels[0].array.read_chunk((0, 0))[0, 5] == 5
    finally:
        doc.close()


def test_linked_folder_is_not_walked(folder: Path, tmp_path: Path) -> None:
    elsewhere = image_folder(tmp_path / "elsewhere")
    (folder / "linked").symlink_to(elsewhere, target_is_directory=True)
    container = open_container(folder)
    try:
        assert not any(k.startswith("linked/") for k in container.metadata_keys())
        with pytest.raises(OzxError, match="leads out of the folder"):
            container.read("linked/zarr.json")
    finally:
        container.close()


def test_reads_are_bounded_by_the_limit(folder: Path) -> None:
    container = open_container(folder)
    try:
        with pytest.raises(OzxError, match="more than the 1000"):
            container.read("0/c/0/0", 1000)
        assert len(container.read("0/c/0/0", 131072)) == 131072
        assert container.read("../outside.bin") is None and container.read("/etc/passwd") is None
    finally:
        container.close()

"""The open file changes on disk (deleted, truncated, rewritten, replaced), as mail clients do:
reads never return bytes of another file, the whole file streams through the open handle, and
the app-layer watch names what happened."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from viewer.app.notices import CHANGED, REMOVED, REPLACED, FileWatch, conformance_notice
from viewer.app.save_copy import FOLDER_REASON, can_save_copy, save_copy
from viewer.app.startup import sample_path
from viewer.container import DirectoryContainer, ZipContainer, open_container
from viewer.errors import OzxError


@pytest.fixture
def opened(tmp_path: Path):
    path = tmp_path / "Scan (2).OZX"
    shutil.copy(sample_path(), path)
    container = ZipContainer(str(path), background_index=False)
    yield path, container
    container.close()


def _chunk_key(container: ZipContainer) -> str:
    import zipfile

    with zipfile.ZipFile(container.path) as archive:
        return next(n for n in archive.namelist() if n.startswith("0/c/"))


def test_a_deleted_file_reads_on_and_streams_whole_through_its_handle(opened) -> None:
    path, container = opened
    original = path.read_bytes()
    key = _chunk_key(container)
    before = container.read(key)
    watch = FileWatch(container)
    assert watch.check() is None
    path.unlink()
    assert watch.check() == REMOVED
    assert container.read(key) == before  # the handle still reads the file (Linux, macOS)
    pieces = list(container.file_chunks(chunk=100_000))
    assert max(map(len, pieces)) == 100_000
    assert b"".join(pieces) == original


@pytest.mark.parametrize("change", ["truncate", "rewrite"])
def test_reads_refuse_a_file_changed_in_place(opened, change: str) -> None:
    path, container = opened
    key = _chunk_key(container)
    size = path.stat().st_size
    watch = FileWatch(container)
    with open(path, "r+b") as f:  # the same file (inode), as an editor or a mail client rewrites it
        if change == "truncate":
            f.truncate(size // 2)
        else:
            f.write(b"\x00" * size)
    if change == "rewrite":  # same size: only the time tells (set it: a fast rewrite may keep it)
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    with pytest.raises(OzxError, match="truncated while open" if change == "truncate" else "rewritten while open"):
        container.read(key)
    with pytest.raises(OzxError):
        b"".join(container.file_chunks())
    assert watch.check() == CHANGED


def test_a_file_replaced_by_another_of_the_same_name(opened, tmp_path: Path) -> None:
    path, container = opened
    key = _chunk_key(container)
    before = container.read(key)
    other = tmp_path / "other.ozx"
    other.write_bytes(b"PK\x05\x06" + bytes(18))
    os.replace(other, path)  # a new file under the old name; the open one is unlinked
    assert FileWatch(container).check() == REPLACED
    assert container.read(key) == before  # still the bytes of the file that was opened


def test_save_copy_after_deletion_gives_identical_bytes_and_never_overwrites_the_open_file(opened, tmp_path: Path) -> None:
    path, container = opened
    original = path.read_bytes()
    with pytest.raises(OzxError, match="open file itself"):
        save_copy(container, str(path))
    assert path.read_bytes() == original
    link = tmp_path / "link.ozx"
    os.link(path, link)  # another name of the same file is the same file
    with pytest.raises(OzxError, match="open file itself"):
        save_copy(container, str(link))
    path.unlink()
    link.unlink()
    target = tmp_path / "saved" / "copy.ozx"
    target.parent.mkdir()
    assert save_copy(container, str(target)) == len(original)
    assert target.read_bytes() == original
    assert os.listdir(target.parent) == ["copy.ozx"]  # no temporary left behind
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()


def test_a_failed_copy_leaves_nothing_and_keeps_an_existing_target(opened, tmp_path: Path) -> None:
    path, container = opened
    target = tmp_path / "keep.ozx"
    target.write_bytes(b"precious")
    with open(path, "r+b") as f:
        f.truncate(1000)
    with pytest.raises(OzxError, match="truncated"):
        save_copy(container, str(target))
    assert target.read_bytes() == b"precious"
    assert sorted(os.listdir(tmp_path)) == ["Scan (2).OZX", "keep.ozx"]


def test_a_folder_cannot_be_saved_as_a_copy(tmp_path: Path) -> None:
    folder = tmp_path / "image.ome.zarr"
    folder.mkdir()
    (folder / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    container = DirectoryContainer(str(folder))
    assert can_save_copy(container) == FOLDER_REASON
    with pytest.raises(OzxError, match="folder"):
        save_copy(container, str(tmp_path / "x.ozx"))
    assert FileWatch(container).check() is None
    shutil.rmtree(folder)
    assert FileWatch(container).check() is None or FileWatch(container).check() == REMOVED


def test_a_compressed_archive_is_named_not_conforming(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "deflated.ozx"
    with zipfile.ZipFile(sample_path()) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info))
    with open_container(path, background_index=False) as container:
        text = conformance_notice(container.findings, container)
    assert text is not None and text.startswith("This file is not a conforming .ozx: entries are compressed")
    with open_container(sample_path(), background_index=False) as container:
        assert conformance_notice(container.findings, container) is None


def test_info_names_the_file_size(capsys) -> None:
    from viewer.cli import main

    assert main(["info", str(sample_path())]) == 0
    size = os.path.getsize(sample_path())
    assert f"{size:,} bytes" in capsys.readouterr().out.splitlines()[0]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

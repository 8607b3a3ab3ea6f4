"""Every malformed archive of the reader's tests leaves the window in its empty state with the
reader's one-line reason, and the window opens the next file normally."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from tests.test_render_screenshots import TIMEOUT_MS, open_and_wait
from tests.zipfixtures import cd_offsets, group_json, ome_attrs, tiny_entries, write_tiny
from viewer.app.main import sample_path
from viewer.app.preparing import prepare_outcome
from viewer.container.ozx_writer import ZipEntry

pytestmark = pytest.mark.gui


def _empty(tmp: Path) -> Path:
    (tmp / "empty.ozx").write_bytes(b"")
    return tmp / "empty.ozx"


def _noise(tmp: Path) -> Path:
    (tmp / "noise.ozx").write_bytes(np.random.default_rng(1).bytes(200_000))
    return tmp / "noise.ozx"


def _truncated(tmp: Path) -> Path:
    good = write_tiny(tmp / "good.ozx").read_bytes()
    (tmp / "cut.ozx").write_bytes(good[: cd_offsets(good)[1] + 20])
    return tmp / "cut.ozx"


def _split(tmp: Path) -> Path:
    return write_tiny(tmp / "split.ozx", eocd_disk=1)


def _root_metadata_method(tmp: Path) -> Path:
    entries = tiny_entries()
    entries[0] = ZipEntry("zarr.json", group_json(ome_attrs(["0"])), method=12)
    return write_tiny(tmp / "method.ozx", entries=entries)


def _encrypted_root(tmp: Path) -> Path:
    entries = tiny_entries()
    entries[0] = ZipEntry("zarr.json", group_json(ome_attrs(["0"])), flags=1)
    return write_tiny(tmp / "encrypted.ozx", entries=entries)


def _no_image(tmp: Path) -> Path:
    entries = [e for e in tiny_entries() if not e.name.startswith("0/")]
    return write_tiny(tmp / "noimage.ozx", entries=entries)


def _folder_without_zarr(tmp: Path) -> Path:
    (tmp / "folder").mkdir()
    return tmp / "folder"


CASES: dict[str, Callable[[Path], Path]] = {
    "empty": _empty, "random bytes": _noise, "truncated": _truncated, "split": _split,
    "unsupported method": _root_metadata_method, "encrypted": _encrypted_root, "no image": _no_image,
    "folder": _folder_without_zarr,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_malformed_file_leaves_the_empty_state_with_the_readers_reason(qtbot, window, tmp_path: Path, case: str) -> None:
    path = CASES[case](tmp_path)
    expected = prepare_outcome(str(path))
    assert expected[1], f"{case}: the reader opened it"
    window.open_path(str(path))
    empty = window.empty_state
    qtbot.waitUntil(lambda: empty.isVisible(), timeout=TIMEOUT_MS)
    assert path.name in empty.title.text() and "cannot be opened" in empty.title.text()
    assert empty.detail.text() == expected[1] and "\n" not in expected[1]
    assert "Traceback" not in expected[1] and "internal error" not in expected[1]
    assert window.session is None and not window.canvas.widget.isVisible()
    open_and_wait(qtbot, window, sample_path())  # the window is not left broken
    assert not empty.isVisible() and window.session is not None

"""Hostile files, class 9: the GUI survives every class of crafted file.

One window opens each crafted file of the other hostile test modules in turn (`open_path`
replaces the image): each gives the empty state or a status message with a human reason, or the
image with its unreadable tiles reported; never an exception in the log, a hang or memory growth
beyond the bound, and the window answers events after each.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Callable

import pytest
from PySide6.QtCore import QTimer

from viewer.app.main import sample_path
from viewer.ome.limits import MAX_PLANES

from . import test_hostile_counts as counts
from . import test_hostile_decompression as decompression
from . import test_hostile_folders as folders
from . import test_hostile_names as names
from . import test_hostile_values as values
from . import test_hostile_zip_structure as zip_structure
from .test_codec_fallback import VARIANTS, write_with_codecs
from .test_render_screenshots import open_and_wait
from .omezarr_fixtures import pack

pytestmark = pytest.mark.gui

#: Per file: opening and reading its first tiles (Xvfb, software GL, a shared machine).
SECONDS = 5.0
#: Peak resident growth while one file is open, over the resident size before it.
MEGABYTES = 100.0


def _folder_case(mutate: Callable[[Path], object]) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        path.mkdir()
        (path / "outside.bin").write_bytes(bytes(131072))
        root = folders.image_folder(path / "img.ome.zarr")
        mutate(root)
        return root

    return build


Build = Callable[[Path], Path]


def hostile_files() -> dict[str, tuple[Build, str | None]]:
    """Every crafted file of the hostile test modules, by class and case: (path → the file, words
    the status bar must show when the image opens but its stored chunk is refused)."""
    cases: dict[str, tuple[Build, str | None]] = {}
    for case, (build, words) in decompression.CASES.items():
        cases[f"decompression/{case}"] = (build, words)
    for case, (build, _rule) in counts.CASES.items():
        cases[f"counts/{case}"] = (build, None)
    for case, mutate in folders.CASES.items():
        cases[f"folders/{case}"] = (_folder_case(mutate), "array '0', chunk (0, 0)")
    for case, (build, _words) in names.CASES.items():
        cases[f"names/{case}"] = (build, None)
    for case, (build, _rule) in zip_structure.CASES.items():
        cases[f"zip/{case}"] = (build, None)
    for case, (damage, _words) in {**values.REFUSED, **values.NOTED}.items():
        cases[f"values/{case}"] = (lambda p, damage=damage: values._build(p, damage), None)
    cases["codecs/numcodecs-via-zarr-python"] = (lambda p: pack(
        write_with_codecs(p.with_suffix(".d"), **VARIANTS["numcodecs-delta-zlib-crc32"]), p), None)
    return cases


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} in /proc/self/status")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


class _LogRecords(logging.Handler):
    """Warnings of the viewer's loggers and errors of vispy's (an exception in a draw callback)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("viewer") or record.levelno >= logging.ERROR:
            self.records.append(f"{record.name}: {record.getMessage()}")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="measures memory through /proc")
def test_every_hostile_file_in_one_window(qtbot, window, tmp_path: Path) -> None:
    log = _LogRecords()
    for name in ("viewer", "vispy"):
        logging.getLogger(name).addHandler(log)
    outcomes: dict[str, tuple[str, str]] = {}
    window.opener.opened.connect(lambda opened: outcomes.__setitem__(opened.path, ("image", "")))
    window.opener.failed.connect(lambda path, message: outcomes.__setitem__(path, ("failed", message)))
    first = str(values._build(tmp_path / "first.ozx", values.REFUSED["two-channel-axes"][0]))
    window.open_path(first)  # with no image shown yet, a refused file gives the empty state
    qtbot.waitUntil(lambda: first in outcomes, timeout=int(SECONDS * 1000))
    assert window.empty_state.isVisible() and "cannot be opened" in window.empty_state.title.text()
    assert outcomes[first][1] == window.empty_state.detail.text() and "2 axes of type 'channel'" in outcomes[first][1]
    open_and_wait(qtbot, window, sample_path())  # warm-up: GL, shaders, thread pools
    can_reset_peak = _reset_peak()
    report = []
    try:
        for name, (build, tile_words) in hostile_files().items():
            path = str(build(tmp_path / name.replace("/", "-")))
            before = _rss_mb("VmRSS")
            _reset_peak()
            started = time.perf_counter()
            window.open_path(path)
            qtbot.waitUntil(lambda: path in outcomes, timeout=int(SECONDS * 1000))
            kind, message = outcomes[path]
            if kind == "image":
                qtbot.waitUntil(window.session.stream.idle, timeout=int(SECONDS * 1000))
                if tile_words:  # the tile error reaches the status bar through a queued signal
                    qtbot.waitUntil(lambda: "cannot be read" in window.statusBar().currentMessage(),
                                    timeout=int(SECONDS * 1000))
            seconds = time.perf_counter() - started
            growth = _rss_mb("VmHWM") - before if can_reset_peak else _rss_mb("VmRSS") - before
            report.append(f"{name}: {kind} in {seconds:.2f} s, +{growth:.0f} MB {message[:80]}")
            assert seconds < SECONDS, report[-1]
            assert growth < MEGABYTES, report[-1]
            if kind == "failed":
                shown = window.empty_state.detail.text() if window.session is None else window.statusBar().currentMessage()
                assert message and message in shown, (name, message, shown)
                assert "internal error" not in message and "Traceback" not in message, (name, message)
            else:
                assert window.session.opened.path == path and window.canvas.widget.isVisible()
                status = window.statusBar().currentMessage()  # where a tile that cannot be read is reported
                assert "internal error" not in status and "Traceback" not in status, (name, status)
                if tile_words:  # the one stored chunk is refused
                    assert "cannot be read" in status and tile_words in status, (name, status)
            answered: list[bool] = []
            QTimer.singleShot(0, lambda: answered.append(True))
            qtbot.waitUntil(lambda: bool(answered), timeout=1000)  # the GUI thread is not stuck
            if name == "counts/planes-1e15":
                (slider,) = window.plane_sliders
                assert slider.maximum() == MAX_PLANES - 1 and 0 <= slider.value() <= MAX_PLANES - 1
                slider.setValue(slider.maximum())  # reading the last reachable plane is one more tile
                qtbot.waitUntil(window.session.stream.idle, timeout=int(SECONDS * 1000))
    finally:
        for name in ("viewer", "vispy"):
            logging.getLogger(name).removeHandler(log)
        print("\n".join(report))
    assert not log.records, log.records
    open_and_wait(qtbot, window, sample_path())  # and the window still shows a good file
    assert window.session is not None and window.windowTitle() == "sample.ozx — OZX Viewer"

"""Around the canvas: Properties, About, Preferences, Save a Copy, the banner for a file changed on
disk or not conforming, window geometry, and a read-only file in a read-only folder (Xvfb)."""

from __future__ import annotations

import builtins
import os
import platform
import shutil
import stat
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.omezarr_fixtures import axes_for, omero_channels, pack
from tests.test_render_screenshots import TIMEOUT_MS, assert_shows, open_and_wait, screenshot, wait_sharp, write_pattern
from viewer.app.main import sample_path
from viewer.app.notices import CHANGED, REMOVED, REPLACED
from viewer.app.save_copy import FOLDER_REASON

pytestmark = pytest.mark.gui
SHOTS = Path(os.environ.get("OZX_SCREENSHOTS", "/tmp/ozx-shell-features"))


def _shot(widget, name: str) -> None:
    """Keep a screenshot to look at (outside the repository). Taken from the screen: a widget's
    own `grab` leaves out the canvas' native OpenGL window."""
    from PySide6.QtTest import QTest

    SHOTS.mkdir(parents=True, exist_ok=True)
    QTest.qWait(300)  # a frame with the overlays
    geometry = widget.frameGeometry()
    image = widget.screen().grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
    image.save(str(SHOTS / f"{name}.png"))


def _copy_of_sample(folder: Path, name: str = "Scan (2).OZX") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    shutil.copy(sample_path(), path)
    return path


def _sample_level(window) -> tuple:
    stream = window.session.stream
    level = stream.chosen_level()
    return stream.geometries[level], window.session.opened.image.levels[level].array.read()


# ---- File › Properties -------------------------------------------------------------------------
def test_properties_show_what_info_prints_built_off_the_gui_thread(qtbot, window, tmp_path: Path, capsys, monkeypatch) -> None:
    from PySide6.QtGui import QFontMetricsF
    from PySide6.QtWidgets import QApplication

    from viewer.app import properties
    from viewer.cli import main

    path = _copy_of_sample(tmp_path)
    open_and_wait(qtbot, window, path)
    threads: list[threading.Thread] = []
    build = properties.info_text
    monkeypatch.setattr(properties, "info_text", lambda doc: threads.append(threading.current_thread()) or build(doc))
    assert window.shell_actions.properties_action.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    dialog = window.shell_actions.properties
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    qtbot.waitUntil(dialog.copy_button.isEnabled, timeout=TIMEOUT_MS)
    assert threads and threads[0] is not threading.main_thread()
    assert main(["info", str(path)]) == 0
    printed = capsys.readouterr().out
    text = dialog.text.toPlainText()
    assert text == printed.rstrip("\n")
    assert f"{path.stat().st_size:,} bytes" in text and "jsonFirst: yes" in text and "RFC-9: conforming" in text
    assert "0: 3 × 512 × 512  uint8  chunks 1 × 128 × 128  shards 1 × 256 × 256" in text
    dialog.copy_button.click()
    assert QApplication.clipboard().text() == text
    metrics = QFontMetricsF(dialog.text.font())
    assert dialog.text.isReadOnly() and metrics.horizontalAdvance("iiii") == metrics.horizontalAdvance("MMMM")
    _shot(dialog, "properties")
    dialog.close()


# ---- Help › About, Preferences -------------------------------------------------------------------
def test_about_lists_the_versions_and_the_opengl_renderer(qtbot, window) -> None:
    import numpy
    import PySide6
    import vispy
    from PySide6.QtCore import qVersion

    dialog = window.shell_actions.show_about()
    rows = dict(dialog.rows)
    assert rows["OZX Viewer"] == __import__("viewer").__version__
    assert rows["Python"].startswith(platform.python_version())
    assert (rows["Qt"], rows["PySide6"], rows["vispy"], rows["numpy"]) == (
        qVersion(), PySide6.__version__, vispy.__version__, numpy.__version__)
    renderer, version = rows["OpenGL renderer"], rows["OpenGL version"]
    if os.environ.get("LIBGL_ALWAYS_SOFTWARE") == "1":
        assert renderer.startswith("llvmpipe")
    assert version[0].isdigit() and float(version.split()[0][:3]) >= 2.1
    assert renderer in dialog.table.text()
    qtbot.waitExposed(dialog)
    _shot(dialog, "about")
    dialog.close()


def test_preferences_set_the_tile_memory_and_reset_it_to_the_default(qtbot, window) -> None:
    from viewer.app import settings
    from viewer.tiles import default_cache_budget

    dialog = window.shell_actions.show_preferences()
    assert dialog.cache_mb.value() == default_cache_budget() >> 20 and not dialog.reset_button.isEnabled()
    dialog.cache_mb.setValue(512)
    assert dialog.reset_button.isEnabled()
    _shot(dialog, "preferences")
    dialog.accept()
    assert settings.user_cache_mb() == 512 and settings.cache_budget() == 512 << 20
    assert window.budget.tile_bytes == 512 << 20  # applied at once, to the budget all windows share
    open_and_wait(qtbot, window, sample_path())
    assert window.session.stream.cache.budget == 512 << 20
    again = window.shell_actions.show_preferences()
    assert again.cache_mb.value() == 512
    again.reset_button.click()
    assert again.cache_mb.value() == default_cache_budget() >> 20 and not again.reset_button.isEnabled()
    again.accept()
    assert settings.user_cache_mb() is None and settings.cache_budget() == default_cache_budget()
    cancelled = window.shell_actions.show_preferences()
    cancelled.cache_mb.setValue(64)
    cancelled.reject()
    assert settings.user_cache_mb() is None


# ---- File › Save a Copy ------------------------------------------------------------------------
def _save(qtbot, window, target: Path) -> str:
    call = window.shell_actions.save_copy_to(str(target))
    assert call is not None
    qtbot.waitUntil(lambda: not call.running, timeout=TIMEOUT_MS)
    return window.statusBar().currentMessage()


def test_save_a_copy_after_the_file_was_deleted_gives_identical_bytes(qtbot, window, tmp_path: Path) -> None:
    path = _copy_of_sample(tmp_path / "mail")
    original = path.read_bytes()
    open_and_wait(qtbot, window, path)
    assert window.shell_actions.save_copy_action.isEnabled()
    message = _save(qtbot, window, path)
    assert message == "The copy was not saved: that is the open file itself; choose another name or folder"
    assert path.read_bytes() == original
    path.unlink()
    target = tmp_path / "kept" / "scan copy.ozx"
    target.parent.mkdir()
    message = _save(qtbot, window, target)
    assert message == f"Saved a copy as {target} ({len(original):,} bytes)."
    assert target.read_bytes() == original
    assert os.listdir(target.parent) == ["scan copy.ozx"]


def test_save_a_copy_is_off_for_a_folder_and_says_why(qtbot, window, tmp_path: Path) -> None:
    root, _ = write_pattern(tmp_path)
    open_and_wait(qtbot, window, root)
    action = window.shell_actions.save_copy_action
    assert not action.isEnabled() and action.toolTip() == FOLDER_REASON
    assert window.shell_actions.properties_action.isEnabled()


# ---- the banner ----------------------------------------------------------------------------------
def test_a_deleted_file_keeps_showing_and_reading_with_a_banner(qtbot, window, tmp_path: Path) -> None:
    path = _copy_of_sample(tmp_path)
    open_and_wait(qtbot, window, path)
    banner = window.shell_actions.banner
    assert banner.text is None and not banner.isVisible()
    path.unlink()
    qtbot.waitUntil(lambda: banner.text == REMOVED, timeout=5000)  # the 2-s check, nothing called
    assert banner.isVisible()
    assert_shows(window.canvas, *_sample_level(window))
    window.zoom(4)  # finer tiles come from the open handle
    wait_sharp(qtbot, window)
    assert_shows(window.canvas, *_sample_level(window))
    window.canvas.show_overlays(True)
    _shot(window, "banner-removed")


def write_constant(path: Path, value: int) -> Path:
    """A 2048² uint8 pyramid, every pixel `value`, uncompressed: files for two values have the
    same size and layout, so one can be written over the other in place."""
    import zarr

    root = path.parent / f"{path.stem}-{value}.zarr"
    group = zarr.open_group(zarr.storage.LocalStore(str(root)), mode="w", zarr_format=3)
    datasets = []
    for i in range(3):
        n = 2048 >> i
        array = group.create_array(str(i), shape=(n, n), dtype="uint8", chunks=(256, 256), compressors=None,
                                   dimension_names=["y", "x"])
        array[...] = value
        datasets.append({"path": str(i), "coordinateTransformations": [{"type": "scale", "scale": [0.5 * 2**i] * 2}]})
    group.attrs["ome"] = {"version": "0.5", "multiscales": [{"axes": axes_for("yx"), "datasets": datasets}],
                          "omero": omero_channels(["FFFFFF"], [(0, 255)])}
    pack(root, path)
    shutil.rmtree(root)
    return path


def test_a_file_rewritten_in_place_never_shows_the_new_bytes(qtbot, window, tmp_path: Path) -> None:
    """Written over with another image of the same size: what is shown stays, finer tiles fail
    (status bar), the banner says so, and not one pixel of the other image appears."""
    path = write_constant(tmp_path / "scan.ozx", 50)
    other = write_constant(tmp_path / "other.ozx", 200)
    assert path.stat().st_size == other.stat().st_size
    open_and_wait(qtbot, window, path)
    assert window.session.stream.chosen_level() > 0
    path.write_bytes(other.read_bytes())  # same file, same size, new content
    stamp = path.stat()
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 10**9))  # a fast rewrite may keep the time
    window.zoom(8)
    banner = window.shell_actions.banner
    qtbot.waitUntil(lambda: "rewritten while open" in window.statusBar().currentMessage(), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: banner.text == CHANGED and window.session.stream.idle(), timeout=TIMEOUT_MS)
    assert window.session.failed_overlay.rects  # the tiles that fail are hatched...
    window.session.failed_overlay.visible = False
    shot = screenshot(window.canvas)  # ...over the coarser level of the opened image
    window.session.failed_overlay.visible = True
    assert set(np.unique(shot).tolist()) <= {0, 50}  # background and the opened image only
    assert (shot == 50).mean() > 0.9
    window.canvas.show_overlays(True)
    _shot(window, "banner-changed")


def test_a_file_replaced_by_another_of_the_same_name_is_named(qtbot, window, tmp_path: Path) -> None:
    path = _copy_of_sample(tmp_path)
    open_and_wait(qtbot, window, path)
    replacement = tmp_path / "new.ozx"
    shutil.copy(sample_path(), replacement)
    os.replace(replacement, path)
    window.shell_actions.check_file()
    assert window.shell_actions.banner.text == REPLACED
    window.zoom(4)
    wait_sharp(qtbot, window)  # still reads the file that was opened
    assert_shows(window.canvas, *_sample_level(window))


def test_a_non_conforming_file_that_opens_shows_a_banner_and_closing_it_hides_it(qtbot, window, tmp_path: Path) -> None:
    path = tmp_path / "deflated.ozx"
    with zipfile.ZipFile(sample_path()) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info))
    open_and_wait(qtbot, window, path)
    banner = window.shell_actions.banner
    qtbot.waitUntil(lambda: banner.text is not None, timeout=5000)
    assert banner.text.startswith("This file is not a conforming .ozx: entries are compressed")
    assert_shows(window.canvas, *_sample_level(window))
    window.canvas.show_overlays(True)
    _shot(window, "banner-not-conforming")
    banner.close_button.click()
    assert banner.text is None
    window.shell_actions.check_file()
    assert banner.text is None  # closed stays closed for the same message
    open_and_wait(qtbot, window, sample_path())
    assert banner.text is None


# ---- window geometry -----------------------------------------------------------------------------
def test_windows_restore_the_last_geometry_and_cascade(qtbot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from viewer.app.application import Application
    from viewer.app.recent_files import RecentFiles
    from viewer.app.window import DEFAULT_SIZE, MainWindow
    from viewer.app.window_geometry import CASCADE

    first = MainWindow()
    assert (first.width(), first.height()) == DEFAULT_SIZE  # nothing saved yet
    first.resize(900, 640)
    first.move(120, 90)
    first.show()
    qtbot.waitExposed(first)
    first.close()
    app = Application(QApplication.instance(), recent=RecentFiles(tmp_path / "recent.json"))
    try:
        one, two = app.new_window(), app.new_window()
        qtbot.waitExposed(two)
        assert (one.width(), one.height(), one.x(), one.y()) == (900, 640, 120, 90)
        assert (two.width(), two.height(), two.x(), two.y()) == (900, 640, 120 + CASCADE, 90 + CASCADE)
    finally:
        app.quit()
        app.close()


# ---- a read-only file in a read-only folder ------------------------------------------------------
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _snapshot(folder: Path) -> dict[str, tuple]:
    entries = {p.name: (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_ino, stat.S_IMODE(p.stat().st_mode))
               for p in folder.iterdir()}
    info = folder.stat()
    return {"": (info.st_mtime_ns, stat.S_IMODE(info.st_mode)), **entries}


def test_a_read_only_file_in_a_read_only_folder_is_never_written(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Opened, browsed, copied elsewhere and closed: the folder is as before, and no open of
    anything in it (by any thread) asked for writing."""
    from viewer.app.window import MainWindow

    window = MainWindow()  # not given to qtbot: this test closes (and so deletes) it
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    folder = tmp_path / "Content.Outlook" / "K3J9"
    path = _copy_of_sample(folder)
    path.chmod(0o444)
    folder.chmod(0o555)
    before = _snapshot(folder)
    inside = str(folder)
    writes: list[tuple] = []
    opens: list[str] = []
    real_os_open, real_open = os.open, builtins.open

    def watched(target) -> str | None:
        if isinstance(target, int):
            return None
        name = os.path.abspath(os.fsdecode(target))
        return name if name.startswith(inside) else None

    def os_open(target, flags, *args, **kwargs):
        name = watched(target)
        if name is not None:
            opens.append(name)
            if flags & _WRITE_FLAGS:
                writes.append((name, flags))
        return real_os_open(target, flags, *args, **kwargs)

    def open_(target, mode="r", *args, **kwargs):
        name = watched(target)
        if name is not None:
            opens.append(name)
            if set(mode) & set("wax+"):
                writes.append((name, mode))
        return real_open(target, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", open_)
    try:
        open_and_wait(qtbot, window, path)
        for key in ("+", "+", "-"):
            qtbot.keyClick(window, key)
            wait_sharp(qtbot, window)
        window.canvas.show_rect((10, 10, 100, 80))
        wait_sharp(qtbot, window)
        assert_shows(window.canvas, *_sample_level(window))
        window.shell_actions.show_properties()
        qtbot.waitUntil(window.shell_actions.properties.copy_button.isEnabled, timeout=TIMEOUT_MS)
        target = tmp_path / "Documents" / "Scan (2).OZX"
        target.parent.mkdir()
        assert _save(qtbot, window, target).startswith("Saved a copy")
        assert target.read_bytes() == path.read_bytes()
        closed = window.session.opened.document.container
        window.close()
        qtbot.waitUntil(lambda: closed._file._closed, timeout=TIMEOUT_MS)
    finally:
        monkeypatch.undo()
        after = _snapshot(folder)
        folder.chmod(0o755)
    assert opens, "the watch saw no open at all: it cannot have seen a write either"
    assert writes == []
    assert after == before


# ---- the view as a picture -----------------------------------------------------------------------
def _qimage_rgb(image) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    rows, cols = image.height(), image.width()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * rows)
    return data.reshape(rows, image.bytesPerLine())[:, : cols * 4].reshape(rows, cols, 4)[..., :3].copy()


def test_export_view_equals_the_screen_and_copy_view_too(qtbot, window, tmp_path: Path) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    path = _copy_of_sample(tmp_path)
    open_and_wait(qtbot, window, path)
    window.zoom(1.5)
    wait_sharp(qtbot, window)
    window.canvas.show_overlays(True)
    qtbot.waitUntil(lambda: window.canvas.scale_bar is not None and not window.canvas.frame_pending, timeout=TIMEOUT_MS)
    qtbot.wait(200)
    widget = window.canvas.widget
    corner = widget.mapToGlobal(QPoint(0, 0))
    screen = _qimage_rgb(widget.screen().grabWindow(0, corner.x(), corner.y(), widget.width(), widget.height()).toImage())
    target = tmp_path / "pictures" / "view.png"
    target.parent.mkdir()
    window.shell_actions.export_view_to(str(target))
    qtbot.waitUntil(lambda: "export" in window.statusBar().currentMessage(), timeout=TIMEOUT_MS)
    assert window.statusBar().currentMessage() == (
        f"Exported the view ({widget.width()} × {widget.height()} pixels) to {target}.")
    exported = _qimage_rgb(QImage(str(target)))
    assert exported.shape == screen.shape == (widget.height(), widget.width(), 3)
    differ = np.any(exported != screen, axis=-1)
    assert not differ.any(), f"{differ.sum()} pixels differ from the screen, first at {np.argwhere(differ)[0]}"
    assert os.listdir(target.parent) == ["view.png"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(target, SHOTS / "exported-view.png")
    window.shell_actions.copy_view_action.trigger()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Copied the view"), timeout=TIMEOUT_MS)
    assert (_qimage_rgb(QApplication.clipboard().image()) == exported).all()
    before = path.read_bytes()
    window.shell_actions.export_view_to(str(path))
    qtbot.waitUntil(lambda: "not exported" in window.statusBar().currentMessage(), timeout=TIMEOUT_MS)
    assert window.statusBar().currentMessage().startswith("The view was not exported: that is the open file itself")
    assert path.read_bytes() == before
    without_overlays = screenshot(window.canvas)
    assert (exported[-40:, :200] != without_overlays[-40:, :200]).any()  # the scale bar is in the picture

"""Input on the canvas, which is a native window rendered by its own thread: real X pointer and
key events (xdotool on the Xvfb display) pan, zoom and reach the window's shortcuts, drops on it
open files, and the GUI thread stays free while frames are rendered."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication

from tests.test_render_screenshots import TIMEOUT_MS, open_and_wait
from viewer.app.main import sample_path

pytestmark = pytest.mark.gui

needs_xdotool = pytest.mark.skipif(shutil.which("xdotool") is None or not os.environ.get("DISPLAY"),
                                   reason="real X input needs xdotool and an X display (tests/run.sh installs it)")


def xdotool(*args: object) -> None:
    subprocess.run(["xdotool", *map(str, args)], check=True, timeout=10)


def canvas_centre_on_screen(window) -> QPoint:
    widget = window.canvas.widget
    return widget.mapToGlobal(widget.rect().center())


def width(view) -> float:
    return view.x1 - view.x0


@needs_xdotool
def test_real_drag_pans_and_keys_still_reach_the_window_after_a_click(qtbot, window) -> None:
    open_and_wait(qtbot, window, sample_path())
    start = window.canvas.world_view()
    centre = canvas_centre_on_screen(window)
    xdotool("mousemove", centre.x(), centre.y())
    xdotool("mousedown", 1)
    for step in range(1, 6):
        xdotool("mousemove", centre.x() - 20 * step, centre.y())
    xdotool("mouseup", 1)
    wpp = width(start) / window.canvas.size[0]  # world units per logical pixel
    qtbot.waitUntil(lambda: window.canvas.world_view().x0 == pytest.approx(start.x0 + 100 * wpp, rel=1e-3), timeout=5000)
    assert window.canvas.world_view().y0 == pytest.approx(start.y0)
    assert QGuiApplication.focusWindow() is window.windowHandle()  # the canvas took no focus

    xdotool("key", "plus")  # the View menu's shortcut, typed after clicking in the canvas
    qtbot.waitUntil(lambda: width(window.canvas.world_view()) == pytest.approx(width(start) / 1.25, rel=1e-6), timeout=5000)


@needs_xdotool
def test_real_wheel_zooms_in_around_the_cursor(qtbot, window) -> None:
    open_and_wait(qtbot, window, sample_path())
    start = window.canvas.world_view()
    centre = canvas_centre_on_screen(window)
    local = window.canvas.widget.mapFromGlobal(centre)
    under_cursor = window.canvas.to_world((local.x(), local.y()))
    xdotool("mousemove", centre.x(), centre.y())
    xdotool("click", 4)  # wheel up
    qtbot.waitUntil(lambda: width(window.canvas.world_view()) < width(start) * 0.99, timeout=5000)
    assert window.canvas.to_world((local.x(), local.y())) == pytest.approx(under_cursor, rel=1e-6)


def test_a_file_dropped_on_the_canvas_opens(qtbot, window, tmp_path: Path) -> None:
    dropped = tmp_path / "dropped.ozx"
    shutil.copy(sample_path(), dropped)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(dropped))])
    surface = window.canvas.surface  # the native window a drop over the image reaches
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QGuiApplication.sendEvent(surface, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(QPoint(60, 60), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                          Qt.KeyboardModifier.NoModifier)
    move.ignore()
    QGuiApplication.sendEvent(surface, move)
    assert move.isAccepted()
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    QGuiApplication.sendEvent(surface, drop)
    qtbot.waitUntil(lambda: window.session is not None and window.session.opened.path == str(dropped), timeout=TIMEOUT_MS)


def test_frames_are_rendered_off_the_gui_thread(qtbot, window, monkeypatch) -> None:
    """While the render thread rasterizes a slow frame, the GUI thread keeps running events."""
    open_and_wait(qtbot, window, sample_path())
    renderer_thread = window.canvas._renderer._thread
    original = renderer_thread.present
    slow_frames: list[tuple[bool, float, float]] = []  # (on the render thread, start, end)

    def slow_present(*args, **kwargs) -> None:
        started = time.monotonic()
        time.sleep(0.5)
        original(*args, **kwargs)
        slow_frames.append((renderer_thread.isCurrentThread(), started, time.monotonic()))

    monkeypatch.setattr(renderer_thread, "present", slow_present)
    window.canvas.zoom(1.5)
    ticks = [time.monotonic()]
    while not slow_frames and ticks[-1] - ticks[0] < 5:
        qtbot.wait(10)
        ticks.append(time.monotonic())
    assert slow_frames and slow_frames[0][0]
    _, began, ended = slow_frames[0]
    during = [t for t in ticks if began <= t <= ended]
    assert len(during) > 10  # the event loop ran all along
    assert max(b - a for a, b in zip(during, during[1:])) < 0.2


@needs_xdotool
def test_a_right_click_on_the_image_opens_its_menu_and_a_right_drag_does_not(qtbot, window) -> None:
    from PySide6.QtWidgets import QApplication, QMenu

    open_and_wait(qtbot, window, sample_path())
    fitted = window.canvas.world_view()
    centre = canvas_centre_on_screen(window)
    xdotool("mousemove", centre.x(), centre.y())
    xdotool("mousedown", 3)
    for step in range(1, 5):
        xdotool("mousemove", centre.x(), centre.y() + 15 * step)
    xdotool("mouseup", 3)
    qtbot.waitUntil(lambda: width(window.canvas.world_view()) != pytest.approx(width(fitted)), timeout=5000)
    qtbot.wait(300)
    assert QApplication.activePopupWidget() is None  # a drag zooms, no menu

    xdotool("mousemove", centre.x(), centre.y())
    xdotool("click", 3)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=5000)
    menu = QApplication.activePopupWidget()
    names = [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
    assert names == ["Fit to window", "Copy View", "Export View as PNG…", "Properties…"]
    assert all(a.isEnabled() for a in menu.actions())
    fit = next(a for a in menu.actions() if a.text().replace("&", "") == "Fit to window")
    menu.close()
    fit.trigger()
    assert window.canvas.world_view() == fitted

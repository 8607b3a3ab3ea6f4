"""The scale bar and loading indicator: a Qt overlay over the canvas, never in the GL framebuffer."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QVBoxLayout, QWidget

from viewer.render.canvas import SCALE_BAR_TARGET_PX, ImageCanvas
from viewer.render.overlay import BAR_WIDTH_PX, MARGIN_PX
from viewer.render.units import format_length

pytestmark = pytest.mark.gui


@pytest.fixture
def hosted(qtbot):
    """An ImageCanvas in a plain 400 × 300 widget, shown."""
    host = QWidget()
    layout = QVBoxLayout(host)
    layout.setContentsMargins(0, 0, 0, 0)
    canvas = ImageCanvas(app="pyside6", parent=host)
    layout.addWidget(canvas.native)
    qtbot.addWidget(host)
    host.resize(400, 300)
    host.show()
    qtbot.waitExposed(host)
    yield host, canvas
    canvas.close()


def grab(host: QWidget) -> np.ndarray:
    """What the widget shows (GL content and child widgets) as (rows, cols, 3) uint8."""
    image = host.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows, cols = image.height(), image.width()
    return np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * rows).reshape(rows, -1)[:, : cols * 3].reshape(rows, cols, 3).copy()


def world_length(canvas: ImageCanvas, pixels: float) -> float:
    view = canvas.world_view()
    return pixels * (view.x1 - view.x0) / canvas.view.size[0]


def test_scale_bar_has_a_nice_length_and_follows_the_zoom(qtbot, hosted) -> None:
    host, canvas = hosted
    assert canvas.scale_bar is None  # no image, no unit yet
    canvas.set_scale_unit("micrometer")
    canvas.fit((0.0, 0.0, 256.0, 256.0))
    qtbot.waitUntil(lambda: canvas.scale_bar is not None)
    for _ in range(3):
        pixels, label = canvas.scale_bar
        length = float(f"{world_length(canvas, pixels):.4g}")  # the bar's pixels are rounded
        assert 0.4 * SCALE_BAR_TARGET_PX < pixels <= SCALE_BAR_TARGET_PX + 0.01
        assert label == format_length(length, "micrometer")
        assert length / 10 ** np.floor(np.log10(length)) in (1, 2, 5)
        canvas.zoom(3.0)
    canvas.set_scale_unit(None)
    assert canvas.scale_bar[1].endswith(" px")


def test_overlay_is_painted_over_the_canvas_but_not_into_the_framebuffer(qtbot, hosted) -> None:
    host, canvas = hosted
    overlay = canvas.overlay
    assert overlay.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    assert overlay.geometry() == canvas.native.rect()
    canvas.set_scale_unit("micrometer")
    canvas.fit((0.0, 0.0, 256.0, 256.0))
    canvas.set_loading(True)
    assert canvas.loading_shown
    qtbot.waitUntil(lambda: canvas.scale_bar is not None)
    qtbot.wait(100)

    shown = grab(host)
    rows, cols = shown.shape[:2]
    bar_px = int(canvas.scale_bar[0])
    bar_row = shown[rows - MARGIN_PX, MARGIN_PX + 1: MARGIN_PX + bar_px - 1]
    assert (bar_row == 255).all()  # the white bar, BAR_WIDTH_PX thick
    assert (shown[rows - MARGIN_PX + BAR_WIDTH_PX, MARGIN_PX: MARGIN_PX + bar_px] < 16).all()
    label = shown[rows - MARGIN_PX - 20: rows - MARGIN_PX - 2, MARGIN_PX: MARGIN_PX + bar_px]
    assert (label.max(axis=-1) > 128).any()  # the label above the bar
    corner = shown[: MARGIN_PX * 2, cols // 2:]
    yellow = (corner[..., 0] > 100) & (corner[..., 1] > 100) & (corner[..., 2] < corner[..., 0] - 30)
    assert yellow.any()  # "loading…" at the top right

    assert (canvas.render()[..., :3] == 0).all()  # the GL frame holds no overlay pixels

    canvas.set_loading(False)
    canvas.show_overlays(False)
    assert canvas.scale_bar is None and not canvas.loading_shown
    qtbot.wait(100)
    hidden = grab(host)
    assert (hidden < 16).all(), np.argwhere(hidden >= 16)[:5]
    canvas.set_loading(True)
    assert not canvas.loading_shown  # hidden overlays stay hidden until shown again
    canvas.show_overlays(True)
    assert canvas.loading_shown and canvas.scale_bar is not None


def test_overlay_follows_the_canvas_size(qtbot, hosted) -> None:
    host, canvas = hosted
    host.resize(520, 260)
    qtbot.waitUntil(lambda: canvas.overlay.geometry() == canvas.native.rect())
    assert canvas.overlay.size().width() == 520

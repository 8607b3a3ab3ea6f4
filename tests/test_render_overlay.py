"""The scale bar and loading indicator: drawn by the canvas into its own frames, over the image."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QVBoxLayout, QWidget

from viewer.render.canvas import SCALE_BAR_TARGET_PX, ImageCanvas
from viewer.render.overlay import BACKDROP_PAD_PX, BAR_WIDTH_PX, MARGIN_PX
from viewer.render.units import format_length

pytestmark = pytest.mark.gui


@pytest.fixture
def hosted(qtbot):
    """An ImageCanvas in a plain 400 × 300 widget, shown."""
    host = QWidget()
    layout = QVBoxLayout(host)
    layout.setContentsMargins(0, 0, 0, 0)
    canvas = ImageCanvas(parent=host)
    layout.addWidget(canvas.widget)
    qtbot.addWidget(host)
    host.resize(400, 300)
    host.show()
    qtbot.waitExposed(host)
    yield host, canvas
    canvas.close()


def on_screen(qtbot, canvas: ImageCanvas) -> np.ndarray:
    """The next frame the render thread puts on screen, read back, as (rows, cols, 3) uint8."""
    shown: list[np.ndarray] = []
    canvas.events.presented.connect(lambda event: shown.append(event.pixels) if event.pixels is not None else None)
    canvas.read_back = True
    canvas.update()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    canvas.read_back = False
    return shown[0][..., :3]


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


def assert_overlays_drawn(canvas: ImageCanvas, shown: np.ndarray) -> None:
    """The white bar (BAR_WIDTH_PX thick, MARGIN_PX from the bottom left), its label above it
    and the yellow "loading…" at the top right are in the frame `shown`."""
    rows, cols = shown.shape[:2]
    assert (rows, cols) == (canvas.widget.height(), canvas.widget.width())
    bar_px = int(canvas.scale_bar[0])
    bar_row = shown[rows - MARGIN_PX, MARGIN_PX + 1: MARGIN_PX + bar_px - 1]
    assert (bar_row == 255).all()
    assert (shown[rows - MARGIN_PX + BAR_WIDTH_PX, MARGIN_PX: MARGIN_PX + bar_px] < 16).all()
    assert (shown[rows - MARGIN_PX, MARGIN_PX + bar_px + 2: MARGIN_PX + bar_px + 40] < 16).all()
    label = shown[rows - MARGIN_PX - 20: rows - MARGIN_PX - 2, MARGIN_PX: MARGIN_PX + bar_px]
    assert (label.max(axis=-1) > 128).any()
    corner = shown[: MARGIN_PX * 2, cols // 2:]
    yellow = (corner[..., 0] > 100) & (corner[..., 1] > 100) & (corner[..., 2] < corner[..., 0] - 30)
    assert yellow.any()
    assert yellow[:, -MARGIN_PX // 2 - 40:].any()  # right-aligned
    middle = shown[MARGIN_PX * 3: rows - MARGIN_PX * 3]
    assert (middle < 16).all()  # nothing else (no image here)


def test_overlays_are_drawn_into_the_frames_on_screen(qtbot, hosted) -> None:
    host, canvas = hosted
    canvas.set_scale_unit("micrometer")
    canvas.fit((0.0, 0.0, 256.0, 256.0))
    canvas.set_loading(True)
    assert canvas.loading_shown
    qtbot.waitUntil(lambda: canvas.scale_bar is not None)
    assert_overlays_drawn(canvas, on_screen(qtbot, canvas))
    assert_overlays_drawn(canvas, canvas.render()[..., :3])  # and in what `render()` draws

    canvas.set_loading(False)
    canvas.show_overlays(False)
    assert canvas.scale_bar is None and not canvas.loading_shown
    hidden = on_screen(qtbot, canvas)
    assert (hidden < 16).all(), np.argwhere(hidden >= 16)[:5]
    canvas.set_loading(True)
    assert not canvas.loading_shown  # hidden overlays stay hidden until shown again
    canvas.show_overlays(True)
    assert canvas.loading_shown and canvas.scale_bar is not None


def test_overlays_follow_the_canvas_size(qtbot, hosted) -> None:
    host, canvas = hosted
    canvas.set_scale_unit("micrometer")
    canvas.fit((0.0, 0.0, 256.0, 256.0))
    canvas.set_loading(True)
    host.resize(520, 260)
    qtbot.waitUntil(lambda: canvas.size == (520, 260))
    assert_overlays_drawn(canvas, on_screen(qtbot, canvas))


def test_the_first_frame_brings_only_the_image_and_the_overlays_follow(qtbot) -> None:
    """The overlays' first paint and shaders stay out of the frame users wait for."""
    canvas = ImageCanvas(size=(400, 300))
    try:
        frames: list[np.ndarray] = []
        canvas.events.presented.connect(lambda event: frames.append(event.pixels[..., :3]))
        canvas.read_back = True
        canvas.set_scale_unit("micrometer")
        canvas.fit((0.0, 0.0, 256.0, 256.0))
        canvas.set_loading(True)
        canvas.show()
        qtbot.waitUntil(lambda: len(frames) >= 2, timeout=5000)
        assert (frames[0] < 16).all()
        assert_overlays_drawn(canvas, frames[1])
    finally:
        canvas.close()


def test_the_scale_bar_reads_on_a_white_image(qtbot, hosted) -> None:
    """A dark backdrop behind the white bar and its label (brightfield images are mostly white)."""
    from vispy import scene

    host, canvas = hosted
    white = scene.visuals.Image(np.full((256, 256, 3), 255, np.uint8), parent=canvas.view.scene)
    canvas.set_scale_unit("micrometer")
    canvas.fit((0.0, 0.0, 256.0, 256.0))
    qtbot.waitUntil(lambda: canvas.scale_bar is not None)
    shown = on_screen(qtbot, canvas)
    rows = shown.shape[0]
    bar_px = int(canvas.scale_bar[0])
    x0 = MARGIN_PX + 2
    assert (shown[rows - MARGIN_PX, x0: MARGIN_PX + bar_px - 2] == 255).all()  # the bar
    below = shown[rows - MARGIN_PX + BAR_WIDTH_PX, x0: MARGIN_PX + bar_px - 2]
    assert (below < 120).all()  # the backdrop just below it
    label = shown[rows - MARGIN_PX - 20: rows - MARGIN_PX - 2, x0: MARGIN_PX + bar_px - 2]
    assert (label.max(axis=-1) > 200).any() and (label.max(axis=-1) < 120).any()  # white text on dark
    outside = shown[rows - MARGIN_PX, MARGIN_PX + bar_px + BACKDROP_PAD_PX + 60: MARGIN_PX + bar_px + 100]
    assert (outside == 255).all()  # the image beside it is untouched
    white.parent = None

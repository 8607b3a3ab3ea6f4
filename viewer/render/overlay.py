"""The scale bar and the loading indicator, drawn over the image in the canvas' own frames.

The canvas is a native window, so no widget can be painted over it. Each overlay is painted with
QPainter (Qt's text rendering, no vispy font or text shader) into a small RGBA image, which a vispy
Image visual shows at a fixed place in canvas pixels. They are painted again only when the bar,
its label, the indicator or the canvas size changes.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from vispy import scene
from vispy.visuals.transforms import STTransform

MARGIN_PX = 16
BAR_WIDTH_PX = 3
LABEL_GAP_PX = 4
FONT_POINTS = 9
BAR_COLOR = QColor(255, 255, 255)
#: Behind the bar and its label, so they read on bright images (brightfield tissue is mostly white).
BACKDROP_COLOR = QColor(0, 0, 0, 150)
BACKDROP_PAD_PX = 5
LOADING_COLOR = QColor.fromRgbF(1.0, 1.0, 0.5, 0.9)
LOADING_TEXT = "loading…"
_PAD = 2  # around the painted shapes, for anti-aliased edges
_ORDER = 1000  # drawn after the view with the image

Painter = Callable[[QPainter], None]


class CanvasOverlay:
    """The bar (bottom left) and the indicator (top right) as children of `parent` (the canvas'
    scene, whose coordinates are logical canvas pixels, y down)."""

    def __init__(self, parent: scene.Node) -> None:
        self._font = QFont()
        self._font.setPointSizeF(FONT_POINTS)
        self._metrics = QFontMetricsF(self._font)
        self._bar_image = _overlay_image(parent)
        self._loading_image = _overlay_image(parent)
        self.bar: tuple[float, str] | None = None  # (length in logical pixels, label)
        self.loading = False
        self.loading_text: str | None = None  # the indicator's text while shown
        self._size: tuple[float, float, float] | None = None  # canvas width, height, pixel ratio

    def place(self, bar: tuple[float, str] | None, loading: bool, size: tuple[float, float, float],
              detail: str = "") -> None:
        """Show `bar` and the indicator (if `loading`, followed by `detail`, e.g. how much of an
        overview is built) on a canvas of `size` (width, height in logical pixels, device pixels
        per logical pixel)."""
        text = (f"{LOADING_TEXT} {detail}" if detail else LOADING_TEXT) if loading else None
        if (bar, size) != (self.bar, self._size):
            self._show(self._bar_image, bar is not None and self._paint_bar(bar, size))
        if (text, size) != (self.loading_text, self._size):
            self._show(self._loading_image, text is not None and self._paint_loading(size, text))
        self.bar, self.loading, self.loading_text, self._size = bar, loading, text, size

    def _paint_bar(self, bar: tuple[float, str], size: tuple[float, float, float]):
        length, label = bar
        _width, height, ratio = size
        y = height - MARGIN_PX
        text_bottom = y - BAR_WIDTH_PX / 2 - LABEL_GAP_PX
        text_width = self._metrics.horizontalAdvance(label)
        left = min(MARGIN_PX, MARGIN_PX + length / 2 - text_width / 2)
        right = max(MARGIN_PX + length, MARGIN_PX + length / 2 + text_width / 2)
        box = QRectF(left, text_bottom - self._metrics.height(), right - left, y + BAR_WIDTH_PX / 2 - text_bottom + self._metrics.height())
        box = box.adjusted(-BACKDROP_PAD_PX, -BACKDROP_PAD_PX / 2, BACKDROP_PAD_PX, BACKDROP_PAD_PX)

        def paint(painter: QPainter) -> None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(BACKDROP_COLOR)
            painter.drawRoundedRect(box, 4, 4)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setPen(QPen(BAR_COLOR, BAR_WIDTH_PX, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
            painter.drawLine(QPointF(MARGIN_PX, y), QPointF(MARGIN_PX + length, y))
            text_box = QRectF(MARGIN_PX + length / 2 - 200, text_bottom - 100, 400, 100)
            painter.drawText(text_box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, label)

        return _paint(box, ratio, self._font, paint)

    def _paint_loading(self, size: tuple[float, float, float], text: str):
        width, _height, ratio = size
        right, top = width - MARGIN_PX / 2, MARGIN_PX / 2
        text_width = self._metrics.horizontalAdvance(text)
        box = QRectF(right - text_width, top, text_width, self._metrics.height())

        def paint(painter: QPainter) -> None:
            painter.setPen(LOADING_COLOR)
            text_box = QRectF(0, top, right, 100)
            painter.drawText(text_box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, text)

        return _paint(box, ratio, self._font, paint)

    @staticmethod
    def _show(image: scene.visuals.Image, painted) -> None:
        if not painted:
            image.visible = False
            return
        pixels, (x, y), ratio = painted
        image.set_data(pixels)
        image.transform.scale = (1 / ratio, 1 / ratio)  # the same transform: no shader rebuild
        image.transform.translate = (x, y)
        image.visible = True


def _overlay_image(parent: scene.Node) -> scene.visuals.Image:
    image = scene.visuals.Image(np.zeros((1, 1, 4), np.uint8), parent=parent, clim=(0, 255),
                                interpolation="nearest", method="subdivide")
    image.transform = STTransform()
    image.order = _ORDER
    image.visible = False
    return image


def _paint(box: QRectF, ratio: float, font: QFont, paint: Painter):
    """(RGBA pixels, top-left corner in logical pixels, ratio) of `paint` (which draws in canvas
    coordinates) within `box`, widened by a small pad and aligned to whole device pixels."""
    x0, y0 = np.floor(box.left() - _PAD), np.floor(box.top() - _PAD)
    cols = int(np.ceil((box.right() + _PAD - x0) * ratio))
    rows = int(np.ceil((box.bottom() + _PAD - y0) * ratio))
    image = QImage(max(cols, 1), max(rows, 1), QImage.Format.Format_RGBA8888)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setFont(font)
    painter.scale(ratio, ratio)
    painter.translate(-x0, -y0)
    paint(painter)
    painter.end()
    pixels = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * image.height())
    pixels = pixels.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4]
    return pixels.reshape(image.height(), image.width(), 4).copy(), (float(x0), float(y0)), ratio

"""The scale bar and the loading indicator, painted by Qt in a transparent widget over the canvas.

Painting them with QPainter instead of vispy Line/Text visuals keeps glyph rasterising and the
large text shader out of the GL scene, so the first frame after start-up draws only image tiles.
The widget ignores the mouse; it repaints only when the bar, its label or the indicator changes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

MARGIN_PX = 16
BAR_WIDTH_PX = 3
LABEL_GAP_PX = 4
FONT_POINTS = 9
BAR_COLOR = QColor(255, 255, 255)
LOADING_COLOR = QColor.fromRgbF(1.0, 1.0, 0.5, 0.9)
LOADING_TEXT = "loading…"


class CanvasOverlay(QWidget):
    """Covers `canvas_widget` (following its size) and paints the bar and the indicator."""

    def __init__(self, canvas_widget: QWidget) -> None:
        super().__init__(canvas_widget)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._font = QFont(self.font())
        self._font.setPointSizeF(FONT_POINTS)
        self.bar: tuple[float, str] | None = None  # (length in logical pixels, label)
        self.loading = False
        self.setGeometry(canvas_widget.rect())
        canvas_widget.installEventFilter(self)

    def set_bar(self, bar: tuple[float, str] | None) -> None:
        if bar != self.bar:
            self.bar = bar
            self.update()

    def set_loading(self, loading: bool) -> None:
        if loading != self.loading:
            self.loading = loading
            self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.parent():
            self.setGeometry(watched.rect())
            self.raise_()
        return False

    def paintEvent(self, event) -> None:
        if self.bar is None and not self.loading:
            return
        painter = QPainter(self)
        painter.setFont(self._font)
        width, height = self.width(), self.height()
        if self.bar is not None:
            length, label = self.bar
            y = height - MARGIN_PX
            painter.setPen(QPen(BAR_COLOR, BAR_WIDTH_PX, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
            painter.drawLine(QPointF(MARGIN_PX, y), QPointF(MARGIN_PX + length, y))
            text_bottom = y - BAR_WIDTH_PX / 2 - LABEL_GAP_PX
            box = QRectF(MARGIN_PX + length / 2 - 200, text_bottom - 100, 400, 100)
            painter.drawText(box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, label)
        if self.loading:
            painter.setPen(LOADING_COLOR)
            box = QRectF(0, MARGIN_PX / 2, width - MARGIN_PX / 2, 100)
            painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, LOADING_TEXT)
        painter.end()

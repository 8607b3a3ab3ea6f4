"""A channel's histogram with its window drawn on it; the window's ends can be dragged."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from .contrast import histogram
from .view_state import ViewState

HEIGHT_PX = 44
GRAB_PX = 6


class HistogramWidget(QWidget):
    """Counts of channel `index`'s values on screen (log scale) over a value range that covers
    them and the window; the window is a band in the channel's colour with draggable ends."""

    def __init__(self, state: ViewState, index: int, integer: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.index = index
        self._integer = integer
        self.counts = np.zeros(0, np.int64)
        self._values: np.ndarray | None = None
        self._data_range: tuple[float, float] | None = None
        self.value_range: tuple[float, float] = state.channels[index].window
        self._dragging: int | None = None  # 0: the start, 1: the end
        self.setMinimumHeight(HEIGHT_PX)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Drag the ends of the window to change the contrast")
        self.setMouseTracking(True)
        state.channel_changed.connect(self._on_channel_changed)

    def set_values(self, values: np.ndarray) -> None:
        """Show the histogram of `values` (the channel's values on screen)."""
        self._values = values[np.isfinite(values)] if values.dtype.kind == "f" else values
        self._data_range = (float(self._values.min()), float(self._values.max())) if self._values.size else None
        self.counts = np.zeros(0, np.int64)
        self._rebin()

    def _rebin(self) -> None:
        """Bin the values over the range covering them and the window (only when that range moved:
        a window change inside it needs no new counts)."""
        if self._values is None:
            return
        start, end = self.state.channels[self.index].window
        lo = min(self._data_range[0], start) if self._data_range else start
        hi = max(self._data_range[1], end) if self._data_range else end
        if hi <= lo:
            hi = lo + 1.0
        if (lo, hi) != self.value_range or not self.counts.size:
            self.value_range = (lo, hi)
            self.counts = histogram(self._values, self.value_range)
        self.update()

    # ---- geometry ------------------------------------------------------------------------------
    def to_x(self, value: float) -> float:
        lo, hi = self.value_range
        return (value - lo) / (hi - lo) * max(self.width() - 1, 1)

    def to_value(self, x: float) -> float:
        lo, hi = self.value_range
        value = lo + x / max(self.width() - 1, 1) * (hi - lo)
        return float(round(value)) if self._integer else value

    # ---- painting and dragging -----------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        width, height = self.width(), self.height()
        painter.fillRect(self.rect(), QColor(32, 32, 32))
        if self.counts.size:
            heights = np.log1p(self.counts.astype(float))
            heights = heights / max(heights.max(), 1e-9) * (height - 2)
            bar = width / self.counts.size
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(170, 170, 170))
            for i, h in enumerate(heights):
                if h > 0:
                    painter.drawRect(QRectF(i * bar, height - h, bar + 0.5, h))
        style = self.state.channels[self.index]
        color = QColor(f"#{style.color}")
        x0, x1 = (self.to_x(v) for v in style.window)
        band = QColor(color)
        band.setAlpha(60)
        painter.fillRect(QRectF(min(x0, x1), 0, abs(x1 - x0), height), band)
        painter.setPen(QPen(color, 2))
        for x in (x0, x1):
            painter.drawLine(QPointF(x, 0), QPointF(x, height))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._dragging = self._end_near(event.position().x())
        if self._dragging is None:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        x = event.position().x()
        if self._dragging is None:
            near = self._end_near(x) is not None
            self.setCursor(Qt.CursorShape.SizeHorCursor if near else Qt.CursorShape.ArrowCursor)
            return
        window = list(self.state.channels[self.index].window)
        window[self._dragging] = self.to_value(min(max(x, 0.0), self.width() - 1.0))
        self.state.set_channel(self.index, window=tuple(window))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._dragging is not None:
            self._dragging = None
            self._rebin()

    def _end_near(self, x: float) -> int | None:
        """Which end of the window is within GRAB_PX of `x` (the nearer one), or None."""
        distances = [abs(self.to_x(v) - x) for v in self.state.channels[self.index].window]
        nearest = int(np.argmin(distances))
        return nearest if distances[nearest] <= GRAB_PX else None

    def _on_channel_changed(self, index: int) -> None:
        if index == self.index:
            if self._dragging is None:  # the range stays put under the mouse while dragging
                self._rebin()
            self.update()

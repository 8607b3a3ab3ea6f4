"""Side panels: channel settings (active, colour, window, inverted) and label-map overlays."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QSlider,
    QWidget,
)

from ..ome.channels import dtype_range
from ..ome.model import Channel
from ..render.styles import ChannelStyle

_FLOAT_LIMIT = 1e15


class ChannelPanel(QWidget):
    """One row per channel; emits `changed()` whenever a setting changes (no data is re-read)."""

    changed = Signal()

    def __init__(self, channels: list[Channel], dtype: np.dtype, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.channels = [replace(c) for c in channels]
        layout = QGridLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        for column, title in enumerate(("Channel", "", "Start", "End", "Inv.")):
            layout.addWidget(QLabel(f"<b>{title}</b>"), 0, column)
        low, high, decimals = _spin_range(dtype)
        self.active_boxes: list[QCheckBox] = []
        self.swatches: list[QPushButton] = []
        self.start_spins: list[QDoubleSpinBox] = []
        self.end_spins: list[QDoubleSpinBox] = []
        self.invert_boxes: list[QCheckBox] = []
        for i, channel in enumerate(self.channels):
            row = i + 1
            active = QCheckBox(channel.label)
            active.setChecked(channel.active)
            active.toggled.connect(lambda on, i=i: self._set(i, active=on))
            swatch = QPushButton()
            swatch.setFixedSize(22, 18)
            swatch.setToolTip("Change the colour")
            swatch.clicked.connect(lambda _=False, i=i: self._pick_color(i))
            spins = []
            for value in channel.window:
                spin = QDoubleSpinBox()
                spin.setRange(low, high)
                spin.setDecimals(decimals)
                spin.setValue(value)
                spin.setKeyboardTracking(False)
                spin.valueChanged.connect(lambda _v, i=i: self._window_edited(i))
                spins.append(spin)
            inverted = QCheckBox()
            inverted.setChecked(channel.inverted)
            inverted.toggled.connect(lambda on, i=i: self._set(i, inverted=on))
            for column, widget in enumerate((active, swatch, spins[0], spins[1], inverted)):
                layout.addWidget(widget, row, column)
            self.active_boxes.append(active)
            self.swatches.append(swatch)
            self.start_spins.append(spins[0])
            self.end_spins.append(spins[1])
            self.invert_boxes.append(inverted)
            self._paint_swatch(i)
        layout.setRowStretch(len(self.channels) + 1, 1)

    def styles(self) -> list[ChannelStyle]:
        return [ChannelStyle(c.color, c.window, c.active, c.inverted) for c in self.channels]

    def set_color(self, index: int, color: str) -> None:
        self._set(index, color=color.lstrip("#").upper())
        self._paint_swatch(index)

    def _set(self, index: int, **changes) -> None:
        self.channels[index] = replace(self.channels[index], **changes)
        self.changed.emit()

    def _window_edited(self, index: int) -> None:
        self._set(index, window=(self.start_spins[index].value(), self.end_spins[index].value()))

    def _pick_color(self, index: int) -> None:
        color = QColorDialog.getColor(QColor(f"#{self.channels[index].color}"), self, "Channel colour")
        if color.isValid():
            self.set_color(index, color.name()[1:])

    def _paint_swatch(self, index: int) -> None:
        self.swatches[index].setStyleSheet(f"background-color: #{self.channels[index].color}; border: 1px solid #444;")


class LabelPanel(QWidget):
    """One row per label map: a visibility checkbox and an opacity slider (0–100 %)."""

    visibility_changed = Signal(int, bool)
    opacity_changed = Signal(int, float)

    def __init__(self, names: list[str], visible: bool, opacity: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(QLabel("<b>Labels</b>"), 0, 0)
        layout.addWidget(QLabel("<b>Opacity</b>"), 0, 1)
        self.boxes: list[QCheckBox] = []
        self.sliders: list[QSlider] = []
        for i, name in enumerate(names):
            box = QCheckBox(name)
            box.setChecked(visible)
            box.toggled.connect(lambda on, i=i: self.visibility_changed.emit(i, on))
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, 100)
            slider.setValue(round(opacity * 100))
            slider.valueChanged.connect(lambda v, i=i: self.opacity_changed.emit(i, v / 100))
            layout.addWidget(box, i + 1, 0)
            layout.addWidget(slider, i + 1, 1)
            self.boxes.append(box)
            self.sliders.append(slider)


def _spin_range(dtype: np.dtype) -> tuple[float, float, int]:
    """(min, max, decimals) a window spin box allows for `dtype`."""
    dtype = np.dtype(dtype)
    if dtype.kind in "uib":
        return (*dtype_range(dtype), 0)
    return -_FLOAT_LIMIT, _FLOAT_LIMIT, 4

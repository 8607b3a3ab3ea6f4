"""Side panels bound to the window's `ViewState`: channel settings (active, colour, window,
inverted) and label-map overlays."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
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
from .contrast_sampler import ContrastSampler
from .histogram_widget import HistogramWidget
from .view_state import ViewState

_FLOAT_LIMIT = 1e15


class ChannelPanel(QWidget):
    """Per shown channel of `state`: active, colour, window (start, end), inverted, Auto and Reset,
    and below them the histogram of the channel's values on screen with the window on it.

    Edits go to the state; the rows follow the state's changes from anywhere else. `sampler`
    (a `ContrastSampler`) provides the values on screen."""

    def __init__(self, state: ViewState, count: int, dtype: np.dtype, sampler: ContrastSampler,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.sampler = sampler
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
        self.auto_buttons: list[QPushButton] = []
        self.reset_buttons: list[QPushButton] = []
        self.histograms: list[HistogramWidget] = []
        integer = np.dtype(dtype).kind in "uib"
        for i in range(count):
            row = 2 * i + 1
            active = QCheckBox(state.channel_names[i])
            active.toggled.connect(lambda on, i=i: state.set_channel(i, active=on))
            swatch = QPushButton()
            swatch.setFixedSize(22, 18)
            swatch.setToolTip("Change the colour")
            swatch.clicked.connect(lambda _=False, i=i: self._pick_color(i))
            spins = []
            for _ in range(2):
                spin = QDoubleSpinBox()
                spin.setRange(low, high)
                spin.setDecimals(decimals)
                spin.setKeyboardTracking(False)
                spin.valueChanged.connect(lambda _v, i=i: self._window_edited(i))
                spins.append(spin)
            inverted = QCheckBox()
            inverted.toggled.connect(lambda on, i=i: state.set_channel(i, inverted=on))
            auto = QPushButton("Auto")
            auto.setToolTip("Stretch the window over what is on screen")
            auto.clicked.connect(lambda _=False, i=i: sampler.auto(i))
            reset = QPushButton("Reset")
            reset.setToolTip("Back to the window the image opened with")
            reset.clicked.connect(lambda _=False, i=i: state.reset_channel(i))
            for button in (auto, reset):
                button.setMaximumWidth(button.fontMetrics().horizontalAdvance(button.text()) + 20)
            for column, widget in enumerate((active, swatch, spins[0], spins[1], inverted, auto, reset)):
                layout.addWidget(widget, row, column)
            histogram = HistogramWidget(state, i, integer)
            layout.addWidget(histogram, row + 1, 0, 1, 7)
            self.auto_buttons.append(auto)
            self.reset_buttons.append(reset)
            self.histograms.append(histogram)
            self.active_boxes.append(active)
            self.swatches.append(swatch)
            self.start_spins.append(spins[0])
            self.end_spins.append(spins[1])
            self.invert_boxes.append(inverted)
            self._show(i)
        layout.setRowStretch(2 * count + 1, 1)
        state.channel_changed.connect(self._show)
        sampler.sampled.connect(self._show_values)

    def _show_values(self, values: list[np.ndarray]) -> None:
        for histogram, channel_values in zip(self.histograms, values):
            histogram.set_values(channel_values)

    def _show(self, index: int) -> None:
        """Show channel `index` of the state, without the widgets' edits echoing back."""
        if index >= len(self.active_boxes):
            return
        style = self.state.channels[index]
        widgets = (self.active_boxes[index], self.start_spins[index], self.end_spins[index], self.invert_boxes[index])
        for widget in widgets:
            widget.blockSignals(True)
        self.active_boxes[index].setChecked(style.active)
        self.start_spins[index].setValue(style.window[0])
        self.end_spins[index].setValue(style.window[1])
        self.invert_boxes[index].setChecked(style.inverted)
        for widget in widgets:
            widget.blockSignals(False)
        self.swatches[index].setStyleSheet(f"background-color: #{style.color}; border: 1px solid #444;")

    def _window_edited(self, index: int) -> None:
        self.state.set_channel(index, window=(self.start_spins[index].value(), self.end_spins[index].value()))

    def _pick_color(self, index: int) -> None:
        color = QColorDialog.getColor(QColor(f"#{self.state.channels[index].color}"), self, "Channel colour")
        if color.isValid():
            self.state.set_channel(index, color=color.name())


class LabelPanel(QWidget):
    """One row per label map of `state`: a visibility checkbox and an opacity slider (0–100 %)."""

    def __init__(self, state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        layout = QGridLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(QLabel("<b>Labels</b>"), 0, 0)
        layout.addWidget(QLabel("<b>Opacity</b>"), 0, 1)
        self.boxes: list[QCheckBox] = []
        self.sliders: list[QSlider] = []
        for i, name in enumerate(state.label_names):
            box = QCheckBox(name)
            box.toggled.connect(lambda on, i=i: state.set_label(i, visible=on))
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, 100)
            slider.valueChanged.connect(lambda v, i=i: state.set_label(i, opacity=v / 100))
            layout.addWidget(box, i + 1, 0)
            layout.addWidget(slider, i + 1, 1)
            self.boxes.append(box)
            self.sliders.append(slider)
            self._show(i)
        state.label_changed.connect(self._show)

    def _show(self, index: int) -> None:
        style = self.state.labels[index]
        for widget in (self.boxes[index], self.sliders[index]):
            widget.blockSignals(True)
        self.boxes[index].setChecked(style.visible)
        self.sliders[index].setValue(round(style.opacity * 100))
        for widget in (self.boxes[index], self.sliders[index]):
            widget.blockSignals(False)


def _spin_range(dtype: np.dtype) -> tuple[float, float, int]:
    """(min, max, decimals) a window spin box allows for `dtype`."""
    dtype = np.dtype(dtype)
    if dtype.kind in "uib":
        return (*dtype_range(dtype), 0)
    return -_FLOAT_LIMIT, _FLOAT_LIMIT, 4

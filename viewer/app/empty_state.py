"""What a window shows when it has no image: why (if an opening failed), Open…, Open Recent and
a drop hint, instead of a black canvas."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QVBoxLayout, QWidget

DROP_HINT = "Drop a .ozx file or an OME-Zarr folder here, or open one."


class EmptyState(QWidget):
    """`show_failure(title, detail)` or `show_idle()`; the buttons call `open_file` and show `recent_menu`."""

    def __init__(self, open_file, recent_menu: QMenu, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setStyleSheet("font-size: 15pt;")
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setStyleSheet("color: #555;")
        self.details_button = QToolButton(text="Details")
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self.detail.setVisible)
        self.hint = QLabel(DROP_HINT)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setStyleSheet("color: #777;")
        self.open_button = QPushButton("Open…")
        self.open_button.clicked.connect(open_file)
        self.recent_button = QPushButton("Open Recent")
        self.recent_button.setMenu(recent_menu)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.recent_button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.addStretch(2)
        # The labels take the whole width (centred text): squeezed to their hint, wrapped text is cut.
        column.addWidget(self.title)
        column.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self.detail)
        column.addSpacing(12)
        column.addLayout(buttons)
        column.addSpacing(12)
        column.addWidget(self.hint)
        column.addStretch(3)
        self.show_idle()

    def show_idle(self) -> None:
        self.title.setText("No image open")
        self.details_button.hide()
        self.detail.hide()

    def show_failure(self, title: str, detail: str) -> None:
        self.title.setText(title)
        self.detail.setText(detail)
        self.details_button.setVisible(bool(detail))
        self.details_button.setChecked(False)
        self.detail.hide()

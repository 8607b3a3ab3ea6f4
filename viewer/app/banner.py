"""A slim message bar above the canvas (file changed on disk, non-conforming file)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

STYLE = "#banner { background: #fff4ce; border-bottom: 1px solid #e0c36a; } QLabel { color: #3b2f00; }"


class Banner(QWidget):
    """One line of text with a close button; `show_text(None)` hides it. A text the user closed
    stays hidden until another text comes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setStyleSheet(STYLE)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.close_button = QToolButton(text="✕", autoRaise=True)
        self.close_button.setToolTip("Hide this message")
        self.close_button.clicked.connect(self._dismiss)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 4, 4)
        row.addWidget(self.label, 1)
        row.addWidget(self.close_button)
        self._dismissed: str | None = None
        self.hide()

    @property
    def text(self) -> str | None:
        return self.label.text() if self.isVisibleTo(self.parentWidget()) else None

    def show_text(self, text: str | None) -> None:
        if text is None or text == self._dismissed:
            self.hide()
            return
        self._dismissed = None
        if text != self.label.text():
            self.label.setText(text)
        self.show()

    def _dismiss(self) -> None:
        self._dismissed = self.label.text()
        self.hide()

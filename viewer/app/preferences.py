"""Edit › Preferences: the memory for decoded tiles, with a way back to the automatic size."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..tiles import default_cache_budget
from .settings import MIN_CACHE_MB, set_cache_budget_mb, user_cache_mb

MAX_CACHE_MB = 1 << 20


class PreferencesDialog(QDialog):
    """Tile memory in MiB; "Reset to default" goes back to the automatic size. OK stores it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.automatic_mb = default_cache_budget() >> 20
        chosen = user_cache_mb()
        self.cache_mb = QSpinBox(minimum=MIN_CACHE_MB, maximum=MAX_CACHE_MB, singleStep=64, suffix=" MiB")
        self.cache_mb.setValue(self.automatic_mb if chosen is None else chosen)
        self.automatic = chosen is None
        self.cache_mb.valueChanged.connect(self._edited)
        self.reset_button = QPushButton("Reset to default")
        self.reset_button.clicked.connect(self.reset)
        self.state = QLabel()
        self.state.setStyleSheet("color: #555;")
        form = QFormLayout()
        form.addRow("Memory for decoded tiles:", self.cache_mb)
        form.addRow("", self.reset_button)
        form.addRow("", self.state)
        note = QLabel("Shared by all windows, applied at once. More memory keeps more of an image "
                      "ready when you pan and zoom back.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(note)
        column.addWidget(buttons)
        self._show_state()

    def reset(self) -> None:
        self.cache_mb.blockSignals(True)
        self.cache_mb.setValue(self.automatic_mb)
        self.cache_mb.blockSignals(False)
        self.automatic = True
        self._show_state()

    def _edited(self) -> None:
        self.automatic = False
        self._show_state()

    def _show_state(self) -> None:
        self.reset_button.setEnabled(not self.automatic)
        self.state.setText(f"Default: {self.automatic_mb} MiB" + (" (in use)" if self.automatic else ""))

    def accept(self) -> None:
        set_cache_budget_mb(None if self.automatic else self.cache_mb.value())
        super().accept()

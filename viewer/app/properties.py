"""File › Properties: what `ozx-viewer info` prints about the open file, in a non-modal dialog."""

from __future__ import annotations

import os

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from ..ome.model import Document
from ..report import format_info, info_of
from .background import BackgroundCall


def info_text(doc: Document) -> str:
    """The text of `ozx-viewer info` for an open document (may wait for the ZIP index: call it off
    the GUI thread)."""
    return format_info(info_of(doc))


class PropertiesDialog(QDialog):
    """A read-only monospace view of `info_text`, with Copy and Close; filled from a worker thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.resize(900, 560)
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setEnabled(False)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        self.copy_button.clicked.connect(self.copy)
        column = QVBoxLayout(self)
        column.addWidget(self.text)
        column.addWidget(buttons)
        self._call = BackgroundCall("file-properties", self)
        self._call.finished.connect(lambda result: self._show_text(*result))
        self._call.failed.connect(lambda message: self._show_text(self.document, f"The properties cannot be read: {message}"))
        self.document: Document | None = None

    def show_document(self, doc: Document) -> None:
        """Show (and raise) the dialog for `doc`; its text is built on a worker thread."""
        name = os.path.basename(doc.source.rstrip("/\\")) or doc.source
        self.setWindowTitle(f"{name} — Properties")
        if doc is not self.document:
            self.document = doc
            self.text.setPlainText("Reading…")
            self.copy_button.setEnabled(False)
            self._call.start(lambda: (doc, info_text(doc)))
        self.show()
        self.raise_()
        self.activateWindow()

    def _show_text(self, doc: Document | None, text: str) -> None:
        if doc is not self.document:  # an earlier document's text, come late
            return
        self.text.setPlainText(text)
        self.copy_button.setEnabled(True)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())

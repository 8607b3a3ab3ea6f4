"""Ways a file reaches the window: dropped from a file manager, and picked in File → Open."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from tests.test_render_screenshots import TIMEOUT_MS
from viewer.app.main import sample_path
from viewer.app.window import REFUSED_URL_MESSAGE

pytestmark = pytest.mark.gui


def _urls(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def test_dropping_a_renamed_file_opens_it(qtbot, window, tmp_path: Path) -> None:
    attachment = tmp_path / "image (2).OZX"  # as an e-mail client saves a second copy
    shutil.copy(sample_path(), attachment)
    mime = _urls(attachment)
    enter = QDragEnterEvent(window.rect().center(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(window.rect().center()), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    qtbot.waitUntil(lambda: window.session is not None, timeout=TIMEOUT_MS)
    assert window.session.opened.path == str(attachment)
    assert window.windowTitle() == "image (2).OZX — OZX Viewer"


def test_dropping_something_that_is_not_a_local_file_is_refused_with_a_message(window) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.org/x.ozx")])
    enter = QDragEnterEvent(window.rect().center(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    enter.ignore()
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()  # the drop arrives, so the user learns why nothing opens
    drop = QDropEvent(QPointF(window.rect().center()), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    assert not drop.isAccepted()  # the source keeps its item
    assert window.statusBar().currentMessage() == REFUSED_URL_MESSAGE
    assert window.is_empty


def test_file_open_dialog_opens_the_chosen_file(qtbot, window, monkeypatch, tmp_path: Path) -> None:
    chosen = tmp_path / "picked.ozx"
    shutil.copy(sample_path(), chosen)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args, **kwargs: ([str(chosen)], ""))
    QTimer.singleShot(0, window.open_dialog)
    qtbot.waitUntil(lambda: window.session is not None, timeout=TIMEOUT_MS)
    assert window.session.opened.path == str(chosen)

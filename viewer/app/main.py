"""`run(paths)`: start the viewer window (the `ozx-viewer [FILE]` command)."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

from PySide6.QtWidgets import QApplication

import viewer

from .window import APP_NAME, MainWindow

DESKTOP_FILE_NAME = "io.github.ozxviewer.OzxViewer"
logger = logging.getLogger(__name__)


def sample_path() -> Path:
    """The bundled sample: next to a frozen executable's data, else in the source tree."""
    candidates = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidates.append(Path(frozen_root) / "resources" / "sample.ozx")
    candidates.append(Path(viewer.__file__).resolve().parent.parent / "resources" / "sample.ozx")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return candidates[-1]


def run(paths: list[str]) -> int:
    """Show the window with `paths[0]` (or the bundled sample) and run until it closes."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    window = MainWindow()
    previous_hook = sys.excepthook
    sys.excepthook = lambda kind, exc, tb: _report_bug(window, kind, exc, tb)
    try:
        window.show()
        window.open_path(paths[0] if paths else str(sample_path()))
        return app.exec()
    finally:
        sys.excepthook = previous_hook


def _report_bug(window: MainWindow, kind, exc, tb) -> None:
    """An exception escaped a Qt slot: tell the user in one line, keep the details in the log."""
    logger.debug("unexpected error:\n%s", "".join(traceback.format_exception(kind, exc, tb)))
    window.statusBar().showMessage(f"Internal error: {kind.__name__}: {exc}", 10000)

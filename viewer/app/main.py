"""`run(paths)`: start the viewer window (the `ozx-viewer [FILE]` command)."""

from __future__ import annotations

import logging
import sys
import traceback

# vispy (and with it numpy) before PySide6: every module imported after PySide6 passes its
# feature hook, which reads the module's source (inspect.getsource); ~65 ms for vispy's modules.
import vispy.scene  # noqa: F401,I001  (import order matters, see above)
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ..identity import APP_ID, APP_NAME
from .startup import PendingOpen, sample_path
from .window import MainWindow

__all__ = ["run", "sample_path"]

logger = logging.getLogger(__name__)


def run(paths: list[str], pending: PendingOpen | None = None) -> int:
    """Show the window with `paths[0]` (or the bundled sample) and run until it closes.

    `pending`: the opening of that file, if the caller started it already.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    window = MainWindow()
    previous_hook = sys.excepthook
    sys.excepthook = lambda kind, exc, tb: _report_bug(window, kind, exc, tb)
    try:
        window.show()
        if pending is not None:
            # Ready already: the first frame shows the image. Adopted from the event loop, so
            # showing the window and building the session are two short GUI-thread stints.
            QTimer.singleShot(0, lambda: window.open_pending(pending))
        else:
            window.open_path(paths[0] if paths else str(sample_path()))
        return app.exec()
    finally:
        sys.excepthook = previous_hook


def _report_bug(window: MainWindow, kind, exc, tb) -> None:
    """An exception escaped a Qt slot: tell the user in one line, keep the details in the log."""
    logger.debug("unexpected error:\n%s", "".join(traceback.format_exception(kind, exc, tb)))
    window.statusBar().showMessage(f"Internal error: {kind.__name__}: {exc}", 10000)

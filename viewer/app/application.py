"""The application: one per process, owning the windows, recent files, the single-instance
server, the error log, the memory budget all windows share and files sent by the OS (macOS
open events)."""

from __future__ import annotations

import logging
import sys
import traceback

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from ..tiles import MemoryBudget
from .recent_files import RecentFiles
from .settings import cache_budget
from .single_instance import Election, start_server
from .startup import PendingOpen
from .window import MainWindow

logger = logging.getLogger(__name__)


class Application(QObject):
    """Opens each file in a window of its own; the first file of a batch replaces an empty window."""

    def __init__(self, qapp: QApplication, election: Election | None = None, recent: RecentFiles | None = None) -> None:
        super().__init__()
        self.qapp = qapp
        self.windows: list[MainWindow] = []
        self.recent = recent or RecentFiles()
        self.budget = MemoryBudget(cache_budget())
        self.server = start_server(self.open_paths) if election is not None and election.primary else None
        qapp.installEventFilter(self)
        self._previous_hook = sys.excepthook
        sys.excepthook = self._report_bug

    def close(self) -> None:
        """Stop serving other launches and give the exception hook back."""
        sys.excepthook = self._previous_hook
        self.qapp.removeEventFilter(self)
        if self.server is not None:
            self.server.close()
            self.server = None

    # ---- windows ---------------------------------------------------------------------------
    def new_window(self) -> MainWindow:
        window = MainWindow(self)
        self.windows.append(window)
        window.closing.connect(lambda window=window: self._forget(window))
        window.show()
        return window

    def _forget(self, window: MainWindow) -> None:
        if window in self.windows:
            self.windows.remove(window)

    def open_paths(self, paths: list[str], target: MainWindow | None = None, pending: PendingOpen | None = None) -> None:
        """Open each path in a window of its own (`target` or an empty window takes the first);
        no paths: bring the newest window forward."""
        if not paths:
            if self.windows:
                self._raise(self.windows[-1])
            else:
                self.new_window()
            return
        window = None
        for index, path in enumerate(paths):
            if index == 0:
                window = target if target is not None and target.is_empty else self._empty_window()
            if window is None or index > 0:
                window = self.new_window()
            if pending is not None and index == 0 and pending.path == path:
                window.open_pending(pending)
            else:
                window.open_path(path)
        self._raise(window)

    def _empty_window(self) -> MainWindow | None:
        return next((w for w in self.windows if w.is_empty), None)

    @staticmethod
    def _raise(window: MainWindow) -> None:
        if window.isMinimized():
            window.showNormal()
        window.raise_()
        window.activateWindow()

    def quit(self) -> None:
        for window in list(self.windows):
            window.close()

    # ---- files sent by the OS ---------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """macOS sends files opened from Finder as a QFileOpenEvent to the application, also
        before any window exists: they take the same path as the command line."""
        if event.type() == QEvent.Type.FileOpen and watched is self.qapp:
            path = event.file() or event.url().toLocalFile()
            if path:
                self.open_paths([path])
            return True
        return False

    def _report_bug(self, kind, exc, tb) -> None:
        """An exception escaped a Qt slot: log it with its traceback, one line in the window."""
        logger.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, exc, tb)))
        window = self.qapp.activeWindow() or (self.windows[-1] if self.windows else None)
        if isinstance(window, MainWindow):
            window.show_message(f"Internal error: {kind.__name__}: {exc} (details in the log: Help › Show Log Folder)", 10000)

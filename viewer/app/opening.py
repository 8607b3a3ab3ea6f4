"""Open documents off the GUI thread and deliver what the window needs to show the first image."""

from __future__ import annotations

import itertools
import threading
import weakref

from PySide6.QtCore import QObject, Qt, Signal

from ..ome.model import Image
from .document_session import DocumentSession
from .preparing import OpenedImage, auto_windows, prepare, start_plane
from .startup import PendingOpen

__all__ = ["DocumentOpener", "OpenedImage", "PendingOpen", "auto_windows", "prepare", "start_plane"]


class DocumentOpener(QObject):
    """Opens files on a background thread; only the latest request's result is delivered.

    Emits `opened(OpenedImage)` or `failed(path, message)` on the GUI thread.
    """

    opened = Signal(object)
    failed = Signal(str, str)
    _done = Signal(int, object, object)

    def __init__(self) -> None:
        super().__init__()
        self._requests = itertools.count(1)
        self._latest = 0
        self._done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def open(self, path: str) -> None:
        self._follow(PendingOpen(path), at_once=False)

    def open_image(self, session: DocumentSession, image: Image) -> None:
        """Prepare another image of the file `session` holds open (nothing is reopened)."""
        self._follow(PendingOpen(session.path, session, image), at_once=False)

    def adopt(self, pending: PendingOpen) -> None:
        """Deliver the outcome of an opening already started (e.g. before the window existed).

        If it has finished already, `opened` or `failed` is emitted before this returns.
        """
        self._follow(pending, at_once=True)

    def _follow(self, pending: PendingOpen, at_once: bool) -> None:
        self._latest = request = next(self._requests)
        ref = weakref.ref(self)  # the opening thread never keeps this QObject alive
        caller = threading.get_ident()

        def done(result: object, message: str | None) -> None:
            opener = ref()
            if opener is None:
                return
            if at_once and threading.get_ident() == caller:  # finished already: no event loop turn
                opener._deliver(request, result, message)
            else:
                opener._done.emit(request, result, message)

        pending.add_done_callback(done)

    def _deliver(self, request: int, result: object, message: str | None) -> None:
        if request != self._latest:
            if isinstance(result, OpenedImage):
                result.session.release()
            return
        if isinstance(result, OpenedImage):
            self.opened.emit(result)
        else:
            self.failed.emit(str(result), message or "")

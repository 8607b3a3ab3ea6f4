"""An open file shared by everything that shows it; closed when the last user lets go."""

from __future__ import annotations

import threading

from ..errors import OzxError
from ..ome.model import Document


class DocumentSession:
    """The container and OME tree of one opened file (opened once, off the GUI thread).

    Every shown image holds one reference (`acquire`/`release`); the file is closed when the
    last is released, so a window can switch between the file's images without reopening it.
    """

    def __init__(self, path: str, document: Document) -> None:
        self.path = path
        self.document = document
        self._users = 1
        self._lock = threading.Lock()

    @property
    def closed(self) -> bool:
        with self._lock:
            return self._users == 0

    def acquire(self) -> None:
        """Take one more reference (raises OzxError when the file was closed already)."""
        with self._lock:
            if self._users == 0:
                raise OzxError("the file was closed")
            self._users += 1

    def release(self) -> None:
        """Give one reference back; the last closes the file."""
        with self._lock:
            if self._users == 0:
                return
            self._users -= 1
            last = self._users == 0
        if last:
            self.document.close()

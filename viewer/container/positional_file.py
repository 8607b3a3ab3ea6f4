"""Read-only positional reads that many threads may issue at once (no shared file position)."""

from __future__ import annotations

import os
import threading

from ..errors import OzxError


class PositionalFile:
    """`read_at(offset, length)` with `os.pread` where it exists, else one handle per thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            raise OzxError(f"cannot open {os.path.basename(path)}: {exc.strerror or exc}") from None
        self.size = os.fstat(self._fd).st_size
        self._local = threading.local()
        self._handles: list = []
        self._lock = threading.Lock()
        self._closed = False

    def read_at(self, offset: int, length: int) -> bytes:
        """Exactly `length` bytes at `offset`; OzxError if the file is shorter."""
        if self._closed:
            raise OzxError("the file was closed")
        if offset < 0 or length < 0 or offset + length > self.size:
            raise OzxError("a read reaches beyond the end of the file (truncated or corrupt file)")
        if hasattr(os, "pread"):
            data = os.pread(self._fd, length, offset)
        else:  # Windows: a private handle per thread keeps seek+read atomic
            handle = self._thread_handle()
            handle.seek(offset)
            data = handle.read(length)
        if len(data) != length:
            raise OzxError("the file ended early while reading (was it truncated while open?)")
        return data

    def _thread_handle(self):
        handle = getattr(self._local, "handle", None)
        if handle is None:
            handle = open(self.path, "rb", buffering=0)
            self._local.handle = handle
            with self._lock:
                self._handles.append(handle)
        return handle

    def close(self) -> None:
        """Close every handle (idempotent)."""
        if self._closed:
            return
        self._closed = True
        os.close(self._fd)
        with self._lock:
            for handle in self._handles:
                handle.close()

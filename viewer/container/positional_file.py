"""Read-only positional reads that many threads may issue at once (no shared file position)."""

from __future__ import annotations

import os
import threading
from typing import Iterator, NamedTuple

from ..errors import OzxError

#: Bytes per read when a whole file is streamed (`chunks`): bounded memory whatever the size.
STREAM_CHUNK = 4 << 20


class FileIdentity(NamedTuple):
    """What `os.stat` says about a file at one moment: enough to notice it was changed or replaced."""

    size: int
    mtime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, info: os.stat_result) -> FileIdentity:
        return cls(info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev)


class PositionalFile:
    """`read_at(offset, length)` with `os.pread` where it exists, else one handle per thread.

    The file's identity is recorded at open; every read first checks (one `fstat`, ~1 µs) that the
    open file still has that size and modification time, so a file truncated or rewritten while
    open is never read as if it were the file that was opened.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            raise OzxError(f"cannot open {os.path.basename(path)}: {exc.strerror or exc}") from None
        self.identity = FileIdentity.of(os.fstat(self._fd))
        self.size = self.identity.size
        self._local = threading.local()
        self._handles: list = []
        self._lock = threading.Lock()
        self._closed = False

    def change(self) -> str | None:
        """None while the open file is as it was opened, else what happened to it, in words."""
        if self._closed:  # its descriptor number may belong to another file by now
            return None
        try:
            now = FileIdentity.of(os.fstat(self._fd))
        except OSError as exc:
            return f"the open file cannot be checked any more ({exc.strerror or exc})"
        return _difference(self.identity, now)

    def read_at(self, offset: int, length: int) -> bytes:
        """Exactly `length` bytes at `offset`; OzxError if the file is shorter or changed since it was opened."""
        if self._closed:
            raise OzxError("the file was closed")
        if offset < 0 or length < 0 or offset + length > self.size:
            raise OzxError("a read reaches beyond the end of the file (truncated or corrupt file)")
        changed = self.change()
        if changed is not None:
            raise OzxError(f"{changed}; nothing more is read from it")
        if hasattr(os, "pread"):
            data = os.pread(self._fd, length, offset)
        else:  # Windows: a private handle per thread keeps seek+read atomic
            handle = self._thread_handle()
            handle.seek(offset)
            data = handle.read(length)
        if len(data) != length:
            raise OzxError("the file ended early while reading (was it truncated while open?)")
        return data

    def chunks(self, chunk: int = STREAM_CHUNK) -> Iterator[bytes]:
        """The whole file as it was opened, in pieces of at most `chunk` bytes (checked like `read_at`)."""
        for offset in range(0, self.size, chunk):
            yield self.read_at(offset, min(chunk, self.size - offset))

    def _thread_handle(self):
        handle = getattr(self._local, "handle", None)
        if handle is None:
            handle = open(self.path, "rb", buffering=0)
            # Opened by name: the name may point to another file by now (replaced while open).
            if (os.fstat(handle.fileno()).st_ino, os.fstat(handle.fileno()).st_dev) != self.identity[2:]:
                handle.close()
                raise OzxError("the file was replaced by another file of the same name; nothing more is read from it")
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


def _difference(opened: FileIdentity, now: FileIdentity) -> str | None:
    if now.size < opened.size:
        return f"the file was truncated while open ({now.size} of its {opened.size} bytes are left)"
    if now.size != opened.size:
        return f"the file was rewritten while open (it now holds {now.size} bytes instead of {opened.size})"
    if now.mtime_ns != opened.mtime_ns:
        return "the file was rewritten while open (its modification time changed)"
    return None

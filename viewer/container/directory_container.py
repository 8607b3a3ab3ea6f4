"""A directory OME-Zarr behind the same read-only interface as a zip.

Only regular files inside the folder are read: a key whose file is a link leading out of the
folder, a pipe, a device or a socket is refused before it is opened for reading, and no read
goes beyond the size the caller can use.
"""

from __future__ import annotations

import json
import os
import stat

from ..errors import OzxError
from ..findings import Finding
from .base import Container, is_safe_key, too_large_entry
from .central_directory import is_metadata_name

#: Bound on the metadata walk of huge unsharded folders (chunk folders are never entered).
MAX_WALK_ENTRIES = 200_000
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)


class DirectoryContainer(Container):
    """Keys map to files below `path`; keys that would leave the folder are refused."""

    format = "directory"

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        self._real_root = os.path.realpath(self.path)
        self.root = ""
        self.findings: list[Finding] = []
        if not any(os.path.isfile(os.path.join(self.path, m)) for m in ("zarr.json", ".zattrs", ".zgroup")):
            raise OzxError(f"the folder '{os.path.basename(self.path)}' is not an OME-Zarr (no zarr.json or .zattrs inside)")
        self._metadata: list[str] | None = None

    def _file(self, key: str) -> tuple[str, int] | None:
        """(real path, size) of the regular file behind `key`, None when there is none.

        OzxError for files that must not be read: links leaving the folder, pipes, devices, sockets."""
        if not is_safe_key(key) or ":" in key:
            return None
        real = os.path.realpath(os.path.join(self.path, *key.split("/")))
        if os.path.commonpath([real, self._real_root]) != self._real_root:
            raise OzxError(f"'{key}' is a link that leads out of the folder; it is never followed")
        try:
            info = os.stat(real)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise OzxError(f"cannot read '{key}': {exc.strerror or exc}") from None
        if stat.S_ISDIR(info.st_mode):
            return None
        if not stat.S_ISREG(info.st_mode):
            raise OzxError(f"'{key}' is not a regular file (a pipe, device or socket); it is never read")
        return real, info.st_size

    def size(self, key: str) -> int | None:
        found = self._file(key)
        return None if found is None else found[1]

    def read(self, key: str, limit: int | None = None) -> bytes | None:
        found = self._file(key)
        if found is None:
            return None
        if limit is not None and found[1] > limit:
            raise too_large_entry(key, found[1], limit)
        return self._read_at(key, found[0], 0, found[1], exact=False)

    def read_range(self, key: str, start: int, length: int) -> bytes | None:
        found = self._file(key)
        if found is None:
            return None
        real, size = found
        if start < 0:
            start += size
        if start < 0 or length < 0 or start + length > size:
            raise OzxError(f"a read asks for bytes outside the file '{key}' (corrupt shard index?)")
        return self._read_at(key, real, start, length, exact=True)

    def _read_at(self, key: str, real: str, start: int, length: int, exact: bool) -> bytes:
        """At most `length` bytes at `start` of a regular file (checked again on the open handle)."""
        try:
            fd = os.open(real, _OPEN_FLAGS)
        except FileNotFoundError:
            raise OzxError(f"'{key}' disappeared while reading") from None
        except OSError as exc:
            raise OzxError(f"cannot read '{key}': {exc.strerror or exc}") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OzxError(f"'{key}' is not a regular file (a pipe, device or socket); it is never read")
            data = os.pread(fd, length, start) if hasattr(os, "pread") else _seek_read(fd, start, length)
        except OSError as exc:
            raise OzxError(f"cannot read '{key}': {exc.strerror or exc}") from None
        finally:
            os.close(fd)
        if exact and len(data) != length:
            raise OzxError(f"the file '{key}' ended early while reading (was it truncated while open?)")
        return data

    def metadata_keys(self) -> list[str]:
        if self._metadata is None:
            self._metadata = self._walk()
        return self._metadata

    def _walk(self) -> list[str]:
        """Metadata files, without descending into arrays (their chunk folders can be huge) or links."""
        found: list[str] = []
        seen = 0
        for folder, dirs, files in os.walk(self.path):
            seen += len(dirs) + len(files)
            rel = os.path.relpath(folder, self.path).replace(os.sep, "/")
            prefix = "" if rel == "." else rel + "/"
            if ".zarray" in files or self._is_v3_array(prefix + "zarr.json"):
                dirs[:] = []
            dirs.sort()
            found += [prefix + f for f in sorted(files) if is_metadata_name(prefix + f)]
            if seen > MAX_WALK_ENTRIES:
                break
        return found

    def _is_v3_array(self, key: str) -> bool:
        try:
            return json.loads(self.read(key, 1 << 20) or b"").get("node_type") == "array"
        except (OzxError, ValueError, AttributeError, RecursionError):
            return False


def _seek_read(fd: int, start: int, length: int) -> bytes:
    os.lseek(fd, start, os.SEEK_SET)
    return os.read(fd, length)

"""A directory OME-Zarr behind the same read-only interface as a zip."""

from __future__ import annotations

import json
import os

from ..errors import OzxError
from ..findings import Finding
from .base import Container
from .central_directory import is_metadata_name
from .positional_file import PositionalFile

#: Bound on the metadata walk of huge unsharded folders (chunk folders are never entered).
MAX_WALK_ENTRIES = 200_000


class DirectoryContainer(Container):
    """Keys map to files below `path`; keys that would leave the folder are refused."""

    format = "directory"

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        self.root = ""
        self.findings: list[Finding] = []
        if not any(os.path.isfile(os.path.join(self.path, m)) for m in ("zarr.json", ".zattrs", ".zgroup")):
            raise OzxError(f"the folder '{os.path.basename(self.path)}' is not an OME-Zarr (no zarr.json or .zattrs inside)")
        self._metadata: list[str] | None = None

    def _file(self, key: str) -> str | None:
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in key or ":" in key:
            return None
        return os.path.join(self.path, *parts)

    def size(self, key: str) -> int | None:
        path = self._file(key)
        if path is None or not os.path.isfile(path):
            return None
        return os.path.getsize(path)

    def read(self, key: str) -> bytes | None:
        path = self._file(key)
        if path is None:
            return None
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except (IsADirectoryError, NotADirectoryError):
            return None
        except OSError as exc:
            raise OzxError(f"cannot read '{key}': {exc.strerror or exc}") from None

    def read_range(self, key: str, start: int, length: int) -> bytes | None:
        path = self._file(key)
        if path is None or not os.path.isfile(path):
            return None
        source = PositionalFile(path)
        try:
            if start < 0:
                start += source.size
            return source.read_at(start, length)
        finally:
            source.close()

    def metadata_keys(self) -> list[str]:
        if self._metadata is None:
            self._metadata = self._walk()
        return self._metadata

    def _walk(self) -> list[str]:
        """Metadata files, without descending into arrays (their chunk folders can be huge)."""
        found: list[str] = []
        seen = 0
        for folder, dirs, files in os.walk(self.path):
            seen += len(dirs) + len(files)
            rel = os.path.relpath(folder, self.path).replace(os.sep, "/")
            prefix = "" if rel == "." else rel + "/"
            if ".zarray" in files or _is_v3_array(os.path.join(folder, "zarr.json")):
                dirs[:] = []
            dirs.sort()
            found += [prefix + f for f in sorted(files) if is_metadata_name(prefix + f)]
            if seen > MAX_WALK_ENTRIES:
                break
        return found


def _is_v3_array(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read(1 << 20)).get("node_type") == "array"
    except (OSError, ValueError, AttributeError):
        return False

"""The read-only byte-source interface shared by zip and directory containers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Literal

from ..errors import OzxError
from ..findings import Finding

#: Largest JSON document the reader will parse (metadata, never pixel data).
MAX_JSON_BYTES = 16 * 1024 * 1024
#: Most values (objects, arrays, list items) one JSON document may hold: parsed, each costs up
#: to ~70 bytes, so this bounds a document's memory whatever its shape.
MAX_JSON_ITEMS = 1_000_000


def is_safe_key(key: str) -> bool:
    """A relative Zarr key: not absolute, no empty, '.' or '..' segment, no backslash or NUL."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        return False
    return all(part not in ("", ".", "..") for part in key.split("/"))


def too_large_entry(key: str, size: int, limit: int) -> OzxError:
    return OzxError(f"the entry '{key}' holds {size} bytes, more than the {limit} it can need; refused")


class Container(ABC):
    """Keys are Zarr-style paths relative to the hierarchy root ("0/zarr.json", "0/c/0/0")."""

    format: Literal["ozx", "zip", "directory"]
    path: str
    findings: list[Finding]

    @abstractmethod
    def size(self, key: str) -> int | None:
        """Byte length of the entry, or None if there is no such entry."""

    @abstractmethod
    def read(self, key: str, limit: int | None = None) -> bytes | None:
        """The whole entry, or None if there is no such entry (a missing chunk). With `limit`, an
        entry larger than `limit` bytes is refused (OzxError) before any of it is read."""

    @abstractmethod
    def read_range(self, key: str, start: int, length: int) -> bytes | None:
        """`length` bytes at `start` inside the entry (negative `start` counts from its end)."""

    @abstractmethod
    def metadata_keys(self) -> list[str]:
        """Keys of every metadata document: `zarr.json`, `.zattrs`, `.zgroup`, `.zarray`, `*.json`.

        May be incomplete for directories (only what a shallow walk finds)."""

    def exists(self, key: str) -> bool:
        """True if the entry exists."""
        return self.size(key) is not None

    def close(self) -> None:
        """Release file handles; further reads fail."""

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

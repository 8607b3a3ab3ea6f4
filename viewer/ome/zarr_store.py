"""A read-only zarr-python store over one of our containers.

zarr-python reads through it only what the container allows: keys that are safe relative paths
below one array, metadata documents up to MAX_JSON_BYTES, anything else up to a byte cap given
by the caller (the most a chunk can need). Nothing is ever written, deleted or listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, AsyncIterator, Iterable

from zarr.abc.store import OffsetByteRequest, RangeByteRequest, Store, SuffixByteRequest

from ..container.base import MAX_JSON_BYTES, Container, is_safe_key, too_large_entry
from ..errors import OzxError

if TYPE_CHECKING:
    from zarr.abc.store import ByteRequest
    from zarr.core.buffer import Buffer, BufferPrototype

_METADATA_NAMES = ("zarr.json", ".zarray", ".zattrs", ".zgroup", ".zmetadata")


class ContainerStore(Store):
    """zarr-python's view of the keys below `root` in `container`; every read bounded."""

    def __init__(self, container: Container, root: str, limit: int) -> None:
        super().__init__(read_only=True)
        self._container = container
        self._root = root.strip("/")
        self._limit = limit
        self._is_open = True

    def _full_key(self, key: str) -> str:
        full = f"{self._root}/{key}" if self._root else key
        if not is_safe_key(full):
            raise OzxError(f"the key {full[:200]!r} is not a safe relative path; refused")
        return full

    def _cap(self, key: str) -> int:
        return MAX_JSON_BYTES if key.rsplit("/", 1)[-1] in _METADATA_NAMES else self._limit

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ContainerStore) and other._container is self._container
                and other._root == self._root and other._limit == self._limit)

    def __hash__(self) -> int:
        return hash((id(self._container), self._root, self._limit))

    async def get(self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None) -> Buffer | None:
        full, cap = self._full_key(key), self._cap(key)
        if byte_range is None:
            data = self._container.read(full, cap)
        else:
            size = self._container.size(full)
            if size is None:
                return None
            start, stop = _span(byte_range, size)
            if stop - start > cap:
                raise too_large_entry(full, stop - start, cap)
            data = self._container.read_range(full, start, stop - start)
        return None if data is None else prototype.buffer.from_bytes(data)

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        return [await self.get(key, prototype, byte_range) for key, byte_range in key_ranges]

    async def exists(self, key: str) -> bool:
        return self._container.exists(self._full_key(key))

    @property
    def supports_writes(self) -> bool:
        return False

    async def set(self, key: str, value: Buffer) -> None:
        raise OzxError("the file is only ever read; zarr-python asked to write to it")

    @property
    def supports_deletes(self) -> bool:
        return False

    async def delete(self, key: str) -> None:
        raise OzxError("the file is only ever read; zarr-python asked to delete from it")

    @property
    def supports_listing(self) -> bool:
        return False

    def list(self) -> AsyncIterator[str]:
        return _no_listing()

    def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        return _no_listing()

    def list_dir(self, prefix: str) -> AsyncIterator[str]:
        return _no_listing()


async def _no_listing() -> AsyncIterator[str]:
    raise OzxError("listing keys is not supported by the read-only store")
    yield ""  # pragma: no cover  (makes this an async generator)


def _span(byte_range: ByteRequest, size: int) -> tuple[int, int]:
    """[start, stop) of a zarr byte request inside an entry of `size` bytes, clipped to it."""
    if isinstance(byte_range, RangeByteRequest):
        start, stop = byte_range.start, byte_range.end
    elif isinstance(byte_range, OffsetByteRequest):
        start, stop = byte_range.offset, size
    elif isinstance(byte_range, SuffixByteRequest):
        start, stop = size - byte_range.suffix, size
    else:
        raise OzxError(f"unknown byte request {type(byte_range).__name__}")
    start, stop = max(0, min(start, size)), max(0, min(stop, size))
    return start, max(start, stop)

"""Layer 1: the bytes of a `.ozx`, `.zip` or directory OME-Zarr, read-only."""

from __future__ import annotations

import os

from ..errors import OzxError
from .base import Container
from .directory_container import DirectoryContainer
from .zip_container import ZipContainer


def open_container(path: str | os.PathLike, background_index: bool = True) -> Container:
    """Open a file or folder by its content (never by its name); raises OzxError with a plain message."""
    path = os.fspath(path)
    if os.path.isdir(path):
        return DirectoryContainer(path)
    if not os.path.exists(path):
        raise OzxError(f"there is no file '{path}'")
    if not os.path.isfile(path):
        raise OzxError(f"'{path}' is not a regular file")
    try:
        return ZipContainer(path, background_index=background_index)
    except OzxError as exc:
        if os.path.basename(path) in ("zarr.json", ".zattrs", ".zgroup"):
            return DirectoryContainer(os.path.dirname(os.path.abspath(path)))
        raise OzxError(f"{os.path.basename(path)}: {exc}") from None


__all__ = ["Container", "DirectoryContainer", "ZipContainer", "open_container", "OzxError"]

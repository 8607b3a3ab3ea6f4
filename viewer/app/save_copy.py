"""File › Save a Copy: the bytes of the open file, read through its open handle, to a new place."""

from __future__ import annotations

import os
import tempfile

from ..container.base import Container
from ..container.zip_container import ZipContainer
from ..errors import OzxError

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once, on import: os.umask can only be read by setting it

FOLDER_REASON = "A folder OME-Zarr is not a single file; copy the folder in your file manager."


def can_save_copy(container: Container) -> str | None:
    """None when the open document is one file that can be copied, else why not (for a tooltip)."""
    return None if isinstance(container, ZipContainer) else FOLDER_REASON


def save_copy(container: Container, target: str) -> int:
    """Write every byte of the open file to `target`; returns the number of bytes written.

    The bytes come through the handle opened when the file was opened, so this works after the
    file was deleted (Linux, macOS). They go to a temporary file beside `target` that replaces it
    only once complete, so a failure never leaves a partial copy or spoils an existing file.
    Raises OzxError (the open file changed or is a folder; `target` is the open file) or OSError.
    """
    reason = can_save_copy(container)
    if reason is not None:
        raise OzxError(reason)
    assert isinstance(container, ZipContainer)
    if is_open_file(container, target):
        raise OzxError("that is the open file itself; choose another name or folder")
    folder = os.path.dirname(os.path.abspath(target))
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".~", suffix=".part")
    try:
        written = 0
        with os.fdopen(fd, "wb") as out:
            for piece in container.file_chunks():
                out.write(piece)
                written += len(piece)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes it private; a copy is an ordinary file
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return written


def is_open_file(container: Container, target: str) -> bool:
    """True when `target` names the file `container` has open (by any of its names)."""
    if not isinstance(container, ZipContainer):
        return False
    try:
        info = os.stat(target)
    except OSError:
        return False
    identity = container.file_identity
    return (info.st_ino, info.st_dev) == (identity.inode, identity.device)

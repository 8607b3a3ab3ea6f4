"""Text and JSON for the terminal (whatever a file contains, nothing it says can act on the terminal)
and files written for the user (whole or not at all)."""

from __future__ import annotations

import json
import math
import os
import tempfile
import unicodedata
from typing import Any

from .errors import OzxError


def printable(text: str) -> str:
    """`text` with every control or format character (terminal escapes, bidi overrides, line
    breaks) shown as an escape: text from a file can never act on the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    if unicodedata.category(char) == "Zs":  # spaces other than ' ' are printable enough
        return char
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def to_json(value: Any) -> str:
    """Strict JSON (no NaN or Infinity: non-finite numbers become null), ASCII only, so no
    control character reaches the terminal."""
    text = json.dumps(_finite(value), indent=2, allow_nan=False, ensure_ascii=True)
    return text.replace("\x7f", "\\u007f")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_atomically(path: str, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder, renamed into place."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".ozx-viewer-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OzxError(f"cannot write '{path}' ({exc.strerror or exc})") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as a plain open() would have created it
        os.replace(temporary, path)
    except BaseException as exc:
        os.unlink(temporary)
        if isinstance(exc, OSError):
            raise OzxError(f"cannot write '{path}' ({exc.strerror or exc})") from None
        raise

"""Text and JSON for the terminal: whatever a file contains, nothing it says can act on the terminal."""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any


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

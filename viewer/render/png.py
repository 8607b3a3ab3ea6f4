"""A minimal PNG encoder for RGBA uint8 pictures (standard library zlib only: no Qt, no Pillow)."""

from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def encode_png(rgba: np.ndarray, level: int = 6) -> bytes:
    """(rows, cols, 4) uint8 → the bytes of an 8-bit RGBA PNG (colour type 6, no interlace)."""
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4 or 0 in rgba.shape[:2]:
        raise ValueError("a PNG needs a non-empty (rows, cols, 4) uint8 array")
    rows, cols = rgba.shape[:2]
    raw = np.empty((rows, 1 + cols * 4), dtype=np.uint8)
    raw[:, 0] = 0  # filter type "None" on every scanline
    raw[:, 1:] = rgba.reshape(rows, cols * 4)
    header = struct.pack(">IIBBBBB", cols, rows, 8, 6, 0, 0, 0)
    return _SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw.tobytes(), level)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

"""What needs no GL to know about textures: the upload type per data type, the raw value that
samples as 1.0, and how many channels one composite pass takes (numpy only, so tiles can be
prepared before vispy is imported)."""

from __future__ import annotations

import numpy as np

#: Channels one composite pass can sample (OpenGL guarantees 16 texture units per shader).
MAX_SLOTS = 12

# Texture data type → (GL internal format, the raw value that samples as 1.0).
FORMATS: dict[np.dtype, tuple[str, float]] = {
    np.dtype(np.uint8): ("r8", 255.0),
    np.dtype(np.uint16): ("r16", 65535.0),
    np.dtype(np.float32): ("r32f", 1.0),
}


def texture_dtype(dtype: np.dtype) -> np.dtype:
    """The type a channel is uploaded as: uint8 and uint16 as they are (bool as uint8), else float32.

    float32 is exact for the 8- and 16-bit integer types and rounds 32-bit integers and float64
    to 24 significant bits.
    """
    dtype = np.dtype(dtype)
    if dtype in FORMATS:
        return dtype
    if dtype.kind == "b":
        return np.dtype(np.uint8)
    return np.dtype(np.float32)


def texture_scale(dtype: np.dtype) -> float:
    """Raw value that a texture of `texture_dtype(dtype)` samples as 1.0 in the shader."""
    return FORMATS[texture_dtype(dtype)][1]

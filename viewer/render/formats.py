"""What needs no GL to know about textures: the upload type per data type, the raw value that
samples as 1.0, how many channels one composite pass takes and how channels are packed into
textures (numpy only, so tiles are prepared on loader threads, before vispy is even imported)."""

from __future__ import annotations

import numpy as np

#: Channels one composite pass can sample (OpenGL guarantees 16 texture units per shader).
MAX_SLOTS = 12

# Texture data type → (GL internal format suffix, the raw value that samples as 1.0).
FORMATS: dict[np.dtype, tuple[str, float]] = {
    np.dtype(np.uint8): ("8", 255.0),
    np.dtype(np.uint16): ("16", 65535.0),
    np.dtype(np.float32): ("32f", 1.0),
}

#: Channels per texture → (GL format, internal format prefix).
TEXTURE_LAYOUTS: dict[int, tuple[str, str]] = {1: ("luminance", "r"), 4: ("rgba", "rgba")}


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


def channel_groups(count: int) -> tuple[int, int]:
    """(textures, channels per texture) for a composite of `count` channels.

    Four or more channels share RGBA textures, 4 to a texel, so a software rasterizer samples one
    texture per 4 channels instead of one per channel. Up to three channels keep a texture each:
    a 3-component 16-bit texture is stored as 4 components by Mesa anyway, and padding them to
    RGBA would cost a third more memory for every tile on screen (measured).
    """
    if count <= 3:
        return max(count, 1), 1
    return -(-count // 4), 4


def pack_channels(data: np.ndarray) -> np.ndarray:
    """(channels, rows, cols) → C-contiguous (textures, rows, cols, channels per texture), unused
    texel components zero: each `[i]` is one texture's data, ready to upload without a copy."""
    count, rows, cols = data.shape
    groups, width = channel_groups(count)
    if width == 1 and groups == count:  # a texture per channel: the same memory layout, no copy
        return np.ascontiguousarray(data).reshape(groups, rows, cols, 1)
    packed = (np.empty if groups * width == count else np.zeros)((groups, rows, cols, width), data.dtype)
    for channel in range(count):
        packed[channel // width, :, :, channel % width] = data[channel]
    return packed


def texel(tile: np.ndarray, row: int, col: int) -> np.ndarray:
    """The channel values at (row, col) of a packed tile, in channel order (padding included)."""
    return tile[:, row, col, :].reshape(-1)


def unpack_channel(tile: np.ndarray, channel: int, count: int) -> np.ndarray:
    """Channel `channel` (rows, cols) of a tile packed from `count` channels (a view, no copy)."""
    _groups, width = channel_groups(count)
    return tile[channel // width, :, :, channel % width]

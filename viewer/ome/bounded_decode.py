"""Decompressors that never produce more than a caller-given number of bytes.

A chunk's decoded size is known from the array metadata (shape × item size), so no codec may
inflate beyond it, whatever sizes the compressed stream itself announces. Each function takes
the compressed bytes and `limit`, returns at most `limit` bytes, and raises OzxError otherwise.
"""

from __future__ import annotations

import bz2
import lzma
import struct
import zlib

from ..errors import OzxError

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def too_large(limit: int) -> OzxError:
    return OzxError(f"a chunk decompresses to more than the {limit} bytes its shape allows; refused")


def _drain(decompressor, data: bytes, limit: int) -> bytes:
    """Feed `data` to a zlib/bz2/lzma decompressor object, asking for at most limit + 1 bytes."""
    out = decompressor.decompress(data, limit + 1)
    if len(out) > limit:
        raise too_large(limit)
    return out


def inflate(data: bytes, limit: int, wbits: int = 15) -> bytes:
    """zlib (wbits 15), raw deflate (-15) or gzip (31, every member) with an output bound."""
    parts: list[bytes] = []
    total = 0
    rest = data
    while rest:
        inflater = zlib.decompressobj(wbits)
        out = inflater.decompress(rest, limit - total + 1)
        total += len(out)
        if total > limit:
            raise too_large(limit)
        if not inflater.eof:
            raise OzxError("a chunk is corrupt (its deflate stream is truncated)")
        parts.append(out)
        rest = inflater.unused_data
        if wbits != 31:
            break
    return b"".join(parts)


def gzip(data: bytes, limit: int) -> bytes:
    return inflate(data, limit, 31)


def zstd_content_size(frame: bytes) -> int | None:
    """The Frame_Content_Size a zstd frame header declares, or None when it declares none."""
    if len(frame) < 6 or frame[:4] != _ZSTD_MAGIC:
        raise OzxError("a zstd chunk is corrupt (it does not start with a zstd frame)")
    fhd = frame[4]
    fcs_flag, single, did_flag = fhd >> 6, (fhd >> 5) & 1, fhd & 3
    pos = 5 + (0 if single else 1) + (0, 1, 2, 4)[did_flag]
    size = (1 if single else 0, 2, 4, 8)[fcs_flag]
    if size == 0:
        return None
    if pos + size > len(frame):
        raise OzxError("a zstd chunk is corrupt (its frame header is truncated)")
    value = int.from_bytes(frame[pos : pos + size], "little")
    return value + 256 if size == 2 else value


def zstd(data: bytes, limit: int) -> bytes | bytearray:
    """numcodecs' zstd into a buffer of the declared size (refused above `limit`); a frame without a
    declared size is decoded into exactly `limit` bytes, the size the chunk must have."""
    from numcodecs import zstd as _zstd

    declared = zstd_content_size(data)
    if declared is not None and declared > limit:
        raise too_large(limit)
    try:
        return _zstd.decompress(data, bytearray(limit if declared is None else declared))
    except RuntimeError:
        if declared is None:
            raise OzxError(f"a zstd chunk without a declared size does not decode to the {limit} bytes its shape needs") from None
        raise


def blosc(data: bytes, limit: int) -> bytes:
    """Blosc states its sizes in a 16-byte header: both are checked before decompressing."""
    from numcodecs import blosc as _blosc

    if len(data) < 16:
        raise OzxError("a blosc chunk is corrupt (shorter than its header)")
    nbytes, cbytes, _ = _blosc._cbuffer_sizes(data)
    if nbytes > limit:
        raise too_large(limit)
    if cbytes != len(data):
        raise OzxError(f"a blosc chunk is corrupt (it declares {cbytes} compressed bytes but holds {len(data)})")
    return _blosc.decompress(data)


def lz4(data: bytes, limit: int) -> bytes:
    """numcodecs' LZ4 frames start with the decoded size (4 bytes, little-endian)."""
    from numcodecs import lz4 as _lz4

    if len(data) < 4:
        raise OzxError("an lz4 chunk is corrupt (shorter than its header)")
    (declared,) = struct.unpack_from("<I", data)
    if declared > limit:
        raise too_large(limit)
    return _lz4.decompress(data)


def bz2_(data: bytes, limit: int) -> bytes:
    return _drain(bz2.BZ2Decompressor(), data, limit)


def lzma_(config: dict):
    """An lzma decoder for a numcodecs LZMA configuration (format, filters)."""
    fmt = config.get("format", lzma.FORMAT_AUTO)
    filters = config.get("filters") if fmt == lzma.FORMAT_RAW else None
    if not isinstance(fmt, int) or fmt not in (lzma.FORMAT_AUTO, lzma.FORMAT_XZ, lzma.FORMAT_ALONE, lzma.FORMAT_RAW):
        raise OzxError(f"the lzma format {fmt!r} is not supported")

    def decode(data: bytes, limit: int) -> bytes:
        try:
            return _drain(lzma.LZMADecompressor(format=fmt, filters=filters), data, limit)
        except lzma.LZMAError:
            raise OzxError("an lzma chunk is corrupt") from None

    return decode

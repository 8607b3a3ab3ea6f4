"""Builders of files crafted to attack a reader (used by tests/test_hostile_*.py).

Each builder writes one small file or folder under `folder` and returns its path. The images are
valid OME-Zarr 0.5 except for the one attack each builder names.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

from viewer.container.ozx_writer import ZipEntry, rfc9_comment, write_zip

from .zipfixtures import array_json, cd_offsets, group_json, ome_attrs, patch

CHUNK = (256, 256)  # uint16: a chunk decodes to 128 KiB


def zstd_codecs() -> list[dict[str, Any]]:
    return [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 3}}]


def image_zip(path: Path, chunk: bytes, codecs: list | None = None, shape=CHUNK, chunks=CHUNK,
              data_type: str = "uint16", method: int = 0, extra: list[ZipEntry] | None = None,
              attrs: dict | None = None, **array_extra) -> Path:
    """Root image group + array '0' with one chunk 'c/0/0' holding `chunk` verbatim."""
    entries = [
        ZipEntry("zarr.json", group_json(attrs or ome_attrs(["0"], ndim=len(shape)))),
        ZipEntry("0/zarr.json", array_json(shape, chunks, data_type, codecs, **array_extra)),
        ZipEntry("0/c/" + "/".join("0" * len(shape)), chunk, method=method),
    ] + (extra or [])
    write_zip(path, entries, comment=rfc9_comment())
    return path


def gzip_bomb(size: int) -> bytes:
    """A gzip member of `size` zero bytes (about size / 1000 bytes long), built in pieces."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    piece = bytes(1 << 20)
    parts = [deflater.compress(piece) for _ in range(size >> 20)]
    return b"".join(parts) + deflater.flush()


def zstd_without_content_size(frame: bytes, window_log: int = 27) -> bytes:
    """The same zstd frame with its Frame_Content_Size field removed (a streaming writer's frame)."""
    fhd = frame[4]
    single, did_size = (fhd >> 5) & 1, (0, 1, 2, 4)[fhd & 3]
    fcs_size = (1 if single else 0, 2, 4, 8)[fhd >> 6]
    start = 5 + (0 if single else 1)
    did = frame[start : start + did_size]
    rest = frame[start + did_size + fcs_size :]
    return frame[:4] + bytes([fhd & 0x07, (window_log - 10) << 3]) + did + rest


def zstd_bomb(size: int, with_content_size: bool = True) -> bytes:
    from numcodecs import zstd

    frame = zstd.compress(bytes(size), 19)
    return frame if with_content_size else zstd_without_content_size(frame)


def blosc_claiming(nbytes: int) -> bytes:
    """A valid blosc frame of one chunk whose header then claims `nbytes` decoded bytes."""
    from numcodecs import blosc

    frame = bytearray(blosc.compress(bytes(CHUNK[0] * CHUNK[1] * 2), b"lz4", 5, 2))
    struct.pack_into("<I", frame, 4, nbytes)
    return bytes(frame)


def sharded_zip(path: Path, index: list[tuple[int, int]], payload: bytes = b"\0" * 64) -> Path:
    """A 512² uint16 array in one 512² shard of 2×2 inner 256² chunks; the shard's index (no
    checksum) is `index` verbatim: (offset, nbytes) per inner chunk."""
    codecs = [{"name": "sharding_indexed", "configuration": {
        "chunk_shape": list(CHUNK), "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
        "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}], "index_location": "end"}}]
    raw_index = b"".join(struct.pack("<QQ", o, n) for o, n in index)
    return image_zip(path, payload + raw_index, codecs, shape=(512, 512), chunks=(512, 512))


def set_entry_sizes(path: Path, name: str, csize: int | None = None, usize: int | None = None,
                    local: bool = True, central: bool = True) -> Path:
    """Overwrite the 32-bit sizes of entry `name` in its central record and/or local header."""
    raw = path.read_bytes()
    for pos in cd_offsets(raw):
        n = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46 : pos + 46 + n].decode() != name:
            continue
        lho = struct.unpack_from("<I", raw, pos + 42)[0]
        for base, on in ((pos + 20, central), (lho + 18, local)):
            if not on:
                continue
            if csize is not None:
                raw = patch(raw, base, "<I", csize)
            if usize is not None:
                raw = patch(raw, base + 4, "<I", usize)
    path.write_bytes(raw)
    return path


def array_meta(shape, chunks, codecs=None, data_type: str = "uint16", **extra) -> dict:
    return json.loads(array_json(shape, chunks, data_type, codecs, **extra))

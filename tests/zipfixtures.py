"""Shared builders for container tests: small OME-Zarr hierarchies, packed archives, byte patches."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from viewer.container.ozx_writer import ZipEntry, pack_directory, rfc9_comment, write_zip

EOCD_SIG = b"PK\x05\x06"
CD_SIG = b"PK\x01\x02"
ZIP64_EOCD_SIG = b"PK\x06\x06"


def ome_attrs(paths: list[str], version: str = "0.5", ndim: int = 2) -> dict[str, Any]:
    """Minimal `attributes.ome` for a multiscale image with the given dataset paths."""
    axes = [{"name": n, "type": "space"} for n in "zyx"[-ndim:]]
    return {
        "ome": {
            "version": version,
            "multiscales": [
                {
                    "axes": axes,
                    "datasets": [
                        {"path": p, "coordinateTransformations": [{"type": "scale", "scale": [2.0**i] * ndim}]}
                        for i, p in enumerate(paths)
                    ],
                }
            ],
        }
    }


def group_json(attrs: dict[str, Any] | None = None) -> bytes:
    """A Zarr v3 group `zarr.json`."""
    return json.dumps({"zarr_format": 3, "node_type": "group", "attributes": attrs or {}}).encode()


def array_json(shape, chunks, data_type: str = "uint8", codecs=None, fill_value=0, **extra) -> bytes:
    """A Zarr v3 array `zarr.json` (default key encoding, bytes codec)."""
    meta = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": list(shape),
        "data_type": data_type,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "codecs": codecs if codecs is not None else [{"name": "bytes", "configuration": {"endian": "little"}}],
        "fill_value": fill_value,
    }
    meta.update(extra)
    return json.dumps(meta).encode()


def tiny_entries(data: bytes | None = None) -> list[ZipEntry]:
    """Root group + one 4x4 uint8 array with a single stored chunk (values 0..15 unless `data`)."""
    chunk = data if data is not None else bytes(range(16))
    return [
        ZipEntry("zarr.json", group_json(ome_attrs(["0"]))),
        ZipEntry("0/zarr.json", array_json([4, 4], [4, 4])),
        ZipEntry("0/c/0/0", chunk),
    ]


def write_tiny(path: Path, **kwargs) -> Path:
    """A small conforming-looking archive from `tiny_entries`, comment jsonFirst by default."""
    entries = kwargs.pop("entries", None) or tiny_entries()
    kwargs.setdefault("comment", rfc9_comment())
    write_zip(path, entries, **kwargs)
    return path


def write_zarr_image(root: Path, levels: list[np.ndarray], **create_kwargs) -> Path:
    """A zarr-python written OME-Zarr 0.5 multiscale image in folder `root`; returns `root`."""
    import zarr

    store = zarr.storage.LocalStore(root)
    group = zarr.open_group(store, mode="w", zarr_format=3)
    group.attrs.update(ome_attrs([str(i) for i in range(len(levels))], ndim=levels[0].ndim))
    for i, level in enumerate(levels):
        kwargs = dict(create_kwargs)
        chunks = kwargs.pop("chunks", tuple(max(1, s // 3) for s in level.shape))
        shards = kwargs.pop("shards", None)
        if shards == "auto2":
            shards = tuple(c * 2 for c in chunks)
        arr = zarr.create_array(store, name=str(i), shape=level.shape, dtype=level.dtype, chunks=chunks,
                                shards=shards, zarr_format=3, **kwargs)
        arr[...] = level
    return root


def pack(src: Path, out: Path, **kwargs) -> Path:
    pack_directory(src, out, **kwargs)
    return out


def eocd_offset(raw: bytes) -> int:
    """Offset of the classic EOCD record (last signature)."""
    pos = raw.rfind(EOCD_SIG)
    assert pos >= 0
    return pos


def cd_offsets(raw: bytes) -> list[int]:
    """File offsets of every central-directory record (walks the CD from the EOCD's stated start)."""
    eocd = eocd_offset(raw)
    count, cd_size, cd_start = struct.unpack_from("<HII", raw, eocd + 10)
    z64 = raw.rfind(ZIP64_EOCD_SIG, 0, eocd)
    if z64 >= 0 and raw[eocd - 20 : eocd - 16] == b"PK\x06\x07":
        count, cd_size, cd_start = struct.unpack_from("<QQQ", raw, z64 + 32)
    out, pos = [], cd_start
    for _ in range(count):
        assert raw[pos : pos + 4] == CD_SIG
        n, m, k = struct.unpack_from("<HHH", raw, pos + 28)
        out.append(pos)
        pos += 46 + n + m + k
    return out


def patch(raw: bytes, offset: int, fmt: str, *values) -> bytes:
    """`raw` with struct `fmt` values written at `offset`."""
    buf = bytearray(raw)
    struct.pack_into(fmt, buf, offset, *values)
    return bytes(buf)

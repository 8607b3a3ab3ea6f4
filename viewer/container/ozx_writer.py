"""A small RFC-9 ZIP writer for tests, benchmarks and the bundled sample.

The viewer never writes to user files; this module exists to build conforming `.ozx`
archives and deliberately broken ones. It writes the ZIP byte layout by hand because
Python's `zipfile` cannot force ZIP64 end records on small archives.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["ZipEntry", "pack_directory", "rfc9_comment", "write_zip"]

#: Sizes and offsets at or above this need ZIP64 fields.
ZIP64_LIMIT = 0xFFFFFFFF
#: Entry counts at or above this need the ZIP64 end records.
ZIP64_COUNT_LIMIT = 0xFFFF

_LOCAL_SIG = 0x04034B50
_CENTRAL_SIG = 0x02014B50
_ZIP64_END_SIG = 0x06064B50
_ZIP64_LOCATOR_SIG = 0x07064B50
_END_SIG = 0x06054B50

_LOCAL_FMT = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_FMT = struct.Struct("<IHHHHHHIIIHHHHHII")
_ZIP64_END_FMT = struct.Struct("<IQHHIIQQQQ")
_ZIP64_LOCATOR_FMT = struct.Struct("<IIQI")
_END_FMT = struct.Struct("<IHHHHIIH")

_VERSION_PLAIN = 20
_VERSION_ZIP64 = 45
_MADE_BY_UNIX = 3 << 8
_FLAG_UTF8 = 0x800
_METHOD_DEFLATE = 8
#: Constant DOS time (00:00:00) and date (1980-01-01) so output is reproducible.
_DOS_TIME = 0
_DOS_DATE = (0 << 9) | (1 << 5) | 1
_FILE_ATTR = 0o100644 << 16
_DIR_ATTR = (0o040755 << 16) | 0x10
_BLOCK = 1 << 20


@dataclass
class ZipEntry:
    """One archive member; the knobs after `data` build deliberately broken archives.

    `data` is the content as bytes, a path whose bytes are streamed, or None (empty).
    `method` 8 deflates the data; any other method writes it verbatim under that label.
    `flags` are extra general-purpose bits to set (1 = "encrypted"); `cd_extra` and
    `local_extra` are extra-field bytes appended verbatim; `zip64_local` puts a ZIP64
    extra field in the local header, as Python's zipfile does with force_zip64.
    """

    name: str
    data: bytes | os.PathLike[str] | None = None
    method: int = 0
    flags: int = 0
    cd_extra: bytes = b""
    local_extra: bytes = b""
    disk_start: int = 0
    zip64_local: bool = False


def rfc9_comment(version: str = "0.5", json_first: bool = True) -> dict[str, object]:
    """The RFC-9 archive comment as a JSON-ready dict."""
    return {"ome": {"version": version, "zipFile": {"centralDirectory": {"jsonFirst": json_first}}}}


def write_zip(
    path: str | os.PathLike[str],
    entries: Sequence[ZipEntry],
    *,
    comment: bytes | dict[str, object] | None = None,
    zip64_end: bool = True,
    prefix: bytes = b"",
    fix_prefix_offsets: bool = False,
    cd_order: Sequence[int] | None = None,
    eocd_disk: int = 0,
) -> None:
    """Write `entries` (local headers in list order) and the central directory to `path`.

    The central directory follows `cd_order` (indices into `entries`, repeats and
    omissions allowed) or list order. ZIP64 end records are written when `zip64_end` is
    true or the archive needs them. `prefix` is written before the first local header;
    stored offsets include it only when `fix_prefix_offsets` (like `zip -A`). A non-zero
    `eocd_disk` marks the archive as one part of a multi-disk set.
    """
    comment_bytes = _comment_bytes(comment)
    base = 0 if fix_prefix_offsets else len(prefix)
    with open(path, "wb", buffering=_BLOCK) as out:
        out.write(prefix)
        pos = len(prefix)
        records: list[bytes] = []
        for entry in entries:
            record, pos = _write_entry(out, entry, pos, base)
            records.append(record)
        order = range(len(records)) if cd_order is None else cd_order
        central = b"".join([records[i] for i in order])
        out.write(central)
        cd_start = pos - base
        out.write(_end_records(len(order), len(central), cd_start, comment_bytes, zip64_end, eocd_disk))


def pack_directory(
    src_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    version: str | None = None,
    json_first: bool = True,
) -> None:
    """Pack a directory OME-Zarr (Zarr v3) into a conforming `.ozx`.

    Every file becomes a stored entry; all `zarr.json` come first (root, then breadth
    first, alphabetical within a depth), then all other files sorted by name. The
    order is the same whatever `json_first` says; only the comment changes.
    """
    root = Path(src_dir)
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    if "zarr.json" not in names:
        raise ValueError(f"{root} has no root zarr.json")
    if version is None:
        version = _ome_version(root / "zarr.json")
    entries = [ZipEntry(name, root / name) for name in _rfc9_order(names)]
    write_zip(out_path, entries, comment=rfc9_comment(version, json_first), zip64_end=True)


def _rfc9_order(names: Sequence[str]) -> list[str]:
    """`zarr.json` names by (depth, name), then every other name sorted."""
    is_json = [n == "zarr.json" or n.endswith("/zarr.json") for n in names]
    metadata = sorted((n for n, j in zip(names, is_json) if j), key=lambda n: (n.count("/"), n))
    return metadata + sorted(n for n, j in zip(names, is_json) if not j)


def _ome_version(root_json: Path) -> str:
    """`attributes.ome.version` of a root `zarr.json`."""
    try:
        version = json.loads(root_json.read_bytes())["attributes"]["ome"]["version"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{root_json} has no attributes.ome.version") from exc
    if not isinstance(version, str):
        raise ValueError(f"{root_json}: attributes.ome.version is not a string")
    return version


def _comment_bytes(comment: bytes | dict[str, object] | None) -> bytes:
    """The archive comment as bytes; dicts become compact UTF-8 JSON."""
    if comment is None:
        return b""
    if isinstance(comment, dict):
        comment = json.dumps(comment, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if len(comment) > 0xFFFF:
        raise ValueError("archive comment is longer than 65535 bytes")
    return comment


def _write_entry(out: BinaryIO, entry: ZipEntry, pos: int, base: int) -> tuple[bytes, int]:
    """Write one local header and its data at file position `pos`.

    Returns the central-directory record and the file position after the entry.
    """
    name = entry.name.encode("utf-8")
    flags = entry.flags if len(name) == len(entry.name) else entry.flags | _FLAG_UTF8
    offset = pos - base
    data = entry.data
    if data is None or isinstance(data, (bytes, bytearray, memoryview)):
        raw = b"" if data is None else data
        payload = _deflate(raw) if entry.method == _METHOD_DEFLATE else raw
        crc, csize, usize = zlib.crc32(raw), len(payload), len(raw)
        zip64_local = entry.zip64_local or csize >= ZIP64_LIMIT or usize >= ZIP64_LIMIT
        version = _version(zip64_local, csize, usize, offset)
        header = _local_header(entry, name, flags, version, crc, csize, usize, zip64_local)
        out.write(header)
        out.write(payload)
        pos += len(header) + csize
    else:
        crc, csize, usize, zip64_local, version = _write_streamed(out, entry, name, flags, pos, offset)
        pos += _LOCAL_FMT.size + len(name) + len(entry.local_extra) + (20 if zip64_local else 0) + csize
    return _central_record(entry, name, flags, version, crc, csize, usize, offset), pos


def _write_streamed(
    out: BinaryIO, entry: ZipEntry, name: bytes, flags: int, pos: int, offset: int
) -> tuple[int, int, int, bool, int]:
    """Stream a file entry, then rewrite its local header with the real CRC and sizes.

    Returns CRC, compressed size, uncompressed size, local ZIP64 flag and version needed.
    """
    expected = os.stat(entry.data).st_size  # type: ignore[arg-type]
    # Deflate may expand incompressible data slightly; keep a margin for that.
    zip64_local = entry.zip64_local or expected + expected // 256 + 1024 >= ZIP64_LIMIT
    placeholder = _local_header(entry, name, flags, _VERSION_PLAIN, 0, 0, 0, zip64_local)
    out.write(placeholder)
    crc = csize = usize = 0
    for raw, payload in _file_blocks(Path(entry.data), entry.method):  # type: ignore[arg-type]
        crc = zlib.crc32(raw, crc)
        usize += len(raw)
        csize += len(payload)
        out.write(payload)
    if not zip64_local and max(csize, usize) >= ZIP64_LIMIT:
        raise ValueError(f"{entry.data} grew past 4 GiB while it was being written")
    version = _version(zip64_local, csize, usize, offset)
    out.seek(pos)
    out.write(_local_header(entry, name, flags, version, crc, csize, usize, zip64_local))
    out.seek(0, os.SEEK_END)
    return crc, csize, usize, zip64_local, version


def _file_blocks(path: Path, method: int) -> Iterator[tuple[bytes, bytes]]:
    """(raw block, bytes to store) pairs for a file, deflated when `method` is 8."""
    compressor = zlib.compressobj(wbits=-15) if method == _METHOD_DEFLATE else None
    with path.open("rb") as src:
        while block := src.read(_BLOCK):
            yield block, compressor.compress(block) if compressor else block
    if compressor:
        yield b"", compressor.flush()


def _deflate(raw: bytes) -> bytes:
    """Raw deflate (no zlib header), as ZIP method 8 stores it."""
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(raw) + compressor.flush()


def _version(zip64_local: bool, csize: int, usize: int, offset: int) -> int:
    """Version needed to extract: 4.5 when any ZIP64 field is used, else 2.0."""
    if zip64_local or csize >= ZIP64_LIMIT or usize >= ZIP64_LIMIT or offset >= ZIP64_LIMIT:
        return _VERSION_ZIP64
    return _VERSION_PLAIN


def _local_header(
    entry: ZipEntry, name: bytes, flags: int, version: int, crc: int, csize: int, usize: int, zip64: bool
) -> bytes:
    """Local file header + name + extra; with `zip64` the sizes move to a ZIP64 extra."""
    extra = entry.local_extra
    if zip64:
        extra = struct.pack("<HHQQ", 0x0001, 16, usize, csize) + extra
        csize = usize = ZIP64_LIMIT
    header = _LOCAL_FMT.pack(
        _LOCAL_SIG, version, flags, entry.method, _DOS_TIME, _DOS_DATE, crc, csize, usize, len(name), len(extra)
    )
    return header + name + extra


def _central_record(
    entry: ZipEntry, name: bytes, flags: int, version: int, crc: int, csize: int, usize: int, offset: int
) -> bytes:
    """Central directory record; fields that overflow go to a ZIP64 extra field."""
    extra = entry.cd_extra
    if csize >= ZIP64_LIMIT or usize >= ZIP64_LIMIT or offset >= ZIP64_LIMIT:
        wide = [value for value in (usize, csize, offset) if value >= ZIP64_LIMIT]
        extra = struct.pack(f"<HH{len(wide)}Q", 0x0001, 8 * len(wide), *wide) + extra
        csize, usize, offset = min(csize, ZIP64_LIMIT), min(usize, ZIP64_LIMIT), min(offset, ZIP64_LIMIT)
    header = _CENTRAL_FMT.pack(
        _CENTRAL_SIG,
        _MADE_BY_UNIX | version,
        version,
        flags,
        entry.method,
        _DOS_TIME,
        _DOS_DATE,
        crc,
        csize,
        usize,
        len(name),
        len(extra),
        0,
        entry.disk_start,
        0,
        _DIR_ATTR if entry.name.endswith("/") else _FILE_ATTR,
        offset,
    )
    return header + name + extra


def _end_records(count: int, cd_size: int, cd_start: int, comment: bytes, zip64_end: bool, disk: int) -> bytes:
    """ZIP64 end record + locator (when wanted or needed), then the classic end record.

    The ZIP64 end record directly follows the central directory."""
    needs_zip64 = count >= ZIP64_COUNT_LIMIT or max(cd_size, cd_start) >= ZIP64_LIMIT
    records = b""
    if zip64_end or needs_zip64:
        records = _ZIP64_END_FMT.pack(
            _ZIP64_END_SIG,
            _ZIP64_END_FMT.size - 12,
            _MADE_BY_UNIX | _VERSION_ZIP64,
            _VERSION_ZIP64,
            disk,
            disk,
            count,
            count,
            cd_size,
            cd_start,
        ) + _ZIP64_LOCATOR_FMT.pack(_ZIP64_LOCATOR_SIG, disk, cd_start + cd_size, disk + 1)
    short_count = min(count, ZIP64_COUNT_LIMIT)
    end = _END_FMT.pack(
        _END_SIG,
        disk,
        disk,
        short_count,
        short_count,
        min(cd_size, ZIP64_LIMIT),
        min(cd_start, ZIP64_LIMIT),
        len(comment),
    )
    return records + end + comment

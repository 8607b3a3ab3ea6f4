"""Locate a ZIP archive's central directory from its tail: EOCD, ZIP64 records, comment, prefix shift."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..errors import OzxError
from ..findings import Finding

EOCD_SIG = b"PK\x05\x06"
ZIP64_LOCATOR_SIG = b"PK\x06\x07"
ZIP64_EOCD_SIG = b"PK\x06\x06"
EOCD_SIZE = 22
ZIP64_LOCATOR_SIZE = 20
ZIP64_EOCD_SIZE = 56
MAX_COMMENT = 0xFFFF


@dataclass(frozen=True)
class ZipTail:
    """Where the central directory is and what the end records say."""

    file_size: int
    entry_count: int
    cd_start: int  # real file offset of the first central-directory record
    cd_size: int
    shift: int  # add to every stated offset to get a real file offset (prepended bytes)
    comment: bytes
    zip64: bool
    disk_fields: tuple[int, ...]  # every "disk number" the end records state (all 0 when not split)
    trailing_bytes: int  # bytes after the comment (seen after comment rewrites)
    findings: tuple[Finding, ...] = ()  # inconsistencies of the end records (errors)


def read_tail(read_at, file_size: int) -> ZipTail:
    """Parse the end records. `read_at(offset, length)` returns bytes of the file.

    Raises OzxError when the bytes are not a ZIP archive or its end records are inconsistent."""
    if file_size < EOCD_SIZE:
        raise OzxError("not a ZIP archive: the file is too short")
    tail_len = min(file_size, EOCD_SIZE + MAX_COMMENT + 1024)
    tail_start = file_size - tail_len
    tail = read_at(tail_start, tail_len)
    pos, hidden = _find_eocd(tail)
    if pos is None:
        raise OzxError("not a ZIP archive (no end-of-central-directory record; truncated or another format)")
    findings = []
    if hidden:
        findings.append(Finding("zip-eocd", "error", "a second end-of-central-directory record is hidden in the archive comment; the outer one is used"))
    (disk, cd_disk, n_disk, n_total, cd_size, cd_offset, comment_len) = struct.unpack_from(
        "<HHHHIIH", tail, pos + 4
    )
    comment = tail[pos + EOCD_SIZE : pos + EOCD_SIZE + comment_len]
    trailing = len(tail) - (pos + EOCD_SIZE + comment_len)
    eocd_at = tail_start + pos
    disks = [disk, cd_disk]
    zip64 = False
    cd_end = eocd_at
    loc_at = eocd_at - ZIP64_LOCATOR_SIZE
    if loc_at >= 0:
        loc = read_at(loc_at, ZIP64_LOCATOR_SIZE)
        if loc[:4] == ZIP64_LOCATOR_SIG:
            zip64 = True
            z64_disk, z64_offset, total_disks = struct.unpack_from("<IQI", loc, 4)
            disks += [z64_disk, max(total_disks, 1) - 1]
            z64_at = _find_zip64_eocd(read_at, z64_offset, loc_at)
            if z64_offset + ZIP64_EOCD_SIZE > loc_at:
                findings.append(Finding("zip64-locator", "error", f"the ZIP64 locator points at offset {z64_offset}, outside the archive; the record before it is used"))
            rec = read_at(z64_at, ZIP64_EOCD_SIZE)
            (this_disk, cd_disk64, n_disk, n_total, cd_size, cd_offset) = struct.unpack_from(
                "<IIQQQQ", rec, 16
            )
            disks += [this_disk, cd_disk64]
            cd_end = z64_at
    if any(disks):
        raise OzxError("this is one part of a split (multi-volume) ZIP archive; such archives cannot be read")
    if n_disk != n_total:
        raise OzxError("the ZIP end record is inconsistent (entry counts differ)")
    real_cd_start = cd_end - cd_size
    if real_cd_start < 0:
        raise OzxError("the ZIP end record is corrupt (central directory larger than the file)")
    if cd_offset > real_cd_start:
        raise OzxError("the ZIP end record is corrupt (it places the central directory beyond where it is)")
    return ZipTail(
        file_size=file_size,
        entry_count=n_total,
        cd_start=real_cd_start,
        cd_size=cd_size,
        shift=real_cd_start - cd_offset,
        comment=bytes(comment),
        zip64=zip64,
        disk_fields=tuple(disks),
        trailing_bytes=trailing,
        findings=tuple(findings),
    )


def _find_eocd(tail: bytes) -> tuple[int | None, bool]:
    """(EOCD position, whether another record hides in its comment). The outermost EOCD whose
    comment ends the file wins: a record inside that comment is a decoy. Without one, the last
    EOCD whose comment fits in the tail (bytes were appended after the archive)."""
    fallback = None
    exact: list[int] = []
    pos = tail.rfind(EOCD_SIG)
    while pos >= 0:
        if pos + EOCD_SIZE <= len(tail):
            (comment_len,) = struct.unpack_from("<H", tail, pos + 20)
            end = pos + EOCD_SIZE + comment_len
            if end == len(tail):
                exact.append(pos)
            if end < len(tail) and fallback is None and not exact:
                fallback = pos
        pos = tail.rfind(EOCD_SIG, 0, pos)
    if exact:
        return exact[-1], len(exact) > 1
    return fallback, False


def _find_zip64_eocd(read_at, stated: int, locator_at: int) -> int:
    """The ZIP64 EOCD record: at the stated offset, or just before the locator if bytes were prepended."""
    for candidate in (stated, locator_at - ZIP64_EOCD_SIZE):
        if 0 <= candidate <= locator_at - ZIP64_EOCD_SIZE:
            if read_at(candidate, 4) == ZIP64_EOCD_SIG:
                return candidate
    raise OzxError("the ZIP64 end record is missing or corrupt")

"""RFC-9 conformance findings (rules M1–M8 are errors, S1–S8 warnings; see spec/ozx.md §4).

`index_findings` runs when the central-directory index is built (vectorised, cheap);
`deep_findings` adds what only the validator pays for: every extra field of every record and
local header, the root metadata, the ZIP64 end records and the file name.
"""

from __future__ import annotations

import json
import mmap
import os
from typing import TYPE_CHECKING

import numpy as np

from ..findings import Finding
from .base import MAX_JSON_BYTES
from .central_directory import CD_FIXED, CentralIndex, _parse_sequential, _parse_vectorised, _scan_names, iter_extra_fields

if TYPE_CHECKING:
    from .zip_container import ZipContainer

ALLOWED_EXTRA_IDS = {0x0001, 0x5455, 0x7875}
HUGE_CD_RECORDS = 100_000
_ENCRYPTED = 0x0001 | 0x0040 | 0x2000


def index_findings(zc: ZipContainer, index: CentralIndex) -> list[Finding]:
    """Findings computable from the end records and the index arrays alone."""
    out: list[Finding] = []
    tail = zc.tail
    names = index.metadata
    if "zarr.json" not in names:
        if names.keys() & {".zattrs", ".zgroup"}:
            why = "it holds zipped OME-Zarr 0.4 (Zarr v2) metadata, which RFC-9 does not cover"
        elif any(n.endswith("/zarr.json") or n.endswith("/.zattrs") for n in names):
            why = "the hierarchy sits inside a folder instead of at the archive root"
        else:
            why = "there is no entry named 'zarr.json'"
        out.append(Finding("M2", "error", f"the archive root is not an OME-Zarr hierarchy: {why}"))
    compressed = int(np.count_nonzero(index.method != 0))
    if compressed:
        out.append(Finding("M6", "error", f"{compressed} of {index.count} entries are ZIP-compressed; RFC-9 requires stored entries (compression belongs to Zarr codecs)"))
    encrypted = int(np.count_nonzero((index.flags & _ENCRYPTED) != 0) + np.count_nonzero(index.method == 99))
    if encrypted:
        out.append(Finding("M5", "error", f"{encrypted} entries are encrypted; RFC-9 forbids ZIP encryption and the viewer never reads them"))
    if index.split_records:
        out.append(Finding("M4", "error", f"{index.split_records} records name another disk of a split archive"))
    first_local = int(index.local_offset.min()) if index.count else 0
    if tail.shift or first_local > 0:
        out.append(Finding("M8", "error", f"there are {tail.shift or first_local} bytes before the first entry (self-extracting stub or prepended data); RFC-9 forbids them"))
    nested = sorted(n for n in names if n.lower().endswith(".ozx"))
    if nested:
        out.append(Finding("M3", "error", f"the archive embeds another OME-Zarr zip file ('{nested[0]}'); it is never opened"))
    zips = sorted(n for n in names if n.lower().endswith(".zip"))
    if zips:
        out.append(Finding("M3", "warning", f"the archive contains a ZIP file ('{zips[0]}'), possibly an embedded archive; it is never opened"))
    stored_mismatch = np.flatnonzero((index.method == 0) & (index.csize != index.usize))
    if len(stored_mismatch):
        out.append(Finding("zip-sizes", "error", f"{len(stored_mismatch)} stored entries declare compressed and uncompressed sizes that differ; they are never read"))
    beyond = np.flatnonzero(index.local_offset + 30 + index.csize > tail.cd_start)
    if len(beyond):
        out.append(Finding("zip-bounds", "error", f"{len(beyond)} entries declare data that reaches beyond the data area (e.g. {int(index.csize[beyond[0]])} bytes); they are never read"))
    if index.unsafe_names:
        out.append(Finding("zip-names", "error", f"{len(index.unsafe_names)} entry names are absolute, contain backslashes or climb out with '..' (e.g. '{index.unsafe_names[0]}'); they are ignored"))
    if index.duplicates:
        out.append(Finding("S7", "warning", f"{len(index.duplicates)} names occur more than once in the central directory (e.g. '{index.duplicates[0]}'); the last record wins"))
    if zc.comment.json_first and not index.json_first_order:
        out.append(Finding("S8", "warning", "the archive comment claims jsonFirst, but a zarr.json record follows other records; the whole directory was read instead"))
    elif not zc.comment.json_first and "zarr.json" in names:
        if index.json_first_order:
            out.append(Finding("S4", "warning", "the zarr.json records come first, but the archive comment does not say jsonFirst: true"))
        else:
            out.append(Finding("S4", "warning", "the zarr.json records do not all come first in the central directory, so opening needs the whole directory"))
    return out


def deep_findings(zc: ZipContainer) -> list[Finding]:
    """The validator's additional checks (reads the whole central directory and every local header)."""
    out: list[Finding] = []
    index = zc.wait_index()
    out += _root_metadata_findings(zc)
    cd = zc._file.read_at(zc.tail.cd_start, zc.tail.cd_size)
    fields = _parse_vectorised(cd, zc.tail.entry_count) or _parse_sequential(cd, zc.tail.entry_count)
    cd_ids = _extra_ids(np.frombuffer(cd, np.uint8), cd, fields["starts"] + CD_FIXED + fields["n"], fields["m"])
    if cd_ids - ALLOWED_EXTRA_IDS:
        out.append(Finding("M7", "error", f"central-directory records carry extra fields RFC-9 does not allow: {_ids(cd_ids - ALLOWED_EXTRA_IDS)}"))
    out += _local_header_findings(zc, index, cd, fields)
    if not zc.tail.zip64:
        out.append(Finding("S1", "warning", "the archive has no ZIP64 end-of-central-directory records; RFC-9 recommends them at any size"))
    if index.count > HUGE_CD_RECORDS:
        out.append(Finding("S3", "warning", f"the archive has {index.count} entries; sharding would make opening faster"))
    if zc.comment.json_first and "zarr.json" in index.metadata and not _root_first(index):
        out.append(Finding("S4", "warning", "the root zarr.json is not the first zarr.json record"))
    if not os.path.basename(zc.path).lower().endswith(".ozx"):
        out.append(Finding("S5", "warning", "the file name does not end in .ozx"))
    if zc.tail.trailing_bytes:
        out.append(Finding("zip-trailing", "info", f"{zc.tail.trailing_bytes} bytes follow the archive comment"))
    return out


def _root_first(index: CentralIndex) -> bool:
    json_records = [i for n, i in index.metadata.items() if n == "zarr.json" or n.endswith("/zarr.json")]
    return index.metadata["zarr.json"] == min(json_records)


def _root_metadata_findings(zc: ZipContainer) -> list[Finding]:
    """M1: the root zarr.json must be an OME-Zarr group; its version should match the comment."""
    if zc.root != "" or not zc.exists("zarr.json"):
        return []
    try:
        meta = json.loads(zc.read("zarr.json", MAX_JSON_BYTES) or b"")
    except (ValueError, RecursionError):
        return [Finding("M1", "error", "the root zarr.json is not valid JSON")]
    except Exception as exc:  # an unreadable root entry (encrypted, corrupt) is reported, not raised
        return [Finding("M1", "error", f"the root zarr.json cannot be read: {exc}")]
    ome = meta.get("attributes", {}).get("ome") if isinstance(meta, dict) and isinstance(meta.get("attributes"), dict) else None
    if not isinstance(ome, dict):
        return [Finding("M1", "error", "the root zarr.json has no OME-Zarr metadata (attributes.ome)")]
    version = ome.get("version")
    if zc.comment.version and version and zc.comment.version != version:
        return [Finding("S6", "info", f"the archive comment says OME-Zarr {zc.comment.version} but the root zarr.json says {version}; zarr.json wins")]
    return []


def _local_header_findings(zc: ZipContainer, index: CentralIndex, cd: bytes, fields: dict) -> list[Finding]:
    """M7, header sanity, agreement with the central directory and overlaps, for every local
    header, vectorised over a read-only memory map."""
    if index.count == 0:
        return []
    cd_buf = np.zeros(len(cd) + 8, dtype=np.uint8)
    cd_buf[: len(cd)] = np.frombuffer(cd, dtype=np.uint8)
    cd_hashes = _scan_names(cd_buf, fields["starts"] + CD_FIXED, fields["n"])[0]
    agreement: list[Finding] = []
    with open(zc.path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        buf = np.frombuffer(mm, dtype=np.uint8)
        try:
            offsets = index.local_offset
            valid = (offsets >= 0) & (offsets + 30 <= zc.tail.cd_start)
            good = offsets[valid]
            sig = buf[good].astype(np.uint32) | (buf[good + 1].astype(np.uint32) << 8) | (buf[good + 2].astype(np.uint32) << 16) | (buf[good + 3].astype(np.uint32) << 24)
            broken = int(np.count_nonzero(~valid)) + int(np.count_nonzero(sig != 0x04034B50))
            records = np.flatnonzero(valid)[sig == 0x04034B50]
            ok = good[sig == 0x04034B50]
            n = buf[ok + 26].astype(np.int64) | (buf[ok + 27].astype(np.int64) << 8)
            m = buf[ok + 28].astype(np.int64) | (buf[ok + 29].astype(np.int64) << 8)
            inside = ok + 30 + n + m <= zc.tail.cd_start
            records, ok, n, m = records[inside], ok[inside], n[inside], m[inside]
            ids = _extra_ids(buf, None, ok + 30 + n, m)
            agreement = _agreement_findings(zc, index, buf, records, ok, n, m, cd_hashes)
        finally:
            del buf
    out = agreement
    if broken:
        out.append(Finding("zip-local", "error", f"{broken} entries have no valid local header where the directory says (corrupt archive)"))
    if ids - ALLOWED_EXTRA_IDS:
        out.append(Finding("M7", "error", f"local headers carry extra fields RFC-9 does not allow: {_ids(ids - ALLOWED_EXTRA_IDS)}"))
    return out


def _u32(buf: np.ndarray, at: np.ndarray) -> np.ndarray:
    return (buf[at].astype(np.int64) | (buf[at + 1].astype(np.int64) << 8) | (buf[at + 2].astype(np.int64) << 16)
            | (buf[at + 3].astype(np.int64) << 24))


def _agreement_findings(zc: ZipContainer, index: CentralIndex, buf: np.ndarray, records: np.ndarray, local: np.ndarray,
                        n: np.ndarray, m: np.ndarray, cd_hashes: np.ndarray) -> list[Finding]:
    """Local headers whose name, method or sizes differ from their central record; entries whose
    bytes overlap another entry's (one local header or data area shared by two records)."""
    out = []
    flags = buf[local + 6].astype(np.int64) | (buf[local + 7].astype(np.int64) << 8)
    method = buf[local + 8].astype(np.int64) | (buf[local + 9].astype(np.int64) << 8)
    csize, usize = _u32(buf, local + 18), _u32(buf, local + 22)
    stated = ((flags & 0x0008) == 0) & (csize != 0xFFFFFFFF) & (usize != 0xFFFFFFFF)
    sizes_differ = stated & ((csize != index.csize[records]) | (usize != index.usize[records]))
    names_differ = _scan_names(buf, local + 30, n)[0] != cd_hashes[records]
    method_differs = method != index.method[records]
    for what, bad in (("name", names_differ), ("compression method", method_differs), ("sizes", sizes_differ)):
        if bad.any():
            example = int(records[np.flatnonzero(bad)[0]])
            out.append(Finding("zip-local", "error", f"{int(bad.sum())} local headers state another {what} than the central directory (e.g. record {example}); the reader refuses such entries"))
    data_start = local + 30 + n + m
    data_end = data_start + index.csize[records]
    order = np.argsort(local, kind="stable")
    overlap = local[order][1:] < data_end[order][:-1]
    if overlap.any():
        out.append(Finding("zip-overlap", "error", f"{int(overlap.sum())} entries share bytes with the entry before them (overlapping entries, as in zip bombs)"))
    return out


def _extra_ids(buf: np.ndarray, raw: bytes | None, starts: np.ndarray, lengths: np.ndarray) -> set[int]:
    """Every extra-field id in the areas [start, start+length); vectorised for single-field areas."""
    has = (lengths >= 4) & (starts + lengths <= len(buf))
    starts, lengths = starts[has], lengths[has]
    if len(starts) == 0:
        return set()
    first_id = buf[starts].astype(np.int64) | (buf[starts + 1].astype(np.int64) << 8)
    first_len = buf[starts + 2].astype(np.int64) | (buf[starts + 3].astype(np.int64) << 8)
    ids = set(np.unique(first_id).tolist())
    for s, length in zip(starts[first_len + 4 != lengths].tolist(), lengths[first_len + 4 != lengths].tolist()):
        area = bytes(buf[s : s + length]) if raw is None else raw[s : s + length]
        ids.update(hid for hid, _ in iter_extra_fields(area))
    return ids


def _ids(ids: set[int]) -> str:
    return ", ".join(f"0x{i:04X}" for i in sorted(ids))

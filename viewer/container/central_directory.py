"""Central-directory parsing: a record walker for small prefixes and a compact vectorised index.

The index keeps no Python object per entry: a 64-bit name hash (sorted, for binary search),
offsets, sizes, method and flags live in numpy arrays (~46 bytes per entry). A lookup hashes the
key, binary-searches, and the caller verifies the name against the entry's local header.
"""

from __future__ import annotations

import struct
from typing import Iterator, NamedTuple

import numpy as np

from ..errors import OzxError
from .base import is_safe_key

CD_SIG = b"PK\x01\x02"
CD_FIXED = 46
_U32_MAX = 0xFFFFFFFF
_MASK64 = (1 << 64) - 1
_HASH_SEED = 0xCBF29CE484222325
_HASH_PRIME = 0x100000001B3
METADATA_SUFFIXES = ("zarr.json", ".zattrs", ".zgroup", ".zarray", ".json", ".ozx", ".zip", ".xml")
_SUFFIX_TAILS = np.array(
    [int.from_bytes(t, "little") | 0x20202020 for t in (b"json", b"ttrs", b"roup", b"rray", b".ozx", b".zip", b".xml")],
    dtype=np.uint32,
)


class Entry(NamedTuple):
    """What the reader needs of one central-directory record."""

    index: int
    name: str
    flags: int
    method: int
    csize: int
    usize: int
    local_offset: int


class CdRecord(NamedTuple):
    """A record decoded in full by the sequential walker: the entry (offset as stated, before the
    prefix shift) plus the fields only validation and the slow path need."""

    entry: Entry
    disk: int
    extra: bytes


def name_hash(name: bytes) -> int:
    """64-bit hash of an entry name; must equal what `_scan_names` computes for the same bytes."""
    h = (_HASH_SEED ^ len(name)) & _MASK64
    for k in range(0, len(name), 8):
        h = ((h ^ int.from_bytes(name[k : k + 8], "little")) * _HASH_PRIME) & _MASK64
        h ^= h >> 32
    return h


def decode_name(raw: bytes, flags: int) -> str:
    """Entry names are UTF-8 in practice (flag bit 11 or plain ASCII); fall back to cp437."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp437")


def normalise_name(name: str) -> str:
    """Without leading './'. Absolute names, backslashes and '..' are left as they are: such names
    are never resolved (`is_safe_key` refuses every key that could match them)."""
    while name.startswith("./"):
        name = name[2:]
    return name


def iter_records(buf: bytes, start_index: int = 0) -> Iterator[tuple[int, CdRecord]]:
    """Walk whole records in `buf` from its start; yields (end offset, record). Stops at a partial record."""
    pos = 0
    index = start_index
    while pos + CD_FIXED <= len(buf):
        if buf[pos : pos + 4] != CD_SIG:
            raise OzxError("the ZIP central directory is corrupt (bad record signature)")
        (flags, method, csize, usize, n, m, k, disk, lho) = struct.unpack_from("<4xHH8xIIHHHH6xI", buf, pos + 4)
        end = pos + CD_FIXED + n + m + k
        if end > len(buf):
            return
        raw = buf[pos + CD_FIXED : pos + CD_FIXED + n]
        extra = buf[pos + CD_FIXED + n : pos + CD_FIXED + n + m]
        usize, csize, lho, disk = apply_zip64_extra(extra, usize, csize, lho, disk)
        name = normalise_name(decode_name(raw, flags))
        yield end, CdRecord(Entry(index, name, flags, method, csize, usize, lho), disk, extra)
        pos = end
        index += 1


def iter_extra_fields(extra: bytes) -> Iterator[tuple[int, bytes]]:
    """(header id, data) pairs of an extra-field area; a truncated tail is ignored."""
    pos = 0
    while pos + 4 <= len(extra):
        hid, size = struct.unpack_from("<HH", extra, pos)
        yield hid, extra[pos + 4 : pos + 4 + size]
        pos += 4 + size


def apply_zip64_extra(extra: bytes, usize: int, csize: int, lho: int, disk: int) -> tuple[int, int, int, int]:
    """Replace saturated 32-bit fields by the ZIP64 extra field's 64-bit values (in spec order)."""
    if usize != _U32_MAX and csize != _U32_MAX and lho != _U32_MAX and disk != 0xFFFF:
        return usize, csize, lho, disk
    for hid, data in iter_extra_fields(extra):
        if hid != 0x0001:
            continue
        values = []
        pos = 0
        for saturated in (usize == _U32_MAX, csize == _U32_MAX, lho == _U32_MAX):
            if saturated:
                if pos + 8 > len(data):
                    raise OzxError("the ZIP64 extra field of an entry is truncated")
                values.append(int.from_bytes(data[pos : pos + 8], "little"))
                pos += 8
            else:
                values.append(None)
        if disk == 0xFFFF and pos + 4 <= len(data):
            disk = int.from_bytes(data[pos : pos + 4], "little")
        usize = values[0] if values[0] is not None else usize
        csize = values[1] if values[1] is not None else csize
        lho = values[2] if values[2] is not None else lho
        return usize, csize, lho, disk
    raise OzxError("an entry's sizes need a ZIP64 extra field, but it is missing")


def is_metadata_name(name: str) -> bool:
    """Names the reader materialises as strings: Zarr metadata, JSON documents, nested archives."""
    if name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1].startswith("._"):
        return False
    return name.lower().endswith(METADATA_SUFFIXES)


class CentralIndex:
    """Compact name → entry index over a whole central directory (vectorised build)."""

    def __init__(self, cd: bytes, entry_count: int, shift: int) -> None:
        self.count = entry_count
        fields = _parse_vectorised(cd, entry_count)
        if fields is None:
            fields = _parse_sequential(cd, entry_count)
        starts, n, m = fields["starts"], fields["n"], fields["m"]
        self.flags = fields["flags"]
        self.method = fields["method"]
        self.split_records = int(np.count_nonzero(fields["disk"]))
        self.csize = fields["csize"]
        self.usize = fields["usize"]
        self.local_offset = fields["lho"] + np.int64(shift)
        self.data_offset = np.full(entry_count, -1, dtype=np.int64)
        padded = np.zeros(len(cd) + 8, dtype=np.uint8)
        padded[: len(cd)] = np.frombuffer(cd, dtype=np.uint8)
        name_starts = starts + CD_FIXED
        hashes, odd, dotdot = _scan_names(padded, name_starts, n)
        first = padded[name_starts]
        odd |= (n > 0) & ((first == ord("/")) | (first == ord(".")))
        _rehash(hashes, cd, np.flatnonzero(odd), name_starts, n, self.flags)
        self._order = np.argsort(hashes, kind="stable").astype(np.uint32)
        self._hashes = hashes[self._order]
        ends = name_starts + n
        last = padded[np.maximum(ends - 1, 0)]
        directory = (n > 0) & (last == ord("/"))
        last4 = _strided(padded, "<u4")[np.maximum(ends - 4, 0)] | np.uint32(0x20202020)
        wanted = (n >= 4) & np.isin(last4, _SUFFIX_TAILS)
        self.metadata: dict[str, int] = {}
        for i in np.flatnonzero(wanted).tolist():
            s = int(name_starts[i])
            name = normalise_name(decode_name(cd[s : s + int(n[i])], int(self.flags[i])))
            if is_metadata_name(name) and is_safe_key(name):
                self.metadata[name] = i  # later duplicates win
        self.json_first_order = _json_first_order(self.metadata, directory)
        self.duplicates = self._find_duplicates(cd, name_starts, n)
        self.unsafe_names = _unsafe_names(cd, np.flatnonzero(odd | dotdot), name_starts, n)

    def lookup(self, name: str) -> list[int]:
        """Record indices whose name hash matches, last record first (the caller verifies names)."""
        h = np.uint64(name_hash(name.encode("utf-8")))
        hi = int(np.searchsorted(self._hashes, h, side="right"))
        lo = int(np.searchsorted(self._hashes, h, side="left"))
        return [int(self._order[j]) for j in range(hi - 1, lo - 1, -1)]

    def nbytes(self) -> int:
        """Memory held by the index arrays."""
        arrays = (self.flags, self.method, self.csize, self.usize, self.local_offset,
                  self.data_offset, self._order, self._hashes)
        return sum(a.nbytes for a in arrays)

    def _find_duplicates(self, cd: bytes, name_starts: np.ndarray, n: np.ndarray) -> list[str]:
        same = np.flatnonzero(self._hashes[1:] == self._hashes[:-1])
        names = set()
        for j in same.tolist():
            a, b = int(self._order[j]), int(self._order[j + 1])
            na = cd[int(name_starts[a]) : int(name_starts[a]) + int(n[a])]
            nb = cd[int(name_starts[b]) : int(name_starts[b]) + int(n[b])]
            if na == nb and not na.endswith(b"/"):
                names.add(decode_name(na, 0))
        return sorted(names)



def _json_first_order(metadata: dict[str, int], directory: np.ndarray) -> bool:
    """True when every zarr.json record precedes every other non-directory record."""
    zarr_json = [i for name, i in metadata.items() if name == "zarr.json" or name.endswith("/zarr.json")]
    other = ~directory
    other[zarr_json] = False
    if not other.any() or not zarr_json:
        return True
    return max(zarr_json) < int(np.argmax(other))


def _rehash(hashes: np.ndarray, cd: bytes, which: np.ndarray, name_starts: np.ndarray, n: np.ndarray,
            flags: np.ndarray) -> None:
    """Hash the names `normalise_name` changes (leading './', cp437) as normalised, so lookups by
    Zarr key find them. Such names are rare."""
    for i in which.tolist():
        raw = cd[int(name_starts[i]) : int(name_starts[i]) + int(n[i])]
        hashes[i] = name_hash(normalise_name(decode_name(raw, int(flags[i]))).encode("utf-8"))


def _unsafe_names(cd: bytes, candidates: np.ndarray, name_starts: np.ndarray, n: np.ndarray) -> list[str]:
    """Names with '..' segments, backslashes or absolute paths (never resolved)."""
    out = []
    for i in candidates.tolist():
        raw = cd[int(name_starts[i]) : int(name_starts[i]) + int(n[i])].decode("utf-8", "replace")
        if raw.startswith("/") or "\\" in raw or ".." in raw.split("/"):
            out.append(raw)
    return out


def _strided(buf: np.ndarray, dtype: str) -> np.ndarray:
    """Overlapping unaligned view: element i holds the little-endian value starting at byte i."""
    size = np.dtype(dtype).itemsize
    return np.ndarray(shape=(len(buf) - size + 1,), dtype=dtype, buffer=buf, offset=0, strides=(1,))


def _parse_vectorised(cd: bytes, count: int) -> dict[str, np.ndarray] | None:
    """All fixed fields at once, assuming every signature match is a real record; None if not."""
    if count == 0:
        return {k: np.zeros(0, dtype=t) for k, t in _FIELD_TYPES.items()} if not cd else None
    buf = np.frombuffer(cd, dtype=np.uint8)
    if len(buf) < CD_FIXED:
        return None
    u32 = _strided(buf, "<u4")
    u16 = _strided(buf, "<u2")
    p_bytes = np.flatnonzero(buf[: len(u32)] == 0x50)  # cheap aligned pass, then the 4-byte check
    starts = p_bytes[u32[p_bytes] == 0x02014B50]
    if len(starts) != count or starts[0] != 0 or starts[-1] + CD_FIXED > len(buf):
        return None
    n = u16[starts + 28].astype(np.int64)
    m = u16[starts + 30].astype(np.int64)
    k = u16[starts + 32].astype(np.int64)
    ends = starts + CD_FIXED + n + m + k
    if ends[-1] != len(buf) or not np.array_equal(ends[:-1], starts[1:]):
        return None
    fields = {
        "starts": starts.astype(np.int64), "n": n, "m": m,
        "flags": u16[starts + 8].copy(), "method": u16[starts + 10].copy(),
        "csize": u32[starts + 20].astype(np.int64), "usize": u32[starts + 24].astype(np.int64),
        "disk": u16[starts + 34].astype(np.int64), "lho": u32[starts + 42].astype(np.int64),
    }
    _fix_zip64(cd, fields)
    return fields


_FIELD_TYPES = {"starts": np.int64, "n": np.int64, "m": np.int64, "flags": np.uint16, "method": np.uint16,
                "csize": np.int64, "usize": np.int64, "disk": np.int64, "lho": np.int64}


def _fix_zip64(cd: bytes, f: dict[str, np.ndarray]) -> None:
    """Patch the few records whose 32-bit fields are saturated from their ZIP64 extra field."""
    sat = (f["csize"] == _U32_MAX) | (f["usize"] == _U32_MAX) | (f["lho"] == _U32_MAX) | (f["disk"] == 0xFFFF)
    for i in np.flatnonzero(sat).tolist():
        s = int(f["starts"][i]) + CD_FIXED + int(f["n"][i])
        extra = cd[s : s + int(f["m"][i])]
        usize, csize, lho, disk = apply_zip64_extra(
            extra, int(f["usize"][i]), int(f["csize"][i]), int(f["lho"][i]), int(f["disk"][i])
        )
        if max(usize, csize, lho) >= 1 << 62:
            raise OzxError("an entry of the ZIP archive declares an impossible size or offset")
        f["usize"][i], f["csize"][i], f["lho"][i], f["disk"][i] = usize, csize, lho, disk


def _parse_sequential(cd: bytes, count: int) -> dict[str, np.ndarray]:
    """Slow path (signature bytes inside names or extras): walk record by record."""
    cols: dict[str, list[int]] = {k: [] for k in _FIELD_TYPES}
    pos = 0
    for end, rec in iter_records(cd):
        cols["starts"].append(pos)
        cols["n"].append(struct.unpack_from("<H", cd, pos + 28)[0])
        cols["m"].append(len(rec.extra))
        cols["flags"].append(rec.entry.flags)
        cols["method"].append(rec.entry.method)
        cols["csize"].append(rec.entry.csize)
        cols["usize"].append(rec.entry.usize)
        cols["disk"].append(rec.disk)
        cols["lho"].append(rec.entry.local_offset)
        pos = end
    if len(cols["starts"]) != count or pos != len(cd):
        raise OzxError(
            f"the ZIP central directory is corrupt: it holds {len(cols['starts'])} readable records, "
            f"the end record announces {count}"
        )
    return {k: np.asarray(v, dtype=_FIELD_TYPES[k]) for k, v in cols.items()}


_TAIL_MASKS = np.array([0] + [(1 << (8 * r)) - 1 for r in range(1, 8)] + [_MASK64], dtype=np.uint64)


def _zero_bytes(v: np.ndarray) -> np.ndarray:
    """Per 64-bit word, the high bit of every byte that is zero (exact, no false positives)."""
    low7 = np.uint64(0x7F7F7F7F7F7F7F7F)
    return ~(((v & low7) + low7) | v | low7)


def _scan_names(padded: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every name at once, eight bytes per step: its `name_hash`, whether it has a byte that
    normalising may change (backslash, non-ASCII), and whether it contains '..'."""
    words = _strided(padded, "<u8")
    h = np.uint64(_HASH_SEED) ^ lengths.astype(np.uint64)
    odd = np.zeros(len(lengths), dtype=bool)
    dotdot = np.zeros(len(lengths), dtype=bool)
    last_dot = np.zeros(len(lengths), dtype=np.uint64)
    prime, shift32 = np.uint64(_HASH_PRIME), np.uint64(32)
    high, backslashes, dots = np.uint64(0x8080808080808080), np.uint64(0x5C5C5C5C5C5C5C5C), np.uint64(0x2E2E2E2E2E2E2E2E)
    steps = int((int(lengths.max()) + 7) // 8) if len(lengths) else 0
    for step in range(steps):
        rem = lengths - 8 * step
        live = rem > 0
        if not live.any():
            break
        w = words[np.where(live, starts + 8 * step, 0)] & _TAIL_MASKS[np.clip(rem, 0, 8)]
        mixed = (h ^ w) * prime
        mixed ^= mixed >> shift32
        h = np.where(live, mixed, h)
        odd |= live & (((w & high) != 0) | (_zero_bytes(w ^ backslashes) != 0))
        dot = np.where(live, _zero_bytes(w ^ dots), np.uint64(0))
        dotdot |= ((dot & (dot >> np.uint64(8))) != 0) | ((last_dot & (dot >> np.uint64(7)) & np.uint64(1)) != 0)
        last_dot = dot >> np.uint64(63)
    return h, odd, dotdot
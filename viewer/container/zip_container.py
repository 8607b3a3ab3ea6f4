"""Read-only access to a zipped OME-Zarr: entries and byte ranges by positional reads."""

from __future__ import annotations

import struct
import threading
import zlib
from typing import Callable, Iterator

from ..errors import OzxError
from ..findings import Finding
from .archive_comment import ArchiveComment, parse_comment
from .base import Container, is_safe_key, too_large_entry
from .byte_cache import ByteLRU
from .central_directory import CentralIndex, Entry, decode_name, is_metadata_name, iter_records, normalise_name
from .positional_file import STREAM_CHUNK, FileIdentity, PositionalFile
from .zip_tail import ZipTail, read_tail

LOCAL_SIG = b"PK\x03\x04"
LOCAL_FIXED = 30
ENCRYPTION_FLAGS = 0x0001 | 0x0040 | 0x2000
METHOD_STORED = 0
METHOD_DEFLATE = 8
METHOD_AES = 99
#: The largest entry the reader will inflate (deflated entries are non-conforming anyway; a
#: deflated entry is inflated whole, so this bounds the memory one read can take).
MAX_INFLATED = 64 << 20
_U32_MAX = 0xFFFFFFFF
_PREFIX_BLOCK = 64 * 1024
_ENTRY_CACHE = 65536


class ZipContainer(Container):
    """A `.ozx` or `.zip`. With `jsonFirst`, metadata is served from the first CD records while the
    full index is built in the background."""

    def __init__(self, path: str, background_index: bool = True) -> None:
        self.path = path
        self._file = PositionalFile(path)
        try:
            self.tail: ZipTail = read_tail(self._file.read_at, self._file.size)
            if self.tail.cd_start + self.tail.cd_size > self._file.size:
                raise OzxError("the ZIP central directory lies beyond the end of the file (truncated file?)")
            self.comment: ArchiveComment = parse_comment(self.tail.comment)
            self.findings: list[Finding] = list(self.tail.findings) + list(self.comment.findings)
            self._lock = threading.Lock()
            self._index: CentralIndex | None = None
            self._index_error: OzxError | None = None
            self._index_done = threading.Event()
            self._index_callbacks: list[Callable[[], None]] = []
            self._prefix: dict[str, Entry] = {}
            self._data_offsets: dict[int, int] = {}
            self._entries: dict[str, Entry] = {}  # verified lookups (shards are read again and again)
            self._inflated = ByteLRU(256 * 1024 * 1024)
            self.json_first_violated = False
            if self.comment.json_first:
                self._prefix = self._read_json_prefix()
            if "zarr.json" in self._prefix and background_index:
                threading.Thread(target=self._build_index, name="ozx-cd-index", daemon=True).start()
            else:
                self._build_index()
                self._wait_index()
            self.root = self._find_root()
            self.format = "ozx" if self.root == "" and self.exists("zarr.json") else "zip"
        except BaseException:
            self._file.close()
            raise

    # ---- index -------------------------------------------------------------------------
    def _read_json_prefix(self) -> dict[str, Entry]:
        """The leading zarr.json records of the CD (directory entries skipped), read in blocks."""
        found: dict[str, Entry] = {}
        cd_end = self.tail.cd_start + self.tail.cd_size
        pos, index, carry = self.tail.cd_start, 0, b""
        while pos < cd_end:
            block = carry + self._file.read_at(pos, min(_PREFIX_BLOCK, cd_end - pos))
            pos += min(_PREFIX_BLOCK, cd_end - pos)
            used = 0
            for end, (entry, _, _) in iter_records(block, index):
                used, index = end, entry.index + 1
                if entry.name.endswith("/"):
                    continue
                if entry.name != "zarr.json" and not entry.name.endswith("/zarr.json"):
                    return found
                if is_safe_key(entry.name):
                    found[entry.name] = entry._replace(local_offset=entry.local_offset + self.tail.shift)
            carry = block[used:]
        return found

    def _build_index(self) -> None:
        try:
            cd = self._file.read_at(self.tail.cd_start, self.tail.cd_size)
            index = CentralIndex(cd, self.tail.entry_count, self.tail.shift)
            from .conformance import index_findings

            found = index_findings(self, index)
            with self._lock:
                self._index = index
                self.findings.extend(found)
                self.json_first_violated = self.comment.json_first and not index.json_first_order
        except OzxError as exc:
            self._index_error = exc
        except Exception as exc:  # the index thread must never die silently: report it to readers
            self._index_error = OzxError(f"the ZIP central directory cannot be read ({type(exc).__name__}: {exc})")
        finally:
            self._index_done.set()
            for callback in list(self._index_callbacks):
                callback()

    def _wait_index(self) -> CentralIndex:
        self._index_done.wait()
        if self._index_error is not None:
            raise self._index_error
        assert self._index is not None
        return self._index

    def wait_index(self) -> CentralIndex:
        """Block until the full central-directory index exists (it may be building in the background)."""
        return self._wait_index()

    def on_index_ready(self, callback: Callable[[], None]) -> None:
        """Call `callback` (from the indexing thread, or now) once the full index is built."""
        with self._lock:
            if not self._index_done.is_set():
                self._index_callbacks.append(callback)
                return
        callback()

    @property
    def index_ready(self) -> bool:
        return self._index_done.is_set()

    def _find_root(self) -> str:
        """"" when the hierarchy starts at the archive root, else the single top-level folder holding it."""
        names = set(self._metadata_names())
        if names & {"zarr.json", ".zattrs", ".zgroup"}:
            return ""
        tops = {n.split("/", 1)[0] for n in names if "/" in n}
        candidates = [t for t in tops if names & {f"{t}/zarr.json", f"{t}/.zattrs", f"{t}/.zgroup"}]
        if len(candidates) == 1 and len(tops) == 1:
            return candidates[0] + "/"
        return ""

    def _metadata_names(self) -> list[str]:
        if self._index is None and not self.json_first_violated and "zarr.json" in self._prefix:
            return list(self._prefix)
        return list(self._wait_index().metadata)

    # ---- Container interface --------------------------------------------------------------
    def metadata_keys(self) -> list[str]:
        n = len(self.root)
        return [name[n:] for name in self._metadata_names() if name.startswith(self.root) and is_metadata_name(name)]

    def entry(self, key: str) -> Entry | None:
        """The record for `key` (relative to the hierarchy root), or None. Keys that are absolute
        or contain '..', backslashes or NUL are never resolved, whatever entries the archive has."""
        if not is_safe_key(key):
            return None
        name = self.root + key
        with self._lock:
            index = self._index
        if index is None and name in self._prefix:
            return self._prefix[name]
        if index is None and self._absent_by_prefix(name):
            return None
        cached = self._entries.get(name)
        if cached is not None:
            return cached
        index = self._wait_index()
        for i in index.lookup(name):
            candidate = Entry(i, name, int(index.flags[i]), int(index.method[i]), int(index.csize[i]),
                              int(index.usize[i]), int(index.local_offset[i]))
            if self._local_name_matches(candidate):
                if len(self._entries) >= _ENTRY_CACHE:
                    self._entries.clear()
                self._entries[name] = candidate
                return candidate
        if index.lookup(name):
            raise OzxError(f"the entry '{key}' is corrupt (its local header names another file)")
        return None

    def _absent_by_prefix(self, name: str) -> bool:
        """With a `jsonFirst` prefix holding the root zarr.json, every zarr.json record is in the
        prefix, and a Zarr v3 hierarchy has no v2 metadata: such lookups need not wait for the
        full index. (Should the claim prove false, the index thread reports S8.)"""
        if "zarr.json" not in self._prefix or self.json_first_violated:
            return False
        return name == "zarr.json" or name.endswith(("/zarr.json", "/.zattrs", "/.zgroup", "/.zarray")) or name in (
            ".zattrs", ".zgroup", ".zarray")

    def size(self, key: str) -> int | None:
        entry = self.entry(key)
        return None if entry is None else entry.usize

    def read(self, key: str, limit: int | None = None) -> bytes | None:
        entry = self.entry(key)
        if entry is None:
            return None
        if limit is not None and max(entry.usize, entry.csize) > limit:
            raise too_large_entry(key, max(entry.usize, entry.csize), limit)
        if entry.method == METHOD_STORED:
            self._check_readable(entry)
            return self._file.read_at(self._data_offset(entry), entry.csize)
        return self._inflate(entry)

    def read_range(self, key: str, start: int, length: int) -> bytes | None:
        entry = self.entry(key)
        if entry is None:
            return None
        if start < 0:
            start += entry.usize
        if start < 0 or length < 0 or start + length > entry.usize:
            raise OzxError(f"a read asks for bytes outside the entry '{key}' (corrupt shard index?)")
        if entry.method == METHOD_STORED:
            self._check_readable(entry)
            return self._file.read_at(self._data_offset(entry) + start, length)
        return self._inflate(entry)[start : start + length]

    def close(self) -> None:
        self._index_done.wait(timeout=30)
        self._file.close()

    # ---- the file as a whole ----------------------------------------------------------------
    @property
    def file_size(self) -> int:
        """Bytes of the archive file as it was opened."""
        return self._file.size

    @property
    def file_identity(self) -> FileIdentity:
        """Size, modification time, inode and device of the file when it was opened."""
        return self._file.identity

    def file_change(self) -> str | None:
        """None while the open file is unchanged, else what happened to it (reads then fail)."""
        return self._file.change()

    def file_chunks(self, chunk: int = STREAM_CHUNK) -> Iterator[bytes]:
        """Every byte of the archive, through the handle opened at open (so also after the file
        was deleted), in pieces of at most `chunk` bytes; OzxError if the file changed meanwhile."""
        return self._file.chunks(chunk)

    # ---- entry bytes ------------------------------------------------------------------------
    def _check_readable(self, entry: Entry) -> None:
        if entry.flags & ENCRYPTION_FLAGS or entry.method == METHOD_AES:
            raise OzxError(f"the entry '{entry.name}' is encrypted; encrypted ZIP entries are never read")
        if entry.method not in (METHOD_STORED, METHOD_DEFLATE):
            raise OzxError(f"the entry '{entry.name}' uses ZIP compression method {entry.method}, which is not supported")
        if entry.method == METHOD_STORED and entry.csize != entry.usize:
            raise OzxError(f"the entry '{entry.name}' is corrupt (stored, but its two sizes differ)")

    def _local_name_matches(self, entry: Entry) -> bool:
        """Read the local header once: check the name, remember where the data starts."""
        if self._known_data_offset(entry) is not None:
            return True
        raw_name = entry.name.encode("utf-8")
        if entry.local_offset < 0 or entry.local_offset + LOCAL_FIXED > self.tail.cd_start:
            raise OzxError(f"the entry '{entry.name}' points outside the archive (corrupt ZIP)")
        room = self.tail.cd_start - entry.local_offset
        head = self._file.read_at(entry.local_offset, min(LOCAL_FIXED + len(raw_name) + 64, room))
        if head[:4] != LOCAL_SIG:
            raise OzxError(f"the entry '{entry.name}' is corrupt (no local header where the directory says)")
        n, m = struct.unpack_from("<HH", head, 26)
        if LOCAL_FIXED + n > len(head):
            head = self._file.read_at(entry.local_offset, min(LOCAL_FIXED + n, room))
        if normalise_name(decode_name(head[LOCAL_FIXED : LOCAL_FIXED + n], 0)) != entry.name:
            return False
        flags, method, csize, usize = struct.unpack_from("<HH8xII", head, 6)
        sizes_here = not flags & 0x0008 and _U32_MAX not in (csize, usize)  # else: data descriptor / ZIP64
        if method != entry.method or (sizes_here and (csize, usize) != (entry.csize, entry.usize)):
            raise OzxError(f"the entry '{entry.name}' is corrupt (its local header and the central directory disagree)")
        data_offset = entry.local_offset + LOCAL_FIXED + n + m
        if data_offset + entry.csize > self.tail.cd_start:
            raise OzxError(
                f"the entry '{entry.name}' declares {entry.csize} bytes, which reach beyond the data area (truncated or corrupt file)"
            )
        if self._index is not None:
            self._index.data_offset[entry.index] = data_offset
        else:
            self._data_offsets[entry.index] = data_offset
        return True

    def _known_data_offset(self, entry: Entry) -> int | None:
        index = self._index
        if index is not None and index.data_offset[entry.index] >= 0:
            return int(index.data_offset[entry.index])
        return self._data_offsets.get(entry.index)

    def _data_offset(self, entry: Entry) -> int:
        offset = self._known_data_offset(entry)
        if offset is None:
            if not self._local_name_matches(entry):
                raise OzxError(f"the entry '{entry.name}' is corrupt (local header name differs)")
            offset = self._known_data_offset(entry)
            assert offset is not None
        return offset

    def _inflate(self, entry: Entry) -> bytes:
        self._check_readable(entry)
        cached = self._inflated.get(entry.index)
        if cached is not None:
            return cached
        if entry.usize > MAX_INFLATED:
            raise OzxError(f"the entry '{entry.name}' would inflate to {entry.usize} bytes, more than the {MAX_INFLATED} the reader inflates")
        if entry.csize > entry.usize + entry.usize // 8 + 1024:  # deflate never grows data that much
            raise OzxError(f"the entry '{entry.name}' is corrupt (its compressed size exceeds what deflate can produce)")
        raw = self._file.read_at(self._data_offset(entry), entry.csize)
        inflater = zlib.decompressobj(-15)
        try:
            data = inflater.decompress(raw, entry.usize + 1)
        except zlib.error:
            raise OzxError(f"the entry '{entry.name}' is corrupt (its deflate stream does not decode)") from None
        if len(data) != entry.usize:
            raise OzxError(f"the entry '{entry.name}' is corrupt (it inflates to a size other than declared)")
        self._inflated.put(entry.index, data)
        return data

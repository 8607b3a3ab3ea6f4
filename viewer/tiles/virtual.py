"""Virtual coarse levels: a pyramid built on demand below the coarsest stored level.

Images with a single level, or whose coarsest level is still far larger than a window, get
factor-2 levels down to `VIRTUAL_MAX_SIDE` pixels on the long side. A virtual tile is made from
the tiles of the next finer level that it covers (virtual ones from a byte-budgeted cache, or
built first), so deeper levels are built from shallower ones and the stored data are read once
per overview. Pure numpy: the stored tiles come from a `read` callable.
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from dataclasses import replace
from typing import Callable, Iterator, Literal, Protocol, Sequence

import numpy as np

from .cache import TileCache
from .geometry import LevelGeometry
from .scheduler import TileKey

#: Virtual levels go down to a level whose long side is at most this.
VIRTUAL_MAX_SIDE = 1024
#: Virtual levels are added when the coarsest stored level has more than this many times the
#: pixels of a window (and always when there is a single level larger than `VIRTUAL_MAX_SIDE`).
WINDOW_FACTOR = 4
#: The window size assumed when deciding (a full-HD screen with some margin).
DEFAULT_WINDOW_PIXELS = 1920 * 1200
#: One virtual tile stands for at most this many pixels of the coarsest stored level per side
#: (and at most `FOOTPRINT_CHUNKS` chunks per side), so any tile is made in bounded time; a
#: coarse tile of a large image is therefore small, and the overview arrives piece by piece.
FOOTPRINT_SIDE = 4096
FOOTPRINT_CHUNKS = 32
#: Virtual tile sides stay within these (powers of two).
MIN_VIRTUAL_TILE, MAX_VIRTUAL_TILE = 128, 512
#: The finer block gathered for one virtual tile holds at most this many bytes.
GATHER_BYTES = 16 << 20
#: A virtual tile stands for at most this many chunks of the coarsest stored level, as many as one
#: region read may decode (a 262 144² single-level image of 256² chunks needs 16 384 per coarsest
#: tile). Beyond, unless nothing is stored under it, the tile is an error: a file claiming an
#: absurd size or tiny chunks cannot make one tile endless work (reads or absence probes).
MAX_STORED_CHUNKS = 1 << 16
#: Default byte budget of the cache of built virtual tiles, and of stored tiles being read at once.
VIRTUAL_CACHE_BYTES = 8 << 20
READ_BYTES_IN_FLIGHT = 32 << 20

Method = Literal["mean", "mode"]


class StoredRead(Protocol):
    """Reads stored tile `key` as (channels, rows, cols); may decode into `out` and return it."""

    def __call__(self, key: TileKey, out: np.ndarray | None = None) -> np.ndarray: ...


class OverviewTooLarge(RuntimeError):
    """A virtual tile would stand for more than MAX_STORED_CHUNKS stored chunks."""
#: (coarsest stored level, plane, pixel box (r0, r1, c0, c1) of that level) -> nothing stored there.
AbsentProbe = Callable[[int, tuple[int, ...], tuple[int, int, int, int]], bool]


def virtual_level_count(coarsest: LevelGeometry, stored_levels: int,
                        window_pixels: int = DEFAULT_WINDOW_PIXELS) -> int:
    """How many factor-2 levels to add below `coarsest` (0 when the stored pyramid suffices)."""
    rows, cols = coarsest.shape
    if stored_levels > 1 and rows * cols <= WINDOW_FACTOR * window_pixels:
        return 0
    count, side = 0, max(rows, cols)
    while side > VIRTUAL_MAX_SIDE:
        side = -(-side // 2)
        count += 1
    return count


def virtual_tile_sides(count: int, bytes_per_pixel: int, chunk: tuple[int, int],
                       stored_tile: int = 0) -> list[int]:
    """Tile side of each of `count` virtual levels (finest first), powers of two.

    Level d (1 = just below the stored ones) covers 2**d stored pixels per pixel, so its tile side
    is the footprint limit / 2**d, within [MIN_VIRTUAL_TILE, MAX_VIRTUAL_TILE] and small enough
    that the block of finer pixels gathered for a tile stays under GATHER_BYTES; and at least
    `stored_tile` / 2**d, so that each stored tile is read for one virtual tile only.
    """
    footprint = min(FOOTPRINT_SIDE, FOOTPRINT_CHUNKS * max(min(chunk), 1))
    gather = math.isqrt(GATHER_BYTES // (4 * max(bytes_per_pixel, 1)))
    sides = []
    for depth in range(1, count + 1):
        side = min(MAX_VIRTUAL_TILE, gather, max(footprint >> depth, stored_tile >> depth, 1))
        side = max(MIN_VIRTUAL_TILE, 1 << (side.bit_length() - 1))
        sides.append(side)
    return sides


def virtual_geometries(coarsest: LevelGeometry, sides: Sequence[int]) -> list[LevelGeometry]:
    """The geometry of each virtual level below `coarsest`: half the pixels per axis (rounded up),
    twice the scale, the same origin (a pixel covers the 2 x 2 finer pixels it is made from)."""
    out, parent = [], coarsest
    for side in sides:
        parent = replace(
            parent,
            shape=(-(-parent.shape[0] // 2), -(-parent.shape[1] // 2)),
            tile=(side, side),
            scale=(parent.scale[0] * 2, parent.scale[1] * 2),
            virtual=True,
        )
        out.append(parent)
    return out


def parent_box(geometry: LevelGeometry, parent: LevelGeometry, ty: int, tx: int) -> tuple[int, int, int, int]:
    """Pixel box (r0, r1, c0, c1) of the finer level `parent` that tile (ty, tx) is made from."""
    r0, r1, c0, c1 = geometry.tile_box(ty, tx)
    return (2 * r0, min(2 * r1, parent.shape[0]), 2 * c0, min(2 * c1, parent.shape[1]))


def covering_tiles(level: LevelGeometry, box: tuple[int, int, int, int]) -> list[tuple[int, int]]:
    """Tiles (ty, tx) of `level` that intersect the pixel box (r0, r1, c0, c1), row-major."""
    r0, r1, c0, c1 = box
    (th, tw) = level.tile
    return [(ty, tx) for ty in range(r0 // th, -(-r1 // th)) for tx in range(c0 // tw, -(-c1 // tw))]


def downsample(block: np.ndarray, method: Method) -> np.ndarray:
    """(channels, rows, cols) -> (channels, ceil(rows/2), ceil(cols/2)), same dtype.

    "mean": the mean of each 2 x 2 block (integers rounded half up; floats ignore NaN, NaN only
    where all four are NaN). "mode": the most frequent of the four values (ties: the top-left
    one), so label maps keep valid ids. An odd last row or column counts once.
    """
    if block.shape[1] % 2 or block.shape[2] % 2:
        block = np.pad(block, ((0, 0), (0, block.shape[1] % 2), (0, block.shape[2] % 2)), mode="edge")
    if method == "mode":
        return _mode4(block[:, 0::2, 0::2], block[:, 0::2, 1::2], block[:, 1::2, 0::2], block[:, 1::2, 1::2])
    if block.dtype.kind == "f":
        return _nanmean4(block[:, 0::2, 0::2], block[:, 0::2, 1::2], block[:, 1::2, 0::2],
                         block[:, 1::2, 1::2]).astype(block.dtype, copy=False)
    if block.dtype.kind == "b":
        wide = np.uint8
    elif block.dtype.itemsize <= 2:  # four values fit 32 bits: half the memory traffic of int64
        wide = np.uint32 if block.dtype.kind == "u" else np.int32
    else:
        wide = np.int64 if block.dtype.itemsize < 8 else np.float64
    # The four quarters summed into one buffer: no temporary of the block's size (1.8 -> 1.1 ms and
    # a 1.5 MB page-faulted buffer fewer per 3 x 512² uint16 tile than pairs of rows, then columns).
    total = np.add(block[:, 0::2, 0::2], block[:, 0::2, 1::2], dtype=wide)
    total += block[:, 1::2, 0::2]
    total += block[:, 1::2, 1::2]
    if block.dtype.kind == "b":
        return total >= 2  # true where at least two of the four are
    if wide is np.float64:
        return np.floor(total / 4 + 0.5).astype(block.dtype)
    total += 2
    total >>= 2
    return total.astype(block.dtype)


def _nanmean4(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    total = a.astype(np.float64) + b + c + d
    if not np.isnan(total).any():
        return total * 0.25
    parts = [np.nan_to_num(p.astype(np.float64), nan=0.0, posinf=np.inf, neginf=-np.inf) for p in (a, b, c, d)]
    counts = sum((~np.isnan(p)).astype(np.int8) for p in (a, b, c, d))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sum(parts) / np.maximum(counts, 1), np.nan)


def _mode4(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    ab, ac, ad, bc, bd, cd = a == b, a == c, a == d, b == c, b == d, c == d
    votes = [ab.astype(np.int8) + ac + ad, ab.astype(np.int8) + bc + bd,
             ac.astype(np.int8) + bc + cd, ad.astype(np.int8) + bd + cd]
    out = a.copy()
    best = votes[0]
    for value, vote in ((b, votes[1]), (c, votes[2]), (d, votes[3])):
        better = vote > best
        out[better] = value[better]
        best = np.maximum(best, vote)
    return out


class VirtualPyramid:
    """Tiles of the stored levels (read with `read`) and of virtual levels below them (built).

    `geometries`: the stored levels' followed by the virtual ones. `read(key, out=None)` gives a
    stored tile as (channels, rows, cols) of `dtype`; given `out`, a C-contiguous buffer of that
    shape, it may decode into it and return it. Virtual tiles are downsampled with `method` from
    the finer level's tiles, cached in a `cache_bytes` LRU (so a coarser tile and a zoom-out
    reuse them), and filled with `fill` without reading when `absent` says nothing is stored
    under them. Stored tiles read for building are not cached: each thread decodes them into one
    reused buffer (a fresh tile-sized buffer per read spent ~40 % of a build faulting its pages in),
    and at most `read_bytes` of them are decoded at once across threads. `chunk`: the coarsest
    stored level's chunk shape (default: its tile shape), which bounds how many chunks one virtual
    tile reads. Thread-safe: loader threads call `tile` concurrently.
    """

    def __init__(
        self,
        stored: Sequence[LevelGeometry],
        read: StoredRead,
        channels: int,
        dtype: np.dtype,
        method: Method = "mean",
        fill: object = 0,
        absent: AbsentProbe | None = None,
        chunk: tuple[int, int] | None = None,
        window_pixels: int = DEFAULT_WINDOW_PIXELS,
        cache_bytes: int = VIRTUAL_CACHE_BYTES,
        read_bytes: int = READ_BYTES_IN_FLIGHT,
    ) -> None:
        self._read = read
        self.stored_count = len(stored)
        self.channels = channels
        self.dtype = np.dtype(dtype)
        self.method: Method = method
        self.fill = np.array(fill).astype(self.dtype) if np.ndim(fill) == 0 else np.zeros((), self.dtype)
        self._absent = absent
        coarsest = stored[-1]
        self._chunk = tuple(max(c, 1) for c in (chunk or coarsest.tile))
        count = virtual_level_count(coarsest, len(stored), window_pixels)
        sides = virtual_tile_sides(count, channels * self.dtype.itemsize, chunk or coarsest.tile, max(coarsest.tile))
        self.geometries: list[LevelGeometry] = list(stored) + virtual_geometries(coarsest, sides)
        self.cache = TileCache(cache_bytes)
        self._reads = _ByteGate(read_bytes)
        self._scratch = threading.local()
        self._stats_lock = threading.Lock()
        self.stored_tiles_read = 0
        self.absent_tiles = 0

    @property
    def virtual_count(self) -> int:
        return len(self.geometries) - self.stored_count

    @property
    def read_bytes_peak(self) -> int:
        """The most bytes of stored tiles that were being decoded at once."""
        return self._reads.peak

    def tile(self, key: TileKey) -> np.ndarray:
        """Tile `key` of any level as (channels, rows, cols) of `dtype`."""
        if key.level < self.stored_count:
            return self._read_stored(key)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        out = self._filled(key)
        if out is None:
            self._check_footprint(key)
            out = self._build(key)
        self.cache.put(key, out)
        return out

    def _check_footprint(self, key: TileKey) -> None:
        """OverviewTooLarge when virtual tile `key` stands for more than MAX_STORED_CHUNKS chunks."""
        r0, r1, c0, c1 = self.stored_box(key)
        ch, cw = self._chunk
        count = (-(-r1 // ch) - r0 // ch) * (-(-c1 // cw) - c0 // cw)
        if count > MAX_STORED_CHUNKS:
            raise OverviewTooLarge(f"this part of the overview stands for {count} stored chunks, more than the "
                                   f"{MAX_STORED_CHUNKS} one overview tile may read; zoom in to see it")

    def stored_box(self, key: TileKey) -> tuple[int, int, int, int]:
        """Pixel box of the coarsest stored level that tile `key` stands for (for a stored level's
        tile: its own box)."""
        r0, r1, c0, c1 = box = self.geometries[key.level].tile_box(key.ty, key.tx)
        if key.level < self.stored_count:
            return box
        shift = key.level - self.stored_count + 1
        rows, cols = self.geometries[self.stored_count - 1].shape
        return (r0 << shift, min(r1 << shift, rows), c0 << shift, min(c1 << shift, cols))

    def _filled(self, key: TileKey) -> np.ndarray | None:
        """A fill-valued tile when nothing is stored under `key` (asked without reading), else None."""
        if self._absent is None:
            return None
        level = min(key.level, self.stored_count - 1)
        if not self._absent(level, key.plane, self.stored_box(key)):
            return None
        r0, r1, c0, c1 = self.geometries[key.level].tile_box(key.ty, key.tx)
        with self._stats_lock:
            self.absent_tiles += 1
        return np.full((self.channels, r1 - r0, c1 - c0), self.fill, self.dtype)

    def _build(self, key: TileKey) -> np.ndarray:
        """Virtual tile `key`, downsampled from the finer level's tiles that cover it.

        Each finer tile is downsampled into its part of the result as soon as it is had, so a
        build holds one finer tile at a time, not the whole finer block (builds recurse through
        every virtual level; the blocks would add up). Finer tiles start at even offsets of the
        block when their sides are even, so this equals downsampling the block; with odd sides
        (tiles made from odd chunk shapes) the block is gathered first.
        """
        geometry, parent = self.geometries[key.level], self.geometries[key.level - 1]
        box = parent_box(geometry, parent, key.ty, key.tx)
        if parent.tile[0] % 2 or parent.tile[1] % 2:
            return downsample(self._gather(key, box), self.method)
        r0, r1, c0, c1 = geometry.tile_box(key.ty, key.tx)
        out = np.empty((self.channels, r1 - r0, c1 - c0), self.dtype)
        for (lo_r, lo_c), part in self._finer_parts(key, box):
            small = downsample(part, self.method)
            row, col = (lo_r - box[0]) // 2, (lo_c - box[2]) // 2
            out[:, row:row + small.shape[1], col:col + small.shape[2]] = small
            del part, small  # before the next finer tile is made
        return out

    def _gather(self, key: TileKey, box: tuple[int, int, int, int]) -> np.ndarray:
        """The finer level's pixels under `box` that tile `key` is made from, as one block."""
        r0, r1, c0, c1 = box
        block = np.empty((self.channels, r1 - r0, c1 - c0), self.dtype)
        for (lo_r, lo_c), part in self._finer_parts(key, box):
            block[:, lo_r - r0:lo_r - r0 + part.shape[1], lo_c - c0:lo_c - c0 + part.shape[2]] = part
        return block

    def _finer_parts(self, key: TileKey, box: tuple[int, int, int, int]) -> Iterator[tuple[tuple[int, int], np.ndarray]]:
        """((row, col) in the finer level, pixels) of each finer tile's part under `box`, one at a time."""
        parent = self.geometries[key.level - 1]
        r0, r1, c0, c1 = box
        for pty, ptx in covering_tiles(parent, box):
            child_key = TileKey(key.level - 1, key.plane, pty, ptx)
            stored = child_key.level < self.stored_count
            child = self._filled(child_key) if stored else None
            if child is None:  # a stored tile goes into this thread's buffer: it is used up before the next
                child = self._read_stored(child_key, reuse=True) if stored else self.tile(child_key)
            cr0, cr1, cc0, cc1 = parent.tile_box(pty, ptx)
            lo_r, hi_r, lo_c, hi_c = max(r0, cr0), min(r1, cr1), max(c0, cc0), min(c1, cc1)
            yield (lo_r, lo_c), child[:, lo_r - cr0:hi_r - cr0, lo_c - cc0:hi_c - cc0]
            del child

    def _read_stored(self, key: TileKey, reuse: bool = False) -> np.ndarray:
        """Stored tile `key`; with `reuse`, decoded into this thread's buffer (valid until its next such read)."""
        r0, r1, c0, c1 = self.geometries[key.level].tile_box(key.ty, key.tx)
        shape = (self.channels, r1 - r0, c1 - c0)
        out = self._thread_buffer(shape) if reuse else None
        with self._reads.hold(math.prod(shape) * self.dtype.itemsize):
            tile = self._read(key, out)
        with self._stats_lock:
            self.stored_tiles_read += 1
        return tile

    def _thread_buffer(self, shape: tuple[int, int, int]) -> np.ndarray:
        """An array of `shape` and this pyramid's dtype in this thread's reused buffer (grown when too small)."""
        nbytes = math.prod(shape) * self.dtype.itemsize
        buffer = getattr(self._scratch, "buffer", None)
        if buffer is None or buffer.nbytes < nbytes:
            buffer = self._scratch.buffer = np.empty(nbytes, np.uint8)
        return buffer[:nbytes].view(self.dtype).reshape(shape)


class _ByteGate:
    """Lets threads decode at most `limit` bytes at once (one oversized request runs alone)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._used = 0
        self.peak = 0
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, nbytes: int) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: self._used == 0 or self._used + nbytes <= self._limit)
            self._used += nbytes
            self.peak = max(self.peak, self._used)
        try:
            yield
        finally:
            with self._changed:
                self._used -= nbytes
                self._changed.notify_all()

"""Lazy Zarr v2/v3 arrays on a container: metadata parsing, chunk keys, sharded and plain chunk reads."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from itertools import product
from math import prod
from typing import Sequence

import numpy as np

from ..container.base import Container
from ..errors import OzxError
from .limits import MAX_READ_CHUNKS
from .codecs import ChunkDecoding, Sharding, UnknownCodec, build_v2, build_v3

_V3_TYPES = {
    "bool": "bool", "int8": "i1", "int16": "i2", "int32": "i4", "int64": "i8",
    "uint8": "u1", "uint16": "u2", "uint32": "u4", "uint64": "u8",
    "float16": "f2", "float32": "f4", "float64": "f8", "complex64": "c8", "complex128": "c16",
}
MAX_DIMS = 32
MAX_REGION_BYTES = 4 << 30
#: `region_absent` gives up (answers False) beyond this many chunk or shard look-ups.
MAX_ABSENT_PROBES = 4096
_EMPTY = np.uint64(2**64 - 1)
_EMPTY_INT = 2**64 - 1
ShardIndex = tuple[str, list[int], list[int]]


class ZarrArray:
    """One array: `shape`, `dtype`, `chunks` (the reading unit; inner chunks when sharded), `shards`.

    `via_zarr_python` is True when its codecs are decoded through zarr-python (zarr_fallback.py).
    """

    def __init__(self, container: Container, path: str, meta: dict) -> None:
        self.container = container
        self.path = path
        self.via_zarr_python = False
        self.zarr_format = meta.get("zarr_format")
        try:
            if self.zarr_format == 3:
                self._init_v3(meta)
            elif self.zarr_format == 2:
                self._init_v2(meta)
            else:
                raise OzxError("unknown zarr_format")
        except OzxError as exc:
            raise OzxError(f"array '{path}': {exc}") from None
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise OzxError(f"array '{path}': invalid metadata ({exc})") from None
        self._index_cache: OrderedDict[tuple[int, ...], ShardIndex | None] = OrderedDict()
        self._index_lock = threading.Lock()

    # ---- metadata -------------------------------------------------------------------------------
    def _init_v3(self, meta: dict) -> None:
        self.shape = _shape(meta.get("shape"))
        data_type = meta.get("data_type")
        if data_type not in _V3_TYPES:
            raise OzxError(f"the data type {data_type!r} is not supported")
        self.dtype = np.dtype(_V3_TYPES[data_type])
        grid = meta.get("chunk_grid", {})
        if not isinstance(grid, dict) or grid.get("name") != "regular":
            raise OzxError("only regular chunk grids are supported")
        configuration = grid.get("configuration", {})
        outer = _shape(configuration.get("chunk_shape") if isinstance(configuration, dict) else None, len(self.shape), positive=True)
        encoding = meta.get("chunk_key_encoding", {"name": "default"})
        name = encoding.get("name") if isinstance(encoding, dict) else encoding
        sep = (encoding.get("configuration") or {}).get("separator") if isinstance(encoding, dict) else None
        if name == "default":
            self._key_prefix, self._sep = "c", sep or "/"
        elif name == "v2":
            self._key_prefix, self._sep = "", sep or "."
        else:
            raise OzxError(f"the chunk key encoding {name!r} is not supported")
        if self._sep not in ("/", "."):
            raise OzxError(f"the chunk key separator {self._sep!r} is not supported")
        if meta.get("storage_transformers"):
            raise OzxError("storage transformers are not supported")
        try:
            pipeline = build_v3(meta.get("codecs"), outer, self.dtype)
        except UnknownCodec as exc:
            pipeline = self._fallback(meta, outer, self.dtype, exc)
        self.fill_value = _fill_value(meta.get("fill_value"), self.dtype)
        self._outer = outer
        if isinstance(pipeline, Sharding):
            self.sharding: Sharding | None = pipeline
            self.shards: tuple[int, ...] | None = outer
            self.chunks = pipeline.inner_shape
            self._decoder: ChunkDecoding = pipeline.inner
            self._per_shard = pipeline.chunks_per_shard(outer)
        else:
            self.sharding, self.shards, self.chunks, self._decoder = None, None, outer, pipeline

    def _init_v2(self, meta: dict) -> None:
        self.shape = _shape(meta.get("shape"))
        try:
            self.dtype = np.dtype(meta.get("dtype"))
        except TypeError:
            raise OzxError(f"the data type {meta.get('dtype')!r} is not supported") from None
        if self.dtype.kind not in "biufc" or self.dtype.fields:
            raise OzxError(f"the data type {meta.get('dtype')!r} is not supported")
        self.chunks = _shape(meta.get("chunks"), len(self.shape), positive=True)
        self._outer = self.chunks
        self._key_prefix, self._sep = "", meta.get("dimension_separator") or "."
        if self._sep not in ("/", "."):
            raise OzxError(f"the chunk separator {self._sep!r} is not supported")
        try:
            self._decoder = build_v2(meta, self.chunks, self.dtype)
        except UnknownCodec as exc:
            self._decoder = self._fallback(meta, self.chunks, self.dtype, exc)  # type: ignore[assignment]
        self.dtype = self.dtype.newbyteorder("=")
        self.fill_value = _fill_value(meta.get("fill_value"), self.dtype)
        self.sharding, self.shards = None, None

    def _fallback(self, meta: dict, chunk_shape: tuple[int, ...], dtype: np.dtype, unknown: UnknownCodec):
        """The decoder zarr-python provides for codecs the fast path does not know."""
        from .zarr_fallback import open_fallback

        decoder = open_fallback(self.container, self.path, meta, chunk_shape, dtype, str(unknown))
        self.via_zarr_python = True
        return decoder

    # ---- geometry ---------------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def chunk_grid(self) -> tuple[int, ...]:
        """Number of reading chunks along each axis."""
        return tuple(math.ceil(s / c) for s, c in zip(self.shape, self.chunks))

    def _key(self, coords: Sequence[int]) -> str:
        folder = f"{self.path}/" if self.path else ""
        if not coords:
            return folder + (self._key_prefix or "0")
        parts = ([self._key_prefix] if self._key_prefix else []) + [str(c) for c in coords]
        return folder + self._sep.join(parts)

    # ---- reading -----------------------------------------------------------------------------------
    def read_chunk(self, coords: Sequence[int]) -> np.ndarray:
        """The full-size chunk at reading-grid `coords` (fill value where nothing is stored). Read-only."""
        coords = tuple(int(c) for c in coords)
        if len(coords) != self.ndim or any(not 0 <= c < g for c, g in zip(coords, self.chunk_grid)):
            raise OzxError(f"array '{self.path}': chunk {coords} is outside the array")
        return self._decode_chunk(coords)

    def _decode_chunk(self, coords: tuple[int, ...]) -> np.ndarray:
        try:
            raw = self._chunk_bytes(coords)
            if raw is None:
                return np.full(self.chunks, self.fill_value, dtype=self.dtype)
            return self._decoder.decode(raw)
        except OzxError as exc:
            raise OzxError(f"array '{self.path}', chunk {coords}: {exc}") from None

    def _chunk_bytes(self, coords: tuple[int, ...]) -> bytes | None:
        limit = self._decoder.stored_limit
        if self.sharding is None:
            return self.container.read(self._key(coords), limit)
        per = self._per_shard
        shard = tuple(c // p for c, p in zip(coords, per))
        index = self._shard_index(shard, per)
        if index is None:
            return None
        key, offsets, sizes = index
        slot = _slot(coords, per)
        if offsets[slot] == _EMPTY_INT and sizes[slot] == _EMPTY_INT:
            return None
        if sizes[slot] > limit:
            raise OzxError(f"the shard '{key}' is corrupt (an inner chunk is stored in {sizes[slot]} bytes, more than {limit})")
        return self.container.read_range(key, offsets[slot], sizes[slot])

    def _shard_index(self, shard: tuple[int, ...], per: tuple[int, ...]) -> ShardIndex | None:
        """(shard key, offsets, sizes) of a shard's inner chunks as Python lists (cheap to index
        from the reading threads), or None when the shard was never written."""
        with self._index_lock:
            if shard in self._index_cache:
                self._index_cache.move_to_end(shard)
                return self._index_cache[shard]
        sharding = self.sharding
        assert sharding is not None
        key = self._key(shard)
        size = self.container.size(key)
        if size is None:
            index = None
        else:
            if size < sharding.index_nbytes:
                raise OzxError(f"the shard '{key}' is corrupt (shorter than its index)")
            start = size - sharding.index_nbytes if sharding.index_at_end else 0
            raw = self.container.read_range(key, start, sharding.index_nbytes)
            index = sharding.decode_index(raw, per)
            used = (index[..., 0] != _EMPTY) | (index[..., 1] != _EMPTY)
            starts, lengths = index[..., 0][used], index[..., 1][used]
            # compared without adding: offset + length may wrap around 2**64
            if np.any(starts > size) or np.any(lengths > np.uint64(size) - np.minimum(starts, np.uint64(size))):
                raise OzxError(f"the shard '{key}' is corrupt (its index points past its end)")
            flat = index.reshape(-1, 2)
            index = (key, flat[:, 0].tolist(), flat[:, 1].tolist())
        with self._index_lock:
            self._index_cache[shard] = index
            while len(self._index_cache) > 4096:
                self._index_cache.popitem(last=False)
        return index

    def region_absent(self, region: Sequence[slice] | None = None, max_probes: int = MAX_ABSENT_PROBES) -> bool:
        """True when no chunk under `region` is stored (reading it would give only the fill value).

        Asks the container (and shard indexes) without decoding. False when something is stored,
        and also when answering would take more than `max_probes` look-ups (not known cheaply).
        """
        bounds = _bounds(region, self.shape)
        if any(b <= a for a, b in bounds):
            return True
        unit = self._outer if self.sharding is not None else self.chunks
        ranges = [range(a // u, -(-b // u)) for (a, b), u in zip(bounds, unit)]
        if prod(len(r) for r in ranges) > max_probes:
            return False
        if self.sharding is None:
            return all(self.container.size(self._key(coords)) is None for coords in product(*ranges))
        per = self._per_shard
        inner = [range(a // c, -(-b // c)) for (a, b), c in zip(bounds, self.chunks)]
        for shard in product(*ranges):
            index = self._shard_index(shard, per)
            if index is None:
                continue
            _key, offsets, sizes = index
            local = [range(max(r.start, s * p), min(r.stop, (s + 1) * p)) for r, s, p in zip(inner, shard, per)]
            if prod(len(r) for r in local) > max_probes:
                return False
            for coords in product(*local):
                slot = _slot(coords, per)
                if offsets[slot] != _EMPTY_INT or sizes[slot] != _EMPTY_INT:
                    return False
        return True

    def read(self, region: Sequence[slice] | None = None, threads: int = 1, out: np.ndarray | None = None) -> np.ndarray:
        """Decode `region` (one slice per axis, step 1) into a new array, or into `out` (an array of
        the region's shape and the array's dtype, e.g. a reused buffer), using `threads` workers."""
        bounds = _bounds(region, self.shape)
        out_shape = tuple(b - a for a, b in bounds)
        if out is not None and (out.shape != out_shape or out.dtype != self.dtype):
            raise ValueError(f"out is {out.shape} {out.dtype}, the region {out_shape} {self.dtype}")
        if prod(out_shape) * self.dtype.itemsize > MAX_REGION_BYTES:
            raise OzxError(f"a region of shape {out_shape} is too large to read at once")
        ranges = [range(a // c, -(-b // c)) if b > a else range(0) for (a, b), c in zip(bounds, self.chunks)]
        count = prod(len(r) for r in ranges)
        if count > MAX_READ_CHUNKS:
            raise OzxError(f"array '{self.path}': a region of shape {out_shape} spans {count} chunks of shape "
                           f"{self.chunks}, more than the {MAX_READ_CHUNKS} one read may decode")
        if out is None:
            out = np.empty(out_shape, dtype=self.dtype)
        tasks = list(product(*ranges))

        def fill(coords: tuple[int, ...]) -> None:
            chunk = self._decode_chunk(coords)  # coords come from the grid: no bounds check
            src, dst = [], []
            for (a, b), c, k in zip(bounds, self.chunks, coords):
                lo, hi = max(a, k * c), min(b, (k + 1) * c)
                src.append(slice(lo - k * c, hi - k * c))
                dst.append(slice(lo - a, hi - a))
            out[tuple(dst)] = chunk[tuple(src)]

        def fill_all(batch: list[tuple[int, ...]]) -> None:
            for coords in batch:
                fill(coords)

        if threads > 1 and len(tasks) > 1:
            # One interleaved batch per thread: a future per chunk would cost more than a chunk's I/O.
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(fill_all, [tasks[i::threads] for i in range(threads)]))
        else:
            fill_all(tasks)
        return out


def _slot(coords: Sequence[int], per: Sequence[int]) -> int:
    """C-order position of inner chunk `coords` (array-wide) within its shard."""
    slot = 0
    for c, p in zip(coords, per):
        slot = slot * p + c % p
    return slot


def _shape(value: object, ndim: int | None = None, positive: bool = False) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise OzxError("an array shape is not a list of integers")
    if len(value) > MAX_DIMS:
        raise OzxError(f"an array has {len(value)} dimensions, more than the {MAX_DIMS} the reader supports")
    if ndim is not None and len(value) != ndim:
        raise OzxError("the chunk shape does not match the array's dimensions")
    if any(v < (1 if positive else 0) for v in value) or any(v >= 2**62 for v in value):
        raise OzxError("an array has an impossible shape")
    return tuple(value)


def _fill_value(value: object, dtype: np.dtype) -> object:
    if value is None:
        return dtype.type(0)
    if isinstance(value, str):
        specials = {"NaN": np.nan, "Infinity": np.inf, "-Infinity": -np.inf}
        if value in specials and dtype.kind in "fc":
            return dtype.type(specials[value])
        if value.startswith("0x"):
            try:
                raw = int(value[:2 + 2 * dtype.itemsize + 1], 16).to_bytes(dtype.itemsize, "big")
            except (ValueError, OverflowError):
                raise OzxError(f"the fill value {value[:40]!r} does not fit the data type {dtype}") from None
            return np.frombuffer(raw, dtype=dtype.newbyteorder(">"))[0].astype(dtype)
        raise OzxError(f"the fill value {value[:40]!r} is not understood")
    try:
        if isinstance(value, list) and dtype.kind == "c" and len(value) == 2:
            return dtype.type(complex(float(value[0]), float(value[1])))
        if isinstance(value, (list, dict)):
            raise TypeError
        return dtype.type(value)
    except (TypeError, ValueError, OverflowError):
        raise OzxError(f"the fill value {str(value)[:40]!r} does not fit the data type {dtype}") from None


def _bounds(region: Sequence[slice] | None, shape: tuple[int, ...]) -> list[tuple[int, int]]:
    if region is None:
        region = [slice(None)] * len(shape)
    if len(region) != len(shape):
        raise OzxError("a read region needs one slice per axis")
    out = []
    for s, n in zip(region, shape):
        start, stop, step = s.indices(n)
        if step != 1:
            raise OzxError("strided reads are not supported")
        out.append((start, max(start, stop)))
    return out

"""Bounded reads of scattered pixels: every combination of some indices per axis, decoding only
the chunks that hold them (thumbnails and automatic windows of images of any size)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import product
from math import prod
from typing import Sequence

import numpy as np

from .zarr_array import ZarrArray

#: Decoded chunks above this total are decoded on two threads (codecs release the GIL).
_THREADED_BYTES = 4 << 20


@dataclass(frozen=True)
class ReadCost:
    """What an orthogonal read decodes: `chunks` reading chunks holding `nbytes` in all."""

    chunks: int
    nbytes: int

    def within(self, max_chunks: int, max_bytes: int) -> bool:
        return self.chunks <= max_chunks and self.nbytes <= max_bytes


def _groups(indices: np.ndarray, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """(chunk ids, start of each id's run in `indices`) for ascending `indices`."""
    ids = indices // chunk
    if ids.size == 0:
        return ids, ids
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    return ids[starts], starts


def read_cost(array: ZarrArray, indices: Sequence[np.ndarray]) -> ReadCost:
    """The chunks and decoded bytes `read_orthogonal(array, indices)` costs, without reading."""
    chunks = prod(len(_groups(np.asarray(i, dtype=np.int64), c)[0]) for i, c in zip(indices, array.chunks))
    return ReadCost(chunks, chunks * prod(array.chunks) * array.dtype.itemsize)


def read_orthogonal(array: ZarrArray, indices: Sequence[np.ndarray]) -> np.ndarray:
    """`array[np.ix_(*indices)]` for ascending index arrays (one per axis; repeats allowed).

    Only the chunks holding the requested elements are decoded; callers bound the cost with
    `read_cost` first.
    """
    indices = [np.asarray(i, dtype=np.int64) for i in indices]
    if len(indices) != array.ndim:
        raise ValueError("one index array per axis")
    for i, n in zip(indices, array.shape):
        if i.size and (i[0] < 0 or i[-1] >= n or np.any(np.diff(i) < 0)):
            raise ValueError("indices must be ascending and inside the array")
    out = np.empty(tuple(len(i) for i in indices), dtype=array.dtype)
    per_axis = []
    for i, c in zip(indices, array.chunks):
        ids, starts = _groups(i, c)
        ends = np.r_[starts[1:], len(i)]
        per_axis.append([(int(k), int(s), int(e), _local(i[s:e] - k * c)) for k, s, e in zip(ids, starts, ends)])
    tasks = list(product(*per_axis))

    def fill(batch: list[tuple]) -> None:
        for groups in batch:
            chunk = array.read_chunk(tuple(g[0] for g in groups))
            chunk = chunk[tuple(g[3] if isinstance(g[3], slice) else slice(None) for g in groups)]
            for axis, g in enumerate(groups):
                if not isinstance(g[3], slice):
                    chunk = np.take(chunk, g[3], axis=axis)
            out[tuple(slice(g[1], g[2]) for g in groups)] = chunk

    cost = len(tasks) * prod(array.chunks) * array.dtype.itemsize
    if cost > _THREADED_BYTES and len(tasks) > 1:
        with ThreadPoolExecutor(2) as pool:  # one interleaved batch per thread
            list(pool.map(fill, [tasks[0::2], tasks[1::2]]))
    else:
        fill(tasks)
    return out


def _local(offsets: np.ndarray) -> slice | np.ndarray:
    """Offsets inside one chunk as a slice when they are a plain run (the common case)."""
    first, last = int(offsets[0]), int(offsets[-1])
    if last - first + 1 == len(offsets):
        return slice(first, last + 1)
    return offsets


def spread(count: int, size: int) -> np.ndarray:
    """`count` indices spread evenly over `size` (the centre of each of `count` equal parts)."""
    return ((np.arange(count, dtype=np.int64) * 2 + 1) * size // (2 * count)).clip(0, max(size - 1, 0))

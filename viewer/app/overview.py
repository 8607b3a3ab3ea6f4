"""A whole image, small, read under a byte budget (no Qt, no GL): for thumbnails and previews.

`read_overview` gives the preview shown at once when an image without a pyramid opens, while its
virtual overview is still being built.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..ome.model import Level, PlaneLayout
from ..tiles import TileKey
from ..tiles.virtual import Method, downsample
from .loader import TileLoader

#: Decoded bytes an overview may read by default, and at most this many chunks (tiny chunks cost
#: more per read than per byte).
OVERVIEW_BYTES = 64 << 20
OVERVIEW_CHUNKS = 1024


def read_overview(levels: Sequence[Level], layout: PlaneLayout, plane: tuple[int, ...] = (),
                  channels: range = range(1), max_side: int = 256, max_bytes: int = OVERVIEW_BYTES,
                  method: Method = "mean", max_chunks: int = OVERVIEW_CHUNKS) -> np.ndarray:
    """The image on `plane` as (channels, rows, cols) in its own dtype, long side <= `max_side`.

    When the coarsest stored level decodes to at most `max_bytes`, it is read whole (through the
    virtual levels, tile by tile) and downsampled with `method` ("mean", or "mode" for label maps):
    exact. Otherwise only as many of its chunks as `max_bytes` allows, spread evenly, are read and
    each output pixel takes the value at its own offset in the nearest chunk read (a mosaic of real
    pixels; absent chunks cost nothing). Reads never exceed `max_bytes` nor `max_chunks` chunks,
    whatever the image size.
    """
    loader = TileLoader(levels, layout, channels, dtype=levels[0].dtype, method=method)
    stored = loader.pyramid.stored_count - 1
    rows, cols = loader.geometries[stored].shape
    nbytes = loader.pyramid.channels * rows * cols * loader.dtype.itemsize
    if nbytes <= max_bytes:
        image = read_level(loader, len(loader.geometries) - 1, plane)
        while max(image.shape[1:]) > max_side:
            image = downsample(image, method)
        return image
    return _chunk_mosaic(loader, stored, plane, max_side, max_bytes, max_chunks)


def read_level(loader: TileLoader, level: int, plane: tuple[int, ...]) -> np.ndarray:
    """Every tile of `level` (stored or virtual) on `plane`, assembled: (channels, rows, cols)."""
    geometry = loader.geometries[level]
    out = np.empty((loader.pyramid.channels, *geometry.shape), loader.dtype)
    rows, cols = geometry.grid
    for ty in range(rows):
        for tx in range(cols):
            r0, r1, c0, c1 = geometry.tile_box(ty, tx)
            out[:, r0:r1, c0:c1] = loader.read(TileKey(level, plane, ty, tx))
    return out


def _chunk_mosaic(loader: TileLoader, level: int, plane: tuple[int, ...], max_side: int, max_bytes: int,
                  max_chunks: int) -> np.ndarray:
    rows, cols = loader.geometries[level].shape
    chunk_r, chunk_c = loader.coarsest_chunk
    grid_r, grid_c = -(-rows // chunk_r), -(-cols // chunk_c)
    affordable = max(1, min(max_chunks, max_bytes // (loader.pyramid.channels * chunk_r * chunk_c * loader.dtype.itemsize)))
    spread = min(1.0, (affordable / (grid_r * grid_c)) ** 0.5)
    step = max(rows, cols) / max_side
    axis_r = _AxisSamples(rows, chunk_r, max(1, round(rows / step)), max(1, int(grid_r * spread)))
    axis_c = _AxisSamples(cols, chunk_c, max(1, round(cols / step)), max(1, int(grid_c * spread)))
    channels = range(loader.pyramid.channels)
    out = np.empty((len(channels), axis_r.size, axis_c.size), loader.dtype)
    for (r0, r1), sel_r, off_r in axis_r.chunks():
        for (c0, c1), sel_c, off_c in axis_c.chunks():
            box = (r0, r1, c0, c1)
            if loader.box_absent(level, plane, box):
                out[np.ix_(channels, sel_r, sel_c)] = loader.pyramid.fill
            else:
                out[np.ix_(channels, sel_r, sel_c)] = loader.read_box(level, plane, box)[np.ix_(channels, off_r, off_c)]
    return out


class _AxisSamples:
    """Along one axis of `length` pixels in chunks of `chunk`: `size` output pixels, each taken at its
    own offset within the nearest of `count` evenly spread chunks."""

    def __init__(self, length: int, chunk: int, size: int, count: int) -> None:
        self.length, self.chunk, self.size = length, chunk, size
        grid = -(-length // chunk)
        self.picked = np.unique(np.linspace(0, grid - 1, count).round().astype(np.int64))
        self.source = np.minimum(((np.arange(size) + 0.5) * length / size).astype(np.int64), length - 1)
        nearest = np.abs(self.picked[None, :] - (self.source // chunk)[:, None]).argmin(axis=1)
        self.nearest = self.picked[nearest]

    def chunks(self):
        """(pixel range of a picked chunk, output indices it serves, their offsets in it), per chunk."""
        for index in self.picked:
            selected = np.flatnonzero(self.nearest == index)
            if selected.size:
                start, stop = index * self.chunk, min((index + 1) * self.chunk, self.length)
                yield (start, stop), selected, np.minimum(self.source[selected] % self.chunk, stop - start - 1)

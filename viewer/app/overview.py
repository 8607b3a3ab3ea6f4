"""A whole image, small, read under a byte budget (no Qt, no GL): for thumbnails and previews.

`read_overview` is what the `thumbnail` command and the side panel's thumbnails use, so they stay
within their time targets on images without a pyramid too.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..ome.model import Level, PlaneLayout
from ..tiles import TileKey
from ..tiles.virtual import Method, downsample
from .loader import TileLoader

#: Decoded bytes an overview may read by default.
OVERVIEW_BYTES = 64 << 20


def read_overview(levels: Sequence[Level], layout: PlaneLayout, plane: tuple[int, ...] = (),
                  channels: range = range(1), max_side: int = 256, max_bytes: int = OVERVIEW_BYTES,
                  method: Method = "mean") -> np.ndarray:
    """The image on `plane` as (channels, rows, cols) in its own dtype, long side <= `max_side`.

    When the coarsest stored level decodes to at most `max_bytes`, it is read whole (through the
    virtual levels, tile by tile) and downsampled with `method` ("mean", or "mode" for label maps):
    exact. Otherwise only as many of its chunks as `max_bytes` allows, spread evenly, are read and
    each output pixel takes the value at its own offset in the nearest chunk read (a mosaic of real
    pixels; absent chunks cost nothing). Reads never exceed `max_bytes`, whatever the image size.
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
    return _chunk_mosaic(loader, stored, plane, max_side, max_bytes)


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


def _chunk_mosaic(loader: TileLoader, level: int, plane: tuple[int, ...], max_side: int, max_bytes: int) -> np.ndarray:
    rows, cols = loader.geometries[level].shape
    chunk_r, chunk_c = loader.coarsest_chunk
    grid_r, grid_c = -(-rows // chunk_r), -(-cols // chunk_c)
    affordable = max(1, max_bytes // (loader.pyramid.channels * chunk_r * chunk_c * loader.dtype.itemsize))
    spread = min(1.0, (affordable / (grid_r * grid_c)) ** 0.5)
    picked_r = np.unique(np.linspace(0, grid_r - 1, max(1, int(grid_r * spread))).round().astype(int))
    picked_c = np.unique(np.linspace(0, grid_c - 1, max(1, int(grid_c * spread))).round().astype(int))
    step = max(rows, cols) / max_side
    out_r, out_c = max(1, round(rows / step)), max(1, round(cols / step))
    src_r = np.minimum(((np.arange(out_r) + 0.5) * rows / out_r).astype(np.int64), rows - 1)
    src_c = np.minimum(((np.arange(out_c) + 0.5) * cols / out_c).astype(np.int64), cols - 1)
    near_r = picked_r[np.abs(picked_r[None, :] - (src_r // chunk_r)[:, None]).argmin(axis=1)]
    near_c = picked_c[np.abs(picked_c[None, :] - (src_c // chunk_c)[:, None]).argmin(axis=1)]
    out = np.empty((loader.pyramid.channels, out_r, out_c), loader.dtype)
    for cr in picked_r:
        sel_r = np.flatnonzero(near_r == cr)
        if not sel_r.size:
            continue
        r0, r1 = cr * chunk_r, min((cr + 1) * chunk_r, rows)
        off_r = np.minimum(src_r[sel_r] % chunk_r, r1 - r0 - 1)
        for cc in picked_c:
            sel_c = np.flatnonzero(near_c == cc)
            if not sel_c.size:
                continue
            c0, c1 = cc * chunk_c, min((cc + 1) * chunk_c, cols)
            off_c = np.minimum(src_c[sel_c] % chunk_c, c1 - c0 - 1)
            box = (r0, r1, c0, c1)
            if loader.box_absent(level, plane, box):
                out[np.ix_(range(out.shape[0]), sel_r, sel_c)] = loader.pyramid.fill
                continue
            chunk = loader.read_box(level, plane, box)
            out[np.ix_(range(out.shape[0]), sel_r, sel_c)] = chunk[np.ix_(range(chunk.shape[0]), off_r, off_c)]
    return out

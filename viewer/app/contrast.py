"""The values on screen, for the channel panel's histograms and its Auto button (no Qt).

A sample is the visible part of the view at the finest level that keeps it under
`SAMPLE_PIXELS`; its tiles come from the stream's cache or are read (on a worker thread). Tiles of
a virtual level that are not built yet are left out: the sample is taken again once loading ends.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..ome.display_defaults import percentile_window
from ..render.formats import unpack_channel
from ..tiles import LevelGeometry, TileKey, View, visible_tiles

#: A sample has at most about this many pixels per channel.
SAMPLE_PIXELS = 1 << 19
HISTOGRAM_BINS = 128

__all__ = ["SAMPLE_PIXELS", "histogram", "percentile_window", "sample_level", "visible_sample"]


def sample_level(geometries: Sequence[LevelGeometry], view: View, max_pixels: int = SAMPLE_PIXELS) -> int:
    """The finest level whose pixels inside `view` are at most `max_pixels` (else the coarsest)."""
    for index, geometry in enumerate(geometries):
        (sy, sx) = geometry.scale
        x0, y0, x1, y1 = geometry.world_bounds
        width = max(min(view.x1, x1) - max(view.x0, x0), 0.0) / sx
        height = max(min(view.y1, y1) - max(view.y0, y0), 0.0) / sy
        if width * height <= max_pixels:
            return index
    return len(geometries) - 1


def visible_sample(geometries: Sequence[LevelGeometry], tile: Callable[[TileKey], np.ndarray | None], view: View,
                   plane: tuple[int, ...], channels: int, max_pixels: int = SAMPLE_PIXELS) -> list[np.ndarray]:
    """Per channel, the flat values inside `view` on `plane` (packed tiles from `tile(key)`,
    which gives None for a tile that cannot be read or is not made yet)."""
    level = sample_level(geometries, view, max_pixels)
    geometry = geometries[level]
    (sy, sx), (oy, ox) = geometry.scale, geometry.translation
    row0, row1 = int(np.floor((view.y0 - oy) / sy)), int(np.ceil((view.y1 - oy) / sy))
    col0, col1 = int(np.floor((view.x0 - ox) / sx)), int(np.ceil((view.x1 - ox) / sx))
    parts: list[list[np.ndarray]] = [[] for _ in range(channels)]
    for ty, tx in visible_tiles(geometry, view, margin=0)[0]:
        r0, r1, c0, c1 = geometry.tile_box(ty, tx)
        packed = tile(TileKey(level, tuple(plane), ty, tx))
        if packed is None:  # cannot be read: left out
            continue
        rows = slice(max(row0, r0) - r0, min(row1, r1) - r0)
        cols = slice(max(col0, c0) - c0, min(col1, c1) - c0)
        for channel in range(channels):
            parts[channel].append(unpack_channel(packed, channel, channels)[rows, cols].ravel())
    return [np.concatenate(p) if p else np.zeros(0) for p in parts]


def histogram(values: np.ndarray, value_range: tuple[float, float], bins: int = HISTOGRAM_BINS) -> np.ndarray:
    """Counts of the finite `values` in `bins` equal bins over `value_range` (values outside
    count in the first or last bin)."""
    lo, hi = value_range
    values = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if values.size == 0 or hi <= lo:
        return np.zeros(bins, np.int64)
    index = ((values.astype(np.float64, copy=False) - lo) * (bins / (hi - lo))).astype(np.int64)
    return np.bincount(np.clip(index, 0, bins - 1), minlength=bins)

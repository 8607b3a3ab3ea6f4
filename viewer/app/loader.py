"""Turn tile keys into arrays: region reads of one plane of a level (runs on loader threads)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..ome.model import Level, PlaneLayout
from ..render.colors import RGBA, colorize_labels
from ..render.formats import pack_channels, texture_dtype
from ..tiles import LevelGeometry, TileKey, tile_shape_for


#: Smaller chunks are grouped into tiles of at least this side: fewer draw calls and uploads per
#: frame (each tile costs a draw call), while a tile still decodes in a few milliseconds.
MIN_TILE = 512

def level_geometries(levels: Sequence[Level], layout: PlaneLayout) -> list[LevelGeometry]:
    """The tile layer's view of each level: displayed shape, tile shape, scale and translation."""
    r, c = layout.row, layout.col
    return [
        LevelGeometry(
            shape=(level.shape[r], level.shape[c]),
            tile=tile_shape_for((level.chunks[r], level.chunks[c]), min_tile=MIN_TILE),
            scale=(level.scale[r], level.scale[c]),
            translation=(level.translation[r], level.translation[c]),
        )
        for level in levels
    ]


def level_index(index: int, finest: int, size: int) -> int:
    """A level-0 index on a non-displayed axis mapped to a level with `size` entries there."""
    return min(index * size // max(finest, 1), size - 1)


class TileLoader:
    """Reads tile (level, plane, ty, tx) packed for upload (`formats.pack_channels`).

    Channels are `channels` (a range of the channel axis; ignored when there is none),
    converted to `dtype` (default: the type the GPU takes, so uploads need no copy).
    """

    def __init__(self, levels: Sequence[Level], layout: PlaneLayout, channels: range = range(1),
                 dtype: np.dtype | None = None) -> None:
        self._levels = list(levels)
        self._layout = layout
        self._channels = channels
        self._geometries = level_geometries(levels, layout)
        self.dtype = texture_dtype(levels[0].dtype) if dtype is None else np.dtype(dtype)

    @property
    def geometries(self) -> list[LevelGeometry]:
        return self._geometries

    def __call__(self, key: TileKey) -> np.ndarray:
        return pack_channels(self.read(key))

    def read(self, key: TileKey) -> np.ndarray:
        """The tile as a C-contiguous (channels, rows, cols) array."""
        level = self._levels[key.level]
        layout = self._layout
        r0, r1, c0, c1 = self._geometries[key.level].tile_box(key.ty, key.tx)
        region = [slice(None)] * len(level.shape)
        region[layout.row] = slice(r0, r1)
        region[layout.col] = slice(c0, c1)
        finest = self._levels[0].shape
        for axis, index in zip(layout.sliders, key.plane):
            i = level_index(index, finest[axis], level.shape[axis])
            region[axis] = slice(i, i + 1)
        if layout.channel is not None:
            region[layout.channel] = slice(self._channels.start, self._channels.stop)
        data = level.array.read(tuple(region))
        shown = ([layout.channel] if layout.channel is not None else []) + [layout.row, layout.col]
        rest = [a for a in range(data.ndim) if a not in shown]  # the size-1 slider axes
        data = np.transpose(data, rest + shown).reshape(-1, r1 - r0, c1 - c0)
        return np.ascontiguousarray(data, dtype=self.dtype)


class LabelTileLoader:
    """Reads a label-map tile and colours it: (rows, cols, 4) RGBA uint8."""

    def __init__(self, levels: Sequence[Level], layout: PlaneLayout, colors: dict[int, RGBA]) -> None:
        self._reader = TileLoader(levels, layout, dtype=levels[0].dtype)  # values stay exact
        self._colors = colors

    @property
    def geometries(self) -> list[LevelGeometry]:
        return self._reader.geometries

    def __call__(self, key: TileKey) -> np.ndarray:
        return colorize_labels(self._reader.read(key)[0], self._colors)

"""Turn tile keys into arrays: region reads of one plane of a level (runs on loader threads)."""

from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from ..ome.display_defaults import level_index
from ..ome.model import Level, PlaneLayout
from ..render.colors import RGBA, colorize_labels
from ..render.formats import pack_channels, texture_dtype
from ..tiles import LevelGeometry, TileKey, tile_shape_for
from ..tiles.virtual import DEFAULT_WINDOW_PIXELS, VIRTUAL_CACHE_BYTES, Method, VirtualPyramid


#: Smaller chunks are grouped into tiles of at least this side: fewer draw calls and uploads per
#: frame (each tile costs a draw call), while a tile still decodes in a few milliseconds.
MIN_TILE = 512
#: ...but a tile groups at most this many chunks per side, so tiny chunks (each read has its own
#: overhead) do not make one tile take hundreds of reads.
MAX_CHUNKS_PER_SIDE = 16


def level_geometries(levels: Sequence[Level], layout: PlaneLayout) -> list[LevelGeometry]:
    """The tile layer's view of each stored level: displayed shape, tile shape, scale and translation."""
    r, c = layout.row, layout.col
    return [
        LevelGeometry(
            shape=(level.shape[r], level.shape[c]),
            tile=_tile_shape((level.chunks[r], level.chunks[c])),
            scale=(level.scale[r], level.scale[c]),
            translation=(level.translation[r], level.translation[c]),
        )
        for level in levels
    ]


def _tile_shape(chunks: tuple[int, int]) -> tuple[int, int]:
    min_tile = min(MIN_TILE, max(min(chunks), 1) * MAX_CHUNKS_PER_SIDE)
    return tile_shape_for(chunks, min_tile=min_tile)


class TileLoader:
    """Reads tile (level, plane, ty, tx) packed for upload (`formats.pack_channels`).

    Channels are `channels` (a range of the channel axis; ignored when there is none),
    converted to `dtype` (default: the type the GPU takes, so uploads need no copy).
    Levels past the stored ones are virtual (`tiles.virtual`): downsampled on demand with
    `method` ("mean" for intensities, "mode" for label maps), absent chunks skipped unread.
    `tile_seconds`: a running mean of how long the last tiles took (any level).
    """

    def __init__(self, levels: Sequence[Level], layout: PlaneLayout, channels: range = range(1),
                 dtype: np.dtype | None = None, method: Method = "mean",
                 window_pixels: int = DEFAULT_WINDOW_PIXELS, cache_bytes: int = VIRTUAL_CACHE_BYTES) -> None:
        self._levels = list(levels)
        self._layout = layout
        self._channels = channels
        self.dtype = texture_dtype(levels[0].dtype) if dtype is None else np.dtype(dtype)
        stored = level_geometries(levels, layout)
        count = 1 if layout.channel is None else len(range(*slice(channels.start, channels.stop).indices(levels[0].shape[layout.channel])))
        coarsest = self._levels[-1]
        self.pyramid = VirtualPyramid(
            stored, self._read_stored, count, self.dtype, method=method,
            fill=np.array(coarsest.array.fill_value).astype(self.dtype), absent=self.box_absent,
            chunk=self.coarsest_chunk,
            window_pixels=window_pixels, cache_bytes=cache_bytes,
        )
        self.tile_seconds: float | None = None

    @property
    def geometries(self) -> list[LevelGeometry]:
        """The stored levels' geometries followed by the virtual ones."""
        return self.pyramid.geometries

    def __call__(self, key: TileKey) -> np.ndarray:
        return pack_channels(self.read(key))

    def built(self, key: TileKey) -> np.ndarray | None:
        """Virtual tile `key` packed for upload if it is built and still cached, else None."""
        tile = self.pyramid.cache.get(key)
        return None if tile is None else pack_channels(tile)

    def read(self, key: TileKey) -> np.ndarray:
        """The tile as a C-contiguous (channels, rows, cols) array (read-only when virtual)."""
        start = time.perf_counter()
        tile = self.pyramid.tile(key)
        elapsed, last = time.perf_counter() - start, self.tile_seconds
        self.tile_seconds = elapsed if last is None else last + 0.2 * (elapsed - last)
        return tile

    def _region(self, index: int, plane: tuple[int, ...], box: tuple[int, int, int, int]) -> tuple[slice, ...]:
        """The array region of stored level `index` under pixel `box` of plane `plane`."""
        level = self._levels[index]
        layout = self._layout
        r0, r1, c0, c1 = box
        region = [slice(None)] * len(level.shape)
        region[layout.row] = slice(r0, r1)
        region[layout.col] = slice(c0, c1)
        finest = self._levels[0].shape
        for axis, value in zip(layout.sliders, plane):
            i = level_index(value, finest[axis], level.shape[axis])
            region[axis] = slice(i, i + 1)
        if layout.channel is not None:
            region[layout.channel] = slice(self._channels.start, self._channels.stop)
        return tuple(region)

    def _read_stored(self, key: TileKey, out: np.ndarray | None = None) -> np.ndarray:
        box = self.pyramid.geometries[key.level].tile_box(key.ty, key.tx)
        return self.read_box(key.level, key.plane, box, out)

    def read_box(self, index: int, plane: tuple[int, ...], box: tuple[int, int, int, int],
                 out: np.ndarray | None = None) -> np.ndarray:
        """Pixel box (r0, r1, c0, c1) of stored level `index` on `plane` as (channels, rows, cols).

        `out` (that shape, this loader's dtype, C-contiguous) is a buffer to decode into: it is
        filled and returned when the stored array's type and axis order allow, else ignored.
        """
        layout = self._layout
        r0, r1, c0, c1 = box
        array = self._levels[index].array
        region = self._region(index, plane, box)
        shown = ([layout.channel] if layout.channel is not None else []) + [layout.row, layout.col]
        rest = [a for a in range(len(region)) if a not in shown]  # the size-1 slider axes
        sizes = [len(range(*s.indices(n))) for s, n in zip(region, array.shape)]
        channels = 1 if layout.channel is None else sizes[layout.channel]
        if (out is not None and out.shape == (channels, r1 - r0, c1 - c0) and out.dtype == array.dtype
                and out.flags.c_contiguous and shown == sorted(shown) and all(sizes[a] == 1 for a in rest)):
            array.read(region, out=out.reshape(sizes))  # the same memory order as (channels, rows, cols)
            return out
        data = np.transpose(array.read(region), rest + shown).reshape(-1, r1 - r0, c1 - c0)
        return np.ascontiguousarray(data, dtype=self.dtype)

    def box_absent(self, index: int, plane: tuple[int, ...], box: tuple[int, int, int, int]) -> bool:
        """True when nothing is stored under the box (see `ZarrArray.region_absent`)."""
        return self._levels[index].array.region_absent(self._region(index, plane, box))

    @property
    def coarsest_chunk(self) -> tuple[int, int]:
        """Chunk shape (rows, cols) of the coarsest stored level."""
        level = self._levels[-1]
        return (level.chunks[self._layout.row], level.chunks[self._layout.col])


class LabelTileLoader:
    """Reads a label-map tile and colours it: (rows, cols, 4) RGBA uint8 (virtual levels by mode)."""

    def __init__(self, levels: Sequence[Level], layout: PlaneLayout, colors: dict[int, RGBA]) -> None:
        self._reader = TileLoader(levels, layout, dtype=levels[0].dtype, method="mode")  # values stay exact
        self._colors = colors

    @property
    def geometries(self) -> list[LevelGeometry]:
        return self._reader.geometries

    @property
    def tile_seconds(self) -> float | None:
        return self._reader.tile_seconds

    def read(self, key: TileKey) -> np.ndarray:
        """The label ids of tile `key`, (1, rows, cols)."""
        return self._reader.read(key)

    def __call__(self, key: TileKey) -> np.ndarray:
        return colorize_labels(self._reader.read(key)[0], self._colors)

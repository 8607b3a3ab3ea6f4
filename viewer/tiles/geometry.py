"""Tile grids, visible world rectangles and level-of-detail selection (pure numbers, no I/O).

World coordinates: x to the right, y downwards. Pixel (row r, col c) of a level covers
x in [tx + c*sx, tx + (c+1)*sx) and y in [ty + r*sy, ty + (r+1)*sy).
Tile indices are (ty, tx) = (tile row, tile column).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

Rect = tuple[float, float, float, float]
"""A world rectangle (x0, y0, x1, y1), half-open."""

TileRange = tuple[range, range]
"""Tile rows and tile columns of a grid."""

# Tolerance, in tiles or relative scale, that absorbs float round-off at exact boundaries.
_EPS = 1e-9


@dataclass(frozen=True)
class LevelGeometry:
    """One resolution level: pixel shape, tile shape, scale (sy, sx) and translation (ty, tx).

    `virtual`: not stored in the file but built on demand from the finer levels.
    """

    shape: tuple[int, int]
    tile: tuple[int, int]
    scale: tuple[float, float]
    translation: tuple[float, float] = (0.0, 0.0)
    virtual: bool = False

    def __post_init__(self) -> None:
        if min(self.shape) < 0:
            raise ValueError(f"negative shape {self.shape}")
        if min(self.tile) < 1:
            raise ValueError(f"tile must be at least 1x1, got {self.tile}")
        if not all(math.isfinite(s) and s > 0 for s in self.scale):
            raise ValueError(f"scale must be finite and positive, got {self.scale}")

    @property
    def grid(self) -> tuple[int, int]:
        """Number of tiles (rows, cols)."""
        return (-(-self.shape[0] // self.tile[0]), -(-self.shape[1] // self.tile[1]))

    def tile_box(self, ty: int, tx: int) -> tuple[int, int, int, int]:
        """Pixel bounds (r0, r1, c0, c1) of tile (ty, tx), clipped to the shape."""
        rows, cols = self.grid
        if not (0 <= ty < rows and 0 <= tx < cols):
            raise IndexError(f"tile ({ty}, {tx}) outside grid {self.grid}")
        r0, c0 = ty * self.tile[0], tx * self.tile[1]
        r1 = min(r0 + self.tile[0], self.shape[0])
        c1 = min(c0 + self.tile[1], self.shape[1])
        return (r0, r1, c0, c1)

    def tile_world_box(self, ty: int, tx: int) -> Rect:
        """World rectangle (x0, y0, x1, y1) covered by tile (ty, tx), clipped to the image."""
        r0, r1, c0, c1 = self.tile_box(ty, tx)
        (sy, sx), (oy, ox) = self.scale, self.translation
        return (ox + c0 * sx, oy + r0 * sy, ox + c1 * sx, oy + r1 * sy)

    @property
    def world_bounds(self) -> Rect:
        """World rectangle (x0, y0, x1, y1) covered by the whole level."""
        (sy, sx), (oy, ox) = self.scale, self.translation
        return (ox, oy, ox + self.shape[1] * sx, oy + self.shape[0] * sy)


@dataclass(frozen=True)
class View:
    """The visible world rectangle and the canvas size (width, height) in device pixels.

    A degenerate view (x1 <= x0, y1 <= y0 or an empty canvas) shows nothing.
    """

    x0: float
    y0: float
    x1: float
    y1: float
    canvas_px: tuple[int, int]

    @property
    def rect(self) -> Rect:
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def centre(self) -> tuple[float, float]:
        """World (x, y) of the view centre."""
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    @property
    def screen_pixel(self) -> float:
        """World size of one device pixel: the finer of the x and y pixel sizes."""
        width, height = max(self.canvas_px[0], 1), max(self.canvas_px[1], 1)
        return min((self.x1 - self.x0) / width, (self.y1 - self.y0) / height)


def tile_shape_for(
    chunks: tuple[int, int], max_tile: int = 1024, min_tile: int = 256
) -> tuple[int, int]:
    """Tile shape for a storage chunk shape; tiles never straddle chunk boundaries.

    Per axis: a chunk in [min_tile, max_tile] is one tile. A larger chunk is split into its
    largest divisor in [min_tile, max_tile]; if it has none, into its smallest divisor above
    max_tile (at worst the chunk itself, so tiles may exceed max_tile for odd chunk sizes).
    A smaller chunk is grouped into the largest multiple of it that is <= min_tile.
    """
    if not 0 < min_tile <= max_tile:
        raise ValueError(f"need 0 < min_tile <= max_tile, got {min_tile}, {max_tile}")
    if min(chunks) < 1:
        raise ValueError(f"chunks must be positive, got {chunks}")
    return (
        _tile_length(chunks[0], max_tile, min_tile),
        _tile_length(chunks[1], max_tile, min_tile),
    )


def _tile_length(chunk: int, max_tile: int, min_tile: int) -> int:
    if chunk < min_tile:
        return chunk * (min_tile // chunk)
    if chunk <= max_tile:
        return chunk
    divisors = _divisors(chunk)
    fitting = [d for d in divisors if min_tile <= d <= max_tile]
    if fitting:
        return max(fitting)
    return min(d for d in divisors if d > max_tile)


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return small + [n // d for d in small]


def choose_level(levels: Sequence[LevelGeometry], view: View, bias: float = 0.0) -> int:
    """Index of the coarsest level whose pixels are no larger than one screen pixel * 2**bias.

    Levels are ordered finest first. A level's pixel size is the larger of sy and sx, so an
    anisotropic level is only chosen when its coarser axis is fine enough. If even level 0
    is coarser than a screen pixel, level 0 is returned (magnified).
    Positive bias accepts coarser levels (faster), negative bias sharper ones.
    """
    if not levels:
        raise ValueError("no levels")
    limit = view.screen_pixel * 2.0**bias * (1 + _EPS)
    chosen = 0
    for index, level in enumerate(levels):
        if max(level.scale) <= limit:
            chosen = index
    return chosen


def tile_range(level: LevelGeometry, rect: Rect) -> TileRange | None:
    """Tiles of `level` intersecting the world rectangle, or None when they do not intersect."""
    x0, y0, x1, y1 = rect
    bx0, by0, bx1, by1 = level.world_bounds
    x0, y0, x1, y1 = max(x0, bx0), max(y0, by0), min(x1, bx1), min(y1, by1)
    if x1 <= x0 or y1 <= y0:
        return None
    (sy, sx), (oy, ox) = level.scale, level.translation
    tile_h, tile_w = level.tile[0] * sy, level.tile[1] * sx
    rows, cols = level.grid
    row_range = _index_range((y0 - oy) / tile_h, (y1 - oy) / tile_h, rows)
    col_range = _index_range((x0 - ox) / tile_w, (x1 - ox) / tile_w, cols)
    if not row_range or not col_range:
        return None
    return (row_range, col_range)


def _index_range(start: float, stop: float, count: int) -> range:
    """Tile indices overlapping [start, stop) given in tile units, clipped to [0, count)."""
    first = max(math.floor(start + _EPS), 0)
    last = min(math.ceil(stop - _EPS), count)
    return range(first, last)


def visible_tiles(
    level: LevelGeometry, view: View, margin: int = 1
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(visible tiles, prefetch ring `margin` tiles wide around them).

    Both are row-major and clipped to the grid; both are empty when the view misses the image.
    """
    if min(view.canvas_px) < 1:
        return [], []
    found = tile_range(level, view.rect)
    if found is None:
        return [], []
    rows, cols = found
    visible = [(ty, tx) for ty in rows for tx in cols]
    grid_rows, grid_cols = level.grid
    ring = [
        (ty, tx)
        for ty in range(max(rows.start - margin, 0), min(rows.stop + margin, grid_rows))
        for tx in range(max(cols.start - margin, 0), min(cols.stop + margin, grid_cols))
        if not (ty in rows and tx in cols)
    ]
    return visible, ring

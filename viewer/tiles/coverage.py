"""What to draw now: the chosen level where cached, coarser cached tiles over the holes."""

from __future__ import annotations

from typing import Hashable, Protocol, Sequence

import numpy as np

from .geometry import LevelGeometry, Rect, View, tile_range, visible_tiles
from .scheduler import TileKey


class TileSource(Protocol):
    """Where drawable tiles are looked up: the tile cache, or the renderer's texture store."""

    def get(self, key: Hashable) -> object | None: ...

    def __contains__(self, key: object) -> bool: ...


def tiles_to_draw(
    levels: Sequence[LevelGeometry],
    view: View,
    plane: tuple[int, ...],
    cache: TileSource,
    chosen_level: int,
) -> list[tuple[TileKey, np.ndarray]]:
    """Cached tiles that together show the view as sharply as possible, coarsest first.

    Each visible tile of `chosen_level` is drawn if cached; otherwise its visible part is
    filled from coarser levels, finest first, until some level covers it completely (tiles of
    finer levels that cover it partly are kept too). Painting in list order puts finer tiles
    over coarser ones. Each tile appears once.
    """
    unique = {key: item for key, item, _ in draw_plan(levels, view, plane, cache, chosen_level)}
    return list(unique.items())


def draw_plan(
    levels: Sequence[LevelGeometry],
    view: View,
    plane: tuple[int, ...],
    cache: TileSource,
    chosen_level: int,
) -> list[tuple[TileKey, object, Rect]]:
    """What `tiles_to_draw` shows, as (key, tile, clip) pieces that paint each point once.

    A visible tile of `chosen_level` that is available is drawn whole (clip = its box). Each
    missing one is filled, within its visible part, from the finest coarser level that has every tile
    covering it; a coarser tile that fills several holes is drawn once per hole, or once over the
    holes' bounding box when that box is exactly their union. Pieces of a level that covers a
    hole only partly are kept too (under them, the coarser fill), as in `tiles_to_draw`.
    Coarsest first; a coarse tile is never drawn under an available finer one, so no fragment
    is shaded twice where the chosen level is present.
    """
    clips: dict[TileKey, list[Rect]] = {}
    items: dict[TileKey, object] = {}
    level = levels[chosen_level]
    for ty, tx in visible_tiles(level, view, margin=0)[0]:
        key = TileKey(chosen_level, plane, ty, tx)
        box = level.tile_world_box(ty, tx)
        item = cache.get(key)
        if item is not None:
            items[key] = item
            clips[key] = [box]
            continue
        hole = _intersection(box, view.rect)
        for index in range(chosen_level + 1, len(levels)):
            found = tile_range(levels[index], hole)
            if found is None:
                continue
            rows, cols = found
            complete = True
            for cty in rows:
                for ctx in cols:
                    ckey = TileKey(index, plane, cty, ctx)
                    citem = items.get(ckey)
                    if citem is None:
                        citem = cache.get(ckey)
                    if citem is None:
                        complete = False
                        continue
                    piece = _intersection(levels[index].tile_world_box(cty, ctx), hole)
                    if piece[0] < piece[2] and piece[1] < piece[3]:
                        items[ckey] = citem
                        clips.setdefault(ckey, []).append(piece)
            if complete:
                break
    order = sorted(items, key=lambda k: (-k.level, k.ty, k.tx))
    return [(key, items[key], clip) for key in order for clip in _merge(clips[key])]


def _merge(rects: list[Rect]) -> list[Rect]:
    """[bounding box] when the (disjoint) rectangles exactly tile it, else the rectangles."""
    if len(rects) < 2:
        return rects
    x0 = min(r[0] for r in rects)
    y0 = min(r[1] for r in rects)
    x1 = max(r[2] for r in rects)
    y1 = max(r[3] for r in rects)
    area = sum((r[2] - r[0]) * (r[3] - r[1]) for r in rects)
    if abs(area - (x1 - x0) * (y1 - y0)) <= 1e-9 * max(area, 1e-300):
        return [(x0, y0, x1, y1)]
    return rects


def fully_sharp(
    levels: Sequence[LevelGeometry],
    view: View,
    plane: tuple[int, ...],
    cache: TileSource,
    chosen_level: int,
) -> bool:
    """True when every visible tile of `chosen_level` is cached (also when none is visible)."""
    visible = visible_tiles(levels[chosen_level], view, margin=0)[0]
    return all(TileKey(chosen_level, plane, ty, tx) in cache for ty, tx in visible)


def _intersection(a: Rect, b: Rect) -> Rect:
    return (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))

import numpy as np

from viewer.tiles.cache import TileCache
from viewer.tiles.coverage import fully_sharp, tiles_to_draw
from viewer.tiles.geometry import LevelGeometry, View
from viewer.tiles.scheduler import TileKey

# Factor 2: 4x4, 2x2 and 1x1 tiles; level tiles are 10, 20 and 40 world units wide.
PYRAMID = [
    LevelGeometry((40, 40), (10, 10), (1.0, 1.0)),
    LevelGeometry((20, 20), (10, 10), (2.0, 2.0)),
    LevelGeometry((10, 10), (10, 10), (4.0, 4.0)),
]
WHOLE = View(0, 0, 40, 40, canvas_px=(40, 40))
PLANE = (3, 0)


def K(level: int, ty: int, tx: int) -> TileKey:
    return TileKey(level, PLANE, ty, tx)


def cache_with(*keys: TileKey) -> TileCache:
    cache = TileCache(1 << 20)
    for key in keys:
        cache.put(key, np.full((2, 2), key.level, dtype=np.uint8))
    return cache


def keys_of(draw_list) -> list[TileKey]:
    return [key for key, _ in draw_list]


def test_nothing_cached_draws_nothing():
    assert tiles_to_draw(PYRAMID, WHOLE, PLANE, cache_with(), 0) == []


def test_coarse_tile_covers_holes_and_fine_tiles_paint_over_it():
    cache = cache_with(K(2, 0, 0), K(0, 0, 0), K(0, 3, 2))
    draw = tiles_to_draw(PYRAMID, WHOLE, PLANE, cache, 0)
    assert keys_of(draw) == [K(2, 0, 0), K(0, 0, 0), K(0, 3, 2)]
    assert draw[0][1] is cache.get(K(2, 0, 0))


def test_fine_tiles_replace_coarse_ones_when_complete():
    fine = [K(0, ty, tx) for ty in range(4) for tx in range(4)]
    cache = cache_with(K(2, 0, 0), K(1, 0, 0), *fine)
    assert keys_of(tiles_to_draw(PYRAMID, WHOLE, PLANE, cache, 0)) == fine
    assert fully_sharp(PYRAMID, WHOLE, PLANE, cache, 0)


def test_finest_covering_level_wins_and_no_duplicates():
    # L1 (0, 0) covers the four top-left holes; the other twelve need L2, listed once.
    cache = cache_with(K(2, 0, 0), K(1, 0, 0))
    assert keys_of(tiles_to_draw(PYRAMID, WHOLE, PLANE, cache, 0)) == [K(2, 0, 0), K(1, 0, 0)]
    # Without the coarsest tile the rest stays blank; L1 is still used where it helps.
    cache = cache_with(K(1, 0, 0))
    assert keys_of(tiles_to_draw(PYRAMID, WHOLE, PLANE, cache, 0)) == [K(1, 0, 0)]


def test_other_planes_do_not_count():
    cache = TileCache(1 << 20)
    cache.put(TileKey(2, (4, 0), 0, 0), np.zeros((2, 2), np.uint8))
    assert tiles_to_draw(PYRAMID, WHOLE, PLANE, cache, 0) == []


def test_hole_only_needs_its_visible_part():
    view = View(0, 0, 15, 15, canvas_px=(15, 15))
    # Tile L0 (1, 1) spans 10..20 but only 10..15 is visible: inside L1 (0, 0) alone.
    cache = cache_with(K(0, 0, 0), K(0, 0, 1), K(0, 1, 0), K(1, 0, 0))
    assert keys_of(tiles_to_draw(PYRAMID, view, PLANE, cache, 0)) == [
        K(1, 0, 0), K(0, 0, 0), K(0, 0, 1), K(0, 1, 0)
    ]  # fmt: skip
    assert not fully_sharp(PYRAMID, view, PLANE, cache, 0)


def test_non_aligned_factor_three_levels():
    levels = [
        LevelGeometry((60, 60), (16, 16), (1.0, 1.0)),  # tiles at 0, 16, 32, 48 (to 60)
        LevelGeometry((20, 20), (10, 10), (3.0, 3.0)),  # tiles at 0, 30 (to 60)
        LevelGeometry((7, 7), (10, 10), (9.0, 9.0)),  # one tile to 63
    ]
    view = View(0, 0, 60, 16, canvas_px=(60, 16))
    cache = cache_with(K(0, 0, 0), K(1, 0, 0), K(2, 0, 0))
    # L0 (0, 1) spans 16..32, straddling L1 (0, 0) and the missing L1 (0, 1): L2 is needed.
    assert keys_of(tiles_to_draw(levels, view, PLANE, cache, 0)) == [
        K(2, 0, 0), K(1, 0, 0), K(0, 0, 0)
    ]  # fmt: skip
    cache.put(K(1, 0, 1), np.zeros((2, 2), np.uint8))
    assert keys_of(tiles_to_draw(levels, view, PLANE, cache, 0)) == [
        K(1, 0, 0), K(1, 0, 1), K(0, 0, 0)
    ]  # fmt: skip


def test_chosen_coarse_level_draws_only_its_tiles():
    cache = cache_with(K(2, 0, 0), K(1, 0, 1), K(0, 0, 0))
    assert keys_of(tiles_to_draw(PYRAMID, WHOLE, PLANE, cache, 2)) == [K(2, 0, 0)]
    assert fully_sharp(PYRAMID, WHOLE, PLANE, cache, 2)
    assert not fully_sharp(PYRAMID, WHOLE, PLANE, cache, 1)


def test_view_outside_image():
    view = View(100, 100, 140, 140, canvas_px=(40, 40))
    cache = cache_with(K(2, 0, 0))
    assert tiles_to_draw(PYRAMID, view, PLANE, cache, 0) == []
    assert fully_sharp(PYRAMID, view, PLANE, cache, 0)


def test_magnified_finest_level_uses_coarse_fallback():
    view = View(12, 12, 14, 14, canvas_px=(400, 400))  # level 0 magnified 200x
    cache = cache_with(K(2, 0, 0))
    assert keys_of(tiles_to_draw(PYRAMID, view, PLANE, cache, 0)) == [K(2, 0, 0)]
    cache.put(K(0, 1, 1), np.zeros((2, 2), np.uint8))
    assert keys_of(tiles_to_draw(PYRAMID, view, PLANE, cache, 0)) == [K(0, 1, 1)]


# ---- draw_plan: the same coverage, clipped so that no point is painted twice ------------------
def _area(rect) -> float:
    return max(rect[2] - rect[0], 0) * max(rect[3] - rect[1], 0)


def _overlap(a, b) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def test_draw_plan_clips_the_coarse_fill_to_the_holes():
    from viewer.tiles.coverage import draw_plan

    cache = cache_with(K(2, 0, 0), K(0, 0, 0), K(0, 3, 2))
    plan = draw_plan(PYRAMID, WHOLE, PLANE, cache, 0)
    assert {key for key, _, _ in plan} == set(keys_of(tiles_to_draw(PYRAMID, WHOLE, PLANE, cache, 0)))
    assert plan[0][0] == K(2, 0, 0)  # coarsest first
    fine = [clip for key, _, clip in plan if key.level == 0]
    assert sorted(fine) == [(0.0, 0.0, 10.0, 10.0), (20.0, 30.0, 30.0, 40.0)]
    pieces = [clip for _, _, clip in plan]
    assert sum(_area(p) for p in pieces) == 40 * 40  # the view, each point once
    for i, a in enumerate(pieces):
        for b in pieces[i + 1:]:
            assert _overlap(a, b) == 0


def test_draw_plan_merges_holes_that_tile_a_rectangle():
    from viewer.tiles.coverage import draw_plan

    cache = cache_with(K(1, 0, 0), K(1, 0, 1), K(1, 1, 0), K(1, 1, 1))
    plan = draw_plan(PYRAMID, WHOLE, PLANE, cache, 0)
    assert [(key, clip) for key, _, clip in plan] == [
        (K(1, 0, 0), (0.0, 0.0, 20.0, 20.0)), (K(1, 0, 1), (20.0, 0.0, 40.0, 20.0)),
        (K(1, 1, 0), (0.0, 20.0, 20.0, 40.0)), (K(1, 1, 1), (20.0, 20.0, 40.0, 40.0))]
    cache.put(K(0, 0, 0), np.zeros((2, 2), np.uint8))
    plan = draw_plan(PYRAMID, WHOLE, PLANE, cache, 0)
    under = sorted(clip for key, _, clip in plan if key == K(1, 0, 0))
    assert under == [(0.0, 10.0, 10.0, 20.0), (10.0, 0.0, 20.0, 10.0), (10.0, 10.0, 20.0, 20.0)]

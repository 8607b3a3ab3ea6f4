import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.tiles.geometry import (
    LevelGeometry,
    View,
    choose_level,
    tile_range,
    tile_shape_for,
    visible_tiles,
)

ODD = LevelGeometry(shape=(1000, 777), tile=(256, 256), scale=(1.0, 1.0))


def view(x0: float, y0: float, x1: float, y1: float, canvas=(100, 100)) -> View:
    return View(x0, y0, x1, y1, canvas_px=canvas)


# --- LevelGeometry -----------------------------------------------------------------------


def test_grid_and_clipped_tile_box_for_odd_shape():
    assert ODD.grid == (4, 4)
    assert ODD.tile_box(0, 0) == (0, 256, 0, 256)
    assert ODD.tile_box(3, 3) == (768, 1000, 768, 777)
    assert ODD.tile_box(1, 3) == (256, 512, 768, 777)


def test_tile_box_outside_grid_raises():
    with pytest.raises(IndexError):
        ODD.tile_box(4, 0)
    with pytest.raises(IndexError):
        ODD.tile_box(0, -1)


def test_tile_world_box_uses_anisotropic_scale_and_translation():
    level = LevelGeometry((1000, 777), (256, 256), scale=(2.0, 0.5), translation=(10.0, -5.0))
    assert level.tile_world_box(1, 2) == (251.0, 522.0, 379.0, 1034.0)
    assert level.tile_world_box(3, 3) == (379.0, 1546.0, 383.5, 2010.0)
    assert level.world_bounds == (-5.0, 10.0, 383.5, 2010.0)


def test_single_tiny_level_is_one_tile():
    level = LevelGeometry((3, 2), (256, 256), (9.0, 9.0))
    assert level.grid == (1, 1)
    assert level.tile_box(0, 0) == (0, 3, 0, 2)


def test_invalid_geometry_is_rejected():
    with pytest.raises(ValueError):
        LevelGeometry((10, 10), (0, 256), (1.0, 1.0))
    with pytest.raises(ValueError):
        LevelGeometry((10, 10), (256, 256), (1.0, 0.0))


# --- tile_shape_for ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chunks, expected",
    [
        ((512, 512), (512, 512)),  # in range: tile = chunk
        ((4096, 3000), (1024, 1000)),  # largest divisor <= 1024
        ((64, 100), (256, 200)),  # grouped: largest multiple <= 256
        ((200, 1024), (200, 1024)),
        ((4099, 3093), (4099, 1031)),  # prime -> whole chunk; 3*1031 -> 1031
        ((1, 256), (256, 256)),
    ],
)
def test_tile_shape_for_hand_computed(chunks, expected):
    assert tile_shape_for(chunks) == expected


def test_tile_shape_for_custom_limits():
    assert tile_shape_for((2048, 96), max_tile=512, min_tile=128) == (512, 96)


def test_tile_shape_for_rejects_bad_arguments():
    with pytest.raises(ValueError):
        tile_shape_for((0, 10))
    with pytest.raises(ValueError):
        tile_shape_for((10, 10), max_tile=100, min_tile=200)


@settings(deadline=None)
@given(chunk=st.integers(1, 20000))
def test_tiles_never_straddle_chunk_boundaries(chunk):
    tile = tile_shape_for((chunk, chunk))[0]
    if tile <= chunk:
        assert chunk % tile == 0
    else:
        assert tile % chunk == 0 and tile <= 256
    if chunk > 1024 and tile > 1024:
        assert not any(chunk % d == 0 for d in range(256, 1025))


# --- choose_level -------------------------------------------------------------------------

FACTOR3 = [LevelGeometry((2700, 2700), (256, 256), (3.0**i, 3.0**i)) for i in range(4)]


@pytest.mark.parametrize(
    "screen_px, bias, expected",
    [
        (10.0, 0.0, 2),  # 9 <= 10 < 27
        (9.0, 0.0, 2),  # exactly one level pixel per screen pixel
        (8.99, 0.0, 1),
        (0.5, 0.0, 0),  # zoomed into the finest level: magnified
        (1000.0, 0.0, 3),  # zoomed out beyond the coarsest level
        (5.0, 1.0, 2),  # bias +1 accepts pixels up to 10
        (10.0, -1.0, 1),  # bias -1 requires pixels up to 5
    ],
)
def test_choose_level_non_power_of_two(screen_px, bias, expected):
    v = view(0, 0, 100 * screen_px, 100 * screen_px)
    assert choose_level(FACTOR3, v, bias) == expected


def test_choose_level_uses_finer_screen_axis():
    # x: 10 units/px, y: 5 units/px -> 5 -> level 1 (scale 3)
    assert choose_level(FACTOR3, view(0, 0, 1000, 500)) == 1


def test_choose_level_anisotropic_uses_larger_scale():
    levels = [
        LevelGeometry((100, 100), (16, 16), (1.0, 0.5)),
        LevelGeometry((50, 50), (16, 16), (2.0, 1.0)),
        LevelGeometry((25, 25), (16, 16), (4.0, 2.0)),
    ]
    assert choose_level(levels, view(0, 0, 150, 150)) == 0  # 1.5: level 1 has 2 > 1.5
    assert choose_level(levels, view(0, 0, 200, 200)) == 1
    assert choose_level(levels, view(0, 0, 399, 399)) == 1


def test_choose_level_single_level():
    levels = [ODD]
    assert choose_level(levels, view(0, 0, 1, 1)) == 0
    assert choose_level(levels, view(0, 0, 1e6, 1e6)) == 0


def test_choose_level_needs_levels():
    with pytest.raises(ValueError):
        choose_level([], view(0, 0, 1, 1))


# --- visible_tiles --------------------------------------------------------------------------


def test_visible_tiles_and_ring_on_odd_shape():
    visible, ring = visible_tiles(ODD, view(300, 100, 600, 700))
    assert visible == [(0, 1), (0, 2), (1, 1), (1, 2), (2, 1), (2, 2)]
    assert ring == [(0, 0), (0, 3), (1, 0), (1, 3), (2, 0), (2, 3), (3, 0), (3, 1), (3, 2), (3, 3)]


def test_ring_is_clipped_and_margin_zero_gives_none():
    visible, ring = visible_tiles(ODD, view(0, 0, 10, 10), margin=2)
    assert visible == [(0, 0)]
    assert ring == [(0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
    assert visible_tiles(ODD, view(0, 0, 10, 10), margin=0) == ([(0, 0)], [])


def test_view_edges_on_tile_boundaries_are_half_open():
    visible, _ = visible_tiles(ODD, view(256, 0, 512, 256))
    assert visible == [(0, 1)]


def test_view_partly_outside_is_clipped():
    visible, ring = visible_tiles(ODD, view(700, -100, 5000, 50))
    assert visible == [(0, 2), (0, 3)]
    assert ring == [(0, 1), (1, 1), (1, 2), (1, 3)]


@pytest.mark.parametrize(
    "rect",
    [
        (2000, 0, 3000, 100),  # right of the image
        (0, -50, 100, 0),  # touching the top edge only
        (800, 0, 900, 100),  # inside the last tile's nominal extent, outside the image
        (10, 10, 10, 20),  # zero width
    ],
)
def test_view_not_intersecting_image_is_empty(rect):
    assert visible_tiles(ODD, view(*rect)) == ([], [])
    assert tile_range(ODD, rect) is None


def test_empty_canvas_shows_nothing():
    assert visible_tiles(ODD, view(0, 0, 100, 100, canvas=(0, 0))) == ([], [])


def test_visible_tiles_with_translation_and_anisotropic_scale():
    level = LevelGeometry((100, 100), (10, 10), scale=(2.0, 0.5), translation=(100.0, 50.0))
    # tiles are 5 wide and 20 high in world units
    assert visible_tiles(level, view(0, 0, 50, 100)) == ([], [])
    visible, _ = visible_tiles(level, view(52, 110, 58, 120))
    assert visible == [(0, 0), (0, 1)]


def test_coarse_single_tile_level_zoomed_out():
    top = LevelGeometry((3, 3), (256, 256), (27.0, 27.0))
    assert visible_tiles(top, view(-1e4, -1e4, 1e4, 1e4)) == ([(0, 0)], [])


@settings(deadline=None)  # timing varies on a shared 2-core machine
@given(
    shape=st.tuples(st.integers(0, 300), st.integers(0, 300)),
    tile=st.tuples(st.integers(1, 64), st.integers(1, 64)),
    scale=st.tuples(st.sampled_from([0.25, 0.5, 1.0, 3.0]), st.sampled_from([0.5, 1.0, 2.0])),
    origin=st.tuples(st.integers(-50, 50), st.integers(-50, 50)),
    rect=st.tuples(*[st.integers(-100, 500)] * 4),
)
def test_visible_tiles_match_brute_force_intersection(shape, tile, scale, origin, rect):
    level = LevelGeometry(shape, tile, scale, translation=(float(origin[0]), float(origin[1])))
    x0, y0, x1, y1 = rect
    visible, ring = visible_tiles(level, view(x0, y0, x1, y1), margin=1)
    expected = []
    for ty in range(level.grid[0]):
        for tx in range(level.grid[1]):
            bx0, by0, bx1, by1 = level.tile_world_box(ty, tx)
            if max(bx0, x0) < min(bx1, x1) and max(by0, y0) < min(by1, y1):  # overlap with area
                expected.append((ty, tx))
    assert visible == expected
    assert not set(ring) & set(visible)
    for ty, tx in ring:
        assert any(abs(ty - vy) <= 1 and abs(tx - vx) <= 1 for vy, vx in visible)

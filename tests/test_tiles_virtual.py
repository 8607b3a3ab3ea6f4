"""Virtual coarse levels in the tile layer: when, which geometry, downsampling, building (no files)."""

from __future__ import annotations

import threading
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from viewer.tiles import LevelGeometry, TileKey
from viewer.tiles.virtual import (
    VIRTUAL_MAX_SIDE,
    VirtualPyramid,
    covering_tiles,
    downsample,
    parent_box,
    virtual_geometries,
    virtual_level_count,
    virtual_tile_sides,
)


def mean_reference(data: np.ndarray) -> np.ndarray:
    """2 x 2 means of (channels, rows, cols), edges counted once, integers rounded half up."""
    c, h, w = data.shape
    padded = np.pad(data.astype(np.float64), ((0, 0), (0, h % 2), (0, w % 2)), mode="edge")
    means = padded.reshape(c, (h + 1) // 2, 2, (w + 1) // 2, 2).mean(axis=(2, 4))
    return np.floor(means + 0.5).astype(data.dtype) if data.dtype.kind in "iu" else means.astype(data.dtype)


def test_virtual_levels_are_added_for_one_level_or_a_too_large_coarsest_one() -> None:
    def geometry(side: int) -> LevelGeometry:
        return LevelGeometry((side, side), (512, 512), (1.0, 1.0))

    assert virtual_level_count(geometry(32768), 1) == 5  # 16384 ... 1024
    assert virtual_level_count(geometry(1000), 1) == 0  # small enough already
    assert virtual_level_count(geometry(2000), 1) == 1
    assert virtual_level_count(geometry(2048), 8) == 0  # a real pyramid whose coarsest level fits
    assert virtual_level_count(geometry(8192), 3, window_pixels=1600 * 1000) == 3  # > 4 windows
    assert virtual_level_count(geometry(2500), 3, window_pixels=1600 * 1000) == 0
    sides = virtual_tile_sides(5, 6, (256, 256), 512)
    assert sides == [512, 512, 512, 256, 128]  # a coarse tile stands for at most 4096^2 stored pixels
    assert virtual_tile_sides(5, 6, (8, 8), 256)[-1] == 128  # tiny chunks: smaller footprints, floor 128
    assert max(virtual_tile_sides(2, 12 * 4, (512, 512), 512)) <= 256  # 12 float channels: the gathered block stays small


def test_virtual_geometry_halves_and_keeps_the_origin() -> None:
    stored = LevelGeometry((3001, 2000), (512, 512), (0.5, 0.25), (10.0, 20.0))
    levels = virtual_geometries(stored, [512, 256])
    assert [g.shape for g in levels] == [(1501, 1000), (751, 500)]
    assert [g.scale for g in levels] == [(1.0, 0.5), (2.0, 1.0)]
    assert all(g.virtual and g.translation == (10.0, 20.0) for g in levels)
    assert levels[1].world_bounds[:2] == stored.world_bounds[:2]
    assert not stored.virtual
    assert parent_box(levels[1], levels[0], 2, 1) == (1024, 1501, 512, 1000)
    assert covering_tiles(levels[0], (1024, 1501, 512, 1000)) == [(2, 1)]
    assert covering_tiles(stored, (0, 1024, 512, 1100)) == [(0, 1), (0, 2), (1, 1), (1, 2)]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32, np.uint64, np.int64, np.float32])
def test_mean_downsampling_matches_numpy(dtype) -> None:
    rng = np.random.default_rng(3)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    low, high = (max(info.min, -2**40), min(info.max, 2**40)) if info else (0, 1000)
    data = rng.integers(low, high, (2, 37, 52), endpoint=True).astype(dtype)  # odd rows: the last row counts once
    np.testing.assert_array_equal(downsample(data, "mean"), mean_reference(data))


def test_float_means_ignore_nan() -> None:
    data = np.array([[[1.0, np.nan, np.nan, np.nan], [3.0, np.nan, np.nan, np.nan]]], np.float32)
    out = downsample(data, "mean")
    assert out.dtype == np.float32 and out[0, 0, 0] == 2.0 and np.isnan(out[0, 0, 1])


def test_mode_keeps_label_ids() -> None:
    labels = np.array([[[7, 7, 1, 2], [3, 7, 3, 4], [0, 0, 9, 9], [0, 5, 8, 8]]], np.uint32)
    out = downsample(labels, "mode")
    assert out.tolist() == [[[7, 1], [0, 9]]]  # majority; a tie keeps the top-left value
    rng = np.random.default_rng(4)
    many = rng.choice(np.array([0, 3, 70000, 2**31 + 5], np.uint32), size=(1, 63, 65))
    assert set(np.unique(downsample(many, "mode"))) <= {0, 3, 70000, 2**31 + 5}


class CountingSource:
    """Stored tiles of one array (channels, rows, cols), cut by geometry, counting reads."""

    def __init__(self, data: np.ndarray, tile: int) -> None:
        self.data = data
        self.geometry = LevelGeometry(data.shape[1:], (tile, tile), (1.0, 1.0))
        self.reads: list[TileKey] = []
        self.buffers: list[tuple[int, int] | None] = []  # (thread, address) of each read's buffer
        self.lock = threading.Lock()

    def __call__(self, key: TileKey, out: np.ndarray | None = None) -> np.ndarray:
        assert key.level == 0
        with self.lock:
            self.reads.append(key)
            self.buffers.append(None if out is None else (threading.get_ident(), out.ctypes.data))
        r0, r1, c0, c1 = self.geometry.tile_box(key.ty, key.tx)
        if out is None:
            return np.ascontiguousarray(self.data[:, r0:r1, c0:c1])
        out[...] = self.data[:, r0:r1, c0:c1]
        return out


def assemble(pyramid: VirtualPyramid, level: int) -> np.ndarray:
    rows, cols = pyramid.geometries[level].grid
    return np.concatenate([np.concatenate([pyramid.tile(TileKey(level, (), ty, tx)) for tx in range(cols)], axis=2)
                           for ty in range(rows)], axis=1)


@pytest.mark.parametrize("tile", [256, 375])  # odd stored tiles (odd chunk shapes) are gathered whole first
def test_virtual_tiles_equal_repeated_downsampling_and_read_the_stored_data_once(tile: int) -> None:
    data = np.random.default_rng(5).integers(0, 60000, (2, 2500, 2100)).astype(np.uint16)
    source = CountingSource(data, tile)
    pyramid = VirtualPyramid([source.geometry], source, 2, np.uint16, cache_bytes=64 << 20)
    assert pyramid.virtual_count == 2  # 2500 -> 1250 -> 625
    coarsest = assemble(pyramid, 2)
    reference = mean_reference(mean_reference(data))
    np.testing.assert_array_equal(coarsest, reference)
    np.testing.assert_array_equal(assemble(pyramid, 1), mean_reference(data))
    if tile % 2:
        return  # stored tiles straddle virtual ones: some are read twice
    rows, cols = source.geometry.grid
    assert sorted(source.reads) == sorted(TileKey(0, (), ty, tx) for ty in range(rows) for tx in range(cols))
    assert len(source.reads) == rows * cols  # deeper levels were built from shallower ones (and cached)


def test_a_build_holds_one_finer_tile_at_a_time() -> None:
    """Building the coarsest tile recurses through every virtual level; what it holds at once is
    about one tile per level, not the finer block per level (4 tiles each)."""
    data = np.random.default_rng(8).integers(0, 60000, (3, 8192, 8192)).astype(np.uint16)
    source = CountingSource(data, 512)
    pyramid = VirtualPyramid([source.geometry], source, 3, np.uint16, cache_bytes=1)  # nothing kept
    coarsest = len(pyramid.geometries) - 1
    assert pyramid.geometries[1].tile == (512, 512)
    tile_bytes = 3 * 512 * 512 * 2
    tracemalloc.start()
    try:
        pyramid.tile(TileKey(coarsest, (), 0, 0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(source.reads) == 64  # the tile stands for 4096^2 stored pixels
    assert peak < 6 * tile_bytes, peak / tile_bytes


def test_stored_tiles_read_for_building_go_into_one_buffer_per_thread() -> None:
    data = np.random.default_rng(11).integers(0, 60000, (2, 2048, 2048)).astype(np.uint16)
    source = CountingSource(data, 256)
    pyramid = VirtualPyramid([source.geometry], source, 2, np.uint16, cache_bytes=1)  # every build reads
    coarsest = len(pyramid.geometries) - 1
    rows, cols = pyramid.geometries[coarsest].grid
    keys = [TileKey(coarsest, (), ty, tx) for ty in range(rows) for tx in range(cols)]
    with ThreadPoolExecutor(2) as pool:
        tiles = list(pool.map(pyramid.tile, keys))
    expected = data
    for _ in range(coarsest):
        expected = mean_reference(expected)
    (th, tw) = pyramid.geometries[coarsest].tile
    for key, tile in zip(keys, tiles):
        np.testing.assert_array_equal(tile, expected[:, key.ty * th:(key.ty + 1) * th, key.tx * tw:(key.tx + 1) * tw])
    assert len(source.reads) == 64 and None not in source.buffers
    per_thread: dict[int, set[int]] = {}
    for thread, address in source.buffers:
        per_thread.setdefault(thread, set()).add(address)
    assert all(len(addresses) == 1 for addresses in per_thread.values())  # 64 reads, one buffer each thread
    stored = pyramid.tile(TileKey(0, (), 0, 0))  # a stored tile asked for itself is the caller's to keep
    assert source.buffers[-1] is None and stored.flags.owndata


def test_labels_build_by_mode_and_keep_valid_ids() -> None:
    rng = np.random.default_rng(6)
    ids = np.array([0, 11, 12, 40000], np.uint32)
    data = ids[rng.integers(0, 4, (1, 2300, 1100))]
    source = CountingSource(data, 512)
    pyramid = VirtualPyramid([source.geometry], source, 1, np.uint32, method="mode")
    coarsest = assemble(pyramid, len(pyramid.geometries) - 1)
    assert set(np.unique(coarsest)) <= set(ids.tolist())
    np.testing.assert_array_equal(coarsest, downsample(downsample(data, "mode"), "mode"))


def test_absent_regions_become_fill_without_reading() -> None:
    data = np.full((1, 4096, 4096), 9, np.uint16)
    data[:, :512, :512] = np.arange(512 * 512, dtype=np.uint16).reshape(512, 512)
    source = CountingSource(data, 512)
    probes: list[tuple[int, int, int, int]] = []

    def absent(level: int, plane: tuple[int, ...], box: tuple[int, int, int, int]) -> bool:
        probes.append(box)
        r0, r1, c0, c1 = box
        return r0 >= 512 or c0 >= 512  # only the top-left 512^2 is stored

    pyramid = VirtualPyramid([source.geometry], source, 1, np.uint16, fill=9, absent=absent)
    coarsest = assemble(pyramid, len(pyramid.geometries) - 1)
    np.testing.assert_array_equal(coarsest, mean_reference(mean_reference(data)))
    assert source.reads == [TileKey(0, (), 0, 0)]  # the stored corner only
    assert pyramid.absent_tiles > 0


def test_stored_bytes_decoded_at_once_are_bounded() -> None:
    data = np.random.default_rng(7).integers(0, 255, (1, 4096, 4096)).astype(np.uint8)
    source = CountingSource(data, 512)
    pyramid = VirtualPyramid([source.geometry], source, 1, np.uint8, read_bytes=512 * 512)
    coarsest = len(pyramid.geometries) - 1
    rows, cols = pyramid.geometries[coarsest].grid
    keys = [TileKey(coarsest, (), ty, tx) for ty in range(rows) for tx in range(cols)]
    threads = [threading.Thread(target=lambda k=k: pyramid.tile(k)) for k in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert pyramid.read_bytes_peak == 512 * 512  # one stored tile at a time, however many threads
    assert max(pyramid.geometries[-1].shape) <= VIRTUAL_MAX_SIDE


def test_boolean_masks_downsample_to_booleans() -> None:
    mask = np.array([[[True, True, False, False], [False, False, False, True]]])
    assert downsample(mask, "mean").tolist() == [[[True, False]]]

"""Virtual levels on real files: loaders, absent chunks, scheduling, overviews, a 65536^2 open."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import zarr

from tests.omezarr_fixtures import axes_for, omero_channels, pack, write_image
from tests.test_tiles_virtual import mean_reference
from viewer.app.loader import LabelTileLoader, TileLoader
from viewer.app.overview import read_level, read_overview
from viewer.app import preparing
from viewer.app.preparing import prepare, tile_loader
from viewer.ome import open_document
from viewer.tiles import TileCache, TileKey, TileScheduler, View
from viewer.tiles.virtual import downsample

REPO = Path(__file__).resolve().parent.parent


def single_level(tmp_path: Path, data: np.ndarray, axes: str, chunks, shards=None, name="s", **kwargs):
    write_image(tmp_path / name, "", [data], axes, chunks=chunks, shards=shards, **kwargs)
    return open_document(tmp_path / name).images()[0]


def test_virtual_tiles_of_a_single_level_file_equal_numpy(tmp_path: Path) -> None:
    data = np.random.default_rng(1).integers(0, 65535, (2, 3, 2600, 2100)).astype(np.uint16)
    image = single_level(tmp_path, data, "zcyx", (1, 1, 256, 256))
    loader = TileLoader(image.levels, image.layout, range(3))
    assert [g.shape for g in loader.geometries] == [(2600, 2100), (1300, 1050), (650, 525)]
    assert [g.virtual for g in loader.geometries] == [False, True, True]
    np.testing.assert_array_equal(read_level(loader, 2, (1,)), mean_reference(mean_reference(data[1])))
    np.testing.assert_array_equal(read_level(loader, 1, (1,)), mean_reference(data[1]))
    tile = loader(TileKey(2, (1,), 0, 0))  # packed for upload like any tile
    assert tile.shape[0] == 3 and tile.shape[-1] == 1


def test_a_stored_box_is_decoded_into_a_given_buffer_when_the_layout_allows(tmp_path: Path) -> None:
    data = np.random.default_rng(2).integers(0, 65535, (2, 3, 600, 500)).astype(np.uint16)
    image = single_level(tmp_path, data, "zcyx", (1, 1, 256, 256))
    loader = TileLoader(image.levels, image.layout, range(1, 3))
    buffer = np.full((2, 300, 200), 7, np.uint16)  # dirty, as a reused buffer is
    tile = loader.read_box(0, (1,), (100, 400, 250, 450), buffer)
    assert tile is buffer
    np.testing.assert_array_equal(buffer, data[1, 1:3, 100:400, 250:450])
    floats = single_level(tmp_path, data[0].astype(np.float64), "cyx", (1, 256, 256), name="f")
    converted = TileLoader(floats.levels, floats.layout, range(3))  # float64 is shown as float32
    spare = np.zeros((3, 300, 200), np.float32)
    tile = converted.read_box(0, (), (100, 400, 250, 450), spare)
    assert tile is not spare and not spare.any()  # the stored type differs: the buffer is left alone
    np.testing.assert_array_equal(tile, data[0, :, 100:400, 250:450].astype(np.float32))


def test_label_maps_get_virtual_levels_by_mode(tmp_path: Path) -> None:
    ids = np.array([0, 5, 6, 123456], np.uint32)
    labels = ids[np.random.default_rng(2).integers(0, 4, (2200, 1300))]
    image = single_level(tmp_path, labels, "yx", (512, 512))
    loader = LabelTileLoader(image.levels, image.layout, {5: (255, 0, 0, 255)})
    coarsest = len(loader.geometries) - 1
    assert coarsest == 2
    rows, cols = loader.geometries[coarsest].grid
    for ty in range(rows):
        for tx in range(cols):
            key = TileKey(coarsest, (), ty, tx)
            assert set(np.unique(loader.read(key))) <= set(ids.tolist())
            assert loader(key).shape[-1] == 4  # coloured
    whole = downsample(downsample(labels[None], "mode"), "mode")[0]
    r0, r1, c0, c1 = loader.geometries[coarsest].tile_box(0, 0)
    np.testing.assert_array_equal(loader.read(TileKey(coarsest, (), 0, 0))[0], whole[r0:r1, c0:c1])


@pytest.mark.parametrize("sharded", [False, True])
def test_absent_regions_are_not_read(tmp_path: Path, sharded: bool) -> None:
    data = np.zeros((4096, 4096), np.uint16)  # 0 is the fill value: zarr stores no such chunk
    data[1024:1536, 2048:2560] = np.arange(1, 512 * 512 + 1, dtype=np.uint32).reshape(512, 512) % 60000 + 1
    image = single_level(tmp_path, data, "yx", (256, 256), shards=(1024, 1024) if sharded else None)
    array = image.levels[0].array
    reads: list[str] = []
    container = array.container
    for name in ("read", "read_range"):
        original = getattr(container, name)
        setattr(container, name, lambda key, *a, _o=original: (reads.append(key), _o(key, *a))[1])
    loader = TileLoader(image.levels, image.layout)
    coarsest = read_level(loader, len(loader.geometries) - 1, ())
    np.testing.assert_array_equal(coarsest, mean_reference(mean_reference(data[None]))[0][None])
    assert loader.pyramid.stored_tiles_read == 1  # the one 512^2 tile holding data
    chunk_reads = [k for k in reads if "/c/" in k or k.startswith("0/c")]
    assert len(chunk_reads) <= (4 if not sharded else 4 + 1)  # its 4 chunks (+ one shard index)
    assert array.region_absent((slice(0, 1024), slice(0, 4096)))
    assert not array.region_absent((slice(1000, 1100), slice(2000, 2100)))


def test_zooming_in_drops_pending_overview_work_and_zooming_out_resumes(tmp_path: Path) -> None:
    data = np.random.default_rng(3).integers(0, 255, (2, 4096, 4096)).astype(np.uint8)
    image = single_level(tmp_path, data, "cyx", (1, 512, 512))
    loader = TileLoader(image.levels, image.layout, range(2))
    levels = loader.geometries
    coarsest = len(levels) - 1
    gate = threading.Event()
    started: list[TileKey] = []

    def slow(key: TileKey) -> np.ndarray:
        started.append(key)
        gate.wait(10)
        return loader(key)

    cache = TileCache(64 << 20)
    scheduler = TileScheduler(slow, cache, lambda key, tile: None, workers=1)
    try:
        fit = View(0.0, 0.0, 2048.0, 2048.0, (1000, 1000))  # world = 0.5 um per pixel: the whole image
        scheduler.update(levels, fit, ())
        total = levels[coarsest].grid[0] * levels[coarsest].grid[1]
        assert scheduler.pending() + scheduler.in_flight() == total
        corner = View(0.0, 0.0, 64.0, 64.0, (1000, 1000))  # zoomed into the top-left corner
        scheduler.update(levels, corner, ())
        gate.set()
        assert scheduler.wait_idle(30)
        built = {k for k in started if k.level == coarsest}
        assert len(built) <= 2  # the one running when zooming in, and the one under the corner
        scheduler.update(levels, fit, ())  # zoom out: the rest of the overview resumes
        assert scheduler.wait_idle(60)
        assert all(TileKey(coarsest, (), ty, tx) in cache for ty in range(levels[coarsest].grid[0])
                   for tx in range(levels[coarsest].grid[1]))
    finally:
        gate.set()
        scheduler.shutdown()


def test_first_tiles_are_built_whole_when_cheap_else_a_preview_is_read(tmp_path: Path) -> None:
    data = np.zeros((1, 2100, 1600), np.uint16)
    write_image(tmp_path / "f", "", [data], "cyx", chunks=(1, 512, 512))
    opened = prepare(str(tmp_path / "f"))
    try:
        loader = tile_loader(opened)
        coarsest = len(loader.geometries) - 1
        assert coarsest == 2 and loader.geometries[-1].virtual  # 2100 -> 1050 -> 525
        rows, cols = loader.geometries[-1].grid
        assert set(opened.first_tiles) == {TileKey(2, (), ty, tx) for ty in range(rows) for tx in range(cols)}
        assert opened.preview is None
    finally:
        opened.document.close()
    data = np.ones((3, 8200, 8200), np.uint16)  # 400 MB to read for the whole overview: too much
    data[:, 4096:] = 7
    write_image(tmp_path / "g", "", [data], "cyx", chunks=(1, 512, 512))
    opened = prepare(str(tmp_path / "g"))
    try:
        assert opened.first_tiles == {}  # no tile built while opening: the stream builds them...
        # ...and a preview of the whole image, a mosaic of a few real chunks, shows it at once
        assert opened.preview.shape == (3, preparing.PREVIEW_SIDE, preparing.PREVIEW_SIDE)
        assert opened.preview.dtype == np.uint16
        assert set(np.unique(opened.preview)) == {1, 7}  # real pixels of both halves
        assert (opened.preview[:, 0] == 1).all() and (opened.preview[:, -1] == 7).all()
    finally:
        opened.document.close()


def test_overview_is_exact_within_budget_and_bounded_beyond(tmp_path: Path) -> None:
    data = np.random.default_rng(4).integers(0, 60000, (3, 3000, 2000)).astype(np.uint16)
    image = single_level(tmp_path, data, "cyx", (1, 250, 250))
    exact = read_overview(image.levels, image.layout, (), range(3), max_side=400)
    reference = data
    while max(reference.shape[1:]) > 400:
        reference = mean_reference(reference)
    np.testing.assert_array_equal(exact, reference)
    decoded: list[int] = []
    original = TileLoader.read_box

    def counting(self, index, plane, box):
        out = original(self, index, plane, box)
        decoded.append(out.nbytes)
        return out

    budget = 3 * 250 * 250 * 2 * 20  # 20 chunks of the 12 x 8 grid
    TileLoader.read_box = counting
    try:
        mosaic = read_overview(image.levels, image.layout, (), range(3), max_side=256, max_bytes=budget)
    finally:
        TileLoader.read_box = original
    assert mosaic.shape == (3, 256, 171) and sum(decoded) <= budget
    assert np.isin(mosaic[0], data[0]).all()  # real pixels, no made-up values


@pytest.mark.gui
def test_a_65536_square_single_level_file_with_absent_chunks_opens_fast_and_small(tmp_path: Path) -> None:
    root = tmp_path / "big"
    group = zarr.open_group(store=zarr.storage.LocalStore(str(root)), mode="w", zarr_format=3)
    group.create_array("0", shape=(65536, 65536), dtype=np.uint16, chunks=(256, 256), shards=(4096, 4096),
                       fill_value=1000, dimension_names=["y", "x"])
    group.attrs["ome"] = {"version": "0.5", "omero": omero_channels(["FFFFFF"], [(0, 2000)]), "multiscales": [{
        "name": "big", "axes": axes_for("yx"),
        "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [0.5, 0.5]}]}]}]}
    path = pack(root, tmp_path / "big.ozx")
    runtime = tmp_path / "runtime"  # its own single-instance folder: a viewer running elsewhere is not asked
    runtime.mkdir(mode=0o700)
    # Through a forking shell: Linux keeps a process's peak RSS across exec, so a child exec'd straight
    # from this (large) test process would report this process's peak as its own.
    cmd = ["sh", "-c", '"$0" "$@"; exit $?', sys.executable, str(REPO / "benchmarks" / "viewer_session.py"),
           str(path), "--json", "--open-only", "--wait-timeout", "20"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=REPO,
                         env=dict(os.environ, QT_QPA_PLATFORM="xcb", XDG_RUNTIME_DIR=str(runtime)))
    result = json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])
    assert result.get("open_level") == 6  # the 1024^2 virtual overview, complete
    assert result["first_sharp_s"] < 2.0, result
    assert result["peak_rss_mb"] < 350, result

"""Tile loading and opening helpers on real OME-Zarr files (no display needed)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from tests.omezarr_fixtures import omero_channels, pyramid, write_image
from viewer.app.loader import LabelTileLoader, TileLoader
from viewer.ome.display_defaults import level_index
from viewer.app import preparing
from viewer.app.opening import OpenedImage, PendingOpen, auto_windows, prepare, start_plane
from viewer.app.preparing import tile_loader
from viewer.ome import open_document
from viewer.tiles import TileKey


def test_tiles_of_a_5d_image_are_channel_row_col_of_the_plane(tmp_path: Path) -> None:
    data = np.random.default_rng(1).integers(-30000, 30000, (2, 3, 4, 600, 540)).astype(np.int16)
    write_image(tmp_path / "a", "", pyramid(data, 2), "tczyx", chunks=(1, 1, 1, 128, 128))
    image = open_document(tmp_path / "a").images()[0]
    layout = image.layout
    assert (layout.row, layout.col, layout.channel, layout.sliders) == (3, 4, 1, (0, 2))
    loader = TileLoader(image.levels, layout, range(3))
    assert [g.tile for g in loader.geometries] == [(512, 512), (512, 512)]  # 128-chunks grouped
    tile = loader(TileKey(0, (1, 3), 1, 0))  # 3 channels: a texture each
    assert tile.dtype == np.float32 and tile.flags.c_contiguous and tile.shape == (3, 88, 512, 1)
    np.testing.assert_array_equal(tile[..., 0], data[1, :, 3, 512:600, 0:512])
    coarse = loader.read(TileKey(1, (1, 3), 0, 0))  # z is not downsampled here: same index
    np.testing.assert_array_equal(coarse, data[1, :, 3, ::2, ::2][:, :300, :270])


def test_level_index_follows_downsampled_axes() -> None:
    assert [level_index(z, 10, 5) for z in range(10)] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert level_index(7, 10, 1) == 0


def test_label_tiles_are_coloured(tmp_path: Path) -> None:
    labels = np.zeros((40, 50), dtype=np.uint32)
    labels[5:10, 5:10] = 3
    write_image(tmp_path / "l", "", [labels], "yx", chunks=(64, 64))
    image = open_document(tmp_path / "l").images()[0]
    loader = LabelTileLoader(image.levels, image.layout, {3: (0, 255, 0, 255)})
    tile = loader(TileKey(0, (), 0, 0))
    assert tile.shape == (40, 50, 4)
    assert tuple(tile[7, 7]) == (0, 255, 0, 255) and tile[0, 0, 3] == 0


def test_start_plane_and_automatic_windows(tmp_path: Path) -> None:
    data = np.zeros((5, 2, 64, 64), dtype=np.uint16)
    data[:, 1] = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)
    write_image(tmp_path / "s", "", [data], "zcyx", chunks=(1, 2, 64, 64))
    image = open_document(tmp_path / "s").images()[0]
    assert start_plane(image) == (2,)  # middle z
    channels = auto_windows(image, image.layout, (2,))
    assert channels[0].window == (0.0, 1.0)  # constant channel: a non-empty window
    low, high = channels[1].window
    assert 15 < low < 25 and 4070 < high < 4080  # 0.5 / 99.5 percentiles, not min/max


def test_prepare_honours_default_z_and_turns_off_rgba_alpha(tmp_path: Path) -> None:
    data = np.zeros((4, 3, 32, 32), dtype=np.uint8)
    omero = omero_channels(["FF0000"] * 3, [(0, 255)] * 3)
    omero["rdefs"]["defaultZ"] = 1
    write_image(tmp_path / "z", "", [data], "czyx", chunks=(1, 1, 32, 32), omero=omero)
    opened = prepare(str(tmp_path / "z"))
    assert opened.start_plane == (1,)
    opened.document.close()
    write_image(tmp_path / "rgba", "", [np.zeros((4, 16, 16), dtype=np.uint8)], "cyx", chunks=(4, 16, 16))
    opened = prepare(str(tmp_path / "rgba"))
    assert opened.image.rgb and [c.active for c in opened.image.channels] == [True, True, True, False]
    opened.document.close()


def test_prepare_reads_the_coarsest_tiles_of_the_start_plane(tmp_path: Path, monkeypatch) -> None:
    data = np.random.default_rng(2).integers(0, 60000, (5, 2, 1200, 1040)).astype(np.uint16)
    write_image(tmp_path / "p", "", pyramid(data, 2), "zcyx", chunks=(1, 1, 128, 128))
    opened = prepare(str(tmp_path / "p"))
    try:
        assert opened.start_plane == (2,)
        loader = tile_loader(opened)
        rows, cols = loader.geometries[1].grid
        assert rows * cols > 1
        assert set(opened.first_tiles) == {TileKey(1, (2,), ty, tx) for ty in range(rows) for tx in range(cols)}
        for key, tile in opened.first_tiles.items():
            np.testing.assert_array_equal(tile, loader(key))
    finally:
        opened.document.close()
    monkeypatch.setattr(preparing, "FIRST_TILES_MAX", rows * cols - 1)  # too many: left to the stream
    opened = prepare(str(tmp_path / "p"))
    assert opened.first_tiles == {}
    opened.document.close()


def test_pending_open_gives_its_outcome_once_to_every_callback(tmp_path: Path) -> None:
    write_image(tmp_path / "i", "", [np.ones((2, 16, 16), dtype=np.uint8)], "cyx", chunks=(1, 16, 16))
    pending = PendingOpen(str(tmp_path / "i"))
    early: list[tuple[object, str | None]] = []
    done = threading.Event()
    pending.add_done_callback(lambda result, message: (early.append((result, message)), done.set()))
    assert done.wait(10)
    late: list[tuple[object, str | None]] = []
    pending.add_done_callback(lambda result, message: late.append((result, message)))  # runs at once
    assert len(early) == len(late) == 1 and early[0][0] is late[0][0]
    opened, message = early[0]
    assert isinstance(opened, OpenedImage) and message is None
    assert len(opened.first_tiles) == 1
    opened.document.close()

    missing = str(tmp_path / "missing.ozx")
    failed = PendingOpen(missing)
    outcomes: list[tuple[object, str | None]] = []
    done.clear()
    failed.add_done_callback(lambda result, message: (outcomes.append((result, message)), done.set()))
    assert done.wait(10)
    (result, message), = outcomes
    assert result == missing and message and "\n" not in message


def test_the_gui_command_starts_reading_before_the_window_exists(monkeypatch) -> None:
    import viewer.app.main as main_module
    from viewer import cli
    from viewer.app.startup import sample_path

    calls: list[tuple[list[str], PendingOpen]] = []
    monkeypatch.setattr(main_module, "run", lambda paths, pending=None, election=None: calls.append((paths, pending)) or 0)
    assert cli._run_gui(["--new-instance"]) == 0  # no election: this test process must not become the instance
    (paths, pending), = calls
    assert paths == [str(sample_path())] and pending.path == str(sample_path())
    done = threading.Event()
    outcomes: list[object] = []
    pending.add_done_callback(lambda result, _message: (outcomes.append(result), done.set()))
    assert done.wait(10) and isinstance(outcomes[0], OpenedImage)
    outcomes[0].document.close()

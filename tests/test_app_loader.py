"""Tile loading and opening helpers on real OME-Zarr files (no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.omezarr_fixtures import omero_channels, pyramid, write_image
from viewer.app.loader import LabelTileLoader, TileLoader, level_index
from viewer.app.opening import auto_windows, layout_of, prepare, start_plane
from viewer.ome import open_document
from viewer.tiles import TileKey


def test_tiles_of_a_5d_image_are_channel_row_col_of_the_plane(tmp_path: Path) -> None:
    data = np.random.default_rng(1).integers(-30000, 30000, (2, 3, 4, 300, 270)).astype(np.int16)
    write_image(tmp_path / "a", "", pyramid(data, 2), "tczyx", chunks=(1, 1, 1, 128, 128))
    image = open_document(tmp_path / "a").images()[0]
    layout = layout_of(image.axes)
    assert (layout.row, layout.col, layout.channel, layout.sliders) == (3, 4, 1, (0, 2))
    loader = TileLoader(image.levels, layout, range(3))
    assert [g.tile for g in loader.geometries] == [(256, 256), (256, 256)]
    tile = loader(TileKey(0, (1, 3), 1, 0))
    assert tile.dtype == np.float32 and tile.flags.c_contiguous
    np.testing.assert_array_equal(tile, data[1, :, 3, 256:300, 0:256])
    coarse = loader(TileKey(1, (1, 3), 0, 0))  # z is not downsampled here: same index
    np.testing.assert_array_equal(coarse, data[1, :, 3, ::2, ::2][:, :150, :135])


def test_level_index_follows_downsampled_axes() -> None:
    assert [level_index(z, 10, 5) for z in range(10)] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert level_index(7, 10, 1) == 0


def test_label_tiles_are_coloured(tmp_path: Path) -> None:
    labels = np.zeros((40, 50), dtype=np.uint32)
    labels[5:10, 5:10] = 3
    write_image(tmp_path / "l", "", [labels], "yx", chunks=(64, 64))
    image = open_document(tmp_path / "l").images()[0]
    loader = LabelTileLoader(image.levels, layout_of(image.axes), {3: (0, 255, 0, 255)})
    tile = loader(TileKey(0, (), 0, 0))
    assert tile.shape == (40, 50, 4)
    assert tuple(tile[7, 7]) == (0, 255, 0, 255) and tile[0, 0, 3] == 0


def test_start_plane_and_automatic_windows(tmp_path: Path) -> None:
    data = np.zeros((5, 2, 64, 64), dtype=np.uint16)
    data[:, 1] = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)
    write_image(tmp_path / "s", "", [data], "zcyx", chunks=(1, 2, 64, 64))
    image = open_document(tmp_path / "s").images()[0]
    assert start_plane(image) == (2,)  # middle z
    channels = auto_windows(image, layout_of(image.axes), (2,))
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

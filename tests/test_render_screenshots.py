"""Screenshots of the real canvas compared with pixels computed from the arrays (Xvfb + Mesa)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from tests.omezarr_fixtures import omero_channels, pyramid, write_image
from viewer.render.canvas import ImageCanvas
from viewer.render.colors import colorize_labels
from viewer.render.composite import blend_labels, composite, over_background, to_uint8
from viewer.render.formats import pack_channels
from viewer.render.textures import TextureStore, texture_dtype, texture_scale
from viewer.render.styles import ChannelStyle
from viewer.tiles import LevelGeometry, MemoryBudget, TileKey, fully_sharp, visible_tiles

pytestmark = pytest.mark.gui
TIMEOUT_MS = 15000


# ---- helpers ---------------------------------------------------------------------------------
def position_pattern(rows: int, cols: int) -> np.ndarray:
    """3 × rows × cols uint8 whose RGB encodes (row, col); never 0, so it differs from background."""
    r, c = np.mgrid[0:rows, 0:cols]
    return np.stack([1 + r % 200, 1 + c % 200, 1 + 16 * (r // 200) + c // 200]).astype(np.uint8)


def hosted_canvas(qtbot, width: int, height: int) -> ImageCanvas:
    """An ImageCanvas shown in a plain widget that qtbot deletes after the test: a canvas without
    a parent would outlive the test and crash PySide's clean-up at exit."""
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    host = QWidget()
    layout = QVBoxLayout(host)
    layout.setContentsMargins(0, 0, 0, 0)
    canvas = ImageCanvas(parent=host, size=(width, height))
    layout.addWidget(canvas.widget)
    qtbot.addWidget(host)
    host.resize(width, height)
    host.show()
    qtbot.waitExposed(host)
    return canvas


def screenshot(canvas: ImageCanvas) -> np.ndarray:
    """The canvas framebuffer as (rows, cols, 3) uint8, without the scale bar and loading text."""
    canvas.show_overlays(False)
    return canvas.render()[..., :3]


def expected_pixels(canvas: ImageCanvas, geometry: LevelGeometry, colors: np.ndarray,
                    shape: tuple[int, int], background=(0, 0, 0)) -> tuple[np.ndarray, np.ndarray]:
    """(what each canvas pixel should show, where that is certain).

    A pixel shows the level pixel under its centre (nearest-neighbour); centres within 1/1000
    of a level pixel from an edge may go either way with float32 GPU maths, so they are uncertain.
    """
    rows, cols = shape
    ys, xs = np.mgrid[0:rows, 0:cols] + 0.5
    world = canvas.scene.node_transform(canvas.view.scene).map(np.c_[xs.ravel(), ys.ravel()])
    x, y = world[:, 0] / world[:, 3], world[:, 1] / world[:, 3]
    (sy, sx), (oy, ox) = geometry.scale, geometry.translation
    fx, fy = (x - ox) / sx, (y - oy) / sy
    col, row = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
    certain = (np.abs(fx - np.round(fx)) > 1e-3) & (np.abs(fy - np.round(fy)) > 1e-3)
    inside = (row >= 0) & (row < geometry.shape[0]) & (col >= 0) & (col < geometry.shape[1])
    out = np.empty((rows * cols, 3), dtype=np.uint8)
    out[:] = background
    out[inside] = colors[row[inside], col[inside]]
    return out.reshape(rows, cols, 3), certain.reshape(rows, cols)


def assert_shows(canvas: ImageCanvas, geometry: LevelGeometry, level: np.ndarray) -> None:
    """The canvas shows `level` (channels, rows, cols as RGB) exactly where the geometry puts it."""
    shot = screenshot(canvas)
    expected, certain = expected_pixels(canvas, geometry, np.moveaxis(level, 0, -1), shot.shape[:2])
    wrong = np.any(shot != expected, axis=-1) & certain
    assert certain.mean() > 0.95
    assert not wrong.any(), f"{wrong.sum()} pixels differ, first at {np.argwhere(wrong)[0]}"


def write_pattern(tmp_path: Path) -> tuple[Path, list[np.ndarray]]:
    levels = pyramid(position_pattern(700, 900), 2)
    root = tmp_path / "pattern.ome.zarr"
    write_image(root, "", levels, "cyx", chunks=(1, 128, 128),
                omero=omero_channels(["FF0000", "00FF00", "0000FF"], [(0, 255)] * 3))
    return root, levels


def open_and_wait(qtbot, window, path: Path) -> None:
    window.open_path(str(path))
    qtbot.waitUntil(lambda: window.session is not None and window.session.opened.path == str(path),
                    timeout=TIMEOUT_MS)
    wait_sharp(qtbot, window)


def wait_sharp(qtbot, window) -> None:
    stream = window.session.stream
    qtbot.waitUntil(lambda: stream.sharp() and stream.idle(), timeout=TIMEOUT_MS)


# ---- the pattern lands where it should -------------------------------------------------------
def test_pattern_at_several_zooms(qtbot, window, tmp_path: Path) -> None:
    root, levels = write_pattern(tmp_path)
    open_and_wait(qtbot, window, root)
    canvas, stream = window.canvas, window.session.stream
    geometries = stream.geometries
    assert [g.shape for g in geometries] == [(700, 900), (350, 450)]
    assert geometries[0].tile == (512, 512)  # 128-pixel chunks grouped into 512-pixel tiles
    width, height = canvas.view.size
    sy, sx = geometries[0].scale

    chosen = stream.chosen_level()  # fitted
    assert_shows(canvas, geometries[chosen], levels[chosen])

    views = [
        (200.0, 150.0, 1.0),  # one screen pixel per image pixel, across tile boundaries
        (250.0, 600.0, 3.0),  # magnified 3×, across a tile boundary and over the bottom edge
        (-37.0, -21.0, 0.4),  # minified, image corner inside the view
    ]
    for col0, row0, magnification in views:
        canvas.show_rect((col0 * sx, row0 * sy, (col0 + width / magnification) * sx,
                          (row0 + height / magnification) * sy))
        wait_sharp(qtbot, window)
        chosen = stream.chosen_level()
        assert chosen == (1 if magnification < 1 else 0)
        assert_shows(canvas, geometries[chosen], levels[chosen])


def test_coarse_tiles_are_replaced_by_fine_ones(qtbot) -> None:
    from viewer.app.tile_stream import TileStream

    levels = pyramid(position_pattern(700, 900), 2)
    geometries = [LevelGeometry((700, 900), (256, 256), (1.0, 1.0)),
                  LevelGeometry((350, 450), (256, 256), (2.0, 2.0))]
    fine_allowed = threading.Event()

    def loader(key: TileKey) -> np.ndarray:
        if key.level == 0:
            fine_allowed.wait(TIMEOUT_MS / 1000)
        r0, r1, c0, c1 = geometries[key.level].tile_box(key.ty, key.tx)
        return pack_channels(levels[key.level][:, r0:r1, c0:c1])

    canvas = ImageCanvas(size=(480, 360), show=True)
    layer = canvas.add_composite(3)
    layer.set_styles([ChannelStyle(c, (0, 255)) for c in ("FF0000", "00FF00", "0000FF")], 255.0)
    stream = TileStream(canvas, layer, geometries, loader, list, MemoryBudget(64 << 20))
    canvas.events.view_changed.connect(lambda _e: stream.set_view(canvas.world_view()))
    try:
        canvas.show_rect((100.0, 80.0, 580.0, 440.0))
        stream.set_view(canvas.world_view())
        view = canvas.world_view()
        coarse = [TileKey(1, (), ty, tx) for ty, tx in visible_tiles(geometries[1], view, 0)[0]]
        qtbot.waitUntil(lambda: all(k in stream.textures for k in coarse) and not stream._pump_queued, timeout=TIMEOUT_MS)
        assert_shows(canvas, geometries[1], levels[1])
        assert stream.loading

        fine_allowed.set()
        qtbot.waitUntil(lambda: stream.sharp() and stream.idle(), timeout=TIMEOUT_MS)
        assert fully_sharp(geometries, view, (), stream.cache, 0)
        assert_shows(canvas, geometries[0], levels[0])
    finally:
        fine_allowed.set()
        stream.close()
        canvas.close()


# ---- colour math -------------------------------------------------------------------------------
@pytest.mark.parametrize("count", [2, 3, 4, 6])  # a texture each; one RGBA texture; two (one padded)
def test_composite_matches_colour_math(qtbot, window, tmp_path: Path, count: int) -> None:
    rng = np.random.default_rng(3)
    ranges = [(0, 4000), (0, 65536), (400, 700), (0, 300), (1000, 1100), (0, 65536)]
    data = np.stack([rng.integers(lo, hi, (240, 310)) for lo, hi in ranges[:count]]).astype(np.uint16)
    colors = ["FF8000", "00FFFF", "8000FF", "400000", "004000", "000040"][:count]
    windows = [(1000, 3000), (0, 65535), (500, 600), (0, 300), (1000, 1100), (0, 65535)][:count]
    inverted = min(2, count - 1)
    omero = omero_channels(colors, windows)
    omero["channels"][inverted]["inverted"] = True
    root = tmp_path / "composite.ome.zarr"
    write_image(root, "", [data], "cyx", chunks=(count, 128, 128), omero=omero)
    open_and_wait(qtbot, window, root)
    canvas, stream = window.canvas, window.session.stream
    width, height = canvas.view.size
    canvas.show_rect((0.0, 0.0, width * 0.5, height * 0.5))  # 1:1 (pixel size 0.5)
    wait_sharp(qtbot, window)

    def expected(active: list[bool]) -> np.ndarray:
        styles = [ChannelStyle(c, w, a, k == inverted) for k, (c, w, a) in enumerate(zip(colors, windows, active))]
        return to_uint8(composite(data, styles)[..., :3])

    shot = screenshot(canvas)[:240, :310].astype(int)
    assert np.abs(shot - expected([True] * count)).max() <= 2

    uploaded = {key: stream.textures.get(key) for key in list(stream.textures._items)}
    window.channel_panel.active_boxes[1].setChecked(False)
    window.channel_panel.end_spins[0].setValue(2000)
    windows[0] = (1000, 2000)
    shot = screenshot(canvas)[:240, :310].astype(int)
    assert np.abs(shot - expected([k != 1 for k in range(count)])).max() <= 2
    assert all(stream.textures.get(key) is item for key, item in uploaded.items()), "a style change re-uploaded"
    assert stream.idle()


def test_nan_is_transparent_and_single_channel_is_grey(qtbot, window, tmp_path: Path) -> None:
    data = np.tile(np.linspace(0, 1, 300, dtype=np.float32), (200, 1))
    data[50:80, 100:160] = np.nan
    root = tmp_path / "nan.ome.zarr"
    write_image(root, "", [data], "yx", chunks=(128, 128),
                omero=omero_channels(["FFFFFF"], [(0.0, 1.0)]))
    open_and_wait(qtbot, window, root)
    canvas = window.canvas
    canvas.bgcolor = (0.2, 0.4, 0.6, 1.0)
    width, height = canvas.view.size
    canvas.show_rect((0.0, 0.0, width * 0.5, height * 0.5))
    wait_sharp(qtbot, window)
    shot = screenshot(canvas)[:200, :300].astype(int)
    background = np.array([51, 102, 153])
    assert np.abs(shot[50:80, 100:160] - background).max() <= 1
    expected = to_uint8(over_background(composite(data[None], [ChannelStyle("FFFFFF", (0.0, 1.0))]), (0.2, 0.4, 0.6)))
    assert np.abs(shot - expected).max() <= 1
    grey = np.round(np.linspace(0, 1, 300) * 255)
    assert np.abs(shot[10, :, 0] - grey).max() <= 1
    assert (shot[10, :, 0] == shot[10, :, 1]).all() and (shot[10, :, 1] == shot[10, :, 2]).all()


#: Every dtype the canvas takes (`formats.texture_dtype`: uint8, uint16 as they are, bool as uint8,
#: the rest as float32), with values that cover the type's useful range.
DTYPE_CASES = {
    "uint8": (0, 256), "uint16": (0, 65536), "uint32": (0, 4_000_000), "uint64": (0, 2**40),
    "int8": (-128, 128), "int16": (-1000, 1000), "int32": (-100_000, 100_000), "int64": (-2**35, 2**35),
    "float16": (-2.0, 3.0), "float32": (-2.0, 3.0), "float64": (1e-3, 3e-3), "bool": (0, 2),
}


def random_channels(dtype: str, shape: tuple[int, int, int], seed: int) -> np.ndarray:
    lo, hi = DTYPE_CASES[dtype]
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        data = rng.uniform(lo, hi, shape).astype(dtype)
        data[:, ::7, ::5] = np.nan  # NaN everywhere in some pixels, in one channel in others
        data[1, 3::11, :] = np.nan
        return data
    return rng.integers(lo, hi, shape).astype(dtype)


def draw_tile(canvas: ImageCanvas, data: np.ndarray, styles: list[ChannelStyle], labels=None, opacity=0.5) -> np.ndarray:
    """Upload `data` (channels, rows, cols) as one tile at 1:1, draw it with `styles` (and
    coloured `labels` over it) and return the screenshot of the tile's area."""
    count, rows, cols = data.shape
    store = TextureStore(1 << 26)
    layer = canvas.add_composite(count)
    packed = pack_channels(np.ascontiguousarray(data, dtype=texture_dtype(data.dtype)))
    layer.set_tiles([store.upload("t", list(packed), (0.0, 0.0, float(cols), float(rows)))])
    layer.set_styles(styles, texture_scale(data.dtype))
    if labels is not None:
        label_layer = canvas.add_labels(opacity)
        label_layer.set_tiles([store.upload("l", [labels], (0.0, 0.0, float(cols), float(rows)))])
    width, height = canvas.view.size
    canvas.show_rect((0.0, 0.0, float(width), float(height)))
    return screenshot(canvas)[:rows, :cols].astype(int)


@pytest.mark.parametrize("dtype", sorted(DTYPE_CASES))
def test_gpu_and_numpy_composite_agree_on_every_dtype(qtbot, dtype: str) -> None:
    """Four channels (one RGBA texture): different windows and colours, one inverted, one
    inactive; NaN pixels show the background; labels drawn over with their colours and opacity."""
    lo, hi = DTYPE_CASES[dtype]
    data = random_channels(dtype, (4, 60, 80), seed=len(dtype))
    span = hi - lo
    windows = [(lo, hi - 1), (lo + 0.2 * span, lo + 0.6 * span), (lo + 0.5 * span, hi), (lo, lo + 0.1 * span)]
    if dtype == "bool":
        windows = [(0, 1)] * 4
    styles = [ChannelStyle("FF8000", windows[0]), ChannelStyle("00FFFF", windows[1], inverted=True),
              ChannelStyle("8000FF", windows[2]), ChannelStyle("FFFFFF", windows[3], active=False)]
    label_values = (np.arange(60 * 80).reshape(60, 80) // 97 % 5).astype(np.uint32)
    labels = colorize_labels(label_values, {1: (255, 0, 0, 128), 2: (0, 255, 0, 255)})
    background = (0.2, 0.4, 0.6)
    canvas = hosted_canvas(qtbot, 160, 120)
    canvas.bgcolor = (*background, 1.0)
    try:
        shot = draw_tile(canvas, data, styles, labels, opacity=0.7)
    finally:
        canvas.close()
    expected = to_uint8(over_background(blend_labels(composite(data, styles), labels, 0.7), background))
    assert np.abs(shot - expected).max() <= 1, f"{np.count_nonzero(np.abs(shot - expected).max(-1) > 1)} pixels differ"
    if np.dtype(dtype).kind == "f":  # NaN in every active channel: the background (under the labels)
        no_label = labels[..., 3] == 0
        nan_px = np.isnan(data[:3]).all(0) & no_label
        assert nan_px.any() and (shot[nan_px] == to_uint8(np.array(background))).all()


@pytest.mark.parametrize("dtype, values, window_", [

    ("uint8", [0, 100, 255], (0, 255)),
    ("uint16", [0, 30000, 65535], (0, 65535)),
    ("uint32", [0, 2_000_000, 4_000_000], (0, 4_000_000)),
    ("int8", [-128, 0, 127], (-128, 127)),
    ("int16", [-1000, 0, 1000], (-1000, 1000)),
    ("int32", [-100_000, 0, 100_000], (-100_000, 100_000)),
    ("float32", [-2.0, 0.5, 3.0], (-2.0, 3.0)),
    ("float64", [1e-3, 2e-3, 3e-3], (1e-3, 3e-3)),
    ("bool", [False, True, True], (0, 1)),
])
def test_every_dtype_renders_through_its_texture(qtbot, dtype, values, window_) -> None:
    canvas = hosted_canvas(qtbot, 90, 30)
    try:
        layer = canvas.add_composite(1)
        raw = np.repeat(np.array(values, dtype=dtype), 30)[None, :].repeat(30, axis=0)
        plane = np.ascontiguousarray(raw, dtype=texture_dtype(raw.dtype))
        store = TextureStore(1 << 24)
        layer.set_tiles([store.upload("t", [plane], (0.0, 0.0, 90.0, 30.0))])
        layer.set_styles([ChannelStyle("FFFFFF", window_)], texture_scale(raw.dtype))
        canvas.show_rect((0.0, 0.0, 90.0, 30.0))
        shot = screenshot(canvas)[15, [15, 45, 75], 0].astype(int)
        expected = to_uint8(composite(np.array(values, dtype=dtype)[None, None, :], [ChannelStyle("FFFFFF", window_)]))
        assert np.abs(shot - expected[0, :, 0].astype(int)).max() <= 1
    finally:
        canvas.close()

"""`ozx-viewer thumbnail` and `render_thumbnail` on real files from our writer, ngff-zarr and
ome-zarr-py: pixels against the numpy composite, opening defaults, bounded reads, bad input."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from tests.omezarr_fixtures import omero_channels, pack, pyramid, set_group_attrs, write_image
from viewer.cli import main
from viewer.ome import open_document
from viewer.ome.display_defaults import label_plane, opening_channels, start_plane
from viewer.ome.zarr_array import ZarrArray
from viewer.render import thumbnail as thumbnail_module
from viewer.render.colors import colorize_labels
from viewer.render.composite import blend_labels, composite, to_uint8
from viewer.render.png import encode_png
from viewer.render.styles import channel_styles
from viewer.render.thumbnail import render_thumbnail

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "resources" / "sample.ozx"


def read_png(path: Path) -> np.ndarray:
    with PILImage.open(path) as picture:
        assert picture.mode == "RGBA"
        return np.asarray(picture).copy()


def thumbnail(tmp_path: Path, source: Path, *args: str) -> np.ndarray:
    out = tmp_path / "thumb.png"
    assert main(["thumbnail", str(source), str(out), *args]) == 0
    return read_png(out)


def reference(image, size: int) -> np.ndarray:
    """The thumbnail computed the plain way: read the whole chosen level, pick the pixel under each
    thumbnail pixel centre, paint with the composite (and the label maps)."""
    layout = image.layout
    r, c = layout.row, layout.col
    level0 = image.levels[0]
    height, width = level0.shape[r] * level0.scale[r], level0.shape[c] * level0.scale[c]
    rows = size if height >= width else max(1, round(size * height / width))
    cols = size if width >= height else max(1, round(size * width / height))
    plane = start_plane(image)

    def sampled(levels, layout, plane, channel_count):
        level = ([lv for lv in levels if lv.shape[layout.row] >= rows and lv.shape[layout.col] >= cols] or levels[:1])[-1]
        data = level.array.read()
        index = [slice(None)] * data.ndim
        for axis, value in zip(layout.sliders, plane):
            index[axis] = min(value * level.shape[axis] // levels[0].shape[axis], level.shape[axis] - 1)
        ys = (np.arange(rows) + 0.5) * height / rows
        xs = (np.arange(cols) + 0.5) * width / cols
        iy = np.clip(np.floor((ys - level.translation[layout.row]) / level.scale[layout.row]).astype(int), 0, level.shape[layout.row] - 1)
        ix = np.clip(np.floor((xs - level.translation[layout.col]) / level.scale[layout.col]).astype(int), 0, level.shape[layout.col] - 1)
        index[layout.row], index[layout.col] = iy[:, None], ix[None, :]
        if layout.channel is not None:
            index[layout.channel] = np.arange(channel_count)[:, None, None]
            return data[tuple(index)]
        return data[tuple(index)][None]

    data = sampled(image.levels, layout, plane, min(len(image.channels), 12))
    rgba = composite(data, channel_styles(opening_channels(image, plane)))
    if len(image.labels) <= 2:
        for label_map in image.labels:
            values = sampled(label_map.levels, label_map.layout, label_plane(image, plane, label_map), 1)[0]
            rgba = blend_labels(rgba, colorize_labels(values, label_map.colors), 0.5)
    out = np.zeros((size, size, 4), np.uint8)
    top, left = (size - rows) // 2, (size - cols) // 2
    out[top:top + rows, left:left + cols] = to_uint8(rgba)
    return out


# ---- fixtures: one file per kind of content -------------------------------------------------
def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def labelled_ozx(tmp: Path) -> Path:
    root = tmp / "labelled.zarr"
    data = rng().integers(0, 4000, (3, 300, 500)).astype(np.uint16)
    write_image(root, "", pyramid(data, 3), "cyx", chunks=(1, 64, 64), shards=(1, 128, 128),
                omero=omero_channels(["FF0000", "00FF00", "0000FF"], [(10, 3000), (20, 2000), (0, 4000)]))
    set_group_attrs(root, "labels", {"labels": ["cells"]})
    labels = (np.arange(300 * 500).reshape(1, 300, 500) // 700 % 5).astype(np.uint32)
    write_image(root, "labels/cells", pyramid(labels, 3), "cyx", chunks=(1, 100, 100),
                extra_ome={"image-label": {"colors": [{"label-value": 1, "rgba": [255, 255, 0, 200]}]}})
    return pack(root, tmp / "labelled.ozx")


def stack_5d(tmp: Path) -> Path:
    root = tmp / "stack.zarr"
    data = rng(1).integers(0, 60000, (3, 2, 5, 90, 70)).astype(np.uint16)
    omero = omero_channels(["FF00FF", "00FF00"], [(0, 60000), (1000, 50000)])
    omero["rdefs"].update(defaultZ=3, defaultT=2)
    write_image(root, "", pyramid(data, 2), "tczyx", chunks=(1, 1, 1, 32, 32), omero=omero)
    return pack(root, tmp / "stack.ozx")


def floats_without_omero(tmp: Path) -> Path:
    root = tmp / "floats.zarr"
    data = rng(2).normal(0, 1, (2, 130, 120)).astype(np.float32)
    data[:, 40:60, 30:50] = np.nan
    write_image(root, "", pyramid(data, 2), "cyx", chunks=(1, 64, 64))
    return root  # a folder


def plate(tmp: Path) -> Path:
    root = tmp / "plate.zarr"
    wells = [("A", "1"), ("B", "2")]
    set_group_attrs(root, "", {"plate": {
        "name": "screen", "rows": [{"name": "A"}, {"name": "B"}], "columns": [{"name": "1"}, {"name": "2"}],
        "wells": [{"path": f"{r}/{c}", "rowIndex": ord(r) - 65, "columnIndex": int(c) - 1} for r, c in wells]}})
    for r, c in wells:
        set_group_attrs(root, f"{r}/{c}", {"well": {"images": [{"path": "0"}, {"path": "1"}]}})
        for f in "01":
            value = (ord(r) - 64) * 1000 + int(f) * 100
            write_image(root, f"{r}/{c}/{f}", [np.full((40, 60), value, np.uint16) + rng(value).integers(0, 50, (40, 60)).astype(np.uint16)], "yx",
                        omero=omero_channels(["FFFFFF"], [(0, 3000)]))
    return pack(root, tmp / "plate.ozx")


def bioformats2raw(tmp: Path) -> Path:
    root = tmp / "b2r.zarr"
    set_group_attrs(root, "", {"bioformats2raw.layout": 3})
    set_group_attrs(root, "OME", {"series": ["0", "1"]})
    for i in range(2):
        write_image(root, str(i), [rng(i).integers(0, 255, (3, 50, 80)).astype(np.uint8)], "cyx")  # RGB pictures
    return pack(root, tmp / "b2r.ozx")


def collection(tmp: Path) -> Path:
    root = tmp / "col.zarr"
    write_image(root, "first", pyramid(rng(5).integers(0, 200, (64, 96)).astype(np.uint8), 2), "yx",
                omero=omero_channels(["00FFFF"], [(0, 200)]))
    write_image(root, "second", [np.full((16, 16), 2, np.uint8)], "yx")
    set_group_attrs(root, "", {"version": "0.x", "type": "collection", "name": "study", "nodes": [
        {"type": "multiscale", "name": "First", "path": {"type": "zarr", "path": "./first"}},
        {"type": "multiscale", "name": "Second", "path": {"type": "zarr", "path": "./second"}}]})
    return pack(root, tmp / "col.ozx")


def ngff_zarr_sharded(tmp: Path) -> Path:
    ngff_zarr = pytest.importorskip("ngff_zarr")
    data = rng(6).integers(0, 4000, (2, 300, 260)).astype(np.uint16)
    image = ngff_zarr.to_ngff_image(data, dims=["c", "y", "x"], scale={"c": 1.0, "y": 0.5, "x": 0.5})
    multiscales = ngff_zarr.to_multiscales(image, scale_factors=[2, 4], chunks=64)
    out = tmp / "ngff.ozx"
    ngff_zarr.to_ngff_zarr(str(out), multiscales, version="0.5", chunks_per_shard=2)
    return out


def ome_zarr_py_plate(tmp: Path) -> Path:
    writer = pytest.importorskip("ome_zarr.writer")
    import zarr

    group = zarr.open_group(str(tmp / "omezarr-plate.zarr"), mode="w", zarr_format=2)
    writer.write_plate_metadata(group, ["A"], ["1", "2"], ["A/1", "A/2"])
    for col in ("1", "2"):
        well = group.require_group(f"A/{col}")
        writer.write_well_metadata(well, [{"path": "0"}])
        data = rng(int(col)).integers(0, 1000, (2, 3, 96, 128)).astype(np.uint16)
        writer.write_image(data, well.require_group("0"), axes="czyx", storage_options={"chunks": (1, 1, 32, 32)})
    return tmp / "omezarr-plate.zarr"


FIXTURES = {
    "labelled": labelled_ozx, "5d": stack_5d, "floats": floats_without_omero, "plate": plate,
    "bioformats2raw": bioformats2raw, "collection": collection, "ngff-zarr": ngff_zarr_sharded,
    "ome-zarr-py-plate": ome_zarr_py_plate,
}


@pytest.mark.parametrize("size", [64, 256])
@pytest.mark.parametrize("kind", sorted(FIXTURES))
def test_thumbnail_is_the_composite_of_the_first_image(tmp_path: Path, kind: str, size: int) -> None:
    source = FIXTURES[kind](tmp_path)
    got = thumbnail(tmp_path, source, "--size", str(size))
    document = open_document(source)
    try:
        expected = reference(document.images()[0], size)
    finally:
        document.close()
    assert got.shape == (size, size, 4)
    assert np.array_equal(got, expected), f"{np.count_nonzero(np.any(got != expected, axis=-1))} pixels differ"
    assert got[..., 3].any()


def test_sample_thumbnail_shows_the_picture(tmp_path: Path) -> None:
    got = thumbnail(tmp_path, SAMPLE)
    document = open_document(SAMPLE)
    try:
        image = document.images()[0]
        level = image.levels[1].array.read()  # 256² of the 512² picture: one level pixel per thumbnail pixel
    finally:
        document.close()
    assert got.shape == (256, 256, 4) and (got[..., 3] == 255).all()
    assert np.array_equal(got[..., :3], np.moveaxis(level, 0, -1))  # RGB windows 0-255: the pixels as stored


def test_aspect_kept_and_transparent_around(tmp_path: Path) -> None:
    source = labelled_ozx(tmp_path)  # 300 × 500
    got = thumbnail(tmp_path, source, "-s", "100")
    assert got.shape == (100, 100, 4)
    opaque_rows = np.flatnonzero(got[:, 50, 3])
    assert (opaque_rows[0], opaque_rows[-1]) == (20, 79)  # 60 rows centred
    assert (got[:20, :, 3] == 0).all() and (got[80:, :, 3] == 0).all()


def test_default_plane_follows_rdefs(tmp_path: Path) -> None:
    root = tmp_path / "planes.zarr"
    data = np.zeros((3, 4, 20, 20), np.uint16)
    for t in range(3):
        for z in range(4):
            data[t, z] = 1000 * t + 100 * z
    omero = omero_channels(["FFFFFF"], [(0, 2550)])
    omero["rdefs"].update(defaultZ=1, defaultT=2)
    write_image(root, "", [data], "tzyx", omero=omero)
    got = thumbnail(tmp_path, root, "-s", "20")
    assert (got[..., 0] == round(2100 / 2550 * 255)).all()


def test_rgb_pictures_keep_their_colours(tmp_path: Path) -> None:
    """uint8 RGB(A) without omero: 0–255 on every channel, never a stretch per channel; alpha off."""
    root = tmp_path / "rgba.zarr"
    data = np.zeros((4, 16, 16), np.uint8)
    data[0], data[1], data[2], data[3] = 60, 100, 140, 7
    data[0, :8] = 90
    write_image(root, "", [data], "cyx")
    document = open_document(root)
    try:
        channels = opening_channels(document.images()[0], ())
    finally:
        document.close()
    assert [c.window for c in channels] == [(0.0, 255.0)] * 4
    assert [c.active for c in channels] == [True, True, True, False]
    got = thumbnail(tmp_path, root, "-s", "16")
    assert tuple(got[0, 0]) == (90, 100, 140, 255) and tuple(got[15, 0]) == (60, 100, 140, 255)


def test_nan_is_transparent(tmp_path: Path) -> None:
    root = tmp_path / "nan.zarr"
    data = np.ones((32, 32), np.float32)
    data[8:16, :] = np.nan
    write_image(root, "", [data], "yx", omero=omero_channels(["FF0000"], [(0.0, 1.0)]))
    got = thumbnail(tmp_path, root, "-s", "32")
    assert (got[8:16, :, 3] == 0).all() and (got[:8] == (255, 0, 0, 255)).all()


def test_image_option_picks_by_path(tmp_path: Path, capsys) -> None:
    source = plate(tmp_path)
    first = thumbnail(tmp_path, source, "-s", "60")
    other = thumbnail(tmp_path, source, "-s", "60", "--image", "B/2/1")
    assert first[30, 30, 0] < other[30, 30, 0]  # A/1/0 ≈ 1000, B/2/1 ≈ 2100 in a 0–3000 window
    assert abs(int(other[30, 30, 0]) - round(2125 / 3000 * 255)) <= 6
    out = tmp_path / "none.png"
    assert main(["thumbnail", str(source), str(out), "--image", "C/3/0"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "no image at 'C/3/0'" in err and "'A/1/0'" in err
    assert not out.exists()


def test_labels_are_blended_with_their_colour_and_opacity(tmp_path: Path) -> None:
    root = tmp_path / "lab.zarr"
    write_image(root, "", [np.zeros((20, 20), np.uint8)], "yx", omero=omero_channels(["FFFFFF"], [(0, 255)]))
    set_group_attrs(root, "labels", {"labels": ["a"]})
    labels = np.zeros((20, 20), np.uint8)
    labels[:10] = 1
    write_image(root, "labels/a", [labels], "yx",
                extra_ome={"image-label": {"colors": [{"label-value": 1, "rgba": [0, 0, 255, 255]}]}})
    got = thumbnail(tmp_path, root, "-s", "20")
    assert tuple(got[0, 0]) == (0, 0, 128, 255)  # blue at the default opacity 0.5 over black
    assert tuple(got[19, 0]) == (0, 0, 0, 255)


def test_labels_follow_the_image_plane_by_axis_name(tmp_path: Path) -> None:
    root = tmp_path / "zlab.zarr"
    omero = omero_channels(["FFFFFF"], [(0, 255)])
    omero["rdefs"]["defaultZ"] = 2
    write_image(root, "", [np.zeros((2, 1, 4, 30, 30), np.uint8)], "tczyx", omero=omero)
    set_group_attrs(root, "labels", {"labels": ["z"]})
    labels = np.zeros((4, 15, 15), np.uint8)  # z, y, x at half the resolution: no t, no c
    labels[2] = 3
    write_image(root, "labels/z", [labels], "zyx", pixel_size=1.0,
                extra_ome={"image-label": {"colors": [{"label-value": 3, "rgba": [255, 0, 0, 255]}]}})
    document = open_document(root)
    try:
        image = document.images()[0]
        assert label_plane(image, (0, 2), image.labels[0]) == (2,)
        assert label_plane(image, (1, 1), image.labels[0]) == (1,)
    finally:
        document.close()
    got = thumbnail(tmp_path, root, "-s", "30")
    assert (got[..., :3] == (128, 0, 0)).all()  # red at opacity 0.5 over black, on z = 2 only


def test_the_viewer_opens_with_the_thumbnails_defaults(tmp_path: Path) -> None:
    from viewer.app.preparing import prepare

    source = floats_without_omero(tmp_path)  # percentile windows
    opened = prepare(str(source))
    try:
        image = opened.image
        assert opened.start_plane == start_plane(image)
        fresh = open_document(source)
        try:
            assert [c.window for c in image.channels] == [c.window for c in opening_channels(fresh.images()[0], ())]
        finally:
            fresh.close()
        assert image.channels[0].window != (0.0, 1.0)
    finally:
        opened.document.close()


def test_thumbnails_of_many_images_on_worker_threads(tmp_path: Path) -> None:
    """What the side panel does: one open document, a thumbnail per image, from a thread pool."""
    from concurrent.futures import ThreadPoolExecutor

    document = open_document(plate(tmp_path))
    try:
        images = document.images()
        alone = [render_thumbnail(image, 48) for image in images]
        with ThreadPoolExecutor(4) as pool:
            together = list(pool.map(lambda image: render_thumbnail(image, 48), images * 3))
    finally:
        document.close()
    assert len(images) == 4 and len({a.tobytes() for a in alone}) == 4
    for i, picture in enumerate(together):
        assert np.array_equal(picture, alone[i % 4])


# ---- bounded reads -------------------------------------------------------------------------------
def test_orthogonal_reads_match_numpy_on_a_sharded_array(tmp_path: Path) -> None:
    from viewer.ome.sampling import read_cost, read_orthogonal

    data = rng(4).integers(0, 60000, (3, 150, 170)).astype(np.uint16)
    root = tmp_path / "sharded.zarr"
    write_image(root, "", [data], "cyx", chunks=(1, 16, 32), shards=(1, 64, 64))
    document = open_document(pack(root, tmp_path / "sharded.ozx"))
    try:
        array = document.images()[0].levels[0].array
        for seed in range(5):
            picks = [np.sort(rng(seed).integers(0, n, rng(seed).integers(1, 12))) for n in data.shape]
            np.testing.assert_array_equal(read_orthogonal(array, picks), data[np.ix_(*picks)])
        picks = [np.array([1]), np.arange(0, 150, 7), np.array([0, 40, 41, 169])]
        cost = read_cost(array, picks)
        assert cost.chunks == 1 * 10 * 3 and cost.nbytes == cost.chunks * 16 * 32 * 2
        assert read_orthogonal(array, [np.array([], int), np.array([0]), np.array([0])]).shape == (0, 1, 1)
    finally:
        document.close()


def test_an_image_without_pyramid_is_read_within_the_budget(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "flat.zarr"
    data = np.tile(np.arange(1200, dtype=np.uint16) % 256, (900, 1))
    write_image(root, "", [data], "yx", chunks=(8, 8), omero=omero_channels(["FFFFFF"], [(0, 255)]))
    reads = []
    original = ZarrArray.read_chunk
    monkeypatch.setattr(ZarrArray, "read_chunk", lambda self, coords: reads.append(coords) or original(self, coords))
    document = open_document(root)
    try:
        got = render_thumbnail(document.images()[0], 256)
    finally:
        document.close()
    assert 0 < len(reads) <= thumbnail_module.MAX_CHUNKS  # not the 150 × 113 = 16 950 chunks of 8 × 8 under 256²
    assert got.shape == (256, 256, 4)
    opaque = got[..., 3] == 255
    assert opaque.sum() == 256 * 192
    # Fewer samples than pixels: each covers a block, columns still follow the ramp.
    row = got[100, 32:224, 0].astype(int)
    assert len(np.unique(row)) < 192 and np.all(np.diff(row[row > 0][:20]) >= 0)


def test_automatic_windows_read_whole_chunks_within_the_budget(tmp_path: Path, monkeypatch) -> None:
    from viewer.ome import display_defaults

    root = tmp_path / "flat.zarr"
    data = rng(3).integers(100, 200, (1000, 1000)).astype(np.uint16)
    write_image(root, "", [data], "yx", chunks=(10, 10))  # no omero: percentiles
    monkeypatch.setattr(display_defaults, "AUTO_SAMPLE_CHUNKS", 500)
    reads = []
    original = ZarrArray.read_chunk
    monkeypatch.setattr(ZarrArray, "read_chunk", lambda self, coords: reads.append(coords) or original(self, coords))
    document = open_document(root)
    try:
        [channel] = opening_channels(document.images()[0], ())
    finally:
        document.close()
    assert 0 < len(reads) <= 500
    rows = {r for r, _ in reads}
    assert min(rows) < 10 and max(rows) > 90  # spread over the plane, not a corner
    low, high = channel.window
    assert 100 <= low <= 102 and 197 <= high <= 199


def test_a_huge_single_chunk_is_refused_without_decoding_it(tmp_path: Path) -> None:
    import zarr

    root = tmp_path / "huge.zarr"
    store = zarr.storage.LocalStore(str(root))
    zarr.create_array(store=store, name="0", shape=(12000, 12000), chunks=(12000, 12000), dtype="uint16")
    set_group_attrs(root, "", {"multiscales": [{"name": "huge", "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
                                                "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0]}]}]}]})
    out = tmp_path / "out.png"
    result = run_cli("thumbnail", str(root), str(out))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "too large for a thumbnail" in result.stderr and not out.exists()


def test_an_absurdly_large_image_without_pyramid_still_gets_a_bounded_thumbnail(tmp_path: Path) -> None:
    import zarr

    root = tmp_path / "absurd.zarr"
    zarr.create_array(store=zarr.storage.LocalStore(str(root)), name="0", shape=(2**40, 2**40), chunks=(1024, 1024), dtype="uint8")
    set_group_attrs(root, "", {"multiscales": [{"name": "absurd", "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
                                                "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0]}]}]}]})
    got = thumbnail(tmp_path, root, "-s", "64")  # nothing stored: the fill value everywhere
    assert got.shape == (64, 64, 4) and (got == (0, 0, 0, 255)).all()


# ---- bad input, sandbox, imports ------------------------------------------------------------------
def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "viewer", *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize("content", [b"", b"PK\x05\x06" + b"\0" * 18, os.urandom(5000), b"{not json"])
def test_bad_input_exit_2_one_line_no_output(tmp_path: Path, content: bytes) -> None:
    source = tmp_path / "bad.ozx"
    source.write_bytes(content)
    out = tmp_path / "out.png"
    result = run_cli("thumbnail", str(source), str(out))
    assert result.returncode == 2
    assert result.stderr.startswith("ozx-viewer: ") and result.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.ozx"]


def test_unwritable_output_and_bad_size(tmp_path: Path) -> None:
    result = run_cli("thumbnail", str(SAMPLE), str(tmp_path / "missing" / "out.png"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "cannot write" in result.stderr
    result = run_cli("thumbnail", str(SAMPLE), str(tmp_path / "out.png"), "--size", "0")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "1 to 2048" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_input_is_never_overwritten(tmp_path: Path) -> None:
    source = tmp_path / "in.ozx"
    shutil.copy(SAMPLE, source)
    result = run_cli("thumbnail", str(source), str(source))
    assert result.returncode == 2 and "is the input file" in result.stderr
    assert source.read_bytes() == SAMPLE.read_bytes()


def test_a_failed_render_leaves_an_existing_output_alone(tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    out.write_bytes(b"old")
    (tmp_path / "bad.ozx").write_bytes(b"garbage")
    assert run_cli("thumbnail", str(tmp_path / "bad.ozx"), str(out)).returncode == 2
    assert out.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["bad.ozx", "out.png"]


def test_no_qt_no_vispy_no_home(tmp_path: Path) -> None:
    code = ("import sys\nfrom viewer.cli import main\nrc = main(sys.argv[1:])\n"
            "gui = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'vispy', 'zarr')]\n"
            "print(rc, len(gui), ','.join(sorted(gui)))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR")}
    out = tmp_path / "thumb.png"
    result = subprocess.run([sys.executable, "-c", code, "thumbnail", str(SAMPLE), str(out)],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0"]
    assert read_png(out).shape == (256, 256, 4)


def _bwrap_works() -> bool:
    if shutil.which("bwrap") is None:
        return False
    probe = subprocess.run(["bwrap", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib",
                            "--symlink", "usr/lib64", "/lib64", "--unshare-all", "/usr/bin/true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _bwrap_works(), reason="bubblewrap missing or without namespaces here")
def test_thumbnail_in_gnomes_bubblewrap_sandbox(tmp_path: Path) -> None:
    """GNOME's thumbnailer binds (gnome-desktop-thumbnail-script.c): read-only /usr and ld.so.cache,
    /proc, /dev, every namespace unshared (no network), an empty output folder at /tmp holding the
    input. A frozen app lives in /usr/lib/ozx-viewer; this development install also needs its Python
    (the venv's interpreter), the venv and the source tree, bound read-only. No HOME."""
    source = labelled_ozx(tmp_path)
    outdir = tmp_path / "out"
    outdir.mkdir()
    python = Path(sys.executable)
    binds = []
    for path in {str(Path(sys.prefix)), str(Path(sys.base_prefix)), str(REPO), str(python.resolve().parent.parent)}:
        binds += ["--ro-bind", path, path]
    usrmerged = []
    for name in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{name}"):
            usrmerged += ["--symlink", f"usr/{name}", f"/{name}"]
        elif os.path.exists(f"/{name}"):
            usrmerged += ["--ro-bind", f"/{name}", f"/{name}"]
    command = ["bwrap", "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache", *usrmerged,
               "--proc", "/proc", "--dev", "/dev", "--chdir", "/", "--setenv", "GIO_USE_VFS", "local",
               "--unshare-all", "--die-with-parent", "--clearenv", "--setenv", "PATH", "/usr/bin",
               "--bind", str(outdir), "/tmp", *binds,  # /tmp first: a checkout under /tmp stays visible
               "--ro-bind", str(source), "/tmp/gnome-desktop-file-to-thumbnail.ozx",
               str(Path(sys.prefix) / "bin" / "python"), "-m", "viewer", "thumbnail", "-s", "128",
               "/tmp/gnome-desktop-file-to-thumbnail.ozx", "/tmp/gnome-desktop-thumbnailer.png"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    document = open_document(source)
    try:
        expected = reference(document.images()[0], 128)
    finally:
        document.close()
    assert np.array_equal(read_png(outdir / "gnome-desktop-thumbnailer.png"), expected)
    # Only the PNG was written (the empty input file, and the folders of a checkout under /tmp, are
    # bubblewrap's mount points).
    mount_points = {Path(path).relative_to("/tmp").parts[0] for path in binds if path.startswith("/tmp/")}
    written = sorted(p.name for p in outdir.iterdir() if p.name not in mount_points)
    assert written == ["gnome-desktop-file-to-thumbnail.ozx", "gnome-desktop-thumbnailer.png"]
    bad = tmp_path / "bad.ozx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    command[command.index(str(source))] = str(bad)
    (outdir / "gnome-desktop-thumbnailer.png").unlink()
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert not (outdir / "gnome-desktop-thumbnailer.png").exists()


def test_png_encoder_round_trips() -> None:
    picture = rng(9).integers(0, 256, (37, 53, 4)).astype(np.uint8)
    with PILImage.open(io.BytesIO(encode_png(picture))) as decoded:
        assert decoded.size == (53, 37) and decoded.mode == "RGBA"
        assert np.array_equal(np.asarray(decoded), picture)
    with pytest.raises(ValueError):
        encode_png(np.zeros((0, 4, 4), np.uint8))

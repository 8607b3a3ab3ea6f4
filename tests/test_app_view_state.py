"""The window's Qt-free state, the document session and the app-wide memory budget (no display)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.omezarr_fixtures import omero_channels, write_image
from tests.test_thumbnail import collection
from viewer.app.document_session import DocumentSession
from viewer.app.preparing import prepare, prepare_image
from viewer.app.view_state import ViewState
from viewer.errors import OzxError
from viewer.ome import open_document
from viewer.render.styles import ChannelStyle, LabelStyle
from viewer.tiles import MemoryBudget, TileCache
from viewer.tiles.cache import CacheShare


def stack(tmp_path: Path):
    root = tmp_path / "stack.zarr"
    data = np.zeros((3, 2, 5, 32, 32), np.uint16)
    write_image(root, "", [data], "tczyx", omero=omero_channels(["FF0000", "00FF00"], [(0, 100), (5, 50)], ["dna", "actin"]))
    document = open_document(root)
    return document, document.images()[0]


def test_view_state_changes_emit_once_and_clamp(tmp_path: Path) -> None:
    document, image = stack(tmp_path)
    try:
        state = ViewState(image, (0, 2))
        seen: list[tuple[str, object]] = []
        state.plane_changed.connect(lambda plane: seen.append(("plane", plane)))
        state.channel_changed.connect(lambda index: seen.append(("channel", index)))
        assert state.channel_names == ["dna", "actin"]
        assert state.channels == [ChannelStyle("FF0000", (0.0, 100.0)), ChannelStyle("00FF00", (5.0, 50.0))]
        assert state.plane_sizes == [3, 5]

        state.set_plane((1, 9))  # z has 5 planes
        state.set_plane((1, 4))  # no change: no event
        state.step("space", 1)  # z is already at its end
        state.step("time", -5)
        assert state.plane == (0, 4)
        state.set_channel(1, color="#00ff80", window=(1, 2))
        state.set_channel(1, color="00FF80")  # no change
        assert state.channels[1] == ChannelStyle("00FF80", (1.0, 2.0))
        state.reset_channel(1)
        assert state.channels[1].window == (5.0, 50.0) and state.channels[1].color == "00FF80"
        assert seen == [("plane", (1, 4)), ("plane", (0, 4)), ("channel", 1), ("channel", 1)]
    finally:
        document.close()


def test_view_state_labels(tmp_path: Path) -> None:
    from tests.test_thumbnail import labelled_ozx

    document = open_document(labelled_ozx(tmp_path))
    try:
        image = document.images()[0]
        state = ViewState(image, (0,) * len(image.layout.sliders))
        assert state.label_names == [m.name for m in image.labels] and state.labels
        assert all(style == LabelStyle(True, 0.5) for style in state.labels)
        changed: list[int] = []
        state.label_changed.connect(changed.append)
        state.set_label(0, opacity=1.0)
        state.set_label(0, opacity=1.0)
        assert changed == [0] and state.labels[0].opacity == 1.0
    finally:
        document.close()


def test_document_session_closes_the_file_with_its_last_image(tmp_path: Path) -> None:
    opened = prepare(str(collection(tmp_path)))
    session = opened.session
    container = opened.document.container
    assert container.read("zarr.json")
    second = prepare_image(session, session.document.images()[1])
    assert second.document is opened.document and second.image.name != opened.image.name
    assert second.image.levels[0].array.read().tolist() == np.full((16, 16), 2).tolist()
    opened.session.release()
    assert not session.closed  # the second image still holds it
    assert second.image.levels[0].array.read()[0, 0] == 2
    second.session.release()
    assert session.closed
    with pytest.raises(OzxError):
        prepare_image(session, session.document.images()[0])
    with pytest.raises(Exception):
        container.read("zarr.json")  # the file is closed


def test_cache_shares_have_one_budget_and_stay_apart() -> None:
    cache = TileCache(10 * 100)
    a, b = CacheShare(cache), CacheShare(cache)
    tile = lambda value: np.full(100, value, np.uint8)  # noqa: E731
    for i in range(6):
        a.put(i, tile(i))
    for i in range(6):
        b.put(i, tile(100 + i))
    assert cache.nbytes == 1000 and a.nbytes == 400 and b.nbytes == 600  # one LRU over both
    assert b.get(5)[0] == 105 and a.get(5)[0] == 5 and 0 not in a
    a.protect([2, 3])
    b.protect([5])
    for i in range(6, 20):
        b.put(i, tile(100 + i))
    assert 2 in a and 3 in a and 5 in b  # each owner's protection holds while the others' evict
    assert cache.nbytes == 1000
    a.protect([])
    b.put(20, tile(120))
    b.put(21, tile(121))
    assert 2 not in a and 3 not in a  # the oldest, once unprotected
    b.clear()
    assert b.nbytes == 0 and len(cache) == len([k for k in cache._items if k[0] == a.owner])


def test_memory_budget_splits_textures_and_resizes_tiles() -> None:
    class Holder:
        budget = None

        def set_budget(self, budget: int) -> None:
            self.budget = budget

    budget = MemoryBudget(1000, texture_bytes=900)
    holders = [Holder(), Holder(), Holder()]
    budget.join_textures(holders[0])
    assert holders[0].budget == 900
    budget.join_textures(holders[1])
    budget.join_textures(holders[2])
    assert [h.budget for h in holders] == [300, 300, 300]
    budget.leave_textures(holders[1])
    assert holders[0].budget == holders[2].budget == 450
    share = budget.tile_share()
    for i in range(10):
        share.put(i, np.zeros(100, np.uint8))
    budget.set_tile_bytes(300)
    assert share.nbytes == 300 and budget.tile_bytes == 300


def test_plane_texts_name_the_physical_position(tmp_path: Path) -> None:
    root = tmp_path / "timed.zarr"
    write_image(root, "", [np.zeros((4, 3, 8, 8), np.uint8)], "tzyx")
    attrs_file = root / "zarr.json"
    import json

    meta = json.loads(attrs_file.read_text())
    multiscale = meta["attributes"]["ome"]["multiscales"][0]
    multiscale["axes"][0]["unit"] = "second"
    multiscale["datasets"][0]["coordinateTransformations"][0]["scale"] = [2.5, 0.3, 0.5, 0.5]
    attrs_file.write_text(json.dumps(meta))
    document = open_document(root)
    try:
        state = ViewState(document.images()[0], (0, 0))
        state.set_plane((3, 2))
        assert state.plane_texts() == ["3 / 3 · 7.5 s", "2 / 2 · 600 nm"]
    finally:
        document.close()


def test_the_player_drops_ticks_while_the_plane_is_not_drawn(qtbot, tmp_path: Path) -> None:
    from viewer.app.plane_player import PlanePlayer

    document, image = stack(tmp_path)
    try:
        state = ViewState(image, (0, 3))
        ready = [False]
        player = PlanePlayer(state, 1, lambda: ready[0], fps=100)
        player.play()
        qtbot.wait(120)
        assert state.plane == (0, 3) and player.dropped >= 3 and player.shown == 0
        ready[0] = True
        qtbot.waitUntil(lambda: player.shown >= 3, timeout=2000)
        player.stop()
        assert state.plane[1] == (3 + player.shown) % 5
    finally:
        document.close()

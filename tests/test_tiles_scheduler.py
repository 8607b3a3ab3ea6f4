import threading
import time

import numpy as np
import pytest

from viewer.tiles.cache import TileCache
from viewer.tiles.geometry import LevelGeometry, View
from viewer.tiles.scheduler import TileKey, TileScheduler, wanted_tiles

# Three levels, factor 2: 4x4, 2x2 and 1x1 tiles of 10x10 pixels.
PYRAMID = [
    LevelGeometry((40, 40), (10, 10), (1.0, 1.0)),
    LevelGeometry((20, 20), (10, 10), (2.0, 2.0)),
    LevelGeometry((10, 10), (10, 10), (4.0, 4.0)),
]
# One screen pixel per level-0 pixel, centre (17, 15): level 0 is chosen.
OFF_CENTRE = View(12, 10, 22, 20, canvas_px=(10, 10))
PLANE = (0,)


def K(level: int, ty: int, tx: int, plane=PLANE) -> TileKey:
    return TileKey(level, plane, ty, tx)


def tile_array(key: TileKey) -> np.ndarray:
    return np.full((2, 2), key.level * 100 + key.ty * 10 + key.tx, dtype=np.int32)


EXPECTED_ORDER = [
    K(2, 0, 0),  # coarsest level first
    K(1, 0, 0),  # centre (10, 10): 8.6 from the view centre
    K(1, 0, 1),  # centre (30, 10): 13.9
    K(0, 1, 1),  # visible, 2 from the centre
    K(0, 1, 2),  # visible, 8
    # prefetch ring by distance: 10.2, 10.2, 12, 12.8, 12.8, 15.6, 15.6, 18, 20.6, 20.6
    K(0, 0, 1), K(0, 2, 1), K(0, 1, 0), K(0, 0, 2), K(0, 2, 2),
    K(0, 0, 0), K(0, 2, 0), K(0, 1, 3), K(0, 0, 3), K(0, 2, 3),
]  # fmt: skip


class Recorder:
    """Loader and callbacks that record what happened, optionally blocking on a gate."""

    def __init__(self, delay: float = 0.0, gate: threading.Event | None = None) -> None:
        self.delay = delay
        self.gate = gate
        self.started: list[TileKey] = []
        self.ready: list[TileKey] = []
        self.errors: list[tuple[TileKey, Exception]] = []
        self.first_started = threading.Event()

    def load(self, key: TileKey) -> np.ndarray:
        self.started.append(key)
        self.first_started.set()
        if self.gate is not None:
            assert self.gate.wait(5)
        time.sleep(self.delay)
        return tile_array(key)

    def on_ready(self, key: TileKey, array: np.ndarray) -> None:
        assert array[0, 0] == tile_array(key)[0, 0]
        self.ready.append(key)

    def on_error(self, key: TileKey, exc: Exception) -> None:
        self.errors.append((key, exc))


@pytest.fixture
def make_scheduler():
    created: list[TileScheduler] = []

    def make(recorder: Recorder, cache: TileCache | None = None, workers: int = 1, loader=None):
        scheduler = TileScheduler(
            loader or recorder.load,
            cache if cache is not None else TileCache(1 << 24),
            recorder.on_ready,
            workers=workers,
            on_error=recorder.on_error,
        )
        created.append(scheduler)
        return scheduler

    yield make
    for scheduler in created:
        scheduler.shutdown()


def test_wanted_tiles_priority_order_exact():
    assert wanted_tiles(PYRAMID, OFF_CENTRE, PLANE) == EXPECTED_ORDER


def test_while_panning_only_the_ring_ahead_is_prefetched():
    ahead_right = [K(0, 0, 2), K(0, 2, 2), K(0, 1, 3), K(0, 0, 3), K(0, 2, 3)]  # tile centres x = 25, 35
    assert wanted_tiles(PYRAMID, OFF_CENTRE, PLANE, motion=(3.0, 0.0)) == EXPECTED_ORDER[:5] + ahead_right
    # the row above, and the row of the centre (beside the motion, not behind it)
    ahead_up = [K(0, 0, 1), K(0, 1, 0), K(0, 0, 2), K(0, 0, 0), K(0, 1, 3), K(0, 0, 3)]
    assert wanted_tiles(PYRAMID, OFF_CENTRE, PLANE, motion=(0.0, -0.5)) == EXPECTED_ORDER[:5] + ahead_up


def test_wanted_tiles_when_zoomed_out_is_coarsest_only():
    view = View(-100, -100, 140, 140, canvas_px=(10, 10))  # 24 units per screen pixel
    assert wanted_tiles(PYRAMID, view, PLANE) == [K(2, 0, 0)]


def test_wanted_tiles_outside_image_is_empty():
    assert wanted_tiles(PYRAMID, View(100, 100, 110, 110, canvas_px=(10, 10)), PLANE) == []


def test_update_returns_priority_order_and_loads_in_that_order(make_scheduler):
    recorder = Recorder()
    scheduler = make_scheduler(recorder, workers=1)
    assert scheduler.update(PYRAMID, OFF_CENTRE, PLANE) == EXPECTED_ORDER
    assert scheduler.wait_idle(5)
    assert recorder.started == EXPECTED_ORDER
    assert recorder.ready == EXPECTED_ORDER
    assert scheduler.generation == 1


def test_cached_tiles_are_skipped(make_scheduler):
    cache = TileCache(1 << 24)
    cache.put(K(2, 0, 0), tile_array(K(2, 0, 0)))
    cache.put(K(0, 1, 1), tile_array(K(0, 1, 1)))
    recorder = Recorder()
    scheduler = make_scheduler(recorder, cache=cache)
    missing = scheduler.update(PYRAMID, OFF_CENTRE, PLANE)
    assert missing == [k for k in EXPECTED_ORDER if k not in (K(2, 0, 0), K(0, 1, 1))]
    assert scheduler.wait_idle(5)
    assert set(recorder.started) == set(missing)
    assert scheduler.update(PYRAMID, OFF_CENTRE, PLANE) == []


def test_resident_tiles_are_skipped_though_not_cached(make_scheduler):
    recorder = Recorder()
    scheduler = make_scheduler(recorder, workers=1)
    resident = {K(2, 0, 0), K(0, 1, 1)}  # e.g. uploaded, their decoded copies dropped
    missing = scheduler.update(PYRAMID, OFF_CENTRE, PLANE, resident=resident)
    assert missing == [k for k in EXPECTED_ORDER if k not in resident]
    assert scheduler.wait_idle(5)
    assert recorder.started == missing


def test_one_off_request_goes_first_once(make_scheduler):
    gate = threading.Event()
    recorder = Recorder(gate=gate)
    scheduler = make_scheduler(recorder, workers=1)
    scheduler.update(PYRAMID, OFF_CENTRE, PLANE)
    assert recorder.first_started.wait(5)  # the first wanted tile is loading, the rest queued
    assert scheduler.request(K(0, 3, 3)) is True
    assert scheduler.request(K(0, 3, 3)) is False  # queued already
    assert scheduler.request(EXPECTED_ORDER[0]) is False  # loading
    gate.set()
    assert scheduler.wait_idle(5)
    assert recorder.started[:2] == [EXPECTED_ORDER[0], K(0, 3, 3)]
    assert scheduler.request(K(0, 3, 3)) is False  # cached


def test_tile_cached_by_someone_else_while_queued_is_not_loaded(make_scheduler):
    gate = threading.Event()
    recorder = Recorder(gate=gate)
    cache = TileCache(1 << 24)
    scheduler = make_scheduler(recorder, cache=cache, workers=1)
    scheduler.update(PYRAMID, OFF_CENTRE, PLANE)
    assert recorder.first_started.wait(5)
    cache.put(K(1, 0, 0), tile_array(K(1, 0, 0)))
    gate.set()
    assert scheduler.wait_idle(5)
    assert recorder.started == [k for k in EXPECTED_ORDER if k != K(1, 0, 0)]


def test_superseded_requests_never_start(make_scheduler):
    gate = threading.Event()
    recorder = Recorder(gate=gate)
    scheduler = make_scheduler(recorder, workers=1)
    scheduler.update(PYRAMID, OFF_CENTRE, PLANE)
    assert recorder.first_started.wait(5)  # K(2, 0, 0) is loading and blocked
    assert scheduler.pending() == len(EXPECTED_ORDER) - 1
    assert scheduler.in_flight() == 1 and not scheduler.idle()
    other_plane = (1,)
    new = scheduler.update(PYRAMID, OFF_CENTRE, other_plane)
    assert new == [key._replace(plane=other_plane) for key in EXPECTED_ORDER]
    gate.set()
    assert scheduler.wait_idle(5)
    assert recorder.started == [K(2, 0, 0)] + new
    assert K(2, 0, 0) in recorder.ready  # the load in flight finished and was kept


def test_burst_of_updates_starts_no_stale_work(make_scheduler):
    levels = [
        LevelGeometry((4096, 4096), (64, 64), (1.0, 1.0)),
        LevelGeometry((1024, 1024), (64, 64), (4.0, 4.0)),
    ]
    views = [
        View(i * 60.0, i * 20.0, i * 60.0 + 256, i * 20.0 + 256, canvas_px=(256, 256))
        for i in range(50)
    ]
    wanted_by_generation: dict[int, set[TileKey]] = {}
    starts: list[tuple[TileKey, int, int]] = []  # key, generation bounds of its pop
    previous_end: dict[int, int] = {}
    scheduler: TileScheduler

    def load(key: TileKey) -> np.ndarray:
        thread = threading.get_ident()
        starts.append((key, previous_end.get(thread, 0), scheduler.generation))
        time.sleep(0.002)
        previous_end[thread] = scheduler.generation
        return tile_array(key)

    recorder = Recorder()
    cache = TileCache(1 << 26)
    scheduler = make_scheduler(recorder, cache=cache, workers=2, loader=load)
    for view in views:
        scheduler.update(levels, view, PLANE)
        wanted_by_generation[scheduler.generation] = set(wanted_tiles(levels, view, PLANE))
        time.sleep(0.001)
    started_during_burst = len(starts)

    assert scheduler.wait_idle(5)
    assert scheduler.pending() == 0 and scheduler.in_flight() == 0 and scheduler.idle()
    assert started_during_burst > 0
    assert all(key in cache for key in wanted_by_generation[scheduler.generation])
    for key, first, last in starts:
        # The request was popped at some generation in [first, last]: it must have been
        # wanted by one of them.
        assert any(key in wanted_by_generation.get(g, ()) for g in range(first, last + 1)), key
    keys = [key for key, _, _ in starts]
    assert len(keys) == len(set(keys))  # nothing loaded twice


def test_errors_are_reported_once_and_workers_survive(make_scheduler):
    recorder = Recorder()

    def load(key: TileKey) -> np.ndarray:
        if key.level == 0 and key.tx == 0:
            raise OSError(f"broken chunk {key.ty}")
        if key == K(0, 2, 2):
            return None  # not an array: reported too
        return recorder.load(key)

    scheduler = make_scheduler(recorder, workers=2, loader=load)
    scheduler.update(PYRAMID, OFF_CENTRE, PLANE)
    assert scheduler.wait_idle(5)
    failed = {K(0, 0, 0), K(0, 1, 0), K(0, 2, 0), K(0, 2, 2)}
    assert {key for key, _ in recorder.errors} == failed
    assert all(isinstance(exc, OSError) for key, exc in recorder.errors if key.tx == 0)
    assert set(recorder.ready) == set(EXPECTED_ORDER) - failed

    # Failed tiles are not requested again; the workers still serve new work.
    assert scheduler.update(PYRAMID, OFF_CENTRE, PLANE) == []
    assert scheduler.update(PYRAMID, OFF_CENTRE, (1,)) != []
    assert scheduler.wait_idle(5)
    assert K(0, 1, 1, plane=(1,)) in recorder.ready

    assert {key for key, _ in recorder.errors[4:]} == {K(0, ty, 0, plane=(1,)) for ty in range(3)}

    scheduler.forget_failures()
    assert set(scheduler.update(PYRAMID, OFF_CENTRE, PLANE)) == failed
    assert scheduler.wait_idle(5)
    assert {key for key, _ in recorder.errors[7:]} == failed


def test_on_ready_exception_is_reported_and_tile_stays_cached(make_scheduler):
    recorder = Recorder()
    cache = TileCache(1 << 24)
    scheduler = TileScheduler(
        recorder.load, cache, on_ready=lambda key, array: 1 / 0, on_error=recorder.on_error
    )
    try:
        view = View(0, 0, 40, 40, canvas_px=(10, 10))  # level 2 only: one tile
        scheduler.update(PYRAMID, view, PLANE)
        assert scheduler.wait_idle(5)
        reported = [(key, type(exc)) for key, exc in recorder.errors]
        assert reported == [(K(2, 0, 0), ZeroDivisionError)]
        assert K(2, 0, 0) in cache
    finally:
        scheduler.shutdown()


def test_shutdown_stops_workers_and_ignores_updates(make_scheduler):
    recorder = Recorder()
    scheduler = make_scheduler(recorder, workers=3)
    scheduler.shutdown()
    assert not any(thread.is_alive() for thread in scheduler._threads)
    assert scheduler.update(PYRAMID, OFF_CENTRE, PLANE) == []
    assert scheduler.idle() and recorder.started == []


def test_needs_a_worker():
    with pytest.raises(ValueError):
        TileScheduler(tile_array, TileCache(10), lambda key, array: None, workers=0)

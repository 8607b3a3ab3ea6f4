"""Which tiles to load, in which order, and the worker threads that load them."""

from __future__ import annotations

import logging
import math
import os
import threading
from collections import deque
from typing import Callable, Container, NamedTuple, Sequence

import numpy as np

from .cache import TileCache
from .geometry import LevelGeometry, View, choose_level, visible_tiles

logger = logging.getLogger(__name__)


#: Loader threads run this much nicer than the GUI thread: on a machine with few cores the GUI
#: (and a software rasterizer's threads) then win the CPU when both are busy, so frames keep their
#: pace while tiles decode; idle cores are still used fully.
WORKER_NICENESS = 5


def _lower_thread_priority() -> None:
    """Raise the calling thread's niceness by WORKER_NICENESS where the OS has per-thread nice
    values (Linux); elsewhere do nothing."""
    if not hasattr(os, "setpriority") or not hasattr(threading, "get_native_id"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + WORKER_NICENESS)
    except OSError:
        pass


class TileKey(NamedTuple):
    """One tile of one plane: `plane` holds the indices on the non-displayed axes (z, t, ...).

    Channels are not part of the key: a tile holds all channels.
    """

    level: int
    plane: tuple[int, ...]
    ty: int
    tx: int


Loader = Callable[[TileKey], np.ndarray]
ReadyCallback = Callable[[TileKey, np.ndarray], None]
ErrorCallback = Callable[[TileKey, Exception], None]


def wanted_tiles(
    levels: Sequence[LevelGeometry],
    view: View,
    plane: tuple[int, ...],
    bias: float = 0.0,
    margin: int = 1,
    motion: tuple[float, float] = (0.0, 0.0),
) -> list[TileKey]:
    """Every tile the view needs, highest priority first.

    Wanted: the chosen level's visible tiles and a prefetch ring `margin` tiles wide, plus the
    visible tiles of every coarser level (the coarsest one guarantees something to show).
    While the view pans (`motion`: the world vector it last moved by), only the ring tiles ahead
    of it are prefetched: a small cache then holds what is about to scroll in.
    Order: coarse levels before fine, visible before prefetch, then distance from the tile
    centre to the view centre, then (ty, tx).
    """
    chosen = choose_level(levels, view, bias)
    cx, cy = view.centre
    mx, my = motion
    ranked: list[tuple[tuple[int, int, float, int, int], TileKey]] = []
    for index in range(chosen, len(levels)):
        level = levels[index]
        visible, ring = visible_tiles(level, view, margin if index == chosen else 0)
        for is_prefetch, tiles in ((0, visible), (1, ring)):
            for ty, tx in tiles:
                x0, y0, x1, y1 = level.tile_world_box(ty, tx)
                dx, dy = (x0 + x1) / 2 - cx, (y0 + y1) / 2 - cy
                if is_prefetch and dx * mx + dy * my < 0:
                    continue  # behind the motion
                distance = math.hypot(dx, dy)
                rank = (-index, is_prefetch, distance, ty, tx)
                ranked.append((rank, TileKey(index, plane, ty, tx)))
    ranked.sort()
    return [key for _, key in ranked]


class TileScheduler:
    """Loads the tiles a view needs on daemon worker threads, most important first.

    Each `update()` replaces the pending queue, so requests for views that were left are
    dropped before they start; loads already running finish and are cached. `on_ready` and
    `on_error` are called from worker threads. A tile whose load failed is not requested
    again until `forget_failures()`, so a broken chunk is reported once, not on every pan.
    """

    def __init__(
        self,
        loader: Loader,
        cache: TileCache,
        on_ready: ReadyCallback,
        workers: int = 2,
        on_error: ErrorCallback | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"need at least one worker, got {workers}")
        self._loader = loader
        self._cache = cache
        self._on_ready = on_ready
        self._on_error = on_error
        lock = threading.Lock()
        self._work_available = threading.Condition(lock)
        self._idle_changed = threading.Condition(lock)
        self._queue: deque[TileKey] = deque()
        self._in_flight: set[TileKey] = set()
        self._failed: set[TileKey] = set()
        self._generation = 0
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"tile-loader-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def generation(self) -> int:
        """Number of `update()` calls so far: identifies the current wanted set."""
        with self._work_available:
            return self._generation

    def update(
        self,
        levels: Sequence[LevelGeometry],
        view: View,
        plane: tuple[int, ...],
        bias: float = 0.0,
        resident: Container[TileKey] = frozenset(),
        motion: tuple[float, float] = (0.0, 0.0),
    ) -> list[TileKey]:
        """Make the wanted tiles of `view` (see `wanted_tiles`) the only pending work.

        Returns the wanted keys neither cached nor `resident` (e.g. already on the GPU) — queued or
        already loading — highest priority first, excluding failed ones. Does nothing and returns
        [] after `shutdown()`.
        """
        wanted = [k for k in wanted_tiles(levels, view, plane, bias, motion=motion) if k not in resident]
        with self._work_available:
            if self._closed:
                return []
            self._generation += 1
            missing = [k for k in wanted if k not in self._failed and k not in self._cache]
            self._queue = deque(k for k in missing if k not in self._in_flight)
            self._work_available.notify_all()
            self._idle_changed.notify_all()
        return missing

    def request(self, key: TileKey) -> bool:
        """Queue `key` before everything else (a one-off, e.g. the tile under the cursor) unless it
        is cached, loading, queued or failed; the next `update()` drops it if it has not started.
        Returns whether it was queued."""
        with self._work_available:
            if self._closed or key in self._cache or key in self._in_flight or key in self._failed or key in self._queue:
                return False
            self._queue.appendleft(key)
            self._work_available.notify_all()
            return True

    def pending(self) -> int:
        """Requests queued and not started."""
        with self._work_available:
            return len(self._queue)

    def in_flight(self) -> int:
        """Requests being loaded right now."""
        with self._work_available:
            return len(self._in_flight)

    def idle(self) -> bool:
        with self._work_available:
            return self._is_idle()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is pending or loading; False if `timeout` seconds passed first."""
        with self._idle_changed:
            return self._idle_changed.wait_for(self._is_idle, timeout)

    def forget_failures(self) -> None:
        """Let the next `update()` request tiles whose load failed before."""
        with self._work_available:
            self._failed.clear()

    def shutdown(self, wait: bool = True) -> None:
        """Drop pending work and stop the workers once their current load returns.

        With `wait`, block until they have stopped. `on_ready` is not called after this.
        """
        with self._work_available:
            self._closed = True
            self._queue.clear()
            self._work_available.notify_all()
            self._idle_changed.notify_all()
        if wait:
            for thread in self._threads:
                thread.join()

    def _is_idle(self) -> bool:
        return not self._queue and not self._in_flight

    def _work(self) -> None:
        _lower_thread_priority()
        while (key := self._next_request()) is not None:
            try:
                self._load(key)
            finally:
                with self._work_available:
                    self._in_flight.discard(key)
                    self._idle_changed.notify_all()

    def _next_request(self) -> TileKey | None:
        """Pop the most important request not cached meanwhile; None once shut down.

        Requests are popped and marked in flight under the same lock `update()` holds while
        replacing the queue, so a popped request is never stale and never loading twice.
        """
        with self._work_available:
            while not self._closed:
                if not self._queue:
                    self._idle_changed.notify_all()
                    self._work_available.wait()
                    continue
                key = self._queue.popleft()
                if key not in self._cache:  # the cache may be filled by others
                    self._in_flight.add(key)
                    return key
            return None

    def _load(self, key: TileKey) -> None:
        try:
            array = self._loader(key)
            self._cache.put(key, array)
        except Exception as exc:
            with self._work_available:
                self._failed.add(key)
            self._report(key, exc)
            return
        if self._closed:
            return
        try:
            self._on_ready(key, array)
        except Exception as exc:
            self._report(key, exc)

    def _report(self, key: TileKey, exc: Exception) -> None:
        if self._on_error is None:
            logger.error("loading tile %s failed", key, exc_info=exc)
            return
        try:
            self._on_error(key, exc)
        except Exception:
            logger.exception("on_error failed for tile %s", key)

"""Samples what is on screen on a worker thread, a moment after the view or plane settles."""

from __future__ import annotations

import itertools
import logging
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from ..tiles import TileKey
from .contrast import percentile_window, visible_sample
from .image_session import ImageSession
from .view_state import ViewState

logger = logging.getLogger(__name__)

SETTLE_MS = 250


class ContrastSampler(QObject):
    """Emits `sampled(list of per-channel value arrays)` for the current view and plane; only the
    latest request's sample is delivered. `auto(index)` sets a channel's window to percentiles of
    what is on screen."""

    sampled = Signal(object)
    _done = Signal(int, object)

    def __init__(self, session: ImageSession, state: ViewState) -> None:
        super().__init__()
        self._session = session
        self._state = state
        self._requests = itertools.count(1)
        self._latest = 0
        self.values: list[np.ndarray] | None = None
        self._auto_waiting: set[int] = set()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="contrast-sample")
        self._timer = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._timer.timeout.connect(self.request)
        self._done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._bindings = [(state.view_changed, self._settle), (state.plane_changed, self._settle)]
        for event, callback in self._bindings:
            event.connect(callback)
        session.loading_changed.connect(self._loaded)  # tiles still being made were left out

    def request(self) -> None:
        """Sample the current view and plane now (on the worker)."""
        view = self._state.view
        if view is None:
            return
        self._latest = request = next(self._requests)
        stream = self._session.stream
        geometries, plane = stream.geometries, self._state.plane
        channels = self._session.slots if self._state.layout.channel is not None else 1
        ref = weakref.ref(self)

        def run() -> None:
            try:
                values = visible_sample(geometries, _skip_errors(stream.tile_now), view, plane, channels)
            except Exception:  # a sample is a nicety: the view keeps working without it
                logger.debug("sampling the view failed", exc_info=True)
                return
            sampler = ref()
            if sampler is not None:
                sampler._done.emit(request, values)

        self._pool.submit(run)

    def auto(self, index: int) -> None:
        """Window channel `index` to percentiles of what is on screen (now, or once sampled)."""
        if self.values is not None and not self._timer.isActive():
            self._apply_auto(index)
        else:
            self._auto_waiting.add(index)
            self._timer.stop()
            self.request()

    def close(self) -> None:
        for event, callback in self._bindings:
            event.disconnect(callback)
        try:
            self._session.loading_changed.disconnect(self._loaded)
        except (RuntimeError, TypeError):  # the session is gone already
            pass
        self._timer.stop()
        self._latest = -1
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _settle(self, _value: object) -> None:
        self._timer.start()

    def _loaded(self, loading: bool) -> None:
        if not loading:
            self._timer.start()

    def _deliver(self, request: int, values: list[np.ndarray]) -> None:
        if request != self._latest:
            return
        self.values = values
        for index in sorted(self._auto_waiting):
            self._apply_auto(index)
        self._auto_waiting.clear()
        self.sampled.emit(values)

    def _apply_auto(self, index: int) -> None:
        if self.values is not None and index < len(self.values) and self.values[index].size:
            self._state.set_channel(index, window=percentile_window(self.values[index]))


def _skip_errors(tile):
    """`tile`, giving an empty tile for keys that cannot be read (their part is left out)."""
    def read(key: TileKey) -> np.ndarray | None:
        try:
            return tile(key)
        except Exception:
            return None
    return read

"""Thumbnails drawn in the background: a few worker threads, the wanted ones first, stale ones dropped.

The panel says which images it wants (`want`, most wanted first) whenever what it shows changes;
jobs no longer wanted are dropped before they start. Pictures come from `render_thumbnail`
(numpy, coarsest level) and reach the GUI thread as `QImage`s through the `ready` signal; a
bounded cache keeps the latest ones. Nothing here blocks the GUI thread except `join`, which is
meant for a closing thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from typing import Callable, Sequence

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage

from ..errors import OzxError
from ..ome.model import Image
from ..render.thumbnail import render_thumbnail
from ..tiles.scheduler import _lower_thread_priority

logger = logging.getLogger(__name__)

THUMBNAIL_SIZE = 64
THREADS = 2
#: Pictures kept (64 × 64 RGBA: 16 KiB each, so 32 MiB at most).
CACHE_ITEMS = 2048
#: The GUI thread takes finished pictures for at most this long per turn of its event loop.
DELIVERY_SLICE_S = 0.006

Renderer = Callable[[Image, int], np.ndarray]


def to_qimage(rgba: np.ndarray) -> QImage:
    """(rows, cols, 4) RGBA uint8 → a QImage that owns a copy of the pixels."""
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    rows, cols = rgba.shape[:2]
    return QImage(rgba.data, cols, rows, cols * 4, QImage.Format.Format_RGBA8888).copy()


class _Queue:
    """The wanted keys (most wanted first), the running ones and whether the jobs are closed."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.keys: list[int] = []
        self.running: set[int] = set()
        self.closed = False
        self.paused = False
        self.done: deque[tuple[int, QImage | None, str]] = deque()
        self.delivery_due = False  # a `_done` signal is on its way to the GUI thread

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.keys = []
            self.done.clear()
            self.lock.notify_all()


class ThumbnailJobs(QObject):
    """Thumbnails of images keyed by an int (the catalog index). Emits `ready(key, QImage)` and
    `failed(key, message)` on the GUI thread. Give it a parent (the panel): Qt then ends it on the
    GUI thread whatever thread last held it."""

    ready = Signal(int, QImage)
    failed = Signal(int, str)
    _done = Signal()

    def __init__(self, images: Sequence[Image], size: int = THUMBNAIL_SIZE, threads: int = THREADS,
                 renderer: Renderer = render_thumbnail, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.size = size
        self._images = list(images)
        self._render = renderer
        self._state = state = _Queue()
        self.destroyed.connect(state.close)  # deleted with its parent: the workers end
        self._cache: OrderedDict[int, QImage] = OrderedDict()
        self._errors: dict[int, str] = {}
        self._done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._threads = [threading.Thread(target=self._work, name=f"thumbnail-{i}", daemon=True) for i in range(threads)]
        for thread in self._threads:
            thread.start()

    # ---- GUI thread --------------------------------------------------------------------------
    def picture(self, key: int) -> QImage | None:
        """The thumbnail if it has been drawn (and is still cached)."""
        picture = self._cache.get(key)
        if picture is not None:
            self._cache.move_to_end(key)
        return picture

    def error(self, key: int) -> str | None:
        """Why the thumbnail cannot be drawn, once that is known."""
        return self._errors.get(key)

    def want(self, keys: Sequence[int]) -> None:
        """Replace the wanted thumbnails (most wanted first): ones not yet started and not in
        `keys` are dropped; drawn or failed ones are not drawn again."""
        wanted = []
        seen = set()
        for key in keys:
            if 0 <= key < len(self._images) and key not in seen and key not in self._cache and key not in self._errors:
                seen.add(key)
                wanted.append(key)
        state = self._state
        with state.lock:
            if state.closed:
                return
            state.keys = [k for k in wanted if k not in state.running]
            state.lock.notify_all()

    def pause(self, paused: bool) -> None:
        """Hold the workers (e.g. while the window draws its first frame) or let them go on."""
        state = self._state
        with state.lock:
            state.paused = paused
            state.lock.notify_all()

    def pending(self) -> int:
        """Jobs queued or running."""
        state = self._state
        with state.lock:
            return len(state.keys) + len(state.running)

    def close(self) -> None:
        """Drop every job not started; running ones finish and are not delivered (no wait)."""
        self._state.close()
        self._cache.clear()

    @property
    def workers(self) -> list[threading.Thread]:
        """The worker threads (they end after `close`)."""
        return list(self._threads)

    def join(self, timeout: float | None = None) -> None:
        """Wait until the workers have ended (after `close`); for a closing thread, not the GUI."""
        for thread in self._threads:
            thread.join(timeout)

    # ---- workers -----------------------------------------------------------------------------
    def _work(self) -> None:
        _lower_thread_priority()
        state = self._state
        while True:
            with state.lock:
                while (not state.keys or state.paused) and not state.closed:
                    state.lock.wait()
                if state.closed:
                    return
                key = state.keys.pop(0)
                state.running.add(key)
            picture, message = None, ""
            try:
                picture = to_qimage(self._render(self._images[key], self.size))
            except OzxError as exc:
                message = str(exc)
            except Exception as exc:  # a bug of ours or a broken codec: one line, never a traceback
                logger.debug("thumbnail %d failed", key, exc_info=True)
                message = f"{type(exc).__name__}: {exc}"
            with state.lock:
                state.running.discard(key)
                if state.closed:
                    return
                state.done.append((key, picture, message))
                notify, state.delivery_due = not state.delivery_due, True
            if notify:  # one signal for a batch: the GUI thread takes them in short slices
                try:
                    self._done.emit()
                except RuntimeError:  # the panel owning these jobs is gone
                    return

    def _deliver(self) -> None:
        """Take finished pictures for up to DELIVERY_SLICE_S, then leave the rest to the next turn
        of the event loop (a screenful arriving at once never stalls the GUI)."""
        state = self._state
        deadline = time.monotonic() + DELIVERY_SLICE_S
        while True:
            with state.lock:
                if state.closed or not state.done:
                    state.delivery_due = False
                    return
                if time.monotonic() >= deadline:
                    QTimer.singleShot(0, self, self._deliver)
                    return
                key, picture, message = state.done.popleft()
            self._take(key, picture, message)

    def _take(self, key: int, picture: QImage | None, message: str) -> None:
        if picture is None:
            self._errors[key] = message
            self.failed.emit(key, message)
            return
        self._cache[key] = picture
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_ITEMS:
            self._cache.popitem(last=False)
        self.ready.emit(key, picture)

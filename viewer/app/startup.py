"""What runs first: where the bundled sample is, and opening a document on a thread while the
GUI libraries are still being imported (standard library only at import)."""

from __future__ import annotations

import ctypes
import sys
import threading
from pathlib import Path
from typing import Callable

import viewer

#: Called with (OpenedImage, None) or (path, one-line error message).
DoneCallback = Callable[[object, "str | None"], None]


def sample_path() -> Path:
    """The bundled sample: package data of an installed wheel or a frozen bundle
    (`viewer/resources/`), else the source tree's `resources/` (editable installs, checkouts)."""
    package = Path(viewer.__file__).resolve().parent
    candidates = [package / "resources" / "sample.ozx", package.parent / "resources" / "sample.ozx"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return candidates[-1]


_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def limit_heap_growth() -> None:
    """glibc only: keep tile-sized buffers (≥ 128 KiB) in their own mappings and use two arenas.

    Decoded tiles are allocated and freed on worker threads; with glibc's default dynamic mmap
    threshold they end up in per-thread heaps that never shrink, and a session's resident memory
    grows by ~90 MB of fragmentation (measured with benchmarks/bench_viewer.py)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
        libc.mallopt(_M_ARENA_MAX, 2)
    except (OSError, AttributeError):  # not glibc (musl, …): nothing to tune
        pass


def release_free_memory() -> None:
    """glibc only: give the heap's free pages back to the system (`malloc_trim`).

    Compiling shaders (LLVM, in a software rasterizer) and decoding leave tens of MB free but
    mapped inside the heap, counted in the process' resident memory until trimmed (~20 MB after
    zooming through a large image, measured). Costs a few milliseconds: call it when idle."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class PendingOpen:
    """`preparing.prepare_outcome` running on a daemon thread: `path`'s first image, or `image`
    of the file `session` already holds open.

    Callbacks run on that thread when it finishes, or at once on the caller's thread if it
    already has; each gets the outcome exactly once.
    """

    def __init__(self, path: str, session: object = None, image: object = None) -> None:
        self.path = path
        self._session, self._image = session, image
        self._lock = threading.Lock()
        self._outcome: tuple[object, str | None] | None = None
        self._callbacks: list[DoneCallback] = []
        threading.Thread(target=self._run, name="open-document", daemon=True).start()

    def add_done_callback(self, callback: DoneCallback) -> None:
        with self._lock:
            if self._outcome is None:
                self._callbacks.append(callback)
                return
            outcome = self._outcome
        callback(*outcome)

    def _run(self) -> None:
        from .preparing import prepare_outcome  # imported here: numpy and the readers load off the caller's thread

        outcome = prepare_outcome(self.path, self._session, self._image)
        with self._lock:
            self._outcome = outcome
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(*outcome)

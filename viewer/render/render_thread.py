"""Rasterize and show the canvas' frames on a thread of their own, so the GUI thread never waits
for OpenGL.

vispy turns a scene draw into GLIR commands (a list of plain tuples) and hands them to a parser,
which makes the GL calls. Here the canvas gets a `GlirCollector` instead: on the GUI thread it only
keeps the commands. `FrameRenderer` sends each frame's commands to a `QThread` that owns the one
GL context; there a real `GlirParser` replays them into the native window's back buffer and swaps
it. With a software rasterizer the frame's fragment work and the swap (tens of milliseconds at
desktop sizes) no longer block input, timers or tile arrivals, and as the window is native Qt does
not compose it with the widgets around it.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import weakref
from concurrent.futures import Future
from typing import Callable, TypeVar

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal
from PySide6.QtGui import QOffscreenSurface, QOpenGLContext, QWindow
from vispy.gloo import gl, glir

logger = logging.getLogger(__name__)
T = TypeVar("T")

Commands = list[tuple]


class GlirCollector(glir.BaseGlirParser):
    """The canvas' GLIR parser: keeps commands issued on the GUI thread for the render thread,
    and runs them at once when issued on the render thread itself (see `FrameRenderer.call`)."""

    def __init__(self) -> None:
        self.pending: Commands = []
        self.replay: glir.GlirParser | None = None  # the render thread's parser, once it runs
        self.render_thread: int | None = None  # its thread identifier

    def is_remote(self) -> bool:
        return False

    def convert_shaders(self) -> str:
        return "desktop"

    @property
    def capabilities(self) -> dict:
        if self.replay is not None:
            return self.replay.capabilities
        return {"gl_version": None, "max_texture_size": None, "gl_extensions": None}

    def parse(self, commands: Commands) -> None:
        if self.replay is not None and threading.get_ident() == self.render_thread:
            self.replay.parse(commands)
        else:
            self.pending.extend(commands)

    def take(self) -> Commands:
        """The commands kept so far, and forget them."""
        commands, self.pending = self.pending, []
        return commands


class _Signals(QObject):
    presented = Signal(object)  # the frame read back (rows top-down, RGBA) or None


class _RenderThread(QThread):
    """Runs jobs (frames to replay and swap, `call`s) in order with the context current."""

    def __init__(self, window: QWindow, collector: GlirCollector, presented: Signal) -> None:
        super().__init__()
        self.setObjectName("render")
        self._jobs: queue.Queue = queue.Queue()
        self._window = window
        self._collector = collector
        self._presented = presented
        self._offscreen = QOffscreenSurface()  # created here: surfaces belong to the GUI thread
        self._offscreen.setFormat(window.requestedFormat())
        self._offscreen.create()
        self._context = QOpenGLContext()
        self._context.setFormat(window.requestedFormat())
        if not self._context.create():
            raise RuntimeError("no OpenGL context for the canvas")
        self._context.moveToThread(self)
        self.window_usable = False  # its native surface exists (only the render thread changes it)

    def put(self, job) -> None:
        self._jobs.put(job)

    def run(self) -> None:
        self.prepare_offscreen([])
        self._collector.replay = glir.GlirParser()
        self._collector.render_thread = threading.get_ident()
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:  # a frame is lost, the viewer goes on
                logger.exception("rendering a frame failed")
        self._context.doneCurrent()

    def present(self, commands: Commands, size: tuple[int, int], read_back: bool) -> None:
        """Replay `commands` into the window's back buffer and swap it; signal when done."""
        pixels = None
        try:
            if self.window_usable and self._context.makeCurrent(self._window):
                self.replay_into(self._context.defaultFramebufferObject(), commands)
                if read_back:
                    pixels = _read_pixels(size)
                self._context.swapBuffers(self._window)
            else:  # not shown (any more): keep the textures and programs the commands make
                self.prepare_offscreen(commands)
        finally:
            self._presented.emit(pixels)

    def prepare_offscreen(self, commands: Commands) -> None:
        """Make the context current on the offscreen surface and replay what `commands` create
        and upload (textures, programs, buffers), without drawing."""
        self._context.makeCurrent(self._offscreen)
        if self._collector.replay is not None:
            self.replay_into(0, [c for c in commands if c[0] not in ("DRAW", "FUNC")])

    def replay_into(self, framebuffer: int, commands: Commands) -> None:
        """Run `commands` with `framebuffer` as the one vispy takes for the screen."""
        target = ("CURRENT", 0, framebuffer)
        self._collector.replay.parse([target] + [target if c[0] == "CURRENT" else c for c in commands])


def _read_pixels(size: tuple[int, int]) -> np.ndarray:
    width, height = size
    gl.glPixelStorei(gl.GL_PACK_ALIGNMENT, 1)
    raw = gl.glReadPixels(0, 0, width, height, gl.GL_RGBA, gl.GL_UNSIGNED_BYTE)
    return np.frombuffer(raw, np.uint8).reshape(height, width, 4)[::-1].copy()


_running: "weakref.WeakSet[FrameRenderer]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    """A QThread still running when Python tears Qt down aborts the process: stop them first."""
    for renderer in list(_running):
        renderer.close()


class FrameRenderer(QObject):
    """Shows frames made of collected GLIR commands in `window`, rendered on a render thread.

    Emits `presented(pixels)` on the GUI thread once a frame given to `submit` is on screen
    (`pixels`: the frame read back when asked for, else None).
    """

    presented = Signal(object)

    def __init__(self, window: QWindow, collector: GlirCollector) -> None:
        super().__init__()
        self._signals = _Signals()
        self._signals.presented.connect(self._on_presented, Qt.ConnectionType.QueuedConnection)
        self._collector = collector
        self._thread = _RenderThread(window, collector, self._signals.presented)
        self._thread.start()
        self._closed = False
        _running.add(self)

    def submit(self, commands: Commands, size: tuple[int, int], read_back: bool = False) -> None:
        """Render `commands` (a frame of `size` device pixels) and show it."""
        self._thread.put(lambda: self._thread.present(commands, size, read_back))

    def call(self, function: Callable[[], T]) -> T:
        """Run `function` on the render thread (its context current on an offscreen surface),
        the commands kept so far replayed first, and return its result. Blocks."""
        done: Future = Future()
        commands = self._collector.take()

        def job() -> None:
            try:
                self._thread.prepare_offscreen(commands)
                done.set_result(function())
            except BaseException as exc:  # handed to the caller
                done.set_exception(exc)

        if self._closed:
            raise RuntimeError("the canvas is closed")
        self._thread.put(job)
        return done.result()

    def use_window(self, usable: bool) -> None:
        """Call with True once the window's native surface exists, with False before it is
        destroyed: returns once the render thread no longer uses it."""
        if self._closed:
            return

        def job() -> None:
            self._thread.window_usable = usable

        if usable:
            self._thread.put(job)
        else:
            self.call(job)  # which makes the offscreen surface current first

    def close(self) -> None:
        """Stop the render thread after the jobs queued so far (again: nothing happens)."""
        if not self._closed:
            self._closed = True
            self._thread.put(None)
            self._thread.wait()

    def _on_presented(self, pixels: np.ndarray | None) -> None:
        if not self._closed:  # else the canvas may be gone
            self.presented.emit(pixels)

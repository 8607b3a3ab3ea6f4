"""What presenting one frame costs on this machine's OpenGL, apart from the viewer: the numbers
behind the next step for issue 3's ≤ 50 ms stall target.

    python benchmarks/bench_gl_frame.py          # needs a display: run under xvfb-run when DISPLAY is unset

Each case runs in a fresh process, window 1600×1000, and prints the median of ~80 frames:

* empty frame, presented two ways: a QOpenGLWidget in a QMainWindow (what vispy's Qt backend
  uses: Qt renders into an FBO and composes the window) against a QOpenGLWindow in a window
  container (the GL surface is the native window: no composition). Measured between
  `frameSwapped` signals, clear only.
* a vispy scene (one 2048² RGB image) panned every 16 ms for 200 steps, drawn two ways: as vispy
  does (in the QOpenGLWidget's `paintGL`), and replayed on a render thread (vispy's GLIR commands
  parsed on a second GL context that shares textures, into an FBO; `paintGL` only blits it).
  Median frame interval and the longest lateness of a 10 ms timer on the GUI thread.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

WIDTH, HEIGHT = 1600, 1000
FRAMES = 80
WARMUP = 10
CASES = {
    "present-widget": "empty frame, QOpenGLWidget (FBO + window composition)",
    "present-window": "empty frame, QOpenGLWindow (native surface)",
    "pan-direct": "pan a scene, drawn in paintGL: interval / longest stall",
    "pan-thread": "pan a scene, render thread + blit: interval / longest stall",
}
PAN_STEPS = 200


def _present(kind: str) -> float:
    from PySide6.QtOpenGL import QOpenGLWindow
    from PySide6.QtOpenGLWidgets import QOpenGLWidget
    from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

    app = QApplication(sys.argv[:1])
    swaps: list[float] = []

    def clear(surface) -> None:
        functions = surface.context().functions()
        functions.glClearColor(0.2, 0.1, 0.1, 1.0)
        functions.glClear(0x4000)  # GL_COLOR_BUFFER_BIT

    class Window(QOpenGLWindow):
        def paintGL(self) -> None:
            clear(self)

    class Widget(QOpenGLWidget):
        def paintGL(self) -> None:
            clear(self)

    main = QMainWindow()
    main.statusBar().showMessage("status")
    surface = Window() if kind == "window" else Widget()
    main.setCentralWidget(QWidget.createWindowContainer(surface) if kind == "window" else surface)

    def swapped() -> None:
        swaps.append(time.perf_counter())
        if len(swaps) > FRAMES + WARMUP:
            app.quit()
        else:
            surface.update()

    surface.frameSwapped.connect(swapped)
    main.resize(WIDTH, HEIGHT)
    main.show()
    app.exec()
    return statistics.median(b - a for a, b in zip(swaps[WARMUP:], swaps[WARMUP + 1:]))


def _pan(kind: str) -> str:
    import queue

    import numpy as np
    from PySide6.QtCore import QObject, QRect, QRectF, Qt, QThread, QTimer, Signal
    from PySide6.QtGui import QOffscreenSurface, QOpenGLContext
    from PySide6.QtOpenGL import QOpenGLFramebufferObject, QOpenGLTextureBlitter
    from PySide6.QtWidgets import QApplication
    from vispy import scene
    from vispy.gloo import gl, glir

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from viewer.render.render_thread import GlirCollector

    class Done(QObject):
        ready = Signal(int)

    class RenderThread(QThread):
        def __init__(self, share: QOpenGLContext) -> None:
            super().__init__()
            self.jobs: queue.Queue = queue.Queue()
            self.surface = QOffscreenSurface()
            self.surface.setFormat(share.format())
            self.surface.create()
            self.context = QOpenGLContext()
            self.context.setFormat(share.format())
            self.context.setShareContext(share)
            self.context.create()
            self.context.moveToThread(self)
            self.parser = glir.GlirParser()
            self.fbos: dict[int, QOpenGLFramebufferObject] = {}
            self.done = Done()

        def run(self) -> None:
            self.context.makeCurrent(self.surface)
            while (job := self.jobs.get()) is not None:
                commands, (width, height), slot = job
                fbo = self.fbos.get(slot)
                if fbo is None or (fbo.width(), fbo.height()) != (width, height):
                    fbo = self.fbos[slot] = QOpenGLFramebufferObject(width, height)
                fbo.bind()
                target = ("CURRENT", 0, fbo.handle())
                self.parser.parse([target] + [target if c[0] == "CURRENT" else c for c in commands])
                gl.glFinish()
                self.done.ready.emit(slot)
            self.context.doneCurrent()

    app = QApplication(sys.argv[:1])
    canvas = scene.SceneCanvas(app="pyside6", size=(WIDTH, HEIGHT), bgcolor="black", show=True)
    threaded = kind == "thread"
    if threaded:  # before any command is flushed: the render thread must see every one
        canvas.context.shared.parser = GlirCollector()
        canvas.events.draw.disconnect(canvas.on_draw)
    view = canvas.central_widget.add_view()
    view.camera = scene.PanZoomCamera(aspect=1)
    pixels = np.random.default_rng(0).integers(0, 255, (2048, 2048, 3), dtype=np.uint8, endpoint=True)
    scene.visuals.Image(pixels, parent=view.scene, interpolation="nearest")
    view.camera.set_range(x=(0, 800), y=(0, 500))
    frames: list[float] = []
    lateness: list[float] = []
    state = {"thread": None, "slot": None, "busy": False, "blitter": None, "step": 0, "tick": time.perf_counter()}

    def shown(_event=None) -> None:
        frames.append(time.perf_counter())

    def blit(_event=None) -> None:
        if state["slot"] is None:
            return
        if state["blitter"] is None:
            state["blitter"] = QOpenGLTextureBlitter()
            state["blitter"].create()
        blitter, (width, height) = state["blitter"], canvas.physical_size
        blitter.bind()
        blitter.blit(state["thread"].fbos[state["slot"]].texture(),
                     QOpenGLTextureBlitter.targetTransform(QRectF(0, 0, width, height), QRect(0, 0, width, height)),
                     QOpenGLTextureBlitter.Origin.OriginBottomLeft)
        blitter.release()
        shown()

    def rendered(slot: int) -> None:
        state["slot"], state["busy"] = slot, False
        canvas.native.update()

    def produce() -> None:
        if state["busy"]:
            return
        canvas.set_current()
        canvas._draw_scene()
        canvas.context.flush_commands()
        commands = canvas.context.shared.parser.take()
        state["busy"] = True
        state["thread"].jobs.put((commands, tuple(canvas.physical_size), len(frames) % 2))

    def tick() -> None:
        now = time.perf_counter()
        lateness.append(now - state["tick"] - 0.010)
        state["tick"] = now

    def pan() -> None:
        state["step"] += 1
        view.camera.pan((8 if (state["step"] // 40) % 2 == 0 else -8, 0))
        if threaded:
            produce()
        if state["step"] >= PAN_STEPS:
            app.quit()

    def start() -> None:
        if threaded:
            canvas.native.makeCurrent()
            state["thread"] = RenderThread(canvas.native.context())
            state["thread"].done.ready.connect(rendered, Qt.ConnectionType.QueuedConnection)
            state["thread"].start()
            canvas.events.draw.connect(blit)
        else:
            canvas.events.draw.connect(shown, position="last")
        for interval, slot, precise in ((10, tick, True), (16, pan, False)):
            timer = QTimer(canvas.native, interval=interval)
            if precise:
                timer.setTimerType(Qt.TimerType.PreciseTimer)
            timer.timeout.connect(slot)
            timer.start()
        state["tick"] = time.perf_counter()

    QTimer.singleShot(1000, start)
    app.exec()
    intervals = [b - a for a, b in zip(frames, frames[1:])]
    return f"{statistics.median(intervals) * 1000:.1f} / {max(lateness[5:]) * 1000:.1f}"


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        group, kind = sys.argv[2].split("-", 1)
        print(f"{_present(kind) * 1000:.1f}" if group == "present" else _pan(kind), flush=True)
        return 0
    print(f"One frame at {WIDTH}×{HEIGHT}, median of {FRAMES} (ms):")
    for case, label in CASES.items():
        result = subprocess.run([sys.executable, __file__, "--case", case], capture_output=True, text=True, timeout=120)
        figure = result.stdout.strip().splitlines()[-1] if result.returncode == 0 and result.stdout.strip() else "failed"
        print(f"  {label:<55} {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

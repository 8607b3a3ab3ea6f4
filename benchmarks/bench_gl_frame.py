"""What presenting one frame costs on this machine's OpenGL, apart from the viewer: the number
behind the next step for issue 3's ≤ 50 ms stall target.

    python benchmarks/bench_gl_frame.py          # needs a display: run under xvfb-run when DISPLAY is unset

Each case runs in a fresh process, window 1600×1000, and prints the median of ~80 frames:

* empty frame, presented two ways: a QOpenGLWidget in a QMainWindow (what vispy's Qt backend
  uses: Qt renders into an FBO and composes the window) against a QOpenGLWindow in a window
  container (the GL surface is the native window: no composition). Measured between
  `frameSwapped` signals, clear only.
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
}


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


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        seconds = _present(sys.argv[2].split("-", 1)[1])
        print(f"{seconds * 1000:.1f}", flush=True)
        os._exit(0)  # PySide6 6.12 can crash while tearing down at interpreter exit
    print(f"One frame at {WIDTH}×{HEIGHT}, median of {FRAMES} (ms):")
    for case, label in CASES.items():
        result = subprocess.run([sys.executable, __file__, "--case", case], capture_output=True, text=True, timeout=120)
        figure = result.stdout.strip().splitlines()[-1] if result.returncode == 0 and result.stdout.strip() else "failed"
        print(f"  {label:<55} {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

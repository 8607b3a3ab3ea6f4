"""The running instance of benchmarks/bench_app_shell.py: `ozx-viewer FILE` (the real start-up, as
the primary of the single-instance election) with every window it opens measured.

    python benchmarks/app_shell_instance.py EVENTS_FILE FILE [--browse-after N]

Each window (the first, and those opened for later launches that hand their files over) is sized
1600x1000 at (0, 0) and gets a frame log (viewer_measure.FrameLog). Appends JSON lines to
EVENTS_FILE, monotonic times (CLOCK_MONOTONIC: comparable between processes of this machine):

* {"event": "first_image", "window": N, "t": ...}: N's first frame on screen with image pixels;
* {"event": "sharp", "window": N, "t": ...}: N's first sharp frame after that (the fitted view);
* {"event": "settled", "window": N, "memory": {...}}: 1.5 s after N was sharp and no window
  loads: the process' resident memory (`rss_mb`, split as `process_memory` says) and per window
  the bytes of its decoded-tile cache and its textures;
* with --browse-after N, once window N settled: every window in turn zooms in 2x five times
  about a fixed image point and pans four times by half its width, each step until sharp (its
  caches fill up to their budgets), then {"event": "browsed", "memory": {...}} once settled.

MB are 10^6 bytes. Runs until killed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
for p in (str(HERE.parent), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from viewer_measure import FrameLog, Script  # noqa: E402
from viewer_session import instrument_app  # noqa: E402

SETTLE_S = 1.5
MB = 1e6
BROWSE_ZOOMS = 5
BROWSE_PANS = 4
BROWSE_POINT = (0.62, 0.41)  # fraction of image width, height


def process_memory() -> dict:
    """Resident memory of this process in MB (from /proc/self/smaps): total; anonymous (heap,
    textures of a software rasterizer, thread stacks); shared with the X server (the windows'
    pixels: Qt's backing stores in SysV shared memory, the GL windows' images in memfds); files
    (code of the libraries, mapped files)."""
    rss = anonymous = shared = 0
    name = ""
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            if line[0] in "0123456789abcdef" and "-" in line.split(None, 1)[0]:
                parts = line.split(None, 5)
                name = parts[5].strip() if len(parts) > 5 else ""
            elif line.startswith("Rss:"):
                kb = int(line.split()[1])
                rss += kb
                if name.startswith(("/SYSV", "/memfd:")):
                    shared += kb
            elif line.startswith("Anonymous:"):
                anonymous += int(line.split()[1])
    mb = lambda kb: round(kb * 1024 / MB, 1)  # noqa: E731
    return {"rss_mb": mb(rss), "anonymous_mb": mb(anonymous), "x_shared_mb": mb(shared),
            "file_mb": mb(rss - anonymous - shared)}


def window_memory(window) -> dict:
    """Bytes (MB) a window's image holds in its own caches: decoded tiles and textures."""
    session = window.session
    if session is None:
        return {"tiles_mb": 0.0, "textures_mb": 0.0, "textures": 0}
    stream = session.stream
    return {"tiles_mb": round(stream.cache.nbytes / MB, 1), "textures_mb": round(stream.textures.nbytes / MB, 1),
            "textures": len(stream.textures)}


def browse(windows: list, logs: dict, done) -> Script:
    """Zoom and pan every window (see the module's docstring); `done()` when all are sharp."""

    def sharp_since(log, t: float):
        return lambda: log.first_after(t, sharp=True) is not None

    def steps():
        for window in windows:
            canvas, log = window.canvas, logs[id(window)]
            x0, y0, x1, y1 = window.session.world_bounds
            point = (x0 + BROWSE_POINT[0] * (x1 - x0), y0 + BROWSE_POINT[1] * (y1 - y0))
            window.raise_()
            for _ in range(BROWSE_ZOOMS):
                t = time.monotonic()
                canvas.zoom(2.0, centre=point)
                yield sharp_since(log, t)
            for _ in range(BROWSE_PANS):
                view = canvas.world_view()
                shift = (view.x1 - view.x0) / 2
                t = time.monotonic()
                canvas.show_rect((view.x0 + shift, view.y0, view.x1 + shift, view.y1))
                yield sharp_since(log, t)
        yield SETTLE_S

    return Script(steps(), done, timeout=60.0)


def main() -> int:
    events_path, path = sys.argv[1], sys.argv[2]
    browse_after = int(sys.argv[sys.argv.index("--browse-after") + 1]) if "--browse-after" in sys.argv else None
    logs: dict = {}
    keep: list = []
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    events = open(events_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (open while the app runs)
    windows: list = []

    def emit(**record) -> None:
        events.write(json.dumps(record) + "\n")

    def setup(window) -> None:
        """Runs at the end of each MainWindow.__init__ on the GUI thread."""
        from PySide6 import QtCore

        number = len(windows) + 1
        windows.append(window)
        window.resize(1600, 1000)
        window.move(0, 0)
        created = time.monotonic()

        def state() -> tuple[bool, dict]:
            session = window.session
            return (session is not None and session.stream.sharp()), {}

        log = FrameLog(window.canvas, state, lambda: "open")
        reported: set[str] = set()

        def when_idle(then) -> None:
            """Call `then(live windows)` once no window loads tiles."""
            live = [w for w in windows if w.isVisible()]
            if any(w.session is None or w.session.loading for w in live):
                QtCore.QTimer.singleShot(250, lambda: when_idle(then))
                return
            then(live)

        def memory(live: list) -> dict:
            return {**process_memory(), "windows": [window_memory(w) for w in live]}

        def settled(live: list) -> None:
            emit(event="settled", window=number, memory=memory(live))
            if number == browse_after:
                start_browsing(live)

        def start_browsing(live: list) -> None:
            def finished() -> None:
                poller.stop()
                when_idle(lambda now: emit(event="browsed", window=number, timed_out=script.timed_out, memory=memory(now)))

            script = browse(live, logs, finished)
            keep.append(script)  # a signal holds a bound method's object only weakly
            poller = QtCore.QTimer(window)
            poller.timeout.connect(script.poll)
            poller.start(10)

        def on_frame(frame) -> None:
            if "first_image" not in reported and log.first_image is not None:
                reported.add("first_image")
                emit(event="first_image", window=number, t=log.first_image.shown)
            if "first_image" in reported and "sharp" not in reported:
                sharp = log.first_after(created, sharp=True)
                if sharp is not None:
                    reported.add("sharp")
                    emit(event="sharp", window=number, t=sharp.shown)
                    QtCore.QTimer.singleShot(int(SETTLE_S * 1000), lambda: when_idle(settled))

        log.listeners.append(on_frame)
        logs[id(window)] = log

    instrument_app(setup, {})
    import viewer.cli

    return viewer.cli.main([path])


if __name__ == "__main__":
    sys.exit(main())

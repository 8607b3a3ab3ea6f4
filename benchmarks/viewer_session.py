"""One scripted viewing session of OZX Viewer, measured from inside a fresh process.

    python benchmarks/viewer_session.py FILE --json [--profile OUT.pstats] [--shots DIR]

Needs a display (run under `xvfb-run -a -s "-screen 0 1920x1200x24"` when DISPLAY is unset;
bench_viewer.py does that). Starts the viewer through its real entry point, `viewer.cli.main([FILE])`
(what `ozx-viewer FILE` runs, including any reading it starts before Qt is imported); an import hook
swaps `viewer.app.main.MainWindow` for a subclass that, after its __init__, sizes the window to
1600x1000 at screen (0, 0) and attaches the measurements (nothing is imported before the app's own
start-up does). "open" is when the app first asked to open the file (`PendingOpen` or
`MainWindow.open_path`). It measures, with monotonic clocks relative to the process start
(from /proc, see viewer_measure.process_start_monotonic):

* first image frame: the first frame on screen (the canvas' `presented` event, after the render
  thread swapped it) whose framebuffer, read back before the swap, has >= 5 % non-black pixels
  (overlays alone are < 1 %);
* first sharp frame: the first frame drawn while `TileStream.sharp()` is true (every visible tile of
  the level chosen for the view is uploaded and in the draw list);
* 8 zoom-in steps by 2x around a fixed image point (`ImageCanvas.zoom(2, centre)`, what the
  keyboard zoom calls; the wheel goes through the same camera), each: time from the move to the
  next frame and to the next sharp frame, the chosen level; 0.2 s pause after each sharp frame;
* a pan across the whole image width at 1 screen pixel per level-0 pixel (level 0 chosen): a jump
  to the left edge (time to sharp), then a left-button mouse drag sent to the canvas window at
  ~3000 px/s until the right edge shows; frames per second while dragging, the fraction of those
  frames that were sharp, and the time from the release to sharp;
* GUI-thread stalls: a 10 ms precise QTimer that records its own lateness, per phase;
* draw time per frame (first to last draw handler), peak RSS (ru_maxrss).

Prints one JSON object (last stdout line with --json). `--profile` runs cProfile on the GUI thread
from the event loop's start to the end and dumps pstats.
"""

from __future__ import annotations

import sys
import time

T_IMPORT = time.monotonic()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
for p in (str(HERE.parent), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from viewer_measure import (  # noqa: E402
    FrameLog, Mouse, Script, StallMonitor, ms, ms_since, pan_summary, process_start_monotonic, save_png,
    session_summary, zoom_step,
)

ZOOM_STEPS = 8
ZOOM_FACTOR = 2.0
ZOOM_POINT = (0.62, 0.41)  # fraction of image width, height
PAUSE_S = 0.2
PAN_SPEED_PX_S = 3000.0
PAN_SCREEN_PX_PER_LEVEL0_PX = 1.0
WAIT_TIMEOUT_S = 30.0
HARD_TIMEOUT_S = 240.0



def instrument_app(setup, marks: dict) -> None:
    """Make `viewer.app.application` (when the app imports it) open MainWindow subclasses that calls
    `setup(window)` after its __init__, and record when the file's opening was first requested
    (`PendingOpen` of viewer.app.startup if the app has it, or `MainWindow.open_path`), without
    importing Qt earlier than the app itself does."""
    import importlib.abc
    import importlib.util

    try:
        from viewer.app import startup

        original_init = startup.PendingOpen.__init__

        def pending_init(self, *a, **k):
            marks.setdefault("open", time.monotonic())
            original_init(self, *a, **k)

        startup.PendingOpen.__init__ = pending_init
    except (ImportError, AttributeError):
        pass

    def wrap(main_module) -> None:
        base = main_module.MainWindow

        class MeasuredWindow(base):
            def __init__(self, *a, **k):
                super().__init__(*a, **k)
                setup(self)

            def open_path(self, path):
                marks.setdefault("open", time.monotonic())
                return super().open_path(path)

        main_module.MainWindow = MeasuredWindow

    class Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "viewer.app.application":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            exec_module = spec.loader.exec_module

            def exec_and_wrap(module):
                exec_module(module)
                wrap(module)

            spec.loader.exec_module = exec_and_wrap
            return spec

    sys.meta_path.insert(0, Hook())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    parser.add_argument("--profile", help="cProfile the GUI thread into this .pstats file")
    parser.add_argument("--shots", help="save framebuffer PNGs (first image, first sharp, end) here")
    parser.add_argument("--frames-out", help="dump every frame (draw ms, draw->swap ms, phase, sharp) and every tick gap > 30 ms as JSON")
    parser.add_argument("--zoom-steps", type=int, default=ZOOM_STEPS)
    parser.add_argument("--pan-speed", type=float, default=PAN_SPEED_PX_S)
    parser.add_argument("--open-only", action="store_true", help="stop once the fitted view is sharp (no zoom, no pan)")
    parser.add_argument("--wait-timeout", type=float, default=WAIT_TIMEOUT_S, help="seconds to wait for each sharp view")
    args = parser.parse_args()

    t_start = process_start_monotonic()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    result: dict = {"viewer": "ozx-viewer", "file": os.path.basename(args.path)}
    marks: dict[str, float] = {}
    phase = ["startup"]
    made: dict = {}
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()

    def setup(window) -> None:
        """Runs at the end of MainWindow.__init__ on the GUI thread (Qt and vispy imported)."""
        from PySide6 import QtCore, QtGui, QtWidgets

        marks["window"] = time.monotonic()
        window.resize(1600, 1000)
        window.move(0, 0)
        canvas = window.canvas

        def state() -> tuple[bool, dict]:
            session = window.session
            if session is None:
                return False, {}
            stream = session.stream
            return stream.sharp(), {"level": stream.chosen_level(), "tiles": len(stream.textures)}

        log = FrameLog(canvas, state, lambda: phase[0])
        monitor = StallMonitor(QtCore, lambda: phase[0])
        shots = Path(args.shots) if args.shots else None
        if shots:
            shots.mkdir(parents=True, exist_ok=True)

        def shoot(name: str) -> None:
            if shots:
                log.capture_next = lambda px: save_png(px, str(shots / f"ours-{name}.png"), QtGui)
                canvas.update()

        def sharp_since(t: float):
            return lambda: log.first_after(t, sharp=True) is not None

        def run():
            # ---- open ----------------------------------------------------------------------------
            yield lambda: log.first_image is not None
            yield sharp_since(marks["open"])
            first_sharp = log.first_after(marks["open"], sharp=True)
            marks["first_sharp"] = first_sharp.shown if first_sharp else float("nan")
            result["open_level"] = first_sharp.info.get("level") if first_sharp else None
            shoot("first-sharp")
            if args.open_only:
                phase[0] = "end"
                yield 0.05
                return
            phase[0] = "pause"
            yield PAUSE_S
            # ---- zoom ----------------------------------------------------------------------------
            session = window.session
            bx0, by0, bx1, by1 = session.world_bounds
            point = (bx0 + ZOOM_POINT[0] * (bx1 - bx0), by0 + ZOOM_POINT[1] * (by1 - by0))
            steps = []
            for i in range(args.zoom_steps):
                phase[0] = "zoom"
                t = time.monotonic()
                canvas.zoom(ZOOM_FACTOR, centre=point)
                yield sharp_since(t)
                steps.append(zoom_step(log, t, i + 1, session.stream.chosen_level()))
                phase[0] = "pause"
                yield PAUSE_S
            result["zoom_steps"] = steps
            shoot("zoomed")
            yield PAUSE_S
            # ---- pan -----------------------------------------------------------------------------
            phase[0] = "pan-jump"
            view = canvas.world_view()
            sx = session.stream.geometries[0].scale[1]
            wpp = PAN_SCREEN_PX_PER_LEVEL0_PX * sx  # world units per device pixel
            width, height = view.canvas_px[0] * wpp, view.canvas_px[1] * wpp
            y0 = min(max(point[1] - height / 2, by0), by1 - height)
            t = time.monotonic()
            canvas.show_rect((bx0, y0, bx0 + width, y0 + height))
            yield sharp_since(t)
            sharp = log.first_after(t, sharp=True)
            pan = {"level": session.stream.chosen_level(), "jump_to_sharp_ms": ms_since(sharp, t)}
            phase[0] = "pause"
            yield PAUSE_S
            phase[0] = "pan"
            mouse = Mouse(QtCore, QtGui, QtWidgets, canvas.surface)  # the native window users drag in
            ratio = canvas.pixel_scale
            x, y = canvas.widget.width() / 2, canvas.widget.height() / 2
            mouse.press(x, y)
            t_pan = last = time.monotonic()
            while canvas.world_view().x1 < bx1:
                yield 0.016
                now = time.monotonic()
                x -= args.pan_speed * (now - last) / ratio
                last = now
                mouse.move(x, y)
            mouse.release(x, y)
            t_release = time.monotonic()
            pan.update(pan_summary(log, t_pan, t_release, round((canvas.world_view().x0 - bx0) / sx)))
            phase[0] = "pan-settle"
            yield sharp_since(t_release)
            sharp = log.first_after(t_release, sharp=True)
            pan["release_to_sharp_ms"] = ms_since(sharp, t_release)
            result["pan"] = pan
            shoot("end")
            phase[0] = "end"
            yield 0.05

        def finish() -> None:
            monitor.stop()
            QtWidgets.QApplication.instance().quit()

        script = Script(run(), finish, timeout=args.wait_timeout)
        monitor.listeners.append(script.poll)
        log.listeners.append(script.poll)

        def first_image_shot(frame) -> None:
            if frame is log.first_image and shots and not marks.get("shot_first"):
                marks["shot_first"] = 1
                shoot("first-image")

        log.listeners.append(first_image_shot)
        QtCore.QTimer.singleShot(int(max(HARD_TIMEOUT_S, 2 * args.wait_timeout) * 1000), lambda: (result.setdefault("error", "hard timeout"), finish()))

        made.update(log=log, monitor=monitor, script=script)
        phase[0] = "open"
        monitor.start()  # from the window's creation: a blocking open counts as a stall of the first tick
        if profiler:
            profiler.enable()

    instrument_app(setup, marks)
    import viewer.cli

    rc = viewer.cli.main([args.path])  # the real `ozx-viewer FILE` start-up path
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    if "window" not in marks:
        print(json.dumps({"error": f"the viewer exited ({rc}) before creating its window"}))
        return 1
    log, monitor, script = made["log"], made["monitor"], made["script"]
    t_imported = marks["window"]
    result.update({
        "window_created_s": round(t_imported - t_start, 3),
    })
    result.update(session_summary(t_start, T_IMPORT, marks, log, monitor, script, result.get("zoom_steps", [])))
    if args.frames_out:
        Path(args.frames_out).write_text(json.dumps({
            "frames": [{"drawn_s": round(f.drawn - t_start, 4), "draw_ms": round(f.draw_ms, 1),
                        "draw_to_swap_ms": ms(f.swapped - f.drawn) if f.swapped else None,
                        "phase": f.phase, "sharp": f.sharp, **f.info} for f in log.frames],
            "stalls": [{"ms": round(l * 1000, 1), "ended_s": round(t - t_start, 4), "phase": p}
                       for l, t, p in monitor.worst],
        }, indent=1))
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

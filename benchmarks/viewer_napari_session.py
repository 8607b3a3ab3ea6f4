"""The same scripted session as viewer_session.py, for napari + napari-ome-zarr on a directory
OME-Zarr (napari cannot open `.ozx`). Runs in its own venv (benchmarks/data/napari-venv):

    benchmarks/data/napari-venv/bin/python benchmarks/viewer_napari_session.py DIR --json

Window 1600x1000 at (0, 0); the file is opened with `viewer.open(DIR, plugin="napari-ome-zarr")`
(one image layer per channel, multiscale). Measured as for ours (viewer_measure.py):

* first image frame: first frameSwapped of napari's vispy canvas whose framebuffer has >= 5 %
  non-black pixels;
* "sharp": napari's default slicing is synchronous: on every draw, `layer._update_draw` picks the
  level for the view and, when level or visible region changed, loads it (dask compute) on the GUI
  thread before returning. A frame counts as sharp when, at the end of its draw, every layer reports
  `loaded` and its (data_level, corner_pixels) did not change during that draw, i.e. the frame was
  drawn from data loaded for this view at napari's chosen level. The loading cost then shows up
  as GUI stalls rather than as time to sharp;
* the zoom steps (camera zoom x2 about the same image point, camera centre moved so the point stays
  put), the pan (jump to the left edge at 1 screen px per level-0 px, then a left-button drag at
  ~3000 px/s to the right edge), the stall timer, draw times and peak RSS.
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
sys.path.insert(0, str(HERE))

from viewer_measure import (  # noqa: E402
    FrameLog, Mouse, Script, StallMonitor, ms_since, pan_summary, process_start_monotonic, save_png,
    session_summary, zoom_step,
)

ZOOM_STEPS = 8
ZOOM_FACTOR = 2.0
ZOOM_POINT = (0.62, 0.41)
PAUSE_S = 0.2
PAN_SPEED_PX_S = 3000.0
WAIT_TIMEOUT_S = 30.0
HARD_TIMEOUT_S = 300.0



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--shots")
    parser.add_argument("--zoom-steps", type=int, default=ZOOM_STEPS)
    parser.add_argument("--pan-speed", type=float, default=PAN_SPEED_PX_S)
    args = parser.parse_args()

    t_start = process_start_monotonic()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    import numpy as np
    import napari
    from qtpy import QtCore, QtGui, QtWidgets

    t_imported = time.monotonic()
    phase = ["startup"]
    viewer = napari.Viewer(show=False)
    qt_window = viewer.window._qt_window
    qt_window.resize(1600, 1000)
    qt_window.move(0, 0)
    scene_canvas = viewer.window._qt_viewer.canvas._scene_canvas
    app = QtWidgets.QApplication.instance()

    draw_start: dict[int, tuple] = {}

    def layer_state():
        return {id(l): (l.data_level, l.corner_pixels.tobytes(), l.loaded) for l in viewer.layers}

    def on_draw_first(event=None):
        draw_start.clear()
        draw_start.update(layer_state())

    scene_canvas.events.draw.connect(on_draw_first, position="first")

    def state():
        if not len(viewer.layers):
            return False, {}
        now = layer_state()
        sharp = all(v[2] for v in now.values()) and all(draw_start.get(k, (None,))[:2] == v[:2] for k, v in now.items())
        return sharp, {"level": viewer.layers[0].data_level}

    log = FrameLog(scene_canvas, state, lambda: phase[0])
    monitor = StallMonitor(QtCore, lambda: phase[0])
    result: dict = {"viewer": f"napari {napari.__version__}", "file": os.path.basename(args.path.rstrip("/"))}
    marks: dict[str, float] = {}
    shots = Path(args.shots) if args.shots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)

    def shoot(name):
        if shots:
            log.capture_next = lambda px: save_png(px, str(shots / f"napari-{name}.png"), QtGui)
            scene_canvas.update()

    def sharp_since(t):
        return lambda: log.first_after(t, sharp=True) is not None

    camera = viewer.camera

    def run():
        yield lambda: log.first_image is not None
        yield sharp_since(marks["open"])
        first_sharp = log.first_after(marks["open"], sharp=True)
        if first_sharp:
            marks["first_sharp"] = first_sharp.shown
        result["open_level"] = first_sharp.info.get("level") if first_sharp else None
        shoot("first-sharp")
        phase[0] = "pause"
        yield PAUSE_S
        layer = viewer.layers[0]
        (y0w, x0w), (y1w, x1w) = layer.extent.world[0][-2:], layer.extent.world[1][-2:]
        point = np.array([y0w + ZOOM_POINT[1] * (y1w - y0w), x0w + ZOOM_POINT[0] * (x1w - x0w)])
        steps = []
        for i in range(args.zoom_steps):
            phase[0] = "zoom"
            t = time.monotonic()
            centre = np.array(camera.center, dtype=float)
            centre[-2:] = point + (centre[-2:] - point) / ZOOM_FACTOR
            camera.center = tuple(centre)
            camera.zoom = camera.zoom * ZOOM_FACTOR
            yield sharp_since(t)
            steps.append(zoom_step(log, t, i + 1, viewer.layers[0].data_level))
            phase[0] = "pause"
            yield PAUSE_S
        result["zoom_steps"] = steps
        shoot("zoomed")
        yield PAUSE_S
        phase[0] = "pan-jump"
        level0_px = float(layer.scale[-1])  # world units per level-0 pixel
        zoom = 1.0 / level0_px  # screen px per world unit: 1 screen px per level-0 px
        width_px, height_px = scene_canvas.size
        view_w = width_px / zoom
        t = time.monotonic()
        centre = np.array(camera.center, dtype=float)
        centre[-2:] = (point[0], x0w + view_w / 2)
        camera.zoom = zoom
        camera.center = tuple(centre)
        yield sharp_since(t)
        sharp = log.first_after(t, sharp=True)
        pan = {"level": viewer.layers[0].data_level, "jump_to_sharp_ms": ms_since(sharp, t)}
        phase[0] = "pause"
        yield PAUSE_S
        phase[0] = "pan"
        native = scene_canvas.native
        mouse = Mouse(QtCore, QtGui, QtWidgets, native)
        x, y = native.width() / 2, native.height() / 2
        mouse.press(x, y)
        t_pan = last = time.monotonic()
        start_x = camera.center[-1]
        while camera.center[-1] + view_w / 2 < x1w:
            yield 0.016
            now = time.monotonic()
            x -= args.pan_speed * (now - last)
            last = now
            mouse.move(x, y)
            if now - t_pan > 120:
                result["error"] = "pan did not reach the right edge in 120 s"
                break
        mouse.release(x, y)
        t_release = time.monotonic()
        pan.update(pan_summary(log, t_pan, t_release, round((camera.center[-1] - start_x) / level0_px)))
        phase[0] = "pan-settle"
        yield sharp_since(t_release)
        sharp = log.first_after(t_release, sharp=True)
        pan["release_to_sharp_ms"] = ms_since(sharp, t_release)
        result["pan"] = pan
        shoot("end")
        phase[0] = "end"
        yield 0.05

    def finish():
        monitor.stop()
        app.quit()

    script = Script(run(), finish, timeout=WAIT_TIMEOUT_S)
    monitor.listeners.append(script.poll)
    log.listeners.append(script.poll)
    QtCore.QTimer.singleShot(int(HARD_TIMEOUT_S * 1000), lambda: (result.setdefault("error", "hard timeout"), finish()))

    viewer.window.show()
    phase[0] = "open"
    monitor.start()  # before opening: the blocking open counts as a stall of the first tick
    marks["open"] = time.monotonic()
    viewer.open(args.path, plugin="napari-ome-zarr")
    marks["opened"] = time.monotonic()
    napari.run()

    result.update({
        "import_done_s": round(t_imported - t_start, 3),
        "open_returned_s": round(marks["opened"] - t_start, 3),
    })
    result.update(session_summary(t_start, T_IMPORT, marks, log, monitor, script, result.get("zoom_steps", [])))
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

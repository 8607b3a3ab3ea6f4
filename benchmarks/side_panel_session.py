"""One scripted session with the side panel of a file of several images, measured in a fresh process.

    python benchmarks/side_panel_session.py FILE --json [--switches N] [--shots DIR]

Needs a display (bench_side_panel.py runs it under xvfb-run). Starts the viewer through its real
entry point, `viewer.cli.main([FILE])`, with the window instrumented as in viewer_session.py
(1600x1000 at (0, 0), a 10 ms stall timer, every frame logged). Monotonic times, from the moment
the app first asked to open the file ("open"):

* first image frame: the first frame on screen with >= 5 % non-black pixels;
* panel shown: the side panel visible with its catalog;
* visible thumbnails: every thumbnail in view in the panel (the wells in view and the current
  well's fields, or the tree rows in view) drawn and delivered to the GUI thread;
* N switches (Page Down: `SidePanel.step(1)`, what the key does), each: from the key to the first
  frame on screen that shows the new image (the window's image is the new one and the frame has
  image pixels), and to its first sharp frame; 0.3 s pause after each;
* GUI-thread stalls (lateness of the 10 ms timer) while opening and while switching; peak RSS.

Prints one JSON object (the last stdout line).
"""

from __future__ import annotations

import sys
import time

T_IMPORT = time.monotonic()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
for p in (str(HERE.parent), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from viewer_measure import FrameLog, Script, StallMonitor, ms, peak_rss_mb, process_start_monotonic  # noqa: E402
from viewer_session import instrument_app  # noqa: E402

PAUSE_S = 0.3
WAIT_TIMEOUT_S = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--switches", type=int, default=6)
    parser.add_argument("--shots", help="save a window screenshot after the thumbnails arrived here")
    args = parser.parse_args()

    t_start = process_start_monotonic()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    result: dict = {"file": os.path.basename(args.path)}
    marks: dict[str, float] = {}
    phase = ["startup"]
    made: dict = {}

    def setup(window) -> None:
        from PySide6 import QtCore, QtWidgets

        marks["window"] = time.monotonic()
        window.resize(1600, 1000)
        window.move(0, 0)
        canvas = window.canvas
        panel = window.side_panel

        def state() -> tuple[bool, dict]:
            session = window.session
            if session is None:
                return False, {}
            return session.stream.sharp(), {"image": id(session.opened.image)}

        log = FrameLog(canvas, state, lambda: phase[0])
        monitor = StallMonitor(QtCore, lambda: phase[0])

        def visible_thumbnails() -> list[int]:
            keys = list(panel.tree.visible_images()) if not panel.tree.isHidden() else []
            if panel.plate_view is not None:
                keys += panel.plate_view.visible_images(ring=False)
            return keys

        def all_visible_drawn() -> bool:
            keys = visible_thumbnails()
            return bool(keys) and all(panel.picture(k) is not None or (panel.jobs and panel.jobs.error(k)) for k in keys)

        def image_frame_of(image_id: int, after: float):
            for frame in log.frames:
                if frame.drawn >= after and frame.swapped is not None and frame.info.get("image") == image_id:
                    return frame
            return None

        def run():
            yield lambda: log.first_image is not None
            result["first_image_after_open_s"] = round(log.first_image.shown - marks["open"], 3)
            yield lambda: panel.isVisible() and panel.catalog is not None
            marks["panel"] = time.monotonic()
            result["panel_after_open_s"] = round(marks["panel"] - marks["open"], 3)
            result["images"] = len(panel.catalog.images)
            yield all_visible_drawn
            marks["thumbnails"] = time.monotonic()
            result["visible_thumbnails"] = len(visible_thumbnails())
            result["visible_thumbnails_after_open_s"] = round(marks["thumbnails"] - marks["open"], 3)
            if args.shots:
                Path(args.shots).mkdir(parents=True, exist_ok=True)
                window.grab().save(str(Path(args.shots) / f"{Path(args.path).stem}-panel.png"))
            phase[0] = "pause"
            yield PAUSE_S
            switches = []
            for _ in range(args.switches):
                phase[0] = "switch"
                before = id(window.session.opened.image) if window.session else None
                t = time.monotonic()
                panel.step(1)
                target = panel.current.image if panel.current is not None else None
                if target is None or id(target) == before:
                    break
                yield lambda: (lambda f: f is not None)(image_frame_of(id(target), t))
                first = image_frame_of(id(target), t)
                yield lambda: window.session is not None and id(window.session.opened.image) == id(target) and window.session.stream.sharp()
                sharp = log.first_after(t, sharp=True)
                switches.append({"to_first_frame_ms": ms(first.shown - t) if first else None,
                                 "to_sharp_ms": ms(sharp.shown - t) if sharp else None})
                phase[0] = "pause"
                yield PAUSE_S
            result["switches"] = switches
            phase[0] = "end"
            yield 0.05

        def finish() -> None:
            monitor.stop()
            QtWidgets.QApplication.instance().quit()

        script = Script(run(), finish, timeout=WAIT_TIMEOUT_S)
        monitor.listeners.append(script.poll)
        log.listeners.append(script.poll)
        made.update(log=log, monitor=monitor, script=script)
        phase[0] = "open"
        monitor.start()

    instrument_app(setup, marks)
    import viewer.cli

    rc = viewer.cli.main([args.path])
    if "window" not in marks:
        print(json.dumps({"error": f"the viewer exited ({rc}) before creating its window"}))
        return 1
    monitor, script = made["monitor"], made["script"]
    switch_ms = [s["to_first_frame_ms"] for s in result.get("switches", []) if s["to_first_frame_ms"] is not None]
    result.update({
        "switch_first_frame_max_ms": max(switch_ms) if switch_ms else None,
        "switch_first_frame_median_ms": statistics.median(switch_ms) if switch_ms else None,
        "stall_open": monitor.summary(["open"]),
        "stall_switch": monitor.summary(["switch", "pause"]),
        "worst_stalls": [{"ms": round(late * 1000, 1), "at_s": round(t - t_start, 3), "phase": p}
                         for late, t, p in sorted(monitor.worst, reverse=True)[:6]],
        "timed_out": script.timed_out or not script.finished,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    })
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

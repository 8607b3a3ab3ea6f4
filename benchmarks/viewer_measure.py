"""Measurement helpers shared by viewer_session.py (ours, PySide6) and viewer_napari_session.py
(napari, PyQt5 in its own venv): process start time, a GUI-stall timer, a per-frame log fed from
the vispy canvas' draw event and the QOpenGLWidget's `frameSwapped`, a blank-frame check on the
framebuffer, synthetic mouse drags, and a tiny script driver.

Binding-agnostic: pass the Qt modules (QtCore, QtGui) of the binding in use. Standard library and
numpy only otherwise, so it runs in both virtualenvs.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

# numpy is imported inside the functions: the session must not import anything before the
# app's own start-up does (viewer_session.py runs the real CLI entry point).

STALL_TICK_S = 0.010


def process_start_monotonic() -> float:
    """`time.monotonic()` value at which this process was created (10 ms resolution).

    From /proc/self/stat field 22 (start time in clock ticks since boot) and CLOCK_BOOTTIME; with
    `xvfb-run` the process is the Python interpreter itself, so Xvfb's start-up is not counted.
    """
    with open("/proc/self/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    start_ticks = int(fields[19])  # field 22 overall; fields[0] is field 3
    age = time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
    return time.monotonic() - age


def peak_rss_mb() -> float:
    """ru_maxrss of this process (and of waited-for children) in MB (10^6 bytes)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) * 1024 / 1e6


def _enum(qt_core, scope: str, name: str):
    qt = qt_core.Qt
    holder = getattr(qt, scope, None)
    return getattr(holder, name) if holder is not None and hasattr(holder, name) else getattr(qt, name)


class StallMonitor:
    """A 10 ms precise QTimer that records how late each tick is (the GUI thread was busy)."""

    def __init__(self, qt_core, phase: Callable[[], str]) -> None:
        self._phase = phase
        self.timer = qt_core.QTimer()
        self.timer.setTimerType(_enum(qt_core, "TimerType", "PreciseTimer"))
        self.timer.setInterval(int(STALL_TICK_S * 1000))
        self.timer.timeout.connect(self._tick)
        self._last: float | None = None
        self._last_phase = ""
        self.by_phase: dict[str, list[float]] = {}
        self.worst: list[tuple[float, float, str]] = []  # (lateness s, at monotonic, phase)
        self.listeners: list[Callable[[], None]] = []

    def start(self) -> None:
        self._last = time.monotonic()
        self._last_phase = self._phase()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.monotonic()
        late = max(now - self._last - STALL_TICK_S, 0.0)
        self.by_phase.setdefault(self._last_phase, []).append(late)
        if late > 0.030:
            self.worst.append((late, now, self._last_phase))
        self._last = now
        self._last_phase = self._phase()
        for listener in self.listeners:
            listener()

    def summary(self, phases: list[str]) -> dict:
        values = [v for p in phases for v in self.by_phase.get(p, [])]
        import numpy as np

        if not values:
            return {"max_ms": None, "p99_ms": None, "over_50ms": 0, "ticks": 0}
        arr = np.array(values) * 1000
        return {"max_ms": round(float(arr.max()), 1), "p99_ms": round(float(np.percentile(arr, 99)), 1),
                "over_50ms": int((arr > 50).sum()), "ticks": int(arr.size)}


@dataclass
class Frame:
    drawn: float  # monotonic, end of the draw handlers
    swapped: float | None = None  # monotonic, QOpenGLWidget.frameSwapped
    draw_ms: float = 0.0
    image: bool | None = None  # framebuffer checked: has image pixels (None: not checked)
    sharp: bool = False
    phase: str = ""
    info: dict = field(default_factory=dict)

    @property
    def shown(self) -> float:
        return self.swapped if self.swapped is not None else self.drawn


def image_fraction(rgba, threshold: int = 12) -> float:
    """Fraction of framebuffer pixels that are not (near) black; overlays (scale bar, text)
    cover well under 1 % of a 1600x1000 canvas."""
    sub = rgba[::4, ::4]  # every 16th pixel: ~0.3 ms instead of ~40 ms for a full-canvas max()
    return float(((sub[..., 0] > threshold) | (sub[..., 1] > threshold) | (sub[..., 2] > threshold)).mean())


class FrameLog:
    """Per-frame records from a vispy SceneCanvas: ours (shown by a render thread, which emits
    `events.presented` and reads the frame back when `read_back` is set) or napari's (drawn in a
    QOpenGLWidget's paintGL, shown at its `frameSwapped`).

    `state()` is called at the end of every draw (after the scene was drawn) and returns
    (sharp: bool, info: dict). Until a frame with image pixels was seen, the frame is read back
    and checked; `image_min_fraction` of non-black pixels counts as image.
    """

    def __init__(self, scene_canvas, state: Callable[[], tuple[bool, dict]], phase: Callable[[], str],
                 image_min_fraction: float = 0.05) -> None:
        from vispy import gloo

        self._gloo = gloo
        self._canvas = scene_canvas
        self._state = state
        self._phase = phase
        self._min_fraction = image_min_fraction
        self.frames: list[Frame] = []
        self.first_image: Frame | None = None
        self.first_image_fraction: float | None = None
        self.listeners: list[Callable[[Frame], None]] = []
        self.capture_next: Callable[[object], None] | None = None
        self._draw_start = 0.0
        scene_canvas.events.draw.connect(self._on_draw_start, position="first")
        scene_canvas.events.draw.connect(self._on_draw_end, position="last")
        self._presented_event = hasattr(scene_canvas.events, "presented")  # ours: shown by a render thread
        if self._presented_event:
            scene_canvas.events.presented.connect(self._on_presented)
            scene_canvas.read_back = True
        elif hasattr(scene_canvas.native, "frameSwapped"):
            scene_canvas.native.frameSwapped.connect(self._on_swapped)

    def _on_draw_start(self, event=None) -> None:
        self._draw_start = time.monotonic()

    def _on_draw_end(self, event=None) -> None:
        sharp, info = self._state()
        frame = Frame(time.monotonic(), sharp=sharp, phase=self._phase(), info=info)
        frame.draw_ms = (frame.drawn - self._draw_start) * 1000
        self.frames.append(frame)
        if self._presented_event:  # read back and checked once it is on screen
            self._canvas.read_back = self.first_image is None or self.capture_next is not None
            return
        if self.first_image is None or self.capture_next is not None:
            self._check(frame, self._gloo.read_pixels(alpha=True))
        if not hasattr(self._canvas.native, "frameSwapped"):
            self._notify(frame)

    def _check(self, frame: Frame, pixels) -> None:
        """Look for image pixels until the first image frame; hand them to `capture_next`."""
        if self.first_image is None:
            fraction = image_fraction(pixels)
            frame.image = fraction >= self._min_fraction
            if frame.image:
                self.first_image = frame
                self.first_image_fraction = fraction
        if self.capture_next is not None:
            capture, self.capture_next = self.capture_next, None
            capture(pixels)

    def _on_presented(self, event) -> None:
        frame = self.frames[-1] if self.frames else None
        if frame is None or frame.swapped is not None:
            return
        frame.swapped = time.monotonic()
        if event.pixels is not None:
            self._check(frame, event.pixels)
        self._notify(frame)

    def _on_swapped(self) -> None:
        if self.frames and self.frames[-1].swapped is None:
            self.frames[-1].swapped = time.monotonic()
            self._notify(self.frames[-1])

    def _notify(self, frame: Frame) -> None:
        for listener in self.listeners:
            listener(frame)

    def first_after(self, t: float, sharp: bool | None = None) -> Frame | None:
        for frame in self.frames:
            if frame.drawn >= t and frame.swapped is not None and (sharp is None or frame.sharp == sharp):
                return frame
        return None

    def between(self, t0: float, t1: float) -> list[Frame]:
        return [f for f in self.frames if t0 <= f.drawn <= t1]


def save_png(pixels, path: str, qt_gui) -> None:
    """Save an (H, W, 4) uint8 framebuffer read-back (vispy's read_pixels gives rows top-down) as PNG."""
    import numpy as np

    rgba = np.ascontiguousarray(pixels[..., :4] if pixels.shape[-1] == 4 else
                                np.dstack([pixels, np.full(pixels.shape[:2], 255, np.uint8)]))
    h, w = rgba.shape[:2]
    image = qt_gui.QImage(rgba.data, w, h, 4 * w, qt_gui.QImage.Format.Format_RGBA8888
                          if hasattr(qt_gui.QImage, "Format") else qt_gui.QImage.Format_RGBA8888)
    image.copy().save(path)


class Mouse:
    """Synthetic mouse events sent straight to a widget (no window-system round trip)."""

    def __init__(self, qt_core, qt_gui, qt_widgets, widget) -> None:
        self._core, self._gui, self._widgets, self._widget = qt_core, qt_gui, qt_widgets, widget
        self._left = _enum(qt_core, "MouseButton", "LeftButton")
        self._none = _enum(qt_core, "MouseButton", "NoButton")
        self._mods = _enum(qt_core, "KeyboardModifier", "NoModifier")
        ev = qt_gui.QMouseEvent
        scope = getattr(getattr(qt_core, "QEvent"), "Type", qt_core.QEvent)
        self._types = {"press": scope.MouseButtonPress, "move": scope.MouseMove, "release": scope.MouseButtonRelease}
        self._event_cls = ev

    def _send(self, kind: str, x: float, y: float, held: bool) -> None:
        local = self._core.QPointF(x, y)
        glob = self._core.QPointF(self._widget.mapToGlobal(self._core.QPoint(0, 0))) + local
        button = self._none if kind == "move" else self._left
        buttons = self._left if held else self._none
        try:
            event = self._event_cls(self._types[kind], local, glob, button, buttons, self._mods)
        except TypeError:
            event = self._event_cls(self._types[kind], local, local, glob, button, buttons, self._mods)
        self._widgets.QApplication.sendEvent(self._widget, event)

    def press(self, x: float, y: float) -> None:
        self._send("press", x, y, True)

    def move(self, x: float, y: float) -> None:
        self._send("move", x, y, True)

    def release(self, x: float, y: float) -> None:
        self._send("release", x, y, False)


class Script:
    """Runs a generator of steps on the GUI thread. The generator yields either a number
    (sleep that many seconds) or a predicate (resume once it returns true, polled on every stall
    tick and every frame); a predicate step times out after `timeout` seconds (then `timed_out` is
    set and the script goes on)."""

    def __init__(self, steps: Iterator, done: Callable[[], None], timeout: float = 30.0) -> None:
        self._steps = steps
        self._done = done
        self._timeout = timeout
        self._wait: tuple[str, object, float] | None = None
        self.timed_out = False
        self.finished = False

    def poll(self, *_args) -> None:
        if self.finished:
            return
        now = time.monotonic()
        while True:
            if self._wait is not None:
                kind, what, since = self._wait
                if kind == "sleep":
                    if now < what:
                        return
                elif not what():
                    if now - since < self._timeout:
                        return
                    self.timed_out = True
                self._wait = None
            try:
                step = next(self._steps)
            except StopIteration:
                self.finished = True
                self._done()
                return
            now = time.monotonic()
            if callable(step):
                self._wait = ("until", step, now)
            else:
                self._wait = ("sleep", now + float(step), now)



def session_summary(t_start: float, t_script: float, marks: dict, log, monitor, script, zoom_steps: list) -> dict:
    """The figures every session reports (ours and napari alike), from its measurement objects."""
    first = log.first_image
    draw = [f.draw_ms for f in log.frames]
    sharp = marks.get("first_sharp")
    zoom = [s["to_sharp_ms"] for s in zoom_steps if s["to_sharp_ms"] is not None]
    return {
        "script_started_s": round(t_script - t_start, 3),
        "open_called_s": round(marks["open"] - t_start, 3),
        "first_image_s": round(first.shown - t_start, 3) if first else None,
        "first_image_fraction": round(log.first_image_fraction, 3) if first else None,
        "first_sharp_s": round(sharp - t_start, 3) if sharp is not None else None,
        "sharp_after_open_s": round(sharp - marks["open"], 3) if sharp is not None else None,
        "stall_open": monitor.summary(["open"]),
        "stall_session": monitor.summary(["zoom", "pause", "pan-jump", "pan", "pan-settle"]),
        "stall_by_phase": {p: monitor.summary([p]) for p in monitor.by_phase},
        "worst_stalls": [{"ms": round(lateness * 1000, 1), "at_s": round(t - t_start, 3), "phase": p}
                         for lateness, t, p in sorted(monitor.worst, reverse=True)[:8]],
        "frames": len(log.frames),
        "draw_ms": {"median": round(statistics.median(draw), 1) if draw else None,
                    "max": round(max(draw), 1) if draw else None},
        "timed_out": script.timed_out or not script.finished,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "zoom_sharp_max_ms": max(zoom) if zoom else None,
        "zoom_sharp_median_ms": statistics.median(zoom) if zoom else None,
    }


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def ms_since(frame: "Frame | None", t: float) -> float | None:
    """Milliseconds from `t` to when `frame` was shown, or None without a frame."""
    return ms(frame.shown - t) if frame else None


def zoom_step(log, t: float, step: int, level) -> dict:
    """One zoom step's record: time from the move at `t` to the next frame and to the next sharp one."""
    return {"step": step, "level": level, "to_first_frame_ms": ms_since(log.first_after(t), t),
            "to_sharp_ms": ms_since(log.first_after(t, sharp=True), t)}


def pan_summary(log, t_pan: float, t_release: float, distance_level0_px: int) -> dict:
    """Figures of the drag across the image, from the frames drawn while the button was down."""
    frames = log.between(t_pan, t_release)
    return {
        "duration_s": round(t_release - t_pan, 2),
        "distance_level0_px": distance_level0_px,
        "frames": len(frames),
        "fps": round(len(frames) / (t_release - t_pan), 1),
        "sharp_frame_fraction": round(sum(f.sharp for f in frames) / max(len(frames), 1), 3),
    }

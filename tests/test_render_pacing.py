"""Frame pacing of the image canvas: update bursts cost one frame, the event loop runs between
frames, and tile loader threads run at a lower priority."""

from __future__ import annotations

import os
import threading
import time

import pytest
from PySide6.QtCore import QTimer

from viewer.render.canvas import ImageCanvas
from viewer.tiles import scheduler as scheduler_module

pytestmark = pytest.mark.gui


def test_update_burst_is_one_frame_and_before_frame_runs_once(qtbot) -> None:
    canvas = ImageCanvas(size=(320, 240), show=True)
    try:
        qtbot.waitExposed(canvas.widget)
        qtbot.wait(200)
        frames, before = [], []
        canvas.events.draw.connect(lambda _e: frames.append(time.monotonic()))
        canvas.events.before_frame.connect(lambda _e: before.append(time.monotonic()))
        for _ in range(50):
            canvas.update()
        qtbot.waitUntil(lambda: len(frames) >= 1, timeout=5000)
        qtbot.wait(200)
        assert len(before) == 1
        assert len(frames) == 1
    finally:
        canvas.close()


def test_update_during_a_frame_draws_again_after_the_event_loop_ran(qtbot) -> None:
    canvas = ImageCanvas(size=(320, 240), show=True)
    try:
        qtbot.waitExposed(canvas.widget)
        qtbot.wait(200)
        order: list[str] = []
        wanted = [3]

        def on_draw(_event) -> None:
            order.append("frame")
            if wanted[0] > 0:
                wanted[0] -= 1
                canvas.update()  # e.g. more uploads are due
                QTimer.singleShot(0, lambda: order.append("timer"))

        canvas.events.draw.connect(on_draw)
        canvas.update()
        qtbot.waitUntil(lambda: order.count("frame") >= 4, timeout=5000)
        # A timer posted during each frame ran before the next frame started.
        assert order[:7] == ["frame", "timer", "frame", "timer", "frame", "timer", "frame"]
    finally:
        canvas.close()


@pytest.mark.skipif(not hasattr(os, "getpriority") or not hasattr(threading, "get_native_id"),
                    reason="per-thread niceness is Linux only")
def test_loader_threads_are_nicer_than_the_gui_thread() -> None:
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: list[int] = []

    def worker() -> None:
        scheduler_module._lower_thread_priority()
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen and seen[0] >= min(own + scheduler_module.WORKER_NICENESS, 19)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own

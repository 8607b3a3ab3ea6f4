"""A long scripted session in a real viewer process: hundreds of zoom, pan and plane steps through
real X input, then Ctrl+Q. The process must stay alive, `True`/`False`/`None` must keep their
reference counts (a Qt binding that drops references to them made CPython abort after minutes of
zooming), and quitting must exit 0 without "Fatal Python error".

Counts may grow a little: PySide6 keeps an extra reference for each call of a Python override of
a void virtual (vispy's mouse handlers) and each event sent to a widget (tests/test_qt_refcounts.py).
A count that grows never reaches zero; one that falls does, so falling is what must not happen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from tests.omezarr_fixtures import omero_channels, pack, pyramid, write_image

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(shutil.which("xdotool") is None, reason="real X input needs xdotool (tests/run.sh installs it)"),
]

STEPS = 200
#: Objects holding `True` or `None` for a while (dicts, frames, caches) move the counts by tens;
#: the defect this guards against took one per call away, thousands over this session.
NOISE = 150
#: Measured growth per step (two wheel clicks, a drag, a key) with PySide6 6.11.3: None ~25,
#: False ~5, True ~2.
GROWTH_PER_STEP = 40

RUNNER = textwrap.dedent(
    """
    import json, sys, threading, time
    samples = open(sys.argv[1], "w", buffering=1)

    def sample():
        while True:
            samples.write(json.dumps([sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)]) + "\\n")
            time.sleep(0.1)

    threading.Thread(target=sample, daemon=True).start()
    from viewer.cli import main
    sys.exit(main([sys.argv[2]]))
    """
)


def xdotool(*args: object) -> str:
    done = subprocess.run(["xdotool", *map(str, args)], check=True, timeout=60, capture_output=True, text=True)
    return done.stdout


def stack_file(tmp_path: Path) -> Path:
    """Two channels × 6 z-planes × 1024², three levels: zooming changes level, Up/Down change plane."""
    rng = np.random.default_rng(3)
    data = rng.integers(0, 4000, size=(2, 6, 1024, 1024), dtype=np.uint16)
    write_image(tmp_path / "stack", "", pyramid(data, 3), "czyx", chunks=(1, 1, 256, 256),
                omero=omero_channels(["FF00FF", "00FF00"], [(0, 4000), (0, 4000)]))
    return pack(tmp_path / "stack", tmp_path / "stack.ozx")


def read_samples(path: Path) -> list[list[int]]:
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.endswith("]")]


def settled(path: Path, seconds: float = 1.0) -> list[int]:
    """Median counts over the next `seconds`."""
    start = len(read_samples(path))
    time.sleep(seconds)
    recent = np.array(read_samples(path)[start:])
    return [int(v) for v in np.median(recent, axis=0)]


def test_hundreds_of_zoom_pan_and_plane_steps_keep_refcounts_and_quit_cleanly(tmp_path: Path) -> None:
    image = stack_file(tmp_path)
    samples = tmp_path / "refcounts.jsonl"
    (tmp_path / "runtime").mkdir(mode=0o700)
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"), XDG_RUNTIME_DIR=str(tmp_path / "runtime"))
    process = subprocess.Popen([sys.executable, "-c", RUNNER, str(samples), str(image)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        window = xdotool("search", "--sync", "--onlyvisible", "--name", "stack.ozx|OZX Viewer").split()[0]
        xdotool("windowfocus", "--sync", window)  # what a window manager does for a new window
        time.sleep(2.0)  # the image is open and its first tiles are shown
        geometry = dict(line.split("=") for line in xdotool("getwindowgeometry", "--shell", window).split())
        cx = int(geometry["X"]) + int(geometry["WIDTH"]) // 3
        cy = int(geometry["Y"]) + int(geometry["HEIGHT"]) // 2
        before = settled(samples)

        for step in range(STEPS):
            dx = 40 if step % 2 else -40
            wheel = 4 if (step // 10) % 2 == 0 else 5  # ten steps in, ten steps out
            xdotool("mousemove", cx, cy, "click", wheel, "click", wheel,
                    "mousedown", 1, "mousemove", cx + dx, cy + 10, "mousemove", cx + 2 * dx, cy, "mouseup", 1,
                    "key", "Up" if (step // 3) % 2 == 0 else "Down")
        assert process.poll() is None, f"the viewer died during the session: {process.communicate()[1][-2000:]}"
        time.sleep(2.0)  # loads and frames of the last steps finish
        after = settled(samples)

        xdotool("key", "ctrl+q")
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    drift = {name: a - b for name, a, b in zip(("True", "False", "None"), after, before)}
    assert sys.version_info >= (3, 12) or all(-NOISE <= change <= NOISE + GROWTH_PER_STEP * STEPS for change in drift.values()), \
        f"reference counts drifted over {STEPS} steps: {drift}"
    assert "Fatal Python error" not in stderr, stderr[-2000:]
    assert process.returncode == 0, f"exit status {process.returncode}: {stderr[-2000:]}"

"""Drag and drop from another program, for real: a second process (tests/xdnd_source.py) starts a
`QDrag` of `text/uri-list` and the X server's pointer, moved with xdotool, carries it over the
XDND protocol onto a running viewer process (tests/viewer_probe.py = `ozx-viewer FILE
--new-instance`, reporting its windows). Drops land on the image (the canvas' native window, which
the drag reaches directly), the Channels panel, the status bar and the empty state of a window
whose file failed to open."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.omezarr_fixtures import write_image
from tests.viewer_process import HERE, Viewer, wait_for, xdotool
from viewer.app.startup import sample_path
from viewer.app.window import REFUSED_URL_MESSAGE

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(shutil.which("xdotool") is None, reason="real X drags need xdotool (tests/run.sh installs it)"),
]

#: pointer steps from the source to the target: the target sees several XdndPosition messages
STEPS = 12


class Source:
    """The drag source process: `drag(items, x, y)` drags `items` onto screen point (x, y)."""

    def __init__(self, tmp_path: Path) -> None:
        self.urls_file = tmp_path / "urls.txt"
        self.results_file = tmp_path / "drag-results.txt"
        self.urls_file.write_text("")
        self.results_file.write_text("")
        self.process = subprocess.Popen([sys.executable, "-P", str(HERE / "xdnd_source.py"), str(self.urls_file),
                                         str(self.results_file)], env=dict(os.environ, QT_QPA_PLATFORM="xcb"))
        self.window = xdotool("search", "--sync", "--onlyvisible", "--name", "^xdnd source$").split()[0]
        geometry = dict(line.split("=") for line in xdotool("getwindowgeometry", "--shell", self.window).split())
        self.x = int(geometry["X"]) + int(geometry["WIDTH"]) // 2
        self.y = int(geometry["Y"]) + int(geometry["HEIGHT"]) // 2

    def drag(self, items: list[str], x: int, y: int) -> str:
        """Drag `items` (paths or URLs) onto (x, y); the action the target took ("CopyAction" or "IgnoreAction")."""
        self.urls_file.write_text("\n".join(items) + "\n", encoding="utf-8")
        done = len(self.results())
        xdotool("windowraise", self.window)
        xdotool("mousemove", "--sync", self.x, self.y)
        xdotool("mousedown", 1)
        time.sleep(0.3)  # the source is in QDrag.exec
        for step in range(1, STEPS + 1):
            xdotool("mousemove", self.x + (x - self.x) * step // STEPS, self.y + (y - self.y) * step // STEPS)
            time.sleep(0.05)
        xdotool("mousemove", x + 1, y + 1)
        time.sleep(0.3)  # the target answered the last position
        xdotool("mouseup", 1)
        return wait_for(lambda: self.results()[done:], "the drag to end")[0]

    def results(self) -> list[str]:
        return self.results_file.read_text().split()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def centre(area: list[int]) -> tuple[int, int]:
    x, y, width, height = area
    return x + width // 2, y + height // 2


def titled(viewer: Viewer, name: str) -> dict:
    return wait_for(lambda: next((w for w in viewer.windows() if w["title"] == f"{name} — OZX Viewer" and w["path"]), None),
                    f"a window showing {name}")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    data = tmp_path / "data"
    data.mkdir()
    out = {}
    for name in ("first.ozx", "on canvas.ozx", "chan a.ozx", "chan b.OZX", "status bar.ozx"):
        out[name] = data / name
        shutil.copy(sample_path(), out[name])
    out["broken.ozx"] = data / "broken.ozx"
    out["broken.ozx"].write_bytes(b"this is no zip archive\n" * 10)
    folder = data / "folder image.zarr"
    plane = np.arange(256 * 256, dtype=np.uint16).reshape(1, 256, 256)
    write_image(folder, "", [plane, plane[:, ::2, ::2]], "cyx", chunks=(1, 128, 128))
    out["folder image.zarr"] = folder
    return out


def test_files_dragged_from_another_program_open_wherever_they_are_dropped(qapp, tmp_path: Path, files: dict[str, Path]) -> None:
    # `qapp`: this process stays an X client, so a test Xvfb (started with -terminate) outlives the viewer
    viewer = Viewer(tmp_path, files["broken.ozx"])
    source = None
    stderr = ""
    try:
        failed = wait_for(lambda: next((w for w in viewer.windows() if w["empty_state"]), None), "the empty state")
        assert failed["title"] == "broken.ozx — OZX Viewer"
        source = Source(tmp_path)

        # The empty state of the window that failed: the dropped file replaces it, in that window.
        xdotool("windowraise", failed["id"])
        assert source.drag([str(files["first.ozx"])], *centre(failed["areas"]["empty"])) == "CopyAction"
        first = titled(viewer, "first.ozx")
        assert first["id"] == failed["id"] and len(viewer.windows()) == 1
        first = wait_for(lambda: (w := viewer.window(first["id"]))["areas"]["canvas"] and w, "the canvas")

        # The image (the canvas' native window): a window of its own, the first keeps its file.
        assert source.drag([str(files["on canvas.ozx"])], *centre(first["areas"]["canvas"])) == "CopyAction"
        on_canvas = titled(viewer, "on canvas.ozx")
        assert on_canvas["id"] != first["id"]
        assert viewer.window(first["id"])["path"] == str(files["first.ozx"])

        # The Channels panel, two files at once: a window each.
        xdotool("windowraise", on_canvas["id"])
        on_canvas = wait_for(lambda: (w := viewer.window(on_canvas["id"]))["areas"]["channels"] and w, "the Channels panel")
        assert source.drag([str(files["chan a.ozx"]), str(files["chan b.OZX"])],
                           *centre(on_canvas["areas"]["channels"])) == "CopyAction"
        chan_a, chan_b = titled(viewer, "chan a.ozx"), titled(viewer, "chan b.OZX")
        assert len({chan_a["id"], chan_b["id"], on_canvas["id"], first["id"]}) == 4

        # The status bar.
        xdotool("windowraise", chan_b["id"])
        assert source.drag([str(files["status bar.ozx"])], *centre(viewer.window(chan_b["id"])["areas"]["status"])) == "CopyAction"
        on_status = titled(viewer, "status bar.ozx")

        # A folder (directory OME-Zarr) dropped on the image.
        xdotool("windowraise", on_status["id"])
        on_status = wait_for(lambda: (w := viewer.window(on_status["id"]))["areas"]["canvas"] and w, "the canvas")
        assert source.drag([str(files["folder image.zarr"])], *centre(on_status["areas"]["canvas"])) == "CopyAction"
        folder = titled(viewer, "folder image.zarr")
        assert folder["path"] == str(files["folder image.zarr"])

        # A web link on the image: refused with a message in that window's status bar, nothing opens.
        xdotool("windowraise", folder["id"])
        folder = wait_for(lambda: (w := viewer.window(folder["id"]))["areas"]["canvas"] and w, "the canvas")
        count = len(viewer.windows())
        source.drag(["https://example.org/images/remote.ozx"], *centre(folder["areas"]["canvas"]))
        wait_for(lambda: REFUSED_URL_MESSAGE in viewer.window(folder["id"])["messages"], "the refusal message")
        time.sleep(0.5)
        assert len(viewer.windows()) == count == 6
        titles = sorted(w["title"] for w in viewer.windows())
        assert titles == sorted(f"{name} — OZX Viewer" for name in
                                ("first.ozx", "on canvas.ozx", "chan a.ozx", "chan b.OZX", "status bar.ozx", "folder image.zarr"))
        log = viewer.log_text()
    finally:
        if source is not None:
            source.stop()
        stderr = viewer.stop()
    for text in (stderr, log):
        for bad in ("RecursionError", "Traceback", "Fatal Python error", "Internal error"):
            assert bad not in text, text[-3000:]

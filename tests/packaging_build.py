"""Helpers of the packaging tests: the frozen bundle (built once per test session), test images,
waiting for X windows, and screen grabs."""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "pyinstaller" / "ozx-viewer.spec"


@functools.cache
def frozen_bundle() -> Path:
    """dist/ozx-viewer of a PyInstaller build of this tree (or `$OZX_FROZEN_BUNDLE`, prebuilt).

    Skips without PyInstaller, except in CI (`CI` set), where tests/run.sh installs it."""
    prebuilt = os.environ.get("OZX_FROZEN_BUNDLE")
    if prebuilt:
        return Path(prebuilt)
    if importlib.util.find_spec("PyInstaller") is None:
        if os.environ.get("CI"):
            pytest.fail("PyInstaller is missing in CI: tests/run.sh installs it with .[freeze]")
        pytest.skip("PyInstaller is not installed (pip install -e '.[freeze]')")
    work = Path(tempfile.mkdtemp(prefix="ozx-frozen-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    result = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "--distpath", str(work / "dist"),
         "--workpath", str(work / "build"), str(SPEC)],
        capture_output=True, text=True, cwd=ROOT, timeout=900,
    )
    assert result.returncode == 0, f"PyInstaller failed:\n{result.stderr[-3000:]}"
    return work / "dist" / "ozx-viewer"


def write_two_channel_ozx(path: Path, name: str) -> Path:
    """A real 2-level `.ozx`: channel 0 (red) bright on the left half, channel 1 (green) on the right."""
    from tests.omezarr_fixtures import omero_channels, pack, pyramid, write_image

    data = np.zeros((2, 256, 256), np.uint16)
    data[0, :, :128] = 60000
    data[1, :, 128:] = 60000
    root = path.parent / f"{path.stem}.zarr"
    write_image(root, "", pyramid(data, 2), "cyx", chunks=(1, 128, 128), name=name,
                omero=omero_channels(["FF0000", "00FF00"], [(0, 60000), (0, 60000)]))
    pack(root, path)
    shutil.rmtree(root)
    return path


def wait_for_window(title: str, timeout: float = 30.0, env: dict | None = None) -> list[str]:
    """X window ids whose name is exactly `title` (xdotool), waiting up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(["xdotool", "search", "--name", f"^{title}$"], capture_output=True, text=True, env=env)
        if found.returncode == 0 and found.stdout.split():
            return found.stdout.split()
        time.sleep(0.2)
    return []


def grab_screen() -> np.ndarray:
    """The whole X screen as (rows, cols, 3) uint8, through this process' Qt connection."""
    from PySide6.QtGui import QGuiApplication, QImage

    image = QGuiApplication.primaryScreen().grabWindow(0).toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows, cols = image.height(), image.width()
    return np.frombuffer(image.constBits(), np.uint8, rows * image.bytesPerLine()).reshape(rows, -1)[:, :cols * 3].reshape(rows, cols, 3).copy()


def red_green_pixels(screen: np.ndarray) -> tuple[int, int]:
    """Pixels that are clearly red, and clearly green, on the screen."""
    r, g, b = (screen[..., i].astype(int) for i in range(3))
    return int(((r > 150) & (g < 60) & (b < 60)).sum()), int(((g > 150) & (r < 60) & (b < 60)).sum())


def stop(process: subprocess.Popen) -> None:
    """End a viewer this test started (by its own process id)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

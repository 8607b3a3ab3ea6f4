"""The frozen application (PyInstaller onedir, packaging/pyinstaller/): built once per session,
then its command line, its `--self-test` under Xvfb, and a screen grab of its window."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.packaging_build import (
    frozen_bundle, grab_screen, red_green_pixels, stop, wait_for_window, write_two_channel_ozx,
)
from viewer import __version__

pytestmark = pytest.mark.frozen


@pytest.fixture(scope="module")
def bundle() -> Path:
    return frozen_bundle()


def _run(bundle: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(bundle / "ozx-viewer"), *args], capture_output=True, text=True, timeout=timeout)


def test_bundle_has_the_data_the_viewer_needs_and_no_unused_qt(bundle: Path) -> None:
    internal = bundle / "_internal"
    assert (internal / "viewer" / "resources" / "sample.ozx").is_file()
    assert (internal / "viewer" / "resources" / "ozx-viewer.svg").is_file()  # the window icon is drawn from it
    assert any((internal / "vispy" / "glsl").rglob("*.glsl")), "vispy shaders missing"
    assert list(internal.glob("numcodecs-*.dist-info")), "numcodecs metadata missing"
    qt = internal / "PySide6" / "Qt"
    assert (qt / "plugins" / "platforms" / "libqxcb.so").is_file()
    assert (qt / "lib" / "libQt6Network.so.6").is_file()
    assert (qt / "lib" / "libQt6Svg.so.6").is_file()
    assert not list(qt.glob("lib/libQt6Qml*")) and not list(qt.glob("lib/libQt6WebEngine*"))
    assert not (internal / "zarr").exists() and not (internal / "PIL").exists()


def test_frozen_command_line_prints(bundle: Path) -> None:
    version = _run(bundle, "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"ozx-viewer {__version__}"
    sample = bundle / "_internal" / "viewer" / "resources" / "sample.ozx"
    info = _run(bundle, "info", str(sample), "--json")
    assert info.returncode == 0 and '"ome_version": "0.5"' in info.stdout


def test_frozen_command_line_rejects_bad_input_in_one_line(bundle: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ozx"
    bad.write_bytes(b"not a zip at all")
    result = _run(bundle, "validate", str(bad))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.gui
def test_frozen_self_test_shows_the_bundled_sample(bundle: Path, qapp) -> None:
    result = _run(bundle, "--self-test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout and "3 levels of 1 image(s) read" in result.stdout


@pytest.mark.gui
def test_frozen_self_test_fails_for_a_file_that_is_no_image(bundle: Path, tmp_path: Path, qapp) -> None:
    bad = tmp_path / "notes.ozx"
    bad.write_text("just text")
    result = _run(bundle, "--self-test", str(bad))
    assert result.returncode == 1
    assert "self-test FAILED" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.gui
def test_frozen_app_shows_the_channels_of_a_real_ozx(bundle: Path, tmp_path: Path, qapp) -> None:
    path = write_two_channel_ozx(tmp_path / "halves.ozx", "halves")
    process = subprocess.Popen([str(bundle / "ozx-viewer"), str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        windows = wait_for_window("halves.ozx — OZX Viewer")
        assert windows, "no window titled with the image name"
        if shutil.which("xprop"):  # the app icon, drawn from the bundle's own SVG
            shown = subprocess.run(["xprop", "-id", windows[0], "_NET_WM_ICON"], capture_output=True, text=True).stdout
            assert "Icon (16 x 16)" in shown and "Icon (128 x 128)" in shown, shown[:200]
        deadline = time.monotonic() + 30
        red = green = 0
        while time.monotonic() < deadline and min(red, green) < 20_000:
            qapp.processEvents()
            red, green = red_green_pixels(grab_screen())
            time.sleep(0.2)
        # the image fills the canvas: two halves, one per channel colour, about the same size
        assert min(red, green) >= 20_000, (red, green)
        assert 0.7 < red / green < 1.4, (red, green)
    finally:
        stop(process)
    assert process.returncode in (0, -15), process.stderr.read().decode()[-2000:]

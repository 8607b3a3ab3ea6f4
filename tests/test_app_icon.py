"""The application icon: drawn from the packaged SVG in every size, set on the application at
start-up (so on every window, where the X11 desktop reads it), with the desktop file name that
desktop shells match windows to the .desktop entry by."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.viewer_process import Viewer, wait_for
from viewer.app.app_icon import ICON_SIZES, icon_path
from viewer.app.startup import sample_path
from viewer.identity import APP_ICON, APP_ID

#: Qt's X11 platform puts sizes up to 128 px into `_NET_WM_ICON` (bigger ones make the property huge)
X11_MAX_ICON = 128


def test_the_icon_is_the_app_svg_of_the_source_tree_here() -> None:
    """A checkout (editable install) reads resources/icons/; the wheel test checks the package data."""
    assert icon_path() == Path(__file__).resolve().parents[1] / "resources" / "icons" / f"{APP_ICON}.svg"


@pytest.mark.gui
def test_the_icon_has_every_size_and_is_drawn(qapp) -> None:
    from PySide6.QtCore import QSize

    from viewer.app.app_icon import app_icon

    icon = app_icon()
    assert not icon.isNull()
    assert [size.width() for size in icon.availableSizes()] == list(ICON_SIZES)
    for size in ICON_SIZES:
        image = icon.pixmap(QSize(size, size)).toImage()
        assert (image.width(), image.height()) == (size, size)
        # the dark slide fills the middle, the corners are transparent
        assert image.pixelColor(size // 2, size // 2).alpha() == 255
        assert image.pixelColor(0, 0).alpha() == 0


@pytest.mark.gui
def test_a_started_viewer_gives_every_window_the_icon(qapp, tmp_path: Path) -> None:
    # `qapp`: this process stays an X client, so a test Xvfb (started with -terminate) outlives the viewer
    viewer = Viewer(tmp_path, sample_path())
    try:
        window = wait_for(lambda: next((w for w in viewer.windows() if w["path"]), None), "the sample's window")
        app = viewer.state()["app"]
        assert app == {"desktop_file_name": APP_ID, "icon_sizes": list(ICON_SIZES)}
        assert window["icon_sizes"] == list(ICON_SIZES)
        if shutil.which("xprop"):  # what the desktop reads: the icons on the X window
            shown = subprocess.run(["xprop", "-id", str(window["id"]), "_NET_WM_ICON", "_GTK_APPLICATION_ID"],
                                   capture_output=True, text=True, timeout=30).stdout
            sizes = [int(w) for w, h in re.findall(r"Icon \((\d+) x (\d+)\)", shown) if w == h]
            assert sizes == [s for s in ICON_SIZES if s <= X11_MAX_ICON]
            assert f'_GTK_APPLICATION_ID(UTF8_STRING) = "{APP_ID}"' in shown
    finally:
        viewer.stop()

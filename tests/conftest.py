"""Shared fixtures. GUI tests (marked `gui`) get an X display: Xvfb is started when none is set."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

_XVFB_SCREEN = "1920x1200x24"


def _start_xvfb() -> tuple[subprocess.Popen, str]:
    """Start Xvfb on a free display number (it reports the number through -displayfd)."""
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", _XVFB_SCREEN, "-nolisten", "tcp",
         "-terminate"],  # exits with its last client, even if this process crashes
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        process.kill()
        raise RuntimeError("Xvfb did not report a display number")
    return process, f":{number}"


@pytest.fixture(scope="session", autouse=True)
def x_display(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The X display for GUI tests, or None with the reason in `x_display_missing`.

    Runs before pytest-qt's session `qapp`, so the QApplication is created on this display.
    Nothing is started when no collected test is marked `gui`.
    """
    wants_gui = any(item.get_closest_marker("gui") for item in request.session.items)
    if not wants_gui or os.environ.get("DISPLAY"):
        if wants_gui:
            os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
        yield os.environ.get("DISPLAY")
        return
    if shutil.which("Xvfb") is None:
        request.config.x_display_missing = "no DISPLAY and no Xvfb: install xvfb (tests/run.sh does)"
        yield None
        return
    process, display = _start_xvfb()
    os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ.setdefault("LIBGL_ALWAYS_SOFTWARE", "1")
    try:
        yield display
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(autouse=True)
def _gui_test_environment(request: pytest.FixtureRequest, x_display: str | None) -> Iterator[None]:
    """Skip GUI tests without a display; after one, collect its Qt/vispy garbage on this thread.

    Widgets caught in reference cycles would otherwise be freed by whichever thread next runs
    the garbage collector (e.g. a zarr worker in a later test), which aborts Qt.
    """
    gui = request.node.get_closest_marker("gui") is not None
    if gui and x_display is None:
        pytest.skip(getattr(request.config, "x_display_missing", "no X display for GUI tests"))
    yield
    if gui:
        gc.collect()


@pytest.fixture(autouse=True)
def _private_user_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test sees empty user settings (Qt's INI files), never the real user's: a window
    closed by one test would otherwise give the next its saved size and position."""
    try:
        from PySide6.QtCore import QSettings
    except ImportError:
        return
    folder = tmp_path_factory.mktemp("user-settings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


@pytest.fixture
def window(qtbot):
    """The viewer's main window, shown and active (GUI tests only)."""
    from viewer.app.window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()  # no window manager under Xvfb: shortcuts need an active window
    qtbot.waitActive(win)
    yield win
    import shiboken6

    if shiboken6.isValid(win):  # a test may have closed it (closing deletes the window)
        win.close()

"""The application shell: paths from every source, recent files, one process per user (real
second processes), files sent by the OS, and one window per file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from viewer.app.arrival import local_path, local_paths
from viewer.app.recent_files import MAX_RECENT, RecentFiles


def test_paths_from_arguments_uris_and_relative_names(tmp_path: Path) -> None:
    assert local_path("a b.ozx", str(tmp_path)) == str(tmp_path / "a b.ozx")
    assert local_path("file:///tmp/Scan%20(2).OZX") == "/tmp/Scan (2).OZX"
    assert local_path("file://localhost/tmp/x.ozx") == "/tmp/x.ozx"
    assert local_path("-psn_0_12345") is None
    paths, refused = local_paths(["https://example.org/x.ozx", "x.ozx"], str(tmp_path))
    assert paths == [str(tmp_path / "x.ozx")] and refused == ["https://example.org/x.ozx"]


def test_recent_files_newest_first_bounded_and_kept_across_restarts(tmp_path: Path) -> None:
    store = tmp_path / "config" / "recent.json"
    recent = RecentFiles(store)
    for i in range(MAX_RECENT + 3):
        recent.add(str(tmp_path / f"f{i}.ozx"))
    recent.add(str(tmp_path / "f5.ozx"))  # again: moves to the top, no duplicate
    again = RecentFiles(store)
    assert again.paths[0] == str(tmp_path / "f5.ozx")
    assert len(again.paths) == MAX_RECENT and len(set(again.paths)) == MAX_RECENT
    assert [p.name for p in store.parent.iterdir()] == ["recent.json"]  # no temporary left behind
    again.clear()
    assert RecentFiles(store).paths == []
    store.write_text("{not json")
    assert RecentFiles(store).paths == []


def _env(tmp_path: Path) -> dict[str, str]:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    return dict(os.environ, XDG_RUNTIME_DIR=str(runtime), XDG_CONFIG_HOME=str(tmp_path / "config"),
                XDG_STATE_HOME=str(tmp_path / "state"), QT_QPA_PLATFORM="xcb")


HAND_OFF_PRINTER = """
import sys
from PySide6.QtCore import QCoreApplication, QTimer
from viewer.app.single_instance import elect, start_server
app = QCoreApplication([])
election = elect()
assert election.primary
server = start_server(lambda files: print("FILES", *files, flush=True))
print("READY", flush=True)
QTimer.singleShot(int(float(sys.argv[1]) * 1000), app.quit)
app.exec()
"""


def test_second_launches_hand_their_files_to_the_running_instance(tmp_path: Path) -> None:
    """Five real launches at once while an instance runs: each exits 0 at once, every file arrives."""
    env = _env(tmp_path)
    primary = subprocess.Popen([sys.executable, "-c", HAND_OFF_PRINTER, "20"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert primary.stdout.readline().strip() == "READY"
        files = [tmp_path / f"scan {i}.ozx" for i in range(5)]
        started = time.monotonic()
        launches = [subprocess.Popen([sys.executable, "-m", "viewer", str(f)], env=env, cwd=tmp_path,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE) for f in files]
        codes = [launch.wait(timeout=20) for launch in launches]
        elapsed = time.monotonic() - started
        assert codes == [0] * 5
        assert elapsed < 10
        received = set()
        while len(received) < 5:
            line = primary.stdout.readline()
            assert line, "the running instance stopped before every file arrived"
            received.add(line.split(" ", 1)[1].strip())
        assert received == {str(f) for f in files}
    finally:
        primary.kill()
        primary.wait()


def test_a_crashed_instance_leaves_no_stale_lock(tmp_path: Path) -> None:
    env = _env(tmp_path)
    first = subprocess.Popen([sys.executable, "-c", HAND_OFF_PRINTER, "30"], env=env, stdout=subprocess.PIPE, text=True)
    assert first.stdout.readline().strip() == "READY"
    first.kill()  # kill -9: no clean-up at all
    first.wait()
    second = subprocess.run([sys.executable, "-c", HAND_OFF_PRINTER, "0.1"], env=env, capture_output=True, text=True, timeout=30)
    assert second.returncode == 0 and "READY" in second.stdout, second.stderr


@pytest.mark.gui
def test_each_file_opens_in_a_window_of_its_own_and_os_open_events_too(qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    from tests.test_render_screenshots import TIMEOUT_MS
    from viewer.app.application import Application
    from viewer.app.main import sample_path

    copies = []
    for name in ("Scan (2).OZX", "ATT00001.dat", "no extension"):
        copies.append(tmp_path / name)
        shutil.copy(sample_path(), copies[-1])
    app = Application(QApplication.instance(), recent=RecentFiles(tmp_path / "recent.json"))
    try:
        app.open_paths([str(copies[0]), str(copies[1])])
        assert len(app.windows) == 2
        QApplication.sendEvent(QApplication.instance(), QFileOpenEvent(QUrl.fromLocalFile(str(copies[2]))))
        assert len(app.windows) == 3
        qtbot.waitUntil(lambda: all(w.session is not None for w in app.windows), timeout=TIMEOUT_MS)
        titles = sorted(w.windowTitle() for w in app.windows)
        assert titles == sorted(f"{c.name} — OZX Viewer" for c in copies)
        assert set(app.recent.paths) == {str(c) for c in copies}
        app.windows[0].close()
        assert len(app.windows) == 2
    finally:
        app.quit()
        app.close()

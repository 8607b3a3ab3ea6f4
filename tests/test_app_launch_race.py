"""Several real viewer launches at the same instant, no viewer running (what `gio open a b` and
file managers do): exactly one process stays, and it shows every file in a window of its own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.viewer_process import HERE, wait_for
from viewer.app.main import sample_path

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("count", [2, 5])
def test_launches_at_once_leave_one_process_with_every_file(qapp, tmp_path: Path, count: int) -> None:
    """(`qapp` keeps this process connected to the test's X server while the viewers come and go.)"""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"), XDG_RUNTIME_DIR=str(runtime), PYTHONPATH=str(HERE.parent))
    files = []
    for i in range(count):
        files.append(tmp_path / f"scan {i}.ozx")
        shutil.copy(sample_path(), files[-1])
    states = [tmp_path / f"state-{i}.json" for i in range(count)]
    launches = [subprocess.Popen([sys.executable, str(HERE / "viewer_probe.py"), str(state), str(path)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for state, path in zip(states, files)]
    try:
        wait_for(lambda: sum(p.poll() is None for p in launches) == 1, "all launches but one to exit")
        survivor = next(i for i, p in enumerate(launches) if p.poll() is None)
        assert [p.returncode for i, p in enumerate(launches) if i != survivor] == [0] * (count - 1)

        def paths() -> set[str]:
            try:
                windows = json.loads(states[survivor].read_text())["windows"]
            except (FileNotFoundError, ValueError):
                return set()
            return {w["path"] for w in windows if w["path"]}

        wait_for(lambda: paths() == {str(f) for f in files}, f"{count} windows, one per file")
        windows = json.loads(states[survivor].read_text())["windows"]
        assert len(windows) == count
        assert sorted(w["title"] for w in windows) == [f"scan {i}.ozx — OZX Viewer" for i in range(count)]
    finally:
        for process in launches:
            if process.poll() is None:
                process.terminate()
            try:
                _, err = process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                _, err = process.communicate()
            assert "Traceback" not in err, err[-2000:]

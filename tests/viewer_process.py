"""A real viewer process driven from a test (tests/viewer_probe.py reports what its windows show),
and helpers for real X input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")
HERE = Path(__file__).resolve().parent
TIMEOUT_S = 30.0


def xdotool(*args: object) -> str:
    """Run xdotool; its output."""
    done = subprocess.run(["xdotool", *map(str, args)], check=True, timeout=60, capture_output=True, text=True)
    return done.stdout


def wait_for(condition: Callable[[], T], what: str, timeout: float = TIMEOUT_S) -> T:
    """The first true value of `condition()`, polled every 0.1 s; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Viewer:
    """The viewer process and what its windows show (read from the probe's state file)."""

    def __init__(self, tmp_path: Path, path: Path) -> None:
        self.state_file = tmp_path / "viewer-state.json"
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700)
        self.state_home = tmp_path / "state"
        env = dict(os.environ, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=str(tmp_path / "config"),
                   XDG_STATE_HOME=str(self.state_home), XDG_RUNTIME_DIR=str(runtime),
                   PYTHONPATH=str(HERE.parent), PYTHONFAULTHANDLER="1")
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "viewer_probe.py"), str(self.state_file), str(path), "--new-instance"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def state(self) -> dict:
        """The probe's last report ({"app": {}, "windows": []} before the first)."""
        assert self.process.poll() is None, f"the viewer exited ({self.process.returncode}): {self.process.communicate()[1][-3000:]}"
        try:
            return json.loads(self.state_file.read_text())
        except (FileNotFoundError, ValueError):
            return {"app": {}, "windows": []}

    def windows(self) -> list[dict]:
        return self.state()["windows"]

    def window(self, key: int) -> dict:
        return next(w for w in self.windows() if w["id"] == key)

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.state_home.rglob("*.log*"))

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.communicate(timeout=20)[1]
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.communicate()[1]

"""`ozx-viewer --self-test` of the installed (venv) command: exit 0 with the bundled sample,
exit 1 with one line for a file that shows nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# `qapp` in every test: the test session keeps a connection to the Xvfb of tests/conftest.py,
# which exits with its last client (here: each viewer started).
pytestmark = pytest.mark.gui
COMMAND = [sys.executable, "-m", "viewer"]


def test_self_test_passes_with_the_sample(qapp) -> None:
    result = subprocess.run([*COMMAND, "--self-test"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout and "first image frame after" in result.stdout


def test_self_test_fails_in_one_line_for_a_missing_file(tmp_path: Path, qapp) -> None:
    result = subprocess.run([*COMMAND, "--self-test", str(tmp_path / "gone.ozx")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "self-test FAILED" in result.stderr


@pytest.mark.skipif(shutil.which("ozx-viewer") is None and not (Path(sys.executable).parent / "ozx-viewer").exists(),
                    reason="the ozx-viewer launcher is not installed")
def test_launcher_script_runs_the_self_test(qapp) -> None:
    launcher = Path(sys.executable).parent / "ozx-viewer"
    result = subprocess.run([str(launcher if launcher.exists() else "ozx-viewer"), "--self-test"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr

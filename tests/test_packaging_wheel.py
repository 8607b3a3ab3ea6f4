"""`pip install .` works: the built wheel carries the sample image and the icon as package data,
both launchers, and runs from outside the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from viewer import __version__
from viewer.app.app_icon import ICON_SIZES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    (built,) = out.glob("ozx_viewer-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked as pip installs it, in a folder of its own (dependencies: this venv's)."""
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return target


def _run_installed(site: Path, *args: str) -> subprocess.CompletedProcess:
    """Python with the installed copy first on the path, started away from the source tree."""
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=site.parent, env=env, timeout=120)


def test_wheel_carries_the_package_data_and_both_launchers(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(f"ozx_viewer-{__version__}.dist-info/entry_points.txt").decode()
        requires = archive.read(f"ozx_viewer-{__version__}.dist-info/METADATA").decode()
    assert {"viewer/resources/sample.ozx", "viewer/resources/ozx-viewer.svg", "viewer/identity.py",
            "viewer/app/self_test.py", "viewer/py.typed"} <= names
    assert not any(name.startswith(("resources/", "tests/", "packaging/")) for name in names)
    assert "[console_scripts]\nozx-viewer = viewer.cli:main" in entry_points
    assert "[gui_scripts]\nozx-viewer-gui = viewer.cli:main" in entry_points
    runtime = [line for line in requires.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert sorted(line.split()[1].split("<")[0].split(">")[0] for line in runtime) == ["PySide6-Essentials", "numcodecs", "numpy", "platformdirs", "vispy"]


def test_installed_copy_finds_its_bundled_sample(installed: Path) -> None:
    result = _run_installed(installed, "-c", "import viewer; from viewer.app.startup import sample_path; "
                            "print(viewer.__file__); print(sample_path())")
    assert result.returncode == 0, result.stderr
    module, sample = result.stdout.split()
    assert Path(module).is_relative_to(installed) and Path(sample) == installed / "viewer" / "resources" / "sample.ozx"


def test_python_dash_m_viewer_runs_the_command(installed: Path) -> None:
    sample = installed / "viewer" / "resources" / "sample.ozx"
    result = _run_installed(installed, "-m", "viewer", "validate", str(sample))
    assert result.returncode == 0, result.stderr
    assert "conforming" in result.stdout
    version = _run_installed(installed, "-m", "viewer", "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"ozx-viewer {__version__}"


def test_installed_copy_draws_its_icon_from_the_package_data(installed: Path) -> None:
    result = _run_installed(installed, "-c", "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'; "
                            "from PySide6.QtGui import QGuiApplication; app = QGuiApplication([]); "
                            "from viewer.app.app_icon import app_icon, icon_path; icon = app_icon(); "
                            "print(icon_path()); print(*[s.width() for s in icon.availableSizes()])")
    assert result.returncode == 0, result.stderr
    path, sizes = result.stdout.splitlines()
    assert Path(path) == installed / "viewer" / "resources" / "ozx-viewer.svg"
    assert [int(s) for s in sizes.split()] == list(ICON_SIZES)

"""Frozen-application benchmark (issue 10 §2): size of the PyInstaller bundle on disk, and the
start of the frozen app to its first image frame against the venv install, in the same run.

Usage (from the repository root, with the project's venv and PyInstaller, `pip install -e .[freeze]`):

    python benchmarks/bench_frozen.py                  # build the bundle, 5 starts of each
    python benchmarks/bench_frozen.py --bundle dist/ozx-viewer --runs 9 --file some.ozx

Each start is a fresh process running `ozx-viewer --self-test FILE` (default: the bundled sample):
the viewer's normal start path, which prints when the first frame with image pixels was on
screen, counted from the creation of the process (/proc/self/stat). Starts alternate frozen/venv
so machine noise spreads over both; under `xvfb-run` when DISPLAY is unset. The page cache is
warm after the first start of each (this does not drop caches on a shared machine): the first
start after the build is printed on its own. The package is byte-compiled first, as an installed
app is. Targets: bundle ≤ 200 MB; frozen first frame ≤ 1.2 s and within 20 % of the venv's.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "packaging" / "pyinstaller" / "ozx-viewer.spec"
SIZE_TARGET_MB = 200
FIRST_FRAME_TARGET_S = 1.2
RATIO_TARGET = 1.2
FRAME = re.compile(r"first image frame after ([0-9.]+) s")


def build(out: Path) -> tuple[Path, float]:
    """PyInstaller build into `out`; returns the bundle folder and the build time in seconds."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(out / "dist"), "--workpath", str(out / "build"), str(SPEC)], check=True, cwd=REPO)
    return out / "dist" / "ozx-viewer", time.monotonic() - started


def disk_usage_mb(folder: Path) -> tuple[float, int]:
    """Allocated size (MB, 10^6 bytes) and number of files below `folder`, like `du`."""
    blocks, files = 0, 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            blocks += path.stat().st_blocks
            files += 1
    return blocks * 512 / 1e6, files


def first_frame(command: list[str], file: str) -> tuple[float, float]:
    """(first image frame after process start, whole self-test wall time), in seconds."""
    started = time.monotonic()
    result = subprocess.run([*command, "--self-test", file], capture_output=True, text=True, timeout=180)
    wall = time.monotonic() - started
    match = FRAME.search(result.stdout)
    if result.returncode != 0 or not match:
        raise SystemExit(f"self-test failed ({' '.join(command)}):\n{result.stdout}{result.stderr}")
    return float(match.group(1)), wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundle", type=Path, help="a built dist/ozx-viewer (default: build one now)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--file", help="the .ozx to open (default: the bundled sample)")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and shutil.which("xvfb-run") and "BENCH_FROZEN_IN_XVFB" not in os.environ:
        env = {**os.environ, "BENCH_FROZEN_IN_XVFB": "1", "QT_QPA_PLATFORM": "xcb", "LIBGL_ALWAYS_SOFTWARE": "1"}
        return subprocess.call(["xvfb-run", "-a", "-s", "-screen 0 1920x1200x24", sys.executable, *sys.argv], env=env)

    compileall.compile_dir(str(REPO / "viewer"), quiet=1)
    work = Path(tempfile.mkdtemp(prefix="bench-frozen-"))
    try:
        bundle, build_s = (args.bundle, None) if args.bundle else build(work)
        size_mb, files = disk_usage_mb(bundle)
        file = args.file or str(bundle / "_internal" / "viewer" / "resources" / "sample.ozx")
        frozen_cmd = [str(bundle / "ozx-viewer")]
        venv_cmd = [str(Path(sys.executable).parent / "ozx-viewer")]
        first_frozen = first_frame(frozen_cmd, file)
        first_venv = first_frame(venv_cmd, file)
        frozen, venv = [], []
        for _ in range(args.runs):
            frozen.append(first_frame(frozen_cmd, file))
            venv.append(first_frame(venv_cmd, file))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def median(values: list[tuple[float, float]], i: int) -> float:
        return statistics.median(v[i] for v in values)

    def spread(values: list[tuple[float, float]], i: int) -> str:
        return f"{median(values, i):.3f} [{min(v[i] for v in values):.3f}..{max(v[i] for v in values):.3f}]"

    ratio = median(frozen, 0) / median(venv, 0)
    print(f"bench_frozen: {time.strftime('%Y-%m-%d %H:%M')}, load average {os.getloadavg()[0]:.2f}, "
          f"{args.runs} alternating starts each, file {Path(file).name}")
    if build_s is not None:
        print(f"PyInstaller build: {build_s:.0f} s")
    print(f"{'figure':<44} {'frozen':>24} {'venv':>24}  target")
    print(f"{'bundle on disk':<44} {f'{size_mb:.0f} MB ({files} files)':>24} {'':>24}  <= {SIZE_TARGET_MB} MB "
          f"{'PASS' if size_mb <= SIZE_TARGET_MB else 'FAIL'}")
    print(f"{'first image frame after start, s (median)':<44} {spread(frozen, 0):>24} {spread(venv, 0):>24}  "
          f"<= {FIRST_FRAME_TARGET_S} s {'PASS' if median(frozen, 0) <= FIRST_FRAME_TARGET_S else 'FAIL'}")
    print(f"{'frozen / venv first frame':<44} {ratio:>24.2f} {'':>24}  <= {RATIO_TARGET} "
          f"{'PASS' if ratio <= RATIO_TARGET else 'FAIL'}")
    print(f"{'first start after the build, s':<44} {first_frozen[0]:>24.3f} {first_venv[0]:>24.3f}")
    print(f"{'whole self-test (start to exit), s':<44} {spread(frozen, 1):>24} {spread(venv, 1):>24}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

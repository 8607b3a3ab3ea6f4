"""Virtual-levels benchmark (issue 14): a 3 x 32768^2 uint16 image with one level against the same
pixels with their pyramid, and the full-resolution read of the whole image on 2 threads (baseline).

    python benchmarks/bench_virtual_levels.py              # 32768^2, 3 fresh-process runs of each file
    python benchmarks/bench_virtual_levels.py --side 8192 --runs 1   # a smoke run

Each session is benchmarks/viewer_session.py with `--open-only` (the real `ozx-viewer FILE` start-up,
window 1600x1000, under xvfb-run when DISPLAY is unset): time from process start to the first frame
with image pixels, to the first frame with the fitted view sharp (for the single-level file: every
tile of the coarsest virtual level built and drawn), and peak RSS. Runs are interleaved (single,
pyramid, baseline, again) so machine noise spreads over all. Data: make_large_image.py and
make_single_level.py (cached in benchmarks/data/).

Targets: first frame <= 1.5 s, peak RSS <= 350 MB, fitted view sharp within 4x the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for p in (str(REPO), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import make_large_image  # noqa: E402
import make_single_level  # noqa: E402

XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1920x1200x24"]
FIRST_FRAME_TARGET_S = 1.5
RSS_TARGET_MB = 350.0
SHARP_FACTOR_TARGET = 4.0
STRIP_ROWS = 4096


def full_read_seconds(path: Path) -> float:
    """Decode every pixel of level 0 with 2 threads, in strips (memory stays bounded), in a fresh process."""
    code = (
        "import sys, time\n"
        "from viewer.ome import open_document\n"
        "array = open_document(sys.argv[1]).images()[0].levels[0].array\n"
        "t = time.perf_counter()\n"
        f"for r in range(0, array.shape[-2], {STRIP_ROWS}):\n"
        f"    array.read(tuple([slice(None)] * (array.ndim - 2) + [slice(r, r + {STRIP_ROWS}), slice(None)]), threads=2)\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True, cwd=REPO)
    return float(out.stdout.strip().splitlines()[-1])


def session(path: Path, wait: float) -> dict:
    cmd = [sys.executable, str(HERE / "viewer_session.py"), str(path), "--json", "--open-only", "--wait-timeout", str(wait)]
    if not os.environ.get("DISPLAY"):
        cmd = XVFB + cmd
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", LIBGL_ALWAYS_SOFTWARE="1")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=4 * wait + 120)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    return json.loads(lines[-1]) if lines else {"error": out.stderr[-500:]}


def median(values: list) -> float | None:
    values = [v for v in values if isinstance(v, (int, float)) and v == v]
    return statistics.median(values) if values else None


def span(values: list) -> str:
    values = [v for v in values if isinstance(v, (int, float)) and v == v]
    return f"[{min(values):.2f}..{max(values):.2f}]" if values else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", type=int, default=32768)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--wait", type=float, default=300.0, help="seconds a session waits for the sharp fitted view")
    args = parser.parse_args()
    pyramid = make_large_image.build(side=args.side)["sharded"]
    single = make_single_level.single_level(args.side)
    results: dict[str, list[dict]] = {"single level": [], "pyramid": []}
    baseline: list[float] = []
    for run in range(args.runs):
        for name, path in (("single level", single), ("pyramid", pyramid)):
            results[name].append(session(path, args.wait))
            print(f"run {run + 1} {name}: {json.dumps({k: results[name][-1].get(k) for k in ('first_image_s', 'first_sharp_s', 'peak_rss_mb', 'open_level', 'error', 'timed_out')})}",
                  file=sys.stderr)
        baseline.append(full_read_seconds(single))
        print(f"run {run + 1} full-resolution read, 2 threads: {baseline[-1]:.2f} s", file=sys.stderr)
    base = median(baseline)
    load = os.getloadavg()[0]
    print(f"\n3 x {args.side}^2 uint16, medians of {args.runs} fresh processes [min..max], load average {load:.1f}")
    print(f"baseline: full-resolution read of the whole image on 2 threads: {base:.2f} s {span(baseline)}")
    print(f"{'figure':42} {'single level':>22} {'pyramid':>22} {'target':>10}")
    rows = [
        ("first frame with image pixels (s)", "first_image_s", FIRST_FRAME_TARGET_S),
        ("fitted view sharp (s)", "first_sharp_s", SHARP_FACTOR_TARGET * base),
        ("peak RSS (MB)", "peak_rss_mb", RSS_TARGET_MB),
    ]
    verdicts = []
    for label, key, target in rows:
        cells = []
        for name in results:
            values = [r.get(key) for r in results[name]]
            value = median(values)
            cells.append(f"{value:.2f} {span(values)}" if value is not None else "n/a")
            if name == "single level":
                verdicts.append(f"{label}: {'PASS' if value is not None and value <= target else 'FAIL'}")
        print(f"{label:42} {cells[0]:>22} {cells[1]:>22} {target:>10.2f}")
    sharp = median([r.get("first_sharp_s") for r in results["single level"]])
    if sharp is not None:
        print(f"fitted view sharp / baseline: {sharp / base:.2f} (target <= {SHARP_FACTOR_TARGET})")
    print("single level: " + "; ".join(verdicts))


if __name__ == "__main__":
    main()

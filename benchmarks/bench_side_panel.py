"""Side panel benchmark: open → panel with its thumbnails, and switching images, on a 2×2 plate
with 2 fields per well and on a generated 384-well plate, against the targets of the multi-image
issue (switch ≤ 0.3 s to the new image's first frame; every visible thumbnail ≤ 2 s after open
on the 384-well plate; GUI-thread stall ≤ 50 ms throughout).

    python benchmarks/bench_side_panel.py [--runs 3] [--switches 6]

Each session is a fresh process (benchmarks/side_panel_session.py, what each figure means is
described there) under `xvfb-run -a` when DISPLAY is unset. Plates are written once into
benchmarks/data/ (git-ignored): uncompressed Zarr v3 `.ozx`, fields 2 × 256² uint16 with
3 levels. Prints a table of medians (min..max) over the runs with the targets; the raw results
of every session go to benchmarks/data/bench_side_panel-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.plate_files import gradient_field, write_plate  # noqa: E402

DATA_DIR = REPO / "benchmarks" / "data"
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1920x1200x24"]
SESSION_TIMEOUT_S = 300
FIELD_SIDE = 256

# (key, label, unit, target upper bound or None, extractor)
FIGURES = [
    ("first_image", "open -> first image frame", "s", None, lambda r: r.get("first_image_after_open_s")),
    ("panel", "open -> panel shown", "s", None, lambda r: r.get("panel_after_open_s")),
    ("thumbs", "open -> every visible thumbnail", "s", 2.0, lambda r: r.get("visible_thumbnails_after_open_s")),
    ("visible", "visible thumbnails", "", None, lambda r: r.get("visible_thumbnails")),
    ("switch_max", "switch -> first frame of the new image, worst", "ms", 300, lambda r: r.get("switch_first_frame_max_ms")),
    ("switch_median", "switch -> first frame of the new image, median", "ms", 300, lambda r: r.get("switch_first_frame_median_ms")),
    ("stall_open", "longest GUI stall, open + thumbnails", "ms", 50, lambda r: (r.get("stall_open") or {}).get("max_ms")),
    ("stall_switch", "longest GUI stall, switching", "ms", 50, lambda r: (r.get("stall_switch") or {}).get("max_ms")),
    ("rss", "peak RSS", "MB", None, lambda r: r.get("peak_rss_mb")),
]


def plates() -> dict[str, Path]:
    """The two plates, written on first use."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    picture = gradient_field(FIELD_SIDE, 2)
    out = {}
    for name, rows, columns, fields in (("plate-2x2x2", 2, 2, 2), ("plate-384", 16, 24, 1)):
        path = DATA_DIR / f"{name}-{FIELD_SIDE}-v1.ozx"
        if not path.exists():
            t0 = time.perf_counter()
            tmp = path.with_suffix(".tmp")
            write_plate(tmp, rows, columns, fields, picture, levels=3, name=name)
            os.replace(tmp, path)
            print(f"  wrote {path.name} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        out[name] = path
    return out


def run_session(path: Path, switches: int, shots: Path | None) -> dict:
    cmd = [sys.executable, str(HERE / "side_panel_session.py"), str(path), "--json", "--switches", str(switches)]
    if shots is not None:
        cmd += ["--shots", str(shots)]
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", PYTHONUNBUFFERED="1")
    if not os.environ.get("DISPLAY"):
        if not shutil.which("xvfb-run"):
            raise SystemExit("no DISPLAY and no xvfb-run: install xvfb")
        cmd = XVFB + cmd
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=SESSION_TIMEOUT_S, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"error": f"session timed out after {SESSION_TIMEOUT_S} s"}
    for line in reversed(proc.stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"error": f"no result (exit {proc.returncode}): {proc.stderr.strip()[-400:]}"}


def fmt(value, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}" if unit == "s" else f"{value:.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--switches", type=int, default=6)
    parser.add_argument("--shots", help="save a window screenshot of each plate's first run here")
    args = parser.parse_args()
    files = plates()
    results: dict[str, list[dict]] = {name: [] for name in files}
    for run in range(args.runs):
        for name, path in files.items():  # interleaved: noise spreads over both
            shots = Path(args.shots) if args.shots and run == 0 else None
            outcome = run_session(path, args.switches, shots)
            if "error" in outcome or outcome.get("timed_out"):
                print(f"  {name} run {run + 1}: {outcome.get('error', 'timed out')}", file=sys.stderr)
            results[name].append(outcome)
    raw = DATA_DIR / f"bench_side_panel-{time.strftime('%Y%m%d-%H%M%S')}.json"
    raw.write_text(json.dumps(results, indent=1))
    print(f"raw results: {raw}", file=sys.stderr)
    ok = True
    for name, runs in results.items():
        print(f"\n{name} ({runs[0].get('images', '?')} images), medians of {len(runs)} runs (min..max)")
        for _key, label, unit, target, get in FIGURES:
            values = [v for v in (get(r) for r in runs) if v is not None]
            if not values:
                print(f"  {label:<48} n/a")
                ok = ok and target is None
                continue
            median = statistics.median(values)
            verdict = ""
            if target is not None:
                passed = max(values) <= target
                ok = ok and passed
                verdict = f"target <= {fmt(target, unit)} {unit}: {'pass' if passed else 'FAIL'}"
            print(f"  {label:<48} {fmt(median, unit):>7} {unit:<3} ({fmt(min(values), unit)}..{fmt(max(values), unit)})  {verdict}")
    print("\nall targets met" if ok else "\nsome targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

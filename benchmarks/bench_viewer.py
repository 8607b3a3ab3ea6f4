"""Viewer benchmark: scripted sessions of OZX Viewer (sharded and unsharded .ozx) and napari
(napari-ome-zarr, directory pyramid) on a generated 3 x 32768^2 uint16 image, against the targets
of issue 3 section 4.

Usage (from the repository root, with the project's venv active):

    python benchmarks/bench_viewer.py                # full: 32768^2, 3 runs of each session (~15 min
                                                     # + ~2 min data generation + napari install once)
    python benchmarks/bench_viewer.py --quick        # smoke: 8192^2, 1 run each, napari skipped if it
                                                     # cannot be installed
    python benchmarks/bench_viewer.py --runs 5 --no-napari --side 16384

Every session is a fresh process (benchmarks/viewer_session.py, viewer_napari_session.py), under
`xvfb-run -a -s "-screen 0 1920x1200x24"` when DISPLAY is unset, window 1600x1000, Mesa llvmpipe.
Runs are interleaved (ours sharded, ours unsharded, napari, then again) so machine noise spreads
over all three. Data: benchmarks/make_large_image.py (cached in benchmarks/data/). napari lives in
its own venv, benchmarks/data/napari-venv, installed on first use with
`pip install "napari[pyqt5]" napari-ome-zarr`.

Printed: one table of medians over runs (with min..max) for every figure, the target, pass/fail
for both .ozx variants and the unsharded/sharded ratio (target <= 1.2; for GUI stalls only when
the medians are more than one 10 ms stall tick apart, see RESOLUTION), then the per-step zoom
times. Raw session results, stderr logs and the table go to benchmarks/data/bench_viewer-<image>-<time>/.
What each figure means is described in viewer_session.py.
"""

from __future__ import annotations

import argparse
import compileall
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
for p in (str(REPO), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import make_large_image  # noqa: E402

DATA_DIR = REPO / "benchmarks" / "data"
NAPARI_VENV = DATA_DIR / "napari-venv"
NAPARI_PY = NAPARI_VENV / "bin" / "python"
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1920x1200x24"]
SESSION_TIMEOUT_S = 420

# (key, label, unit, target, extractor): target is an upper bound (None: reported only)
FIGURES = [
    ("first_image_s", "first image frame after process start", "s", 1.0, lambda r: r.get("first_image_s")),
    ("first_sharp_s", "first sharp frame after process start", "s", None, lambda r: r.get("first_sharp_s")),
    ("sharp_after_open_s", "sharp after open (open called -> sharp)", "s", 1.5, lambda r: r.get("sharp_after_open_s")),
    ("zoom_sharp_max_ms", "zoom step -> sharp, worst of 8 steps", "ms", 500, lambda r: r.get("zoom_sharp_max_ms")),
    ("zoom_sharp_median_ms", "zoom step -> sharp, median of 8 steps", "ms", 500, lambda r: r.get("zoom_sharp_median_ms")),
    ("pan_jump_ms", "jump to pan start (level 0) -> sharp", "ms", 500, lambda r: (r.get("pan") or {}).get("jump_to_sharp_ms")),
    ("pan_fps", "frames/s while dragging across the image", "fps", None, lambda r: (r.get("pan") or {}).get("fps")),
    ("pan_sharp_frac", "fraction of drag frames that were sharp", "", None, lambda r: (r.get("pan") or {}).get("sharp_frame_fraction")),
    ("pan_release_ms", "drag release -> sharp", "ms", 500, lambda r: (r.get("pan") or {}).get("release_to_sharp_ms")),
    ("stall_session_ms", "longest GUI stall, zoom + pan", "ms", 50, lambda r: (r.get("stall_session") or {}).get("max_ms")),
    ("stall_p99_ms", "99th pct GUI stall, zoom + pan", "ms", None, lambda r: (r.get("stall_session") or {}).get("p99_ms")),
    ("stall_open_ms", "longest GUI stall while opening", "ms", 50, lambda r: (r.get("stall_open") or {}).get("max_ms")),
    ("draw_ms", "draw time per frame, median", "ms", None, lambda r: (r.get("draw_ms") or {}).get("median")),
    ("peak_rss_mb", "peak RSS (ru_maxrss)", "MB", 300, lambda r: r.get("peak_rss_mb")),
]


# Smallest difference a figure resolves: the stall monitor ticks every 10 ms (and another thread
# may hold the GIL for Python's 5 ms switch interval), so a stall ratio above 1.2 counts as a miss
# only when the medians also differ by more than one tick.
RESOLUTION = {"stall_session_ms": 10.0, "stall_p99_ms": 10.0, "stall_open_ms": 10.0}


def git_version() -> str:
    """Commit of the work tree the sessions run, with -dirty for uncommitted changes."""
    done = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=REPO)
    return done.stdout.strip() or "unknown"


def napari_ready() -> bool:
    if not NAPARI_PY.exists():
        return False
    probe = subprocess.run([str(NAPARI_PY), "-c", "import napari, napari_ome_zarr, PyQt5"], capture_output=True)
    return probe.returncode == 0


def install_napari() -> bool:
    """Create benchmarks/data/napari-venv and install napari + napari-ome-zarr (PyQt5)."""
    if napari_ready():
        return True
    print("installing napari into benchmarks/data/napari-venv (once, a few minutes)…", file=sys.stderr)
    if not NAPARI_PY.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(NAPARI_VENV)], check=True)
    pip = subprocess.run([str(NAPARI_PY), "-m", "pip", "install", "-q", "napari[pyqt5]", "napari-ome-zarr"])
    return pip.returncode == 0 and napari_ready()


def run_session(cmd: list[str], log_dir: Path, name: str) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", PYTHONUNBUFFERED="1")
    env.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    if not os.environ.get("DISPLAY"):
        if not shutil.which("xvfb-run"):
            raise SystemExit("no DISPLAY and no xvfb-run: install xvfb (see /work/shared/notes/testing.md)")
        cmd = XVFB + cmd
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=SESSION_TIMEOUT_S, cwd=REPO)
    except subprocess.TimeoutExpired as exc:
        (log_dir / f"{name}.stderr.txt").write_text(str(exc.stderr or ""))
        return {"error": f"session timed out after {SESSION_TIMEOUT_S} s"}
    (log_dir / f"{name}.stderr.txt").write_text(proc.stderr)
    result: dict = {}
    for line in reversed(proc.stdout.strip().splitlines()):
        if line.startswith("{"):
            result = json.loads(line)
            break
    if not result:
        result = {"error": f"no result (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"}
    result["exit_code"] = proc.returncode
    if proc.returncode != 0:
        tail = [l for l in proc.stderr.strip().splitlines() if l.strip()][:1]
        result["exit_note"] = tail[0][:200] if tail else ""
    result["wall_s"] = round(time.monotonic() - t0, 1)
    return result


def fmt(v, unit: str) -> str:
    if v is None:
        return "n/a"
    if unit == "s":
        return f"{v:.2f}"
    if unit == "":
        return f"{v:.2f}"
    return f"{v:.0f}" if abs(v) >= 10 else f"{v:.1f}"


def summarise(values: list) -> tuple[float | None, float | None, float | None]:
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None, None
    return statistics.median(vals), min(vals), max(vals)


def print_table(results: dict[str, list[dict]], image: str) -> list[str]:
    lines = []
    out = lines.append
    names = [("ours_sharded", "ours .ozx sharded"), ("ours_unsharded", "ours .ozx unsharded"), ("napari", "napari dir")]
    runs = {k: len(v) for k, v in results.items()}
    out(f"Viewer benchmark on {image}; medians of fresh-process runs {runs} (min..max in brackets)")
    head = f"{'figure':44} {'target':>8} | " + " | ".join(f"{label:>24}" for _, label in names) + " | unsh/sh"
    out(head)
    out("-" * len(head))
    misses = []
    for key, label, unit, target, get in FIGURES:
        cells = []
        med = {}
        for name, _ in names:
            values = [get(r) for r in results.get(name, []) if "error" not in r or get(r) is not None]
            m, lo, hi = summarise(values)
            med[name] = m
            if m is None:
                cells.append(f"{'n/a' if name in results else 'skipped':>24}")
                continue
            verdict = ""
            if target is not None and name.startswith("ours"):
                ok = m <= target
                verdict = " ok" if ok else " MISS"
                if not ok:
                    misses.append(f"{label} ({name}): {fmt(m, unit)} {unit} > {target} {unit}")
            text = f"{fmt(m, unit)} [{fmt(lo, unit)}..{fmt(hi, unit)}]{verdict}"
            cells.append(f"{text:>24}")
        ratio = ""
        if med.get("ours_sharded") and med.get("ours_unsharded") is not None and key not in ("pan_fps", "pan_sharp_frac"):
            r = med["ours_unsharded"] / med["ours_sharded"]
            resolved = abs(med["ours_unsharded"] - med["ours_sharded"]) > RESOLUTION.get(key, 0.0)
            ratio = f"{r:.2f}" + ("" if r <= 1.2 else " MISS" if resolved else " (< 1 tick apart)")
            if r > 1.2 and resolved:
                misses.append(f"{label}: unsharded/sharded = {r:.2f} > 1.2")
        elif key in ("pan_fps", "pan_sharp_frac") and med.get("ours_unsharded") and med.get("ours_sharded"):
            r = med["ours_sharded"] / med["ours_unsharded"] if med["ours_unsharded"] else 0
            ratio = f"{r:.2f}" + ("" if r <= 1.2 else " MISS") + " (sh/unsh)"
        tgt = f"<= {target:g}{unit}" if target is not None else ""
        out(f"{label[:44]:44} {tgt:>8} | " + " | ".join(cells) + f" | {ratio}")
    out("")
    out("Zoom steps (2x each about the same point): chosen level and median ms from the move to the sharp frame")
    for name, label in names:
        rs = [r for r in results.get(name, []) if r.get("zoom_steps")]
        if not rs:
            continue
        per_step = []
        for i in range(len(rs[0]["zoom_steps"])):
            vals = [r["zoom_steps"][i]["to_sharp_ms"] for r in rs if i < len(r["zoom_steps"])]
            m, _, _ = summarise(vals)
            per_step.append(f"L{rs[0]['zoom_steps'][i]['level']}:{fmt(m, 'ms')}")
        out(f"  {label:22} " + "  ".join(per_step))
    notes = []
    for name, rs in results.items():
        for i, r in enumerate(rs):
            if r.get("error"):
                notes.append(f"{name} run {i + 1}: {r['error']}")
            if r.get("timed_out"):
                notes.append(f"{name} run {i + 1}: a wait timed out (30 s)")
            if r.get("exit_code"):
                notes.append(f"{name} run {i + 1}: exit code {r['exit_code']} after printing its result ({r.get('exit_note', '')})")
    if notes:
        out("")
        out("Notes:")
        lines.extend("  " + n for n in notes)
    out("")
    out("Targets missed: " + ("none" if not misses else ""))
    lines.extend("  - " + m for m in misses)
    print("\n".join(lines))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 run each, 8192^2 image, napari skipped if it cannot be installed")
    parser.add_argument("--runs", type=int, default=None, help="fresh-process runs per session (default 3, --quick 1)")
    parser.add_argument("--side", type=int, default=None, help="image side (power of two; default 32768, --quick 8192)")
    parser.add_argument("--no-napari", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="one extra cProfile'd run of ours per variant (pstats next to the results)")
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    side = args.side or (8192 if args.quick else 32768)

    t0 = time.perf_counter()
    data = make_large_image.build(side=side)
    info = json.loads(data["info"].read_text())
    print(f"data ready ({time.perf_counter() - t0:.1f} s; built in {info['seconds']['total']} s): "
          f"{info['unsharded_entries']} entries unsharded, sizes {info['sizes']}", file=sys.stderr)

    use_napari = not args.no_napari
    if use_napari and not install_napari():
        if args.quick:
            print("napari could not be installed: skipped", file=sys.stderr)
            use_napari = False
        else:
            raise SystemExit("napari could not be installed (rerun with --no-napari to skip it)")

    # Installed apps (pip, PyInstaller) start from byte-compiled modules; an editable checkout
    # under PYTHONDONTWRITEBYTECODE (set on this build machine) would compile ours from source in
    # every session (~0.15 s of start-up). compileall writes the caches whatever that variable says.
    compileall.compile_dir(str(REPO / "viewer"), quiet=1)
    head_at_start = git_version()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    image = data["info"].stem
    log_dir = DATA_DIR / f"bench_viewer-{image}-{stamp}"
    log_dir.mkdir(parents=True, exist_ok=True)
    sessions = {
        "ours_sharded": [sys.executable, str(HERE / "viewer_session.py"), str(data["sharded"]), "--json"],
        "ours_unsharded": [sys.executable, str(HERE / "viewer_session.py"), str(data["unsharded"]), "--json"],
    }
    if use_napari:
        sessions["napari"] = [str(NAPARI_PY), str(HERE / "viewer_napari_session.py"), str(data["directory"]), "--json"]
    results: dict[str, list[dict]] = {name: [] for name in sessions}
    for i in range(runs):
        for name, cmd in sessions.items():
            r = run_session(cmd, log_dir, f"{name}-{i + 1}")
            results[name].append(r)
            short = {k: r.get(k) for k in ("first_image_s", "sharp_after_open_s", "zoom_sharp_max_ms", "peak_rss_mb", "error")}
            print(f"  run {i + 1}/{runs} {name}: {json.dumps(short)} ({r.get('wall_s')} s)", file=sys.stderr)
    if args.profile:
        for name in ("ours_sharded", "ours_unsharded"):
            out = log_dir / f"{name}-profile.pstats"
            r = run_session(sessions[name] + ["--profile", str(out)], log_dir, f"{name}-profile")
            print(f"  profiled {name}: {out} ({r.get('wall_s')} s)", file=sys.stderr)
    head = git_version()
    if head != head_at_start:
        print(f"WARNING: the work tree changed during the run (git {head_at_start} -> {head}): "
              "sessions may have run different app versions", file=sys.stderr)
    (log_dir / "results.json").write_text(json.dumps(
        {"image": info, "git_at_start": head_at_start, "git_at_end": head, "results": results}, indent=2))
    print(f"app version: git {head_at_start}" + (f" -> {head}" if head != head_at_start else ""), file=sys.stderr)
    lines = print_table(results, image)
    (log_dir / "table.txt").write_text("\n".join(lines) + "\n")
    print(f"\nraw results: {log_dir.relative_to(REPO)}/results.json", file=sys.stderr)


if __name__ == "__main__":
    main()

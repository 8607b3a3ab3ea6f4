"""App-shell benchmark: a second launch handing its file to the running instance, against a cold
start in the same run, and the resident memory of the one process with 1, 2 and 4 windows open
on the large benchmark pyramid (issue 8, section 2).

Usage (from the repository root, with the project's venv active):

    python benchmarks/bench_app_shell.py              # 3 runs on 3 x 32768^2 (built once, ~1-2 min)
    python benchmarks/bench_app_shell.py --runs 5 --side 8192

Each run, in fresh per-user folders (XDG_RUNTIME_DIR, XDG_CONFIG_HOME, XDG_STATE_HOME) so that it
elects its own instance:

1. cold start: `ozx-viewer FILE` (benchmarks/app_shell_instance.py: the real start-up, measuring
   its windows), from the launch to the first frame with image pixels on screen;
2. when that window's fitted view is sharp and 1.5 s have passed: the resident memory (1 window);
3. three second launches, one after another, each `python -m viewer FILE` (what the `ozx-viewer`
   script runs): the launch's own exit time, and the time from the launch to the first image frame
   of the window the running instance opened for it; after each window is sharp and settled, the
   memory again (2, 3, 4 windows);
4. then each of the 4 windows zooms in 2x five times and pans four times by half its width (each
   step until sharp), filling its tile cache and textures up to their budgets: the memory again.

Every window is 1600x1000 (the default size) and shows the whole image ("fitted"). Times are from
the benchmark's `Popen` (CLOCK_MONOTONIC, shared by all processes of the machine). MB are 10^6
bytes. Needs a display: without DISPLAY an Xvfb (1920x1200x24) is started for the run. Prints a
table of medians [min..max] with the targets; raw results go to
benchmarks/data/bench_app_shell-<image>-<time>/.
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
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for p in (str(REPO), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import make_large_image  # noqa: E402

DATA_DIR = REPO / "benchmarks" / "data"
WINDOWS = 4
EVENT_TIMEOUT_S = 120.0

# (key, label, unit, target upper bound or None)
FIGURES = [
    ("cold_first_image_s", "cold start: launch -> first image frame", "s", None),
    ("second_first_image_s", "2nd launch -> image frame in the instance", "s", 0.5),
    ("second_exit_s", "2nd launch: its own exit", "s", 0.3),
    ("third_first_image_s", "3rd launch (2 windows open) -> image frame", "s", None),
    ("fourth_first_image_s", "4th launch (3 windows open) -> image frame", "s", None),
    ("later_exit_max_s", "3rd and 4th launch: slower exit", "s", 0.3),
    ("rss_1_mb", "resident memory, 1 window", "MB", 300),
    ("rss_2_mb", "resident memory, 2 windows", "MB", None),
    ("rss_3_mb", "resident memory, 3 windows", "MB", None),
    ("rss_4_mb", "resident memory, 4 windows", "MB", 420),
    ("per_window_mb", "each further window adds (mean of 3)", "MB", None),
    ("per_window_caches_mb", "  its decoded tiles and textures", "MB", None),
    ("per_window_anonymous_mb", "  other heap (GL context, scene, widgets)", "MB", None),
    ("per_window_x_shared_mb", "  pixels shared with the X server", "MB", None),
    ("per_window_file_mb", "  library pages", "MB", None),
    ("caches_4_mb", "4 windows: decoded tiles + textures, all", "MB", None),
    ("rss_browsed_mb", "4 windows, each zoomed and panned", "MB", None),
    ("caches_browsed_mb", "  decoded tiles + textures, all windows", "MB", None),
    ("tiles_browsed_mb", "  decoded-tile cache per window", "MB", None),
    ("textures_browsed_mb", "  textures per window", "MB", None),
]


def start_display() -> tuple[subprocess.Popen | None, str]:
    """The X display to use: $DISPLAY, or a new Xvfb on a free display number."""
    if os.environ.get("DISPLAY"):
        return None, os.environ["DISPLAY"]
    if not shutil.which("Xvfb"):
        raise SystemExit("no DISPLAY and no Xvfb: install xvfb")
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1920x1200x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        xvfb.kill()
        raise SystemExit("Xvfb did not start")
    return xvfb, f":{number}"


class Events:
    """The instance's JSON lines, read as they come."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: list[dict] = []
        self._offset = 0

    def wait(self, event: str, window: int, process: subprocess.Popen) -> dict:
        deadline = time.monotonic() + EVENT_TIMEOUT_S
        while True:
            for record in self.records:
                if record["event"] == event and record["window"] == window:
                    return record
            if process.poll() is not None:
                raise RuntimeError(f"the instance exited ({process.returncode}) before {event} of window {window}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no {event} of window {window} within {EVENT_TIMEOUT_S:.0f} s")
            time.sleep(0.01)
            self._read()

    def _read(self) -> None:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as source:
            source.seek(self._offset)
            text = source.read()
        complete = text[: text.rfind("\n") + 1]
        self._offset += len(complete.encode("utf-8"))
        self.records += [json.loads(line) for line in complete.splitlines() if line]


def one_run(image: Path, display: str, log_dir: Path, run: int) -> dict:
    """Cold start, then second launches; the figures of one run."""
    home = Path(tempfile.mkdtemp(prefix="bench-app-shell-"))
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700)
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join([str(REPO)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])),
               XDG_RUNTIME_DIR=str(runtime), XDG_CONFIG_HOME=str(home / "config"), XDG_STATE_HOME=str(home / "state"))
    env.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    events = Events(home / "events.jsonl")
    stderr = (log_dir / f"instance-{run}.stderr.txt").open("w")
    result: dict = {"run": run}
    t0 = time.monotonic()
    instance = subprocess.Popen([sys.executable, str(HERE / "app_shell_instance.py"), str(events.path), str(image),
                                 "--browse-after", str(WINDOWS)],
                                env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        result["cold_first_image_s"] = events.wait("first_image", 1, instance)["t"] - t0
        memory = [events.wait("settled", 1, instance)["memory"]]
        launches = []
        for window in range(2, WINDOWS + 1):
            t1 = time.monotonic()
            launch = subprocess.run([sys.executable, "-m", "viewer", str(image)], env=env, cwd=REPO,
                                    capture_output=True, text=True, timeout=60)
            exited = time.monotonic() - t1
            if launch.returncode != 0:
                raise RuntimeError(f"launch {window} exited {launch.returncode}: {launch.stderr[-500:]}")
            frame = events.wait("first_image", window, instance)["t"] - t1
            launches.append({"exit_s": exited, "first_image_s": frame})
            memory.append(events.wait("settled", window, instance)["memory"])
        browsed = events.wait("browsed", WINDOWS, instance)
    except RuntimeError as exc:
        result["error"] = str(exc)
        return result
    finally:
        instance.terminate()
        try:
            instance.wait(timeout=20)
        except subprocess.TimeoutExpired:
            instance.kill()
            instance.wait()
        stderr.close()
        logged = "".join(f.read_text(errors="replace") for f in (home / "state").rglob("*.log*"))
        if logged:  # the viewer logs unexpected errors only
            (log_dir / f"instance-{run}.viewer-log.txt").write_text(logged)
            result.setdefault("error", f"the viewer logged errors (see instance-{run}.viewer-log.txt)")
        shutil.rmtree(home, ignore_errors=True)
    result["launches"] = launches
    result["memory"] = memory
    result["second_first_image_s"] = launches[0]["first_image_s"]
    result["second_exit_s"] = launches[0]["exit_s"]
    result["third_first_image_s"] = launches[1]["first_image_s"]
    result["fourth_first_image_s"] = launches[2]["first_image_s"]
    result["later_exit_max_s"] = max(l["exit_s"] for l in launches[1:])
    for count, m in enumerate(memory, start=1):
        result[f"rss_{count}_mb"] = m["rss_mb"]
    first, last = memory[0], memory[-1]
    added = WINDOWS - 1

    def caches(m: dict) -> float:
        return sum(w["tiles_mb"] + w["textures_mb"] for w in m["windows"])

    result["per_window_mb"] = (last["rss_mb"] - first["rss_mb"]) / added
    result["per_window_caches_mb"] = (caches(last) - caches(first)) / added
    result["per_window_anonymous_mb"] = (last["anonymous_mb"] - first["anonymous_mb"]) / added - result["per_window_caches_mb"]
    result["per_window_x_shared_mb"] = (last["x_shared_mb"] - first["x_shared_mb"]) / added
    result["per_window_file_mb"] = (last["file_mb"] - first["file_mb"]) / added
    result["caches_4_mb"] = caches(last)
    if browsed.get("timed_out"):
        result["browse_note"] = "a browse step was not sharp within 60 s"
    result["browsed"] = browsed["memory"]
    result["rss_browsed_mb"] = browsed["memory"]["rss_mb"]
    result["caches_browsed_mb"] = caches(browsed["memory"])
    result["tiles_browsed_mb"] = statistics.mean(w["tiles_mb"] for w in browsed["memory"]["windows"])
    result["textures_browsed_mb"] = statistics.mean(w["textures_mb"] for w in browsed["memory"]["windows"])
    return result


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}" if unit == "s" else f"{value:.0f}"


def table(results: list[dict], image: str) -> list[str]:
    good = [r for r in results if "error" not in r]
    lines = [f"App-shell benchmark on {image}; medians of {len(good)} runs [min..max]"]
    head = f"{'figure':46} {'target':>9} | {'median [min..max]':>24}"
    lines += [head, "-" * len(head)]
    for key, label, unit, target in FIGURES:
        values = [r[key] for r in good if r.get(key) is not None]
        if not values:
            lines.append(f"{label:46} {'':>9} | {'n/a':>24}")
            continue
        median = statistics.median(values)
        verdict = "" if target is None else (" ok" if median <= target else " MISS")
        cell = f"{fmt(median, unit)} [{fmt(min(values), unit)}..{fmt(max(values), unit)}]{verdict}"
        tgt = f"<= {target:g} {unit}" if target is not None else ""
        lines.append(f"{label:46} {tgt:>9} | {cell:>24}")
    if good:
        second = statistics.median(r["second_first_image_s"] for r in good)
        cold = statistics.median(r["cold_first_image_s"] for r in good)
        lines.append(f"second launch / cold start (first image frame): {second / cold:.2f}")
    for r in results:
        if "error" in r:
            lines.append(f"run {r['run']} failed: {r['error']}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--side", type=int, default=32768, help="image side (power of two; default 32768)")
    args = parser.parse_args()
    data = make_large_image.build(side=args.side)
    image = data["sharded"]
    # Installed apps start from byte-compiled modules (see bench_viewer.py).
    compileall.compile_dir(str(REPO / "viewer"), quiet=1)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log_dir = DATA_DIR / f"bench_app_shell-{data['info'].stem}-{stamp}"
    log_dir.mkdir(parents=True, exist_ok=True)
    xvfb, display = start_display()
    results = []
    try:
        for run in range(1, args.runs + 1):
            print(f"run {run}/{args.runs}…", file=sys.stderr)
            results.append(one_run(image, display, log_dir, run))
            (log_dir / "results.json").write_text(json.dumps(results, indent=1))
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)
    lines = table(results, image.name)
    (log_dir / "table.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"raw results: {log_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Run one reader action on a crafted file in a fresh process; report its time, memory and outcome.

Parent side: `probe(action, path)` → Outcome. Child side (`python -m tests.hostile_probe ACTION
PATH`): imports everything first, takes the resident size as the base, runs the action, and prints
one JSON line with the elapsed seconds, the peak resident growth over the base (VmHWM − base) and
what the action returned. A hang is a timeout in the parent, never a stuck test run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Bounds every crafted file must respect (the machine is shared: times are generous).
TIME_BOUND_S = 3.0
MEMORY_BOUND_MB = 100.0


@dataclass
class Outcome:
    """What one action did: exit `code` (CLI actions), `stdout`/`stderr` text, `message` (prepare,
    tiles), and its cost."""

    code: int | None
    stdout: str
    stderr: str
    message: str | None
    seconds: float
    growth_mb: float

    def assert_bounded(self, seconds: float = TIME_BOUND_S, megabytes: float = MEMORY_BOUND_MB) -> None:
        assert self.seconds < seconds, f"took {self.seconds:.2f} s"
        assert self.growth_mb < megabytes, f"grew by {self.growth_mb:.0f} MB"
        text = f"{self.stdout}\n{self.stderr}\n{self.message or ''}"
        assert "internal error" not in text and "Traceback" not in text, text


def probe(action: str, path: str | os.PathLike, timeout: float = 60.0) -> Outcome:
    """Run `action` ("info", "info-json", "validate", "validate-json", "prepare", "tiles") on `path`."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.hostile_probe", action, os.fspath(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{\"probe\"")]
    assert lines, f"no probe result (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(lines[-1])["probe"]
    return Outcome(result["code"], result["stdout"], result["stderr"], result["message"],
                   result["seconds"], result["growth_mb"])


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _cli(argv: list[str]) -> tuple[int, str, str, None]:
    from viewer.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue(), None


def _prepare(path: str) -> tuple[None, str, str, str | None]:
    from viewer.app.preparing import prepare_outcome

    opened, message = prepare_outcome(path)
    if message is None:
        opened.document.close()  # type: ignore[union-attr]
    return None, "", "", message


def _tiles(path: str) -> tuple[None, str, str, str | None]:
    """Open the document and read up to 64 chunks of every level of every image: each either
    decodes or raises one OzxError (its message is collected)."""
    from viewer.errors import OzxError
    from viewer.ome import open_document

    try:
        doc = open_document(path, background_index=False)
    except OzxError as exc:
        return None, "", "", f"open: {exc}"
    errors = []
    try:
        for image in doc.images():
            for level in image.levels:
                grid = level.array.chunk_grid
                coords = [0] * len(grid)
                for _ in range(min(64, _product(grid))):
                    try:
                        level.array.read_chunk(coords)
                    except OzxError as exc:
                        errors.append(str(exc))
                    _advance(coords, grid)
    finally:
        doc.close()
    return None, "", "", "\n".join(errors) or None


def _product(values) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def _advance(coords: list[int], grid) -> None:
    for axis in reversed(range(len(coords))):
        coords[axis] += 1
        if coords[axis] < grid[axis]:
            return
        coords[axis] = 0


def _child(action: str, path: str) -> None:
    import viewer.app.preparing  # noqa: F401  (imports are not part of the measured work)
    import viewer.cli  # noqa: F401
    import viewer.ome  # noqa: F401
    import viewer.ome.report  # noqa: F401
    from numcodecs import blosc, lz4, zstd  # noqa: F401

    actions = {
        "info": lambda: _cli(["info", path]),
        "info-json": lambda: _cli(["info", path, "--json"]),
        "validate": lambda: _cli(["validate", path]),
        "validate-json": lambda: _cli(["validate", path, "--json"]),
        "prepare": lambda: _prepare(path),
        "tiles": lambda: _tiles(path),
    }
    try:  # reset the peak (VmHWM) to the current size: imports are not measured
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass
    base = _rss_kib("VmRSS")
    start = time.perf_counter()
    code, out, err, message = actions[action]()
    seconds = time.perf_counter() - start
    growth = (_rss_kib("VmHWM") - base) / 1024
    result = {"code": code, "stdout": out, "stderr": err, "message": message, "seconds": seconds, "growth_mb": growth}
    sys.stdout.write(json.dumps({"probe": result}) + "\n")


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])

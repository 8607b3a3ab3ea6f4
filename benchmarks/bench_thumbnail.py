"""`ozx-viewer thumbnail` as a whole process: wall time and peak memory per file.

Usage (from the repository root, with the project's venv):

    python benchmarks/bench_thumbnail.py              # every file, 5 fresh processes each
    python benchmarks/bench_thumbnail.py --runs 9 --size 512
    python benchmarks/bench_thumbnail.py --quick      # the sample, the plate and 1 M entries only

Files (built on first use and cached in benchmarks/data/, git-ignored):
* the bundled sample (`resources/sample.ozx`, 3 × 512² uint8, 3 levels);
* the 3 × 32768² uint16 pyramid of `make_large_image.py`, sharded and unsharded `.ozx`
  (8 levels; the unsharded one has 65 544 entries);
* a 384-well plate (16 × 24 wells, one field each, 2 × 1024² uint16 in 3 levels, zstd), built here;
* the 1 000 000-entry unsharded archive of `make_data.py` (one level of 4000² uint8 in 4 × 4
  chunks, no pyramid and no `omero`: the worst case for bounded reads).

Each run is `python -m viewer thumbnail FILE OUT.png --size N` started fresh (interpreter start,
imports, opening, reading, drawing, PNG, exit); the page cache is warm. Printed: median [min..max]
wall seconds, peak RSS of the process, the target, and the floor every run pays on this machine
(a fresh `python -c "import numpy"`). The machine is shared: the load average is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
for p in (str(REPO), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from make_data import DATA_DIR, many_entries_path  # noqa: E402
from viewer.container.ozx_writer import ZipEntry, rfc9_comment, write_zip  # noqa: E402

SAMPLE = REPO / "resources" / "sample.ozx"
TARGET_SAMPLE_S = 0.3
TARGET_ANY_S = 1.0
PLATE_ROWS, PLATE_COLS, PLATE_SIDE, PLATE_LEVELS = 16, 24, 1024, 3


def plate_path(data_dir: Path = DATA_DIR) -> Path:
    """A 384-well plate `.ozx` (one field per well, 2 × 1024² uint16 in 3 levels), built on first use."""
    from numcodecs import Zstd

    path = data_dir / f"plate-{PLATE_ROWS}x{PLATE_COLS}-2x{PLATE_SIDE}-L{PLATE_LEVELS}-v1.ozx"
    if path.exists():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rows = [chr(65 + r) for r in range(PLATE_ROWS)]
    cols = [str(c + 1) for c in range(PLATE_COLS)]
    wells = [f"{r}/{c}" for r in rows for c in cols]
    plate = {"name": "bench plate", "rows": [{"name": r} for r in rows], "columns": [{"name": c} for c in cols],
             "wells": [{"path": w, "rowIndex": i // PLATE_COLS, "columnIndex": i % PLATE_COLS} for i, w in enumerate(wells)],
             "field_count": 1}
    meta = [ZipEntry("zarr.json", _group({"plate": plate}))]
    chunks = []
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:PLATE_SIDE, 0:PLATE_SIDE]
    base = (300 + 2000 * np.exp(-(((yy % 128) - 64) ** 2 + ((xx % 128) - 64) ** 2) / 400.0)).astype(np.uint16)
    zstd = Zstd(level=1)
    for i, well in enumerate(wells):
        meta.append(ZipEntry(f"{well}/zarr.json", _group({"well": {"images": [{"path": "0"}]}})))
        image = f"{well}/0"
        datasets = [{"path": str(k), "coordinateTransformations": [{"type": "scale", "scale": [1.0, 0.5 * 2**k, 0.5 * 2**k]}]}
                    for k in range(PLATE_LEVELS)]
        meta.append(ZipEntry(f"{image}/zarr.json", _group({
            "multiscales": [{"name": well, "axes": [{"name": "c", "type": "channel"},
                                                    {"name": "y", "type": "space", "unit": "micrometer"},
                                                    {"name": "x", "type": "space", "unit": "micrometer"}],
                             "datasets": datasets}],
            "omero": {"channels": [{"label": n, "color": c, "window": {"start": 200, "end": 2500, "min": 0, "max": 65535}}
                                   for n, c in (("DAPI", "0000FF"), ("GFP", "00FF00"))], "rdefs": {"model": "color"}}})))
        gain = rng.uniform(0.5, 1.5)
        data = np.stack([base, np.roll(base, 64 * (i % 2), axis=1)]) * np.array([gain, 1.0])[:, None, None]
        data = data.astype(np.uint16)
        for k in range(PLATE_LEVELS):
            level = np.ascontiguousarray(data[:, :: 2**k, :: 2**k])
            side = level.shape[-1]
            chunk = min(side, 512)
            meta.append(ZipEntry(f"{image}/{k}/zarr.json", _array(level.shape, chunk)))
            for c in range(2):
                for cy in range(side // chunk):
                    for cx in range(side // chunk):
                        block = level[c, cy * chunk:(cy + 1) * chunk, cx * chunk:(cx + 1) * chunk]
                        chunks.append(ZipEntry(f"{image}/{k}/c/{c}/{cy}/{cx}", zstd.encode(np.ascontiguousarray(block))))
    tmp = path.with_suffix(".tmp")
    write_zip(tmp, meta + chunks, comment=rfc9_comment("0.5", True))
    os.replace(tmp, path)
    print(f"  built {path.name} ({len(meta) + len(chunks)} entries, {path.stat().st_size / 1e6:.0f} MB) "
          f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return path


def _group(ome: dict) -> bytes:
    return json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {"ome": {"version": "0.5", **ome}}}).encode()


def _array(shape: tuple[int, ...], chunk: int) -> bytes:
    return json.dumps({
        "zarr_format": 3, "node_type": "array", "shape": list(shape), "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, chunk, chunk]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0, "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                                    {"name": "zstd", "configuration": {"level": 1, "checksum": False}}],
        "dimension_names": ["c", "y", "x"]}).encode()


def run_once(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one fresh process; raises if it fails.

    Peak RSS comes from GNU time: the kernel's figure for a child of this (large) process would
    include the memory it had when forked.
    """
    t0 = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *command], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return wall, int(result.stderr.strip().splitlines()[-1]) / 1024


def measure(command: list[str], runs: int) -> dict:
    run_once(command)  # warm the page cache and the bytecode cache
    results = [run_once(command) for _ in range(runs)]
    walls = [w for w, _ in results]
    return {"median": statistics.median(walls), "min": min(walls), "max": max(walls),
            "rss": max(r for _, r in results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--quick", action="store_true", help="skip the 3 × 32768² pyramid")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args()

    files = [("bundled sample", SAMPLE, TARGET_SAMPLE_S)]
    if not args.quick:
        from make_large_image import build

        large = build(data_dir=args.data_dir)
        files += [("3 × 32768² pyramid, sharded", large["sharded"], TARGET_ANY_S),
                  ("3 × 32768² pyramid, unsharded (65 544 entries)", large["unsharded"], TARGET_ANY_S)]
    files += [("384-well plate", plate_path(args.data_dir), TARGET_ANY_S),
              ("1 M-entry unsharded archive, no pyramid", many_entries_path(1_000_000, args.data_dir), TARGET_ANY_S)]

    print(f"load average before: {os.getloadavg()[0]:.2f}; {args.runs} fresh processes per file, size {args.size}")
    floor = measure([sys.executable, "-c", "import numpy"], args.runs)
    print(f"floor (python -c 'import numpy'): {floor['median']:.3f} s [{floor['min']:.3f}..{floor['max']:.3f}]")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "thumb.png")
        for name, path, target in files:
            figures = measure([sys.executable, "-m", "viewer", "thumbnail", str(path), out, "--size", str(args.size)], args.runs)
            rows.append((name, figures, target))
            print(f"{name}: {figures['median']:.3f} s [{figures['min']:.3f}..{figures['max']:.3f}], "
                  f"peak RSS {figures['rss']:.0f} MB (target ≤ {target} s)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print()
    print("| file | median [min..max] | peak RSS | target | |")
    print("|---|---|---|---|---|")
    for name, f, target in rows:
        verdict = "pass" if f["median"] <= target else "FAIL"
        print(f"| {name} | {f['median']:.2f} [{f['min']:.2f}..{f['max']:.2f}] s | {f['rss']:.0f} MB | ≤ {target} s | {verdict} |")
    print(f"| floor: `python -c 'import numpy'` | {floor['median']:.2f} [{floor['min']:.2f}..{floor['max']:.2f}] s | "
          f"{floor['rss']:.0f} MB | | |")


if __name__ == "__main__":
    main()

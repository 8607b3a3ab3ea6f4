"""Does bounded decoding cost speed? Full decode of a 3 x 4096² uint16 image with the reader's
bounded decoders against the same reads with numcodecs' unbounded decode, in the same run.

Usage (from the repository root, with the project's venv active):

    python benchmarks/bench_bounded_decode.py            # 3 x 4096² (data cached in benchmarks/data/)
    python benchmarks/bench_bounded_decode.py --quick    # 3 x 1024²

What is measured (medians of --runs reads, each configuration in a fresh process):
1. End to end: `ZarrArray.read(threads=1|2)` of the whole sharded zstd array (make_data.sharded_paths)
   as the viewer reads it (bounded: `bounded_decode.zstd` decodes into a buffer of the chunk's
   size) and the same ZarrArray with its chunk decoder swapped for numcodecs' `Zstd().decode`
   (no output bound). Target: ≥ 800 MB/s with 2 threads for the bounded read.
2. Codecs alone (one thread, no I/O): the image's 256² chunks re-encoded with zstd, zlib, gzip,
   blosc and lz4 (numcodecs, default settings), each decoded by our bounded decoder and by
   numcodecs' decode; MB/s of decoded bytes.
The decoded arrays of both ways are compared (checksums).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for p in (str(REPO), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

TARGET_MBS = 800.0


def _array(ozx: str, bounded: bool):
    from numcodecs import Zstd

    from viewer.container import open_container
    from viewer.ome.zarr_array import ZarrArray

    container = open_container(ozx, background_index=False)
    array = ZarrArray(container, "0", json.loads(container.read("0/zarr.json")))
    if not bounded:
        codec = Zstd()
        array._decoder = dataclasses.replace(array._decoder, bytes_decoders=(lambda data, _limit: codec.decode(data),))
    return array


def worker_read(ozx: str, bounded: bool, threads: int, runs: int) -> dict:
    import numpy as np

    array = _array(ozx, bounded)
    data = array.read(threads=threads)  # warm-up: page cache, shard indexes
    crc, nbytes = zlib.crc32(np.ascontiguousarray(data).tobytes()), data.nbytes
    del data
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        array.read(threads=threads)
        times.append(time.perf_counter() - t0)
    return {"mbs": nbytes / statistics.median(times) / 1e6, "crc": crc, "load": os.getloadavg()[0]}


def worker_codecs(ozx: str, runs: int) -> dict:
    import numcodecs

    from viewer.ome import bounded_decode

    image = _array(ozx, True).read(threads=2)
    chunks = [image[0, y:y + 256, x:x + 256].tobytes() for y in range(0, image.shape[1], 256)
              for x in range(0, image.shape[2], 256)][:256]
    size = len(chunks[0])
    ours = {"zstd": bounded_decode.zstd, "zlib": bounded_decode.inflate, "gzip": bounded_decode.gzip,
            "blosc": bounded_decode.blosc, "lz4": bounded_decode.lz4}
    out = {}
    for name, bounded in ours.items():
        codec = numcodecs.get_codec({"id": name})
        encoded = [codec.encode(c) for c in chunks]
        assert all(bytes(bounded(e, size)) == c for e, c in zip(encoded, chunks)), name
        figures = {}
        for label, decode in (("bounded", lambda e: bounded(e, size)), ("numcodecs", codec.decode)):
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                for e in encoded:
                    decode(e)
                times.append(time.perf_counter() - t0)
            figures[label] = size * len(chunks) / statistics.median(times) / 1e6
        out[name] = figures
    return out


def run_worker(*args: object) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="bounded against unbounded decoding (see module docstring)")
    parser.add_argument("--quick", action="store_true", help="3 x 1024² instead of 3 x 4096²")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        name, *rest = args.worker
        if name == "read":
            print(json.dumps(worker_read(rest[0], rest[1] == "bounded", int(rest[2]), int(rest[3]))))
        else:
            print(json.dumps(worker_codecs(rest[0], int(rest[1]))))
        return

    import make_data

    side = 1024 if args.quick else 4096
    _directory, ozx = make_data.sharded_paths(side=side, data_dir=args.data_dir or make_data.DATA_DIR)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.2f}; 3 x {side}² uint16, zstd level 1, sharded; median of {args.runs}")
    print("\n[1] full decode, ZarrArray.read")
    crcs, rows = set(), []
    for threads in (1, 2):
        got = {}
        for way in ("bounded", "unbounded"):
            r = run_worker("read", ozx, way, threads, args.runs)
            crcs.add(r["crc"])
            got[way] = r["mbs"]
        ratio = got["bounded"] / got["unbounded"]
        print(f"  {threads} thread{'s' if threads > 1 else ' '}: bounded {got['bounded']:6.0f} MB/s | "
              f"numcodecs unbounded {got['unbounded']:6.0f} MB/s | bounded / unbounded {ratio:.2f}")
        target = f">= {TARGET_MBS:g}" if threads == 2 else "(info)"
        verdict = ("PASS" if got["bounded"] >= TARGET_MBS else "FAIL") if threads == 2 else "-"
        rows.append((f"full decode, {threads} thread{'s' if threads > 1 else ''} [MB/s]", f"{got['bounded']:.0f}",
                     f"{got['unbounded']:.0f} (x{ratio:.2f})", target, verdict))
    assert len(crcs) == 1, "bounded and unbounded reads decoded different arrays"
    print("  both decode identical arrays")
    print("\n[2] codecs alone, 256 chunks of 256² uint16, one thread")
    for name, figures in run_worker("codecs", ozx, args.runs).items():
        ratio = figures["bounded"] / figures["numcodecs"]
        print(f"  {name:>5}: bounded {figures['bounded']:6.0f} MB/s | numcodecs {figures['numcodecs']:6.0f} MB/s | x{ratio:.2f}")
        rows.append((f"{name} alone [MB/s]", f"{figures['bounded']:.0f}", f"{figures['numcodecs']:.0f} (x{ratio:.2f})", "(info)", "-"))
    header = ("figure", "bounded", "numcodecs unbounded (bounded/unbounded)", "target", "result")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(5)]
    print(f"\nSummary (load average at end {os.getloadavg()[0]:.2f})")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)))


if __name__ == "__main__":
    main()

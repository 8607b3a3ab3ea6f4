"""Build (and cache) the large pyramid that benchmarks/bench_viewer.py opens.

Usage (normally called by bench_viewer.py, but runnable on its own):

    python benchmarks/make_large_image.py                 # 3 x 32768^2 uint16, 8 levels
    python benchmarks/make_large_image.py --side 8192     # a smaller one for smoke runs
    python benchmarks/make_large_image.py --verify        # also check a few regions with zarr-python

Files are cached in benchmarks/data/ (git-ignored) under names that encode every parameter
(`large-<C>x<S>x<S>-L<levels>-c<chunk>-s<shard>-zstd1-seed<seed>-v1...`):

* ``...-sharded/`` -- a directory OME-Zarr 0.5 (Zarr v3): one array per level, uint16,
  shards (1, 4096, 4096) (or the level size when smaller), inner chunks (1, 256, 256), codecs
  bytes(little) + zstd level 1, shard index bytes + crc32c at the end (zarr-python's default
  layout). napari (napari-ome-zarr) opens this one.
* ``...-sharded.ozx`` -- that directory packed with ``ozx_writer.pack_directory``: stored
  entries, all ``zarr.json`` first, RFC-9 comment with ``jsonFirst: true``, ZIP64 end records.
* ``...-unsharded.ozx`` -- the same pixels, chunks (1, 256, 256) as one entry each: for
  3 x 32768^2 with 8 levels that is 65 535 chunk entries + 9 ``zarr.json`` = 65 544 entries
  (more than a classic ZIP end record can count, so the ZIP64 end records are needed anyway).
  Streamed straight into ``ozx_writer.write_zip`` (no directory with 65 k files on disk).

Content, deterministic for a seed: per channel a periodic 4096^2 "base tile" of blurred blobs
(channel 0 nuclei, 1 larger dimmer cell bodies around them, 2 small bright spots), made with
FFT convolutions. Level 0 is a mosaic of 4096^2 cells, each the base tile flipped, rolled by a
multiple of 128 px and scaled by a random gain, plus mild signal-dependent noise. Flips, even
rolls and gains commute with 2x2 mean downsampling, so every level k is built directly from the
base tile's own pyramid (the same picture, exactly, up to noise and rounding) and no level has
to be read back: each worker produces one shard at a time in strips of 256 rows and never holds
more than a few tens of MB. Compression: numcodecs Zstd(level=1) per inner chunk.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import struct
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from viewer.container.ozx_writer import ZipEntry, pack_directory, rfc9_comment, write_zip  # noqa: E402

DATA_DIR = REPO / "benchmarks" / "data"
BASE = 4096  # side of the periodic base tile (level-0 pixels)
ROLL_STEP = 128  # rolls are multiples of this, so they stay whole pixels down to level 7
PIXEL_UM = 0.5  # level-0 pixel size in micrometres
CHANNELS = [  # label, colour, blob classes (count, sigma px, amplitude range), background
    ("DAPI", "0000FF", [(2600, 7.0, (1500, 4000)), (900, 11.0, (800, 2000))], 220.0),
    ("GFP", "00FF00", [(2600, 28.0, (150, 500)), (400, 60.0, (100, 250))], 300.0),
    ("Cy5", "FF00FF", [(20000, 2.0, (400, 3000)), (300, 16.0, (200, 600))], 180.0),
]
EMPTY = 2**64 - 1


# ================================================================================================
# Names and layout
# ================================================================================================

def stem(channels: int, side: int, levels: int, chunk: int, shard: int, seed: int) -> str:
    return f"large-{channels}x{side}x{side}-L{levels}-c{chunk}-s{shard}-zstd1-seed{seed}-v1"


def paths(channels: int = 3, side: int = 32768, levels: int = 8, chunk: int = 256, shard: int = 4096,
          seed: int = 0, data_dir: Path = DATA_DIR) -> dict[str, Path]:
    s = stem(channels, side, levels, chunk, shard, seed)
    return {
        "directory": data_dir / f"{s}-sharded",
        "sharded": data_dir / f"{s}-sharded.ozx",
        "unsharded": data_dir / f"{s}-unsharded.ozx",
        "info": data_dir / f"{s}.json",
    }


def level_layout(side: int, levels: int, chunk: int, shard: int) -> list[dict]:
    out = []
    for k in range(levels):
        n = side >> k
        c = min(chunk, n)
        s = min(shard, n)
        out.append({"side": n, "chunk": c, "shard": s})
    return out


# ================================================================================================
# Metadata
# ================================================================================================

def _windows(base_dir: Path, nch: int) -> list[tuple[float, float]]:
    """Channel windows from percentiles of the base tile's level 3 (what a writer would store)."""
    wins = []
    for c in range(nch):
        a = np.load(base_dir / f"ch{c}-L3.npy")
        lo, hi = np.percentile(a, (0.5, 99.8))
        wins.append((float(round(lo)), float(round(hi))))
    return wins


def group_json(name: str, nch: int, levels: int, windows: list[tuple[float, float]]) -> bytes:
    datasets = [{"path": str(k), "coordinateTransformations": [
        {"type": "scale", "scale": [1.0, PIXEL_UM * 2**k, PIXEL_UM * 2**k]}]} for k in range(levels)]
    channels = []
    for c in range(nch):
        label, colour, _, _ = CHANNELS[c % len(CHANNELS)]
        lo, hi = windows[c]
        channels.append({"label": label, "color": colour, "active": True, "coefficient": 1.0,
                         "family": "linear", "inverted": False,
                         "window": {"start": lo, "end": hi, "min": 0.0, "max": 65535.0}})
    attrs = {"ome": {
        "version": "0.5",
        "multiscales": [{
            "name": name,
            "axes": [{"name": "c", "type": "channel"},
                     {"name": "y", "type": "space", "unit": "micrometer"},
                     {"name": "x", "type": "space", "unit": "micrometer"}],
            "datasets": datasets,
        }],
        "omero": {"channels": channels, "rdefs": {"model": "color", "defaultZ": 0, "defaultT": 0}},
    }}
    return json.dumps({"zarr_format": 3, "node_type": "group", "attributes": attrs}, indent=2).encode()


def array_json(nch: int, lay: dict, sharded: bool) -> bytes:
    n, c, s = lay["side"], lay["chunk"], lay["shard"]
    inner = [{"name": "bytes", "configuration": {"endian": "little"}},
             {"name": "zstd", "configuration": {"level": 1, "checksum": False}}]
    if sharded:
        grid = [1, s, s]
        codecs = [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [1, c, c],
            "codecs": inner,
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
            "index_location": "end",
        }}]
    else:
        grid, codecs = [1, c, c], inner
    meta = {
        "zarr_format": 3, "node_type": "array", "shape": [nch, n, n], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": grid}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0, "codecs": codecs, "attributes": {}, "dimension_names": ["c", "y", "x"],
        "storage_transformers": [],
    }
    return json.dumps(meta, indent=2).encode()


# ================================================================================================
# Content
# ================================================================================================

def make_base(base_dir: Path, nch: int, levels: int, seed: int) -> None:
    """Per channel the periodic base tile and its 2x2-mean pyramid (float32 .npy), plus a noise pool."""
    import scipy.fft as sfft

    base_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 12345])
    f = np.fft.fftfreq(BASE).astype(np.float32)
    fr = np.fft.rfftfreq(BASE).astype(np.float32)
    f2 = f[:, None] ** 2 + fr[None, :] ** 2
    centres = rng.uniform(0, BASE, size=(4000, 2))  # shared "cells": nuclei and bodies line up
    for c in range(nch):
        label, _, classes, background = CHANNELS[c % len(CHANNELS)]
        spectrum = None
        for i, (count, sigma, (a0, a1)) in enumerate(classes):
            if c < 2 and i == 0:
                pos = centres[:count] + rng.normal(0, 3.0, size=(count, 2))
            else:
                pos = rng.uniform(0, BASE, size=(count, 2))
            iy = np.floor(pos[:, 0]).astype(np.int64) % BASE
            ix = np.floor(pos[:, 1]).astype(np.int64) % BASE
            impulses = np.zeros((BASE, BASE), np.float32)
            # amplitude = peak height: a unit impulse blurred by a normalised Gaussian peaks at 1/(2 pi s^2)
            np.add.at(impulses, (iy, ix), rng.uniform(a0, a1, size=count).astype(np.float32) * (2 * np.pi * sigma**2))
            part = sfft.rfft2(impulses, workers=2) * np.exp(-2 * np.pi**2 * sigma**2 * f2)
            spectrum = part if spectrum is None else spectrum + part
        field = sfft.irfft2(spectrum, s=(BASE, BASE), workers=2).astype(np.float32)
        field += background
        np.maximum(field, 0, out=field)
        for k in range(levels):
            np.save(base_dir / f"ch{c}-L{k}.npy", field)
            if field.shape[0] >= 2:
                field = field.reshape(field.shape[0] // 2, 2, field.shape[1] // 2, 2).mean(axis=(1, 3), dtype=np.float32)
    np.save(base_dir / "noise.npy", rng.standard_normal((768, BASE + 512), dtype=np.float32))


_W: dict = {}


def _init_worker(base_dir: str, nch: int, levels: int, seed: int) -> None:
    import numcodecs

    _W["base"] = {(c, k): np.load(Path(base_dir) / f"ch{c}-L{k}.npy", mmap_mode="r")
                  for c in range(nch) for k in range(levels)}
    _W["noise"] = np.load(Path(base_dir) / "noise.npy")
    _W["seed"] = seed
    _W["zstd"] = numcodecs.Zstd(level=1)
    _W["cells"] = {}


def _cell(c: int, cy: int, cx: int) -> tuple[bool, bool, int, int, float]:
    key = (c, cy, cx)
    if key not in _W["cells"]:
        r = np.random.default_rng([_W["seed"], c, cy, cx])
        steps = BASE // ROLL_STEP
        _W["cells"][key] = (bool(r.integers(2)), bool(r.integers(2)), int(r.integers(steps)) * ROLL_STEP,
                            int(r.integers(steps)) * ROLL_STEP, float(r.uniform(0.7, 1.3)))
    return _W["cells"][key]


def region(c: int, k: int, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """Noise-free level-k pixels [r0:r1, c0:c1] of channel c (float32)."""
    t = BASE >> k
    base = _W["base"][(c, k)]
    out = np.empty((r1 - r0, c1 - c0), np.float32)
    for cy in range(r0 // t, (r1 - 1) // t + 1):
        y0, y1 = max(r0, cy * t), min(r1, (cy + 1) * t)
        for cx in range(c0 // t, (c1 - 1) // t + 1):
            x0, x1 = max(c0, cx * t), min(c1, (cx + 1) * t)
            fy, fx, ry, rx, gain = _cell(c, cy, cx)
            ly = np.arange(y0 - cy * t, y1 - cy * t)
            lx = np.arange(x0 - cx * t, x1 - cx * t)
            iy = ((t - 1 - ly) if fy else ly) + (ry >> k)
            ix = ((t - 1 - lx) if fx else lx) + (rx >> k)
            block = base[iy % t][:, ix % t]
            np.multiply(block, gain, out=out[y0 - r0:y1 - r0, x0 - c0:x1 - c0])
    return out


def _shard_task(task: tuple[int, int, int, int, int, int]) -> list[bytes]:
    """Compressed inner chunks (C order) of one shard: level k, channel c, shard (sy, sx)."""
    k, c, sy, sx, shard, chunk = task
    zstd, noise = _W["zstd"], _W["noise"]
    rng = np.random.default_rng([_W["seed"], 7, k, c, sy, sx])
    out: list[bytes] = []
    Y0, X0 = sy * shard, sx * shard
    for y in range(0, shard, chunk):
        s = region(c, k, Y0 + y, Y0 + y + chunk, X0, X0 + shard)
        oy = int(rng.integers(noise.shape[0] - chunk + 1))
        ox = int(rng.integers(noise.shape[1] - shard + 1))
        n = noise[oy:oy + chunk, ox:ox + shard]
        # mild noise, roughly shot-noise-like, averaged down at coarser levels
        s += n * (2.0 + 0.01 * s) / (2.0**k)
        np.clip(s, 0, 65535, out=s)
        strip = np.rint(s).astype("<u2")
        for x in range(0, shard, chunk):
            out.append(zstd.encode(np.ascontiguousarray(strip[:, x:x + chunk])))
    return out


def _shard_bytes(chunks: list[bytes]) -> bytes:
    import google_crc32c

    index = np.empty((len(chunks), 2), "<u8")
    offset = 0
    for i, b in enumerate(chunks):
        index[i] = (offset, len(b))
        offset += len(b)
    raw_index = index.tobytes()
    return b"".join(chunks) + raw_index + struct.pack("<I", google_crc32c.value(raw_index))


# ================================================================================================
# Build
# ================================================================================================

def build(channels: int = 3, side: int = 32768, levels: int = 8, chunk: int = 256, shard: int = 4096,
          seed: int = 0, data_dir: Path = DATA_DIR, workers: int | None = None) -> dict[str, Path]:
    p = paths(channels, side, levels, chunk, shard, seed, data_dir)
    if all(p[key].exists() for key in ("sharded", "unsharded", "info")) and (p["directory"] / "zarr.json").exists():
        return p
    if side & (side - 1) or side < 256 or (side >> (levels - 1)) < 1 or levels > 8:
        raise SystemExit("side must be a power of two >= 256 and levels <= 8 with a level side >= 1")
    data_dir.mkdir(parents=True, exist_ok=True)
    name = stem(channels, side, levels, chunk, shard, seed)
    t0 = time.perf_counter()
    base_dir = data_dir / f"{name}.base"
    make_base(base_dir, channels, levels, seed)
    t_base = time.perf_counter() - t0
    layout = level_layout(side, levels, chunk, shard)
    windows = _windows(base_dir, channels) if levels > 3 else [(200.0, 3000.0)] * channels

    tmp_dir = data_dir / f"{name}-sharded.tmpdir"
    shutil.rmtree(tmp_dir, ignore_errors=True)
    tmp_dir.mkdir()
    gjson = group_json(name, channels, levels, windows)
    (tmp_dir / "zarr.json").write_bytes(gjson)
    meta_entries = [ZipEntry("zarr.json", gjson)]
    for k, lay in enumerate(layout):
        (tmp_dir / str(k)).mkdir()
        (tmp_dir / str(k) / "zarr.json").write_bytes(array_json(channels, lay, sharded=True))
        meta_entries.append(ZipEntry(f"{k}/zarr.json", array_json(channels, lay, sharded=False)))

    tasks = [(k, c, sy, sx, lay["shard"], lay["chunk"])
             for k, lay in enumerate(layout) for c in range(channels)
             for sy in range(lay["side"] // lay["shard"]) for sx in range(lay["side"] // lay["shard"])]
    per_level = [lay["side"] // lay["shard"] for lay in layout]
    stats = {"raw_bytes": 0, "chunks": 0, "stored_bytes": 0}
    ctx = mp.get_context("fork")
    nproc = workers or os.cpu_count() or 2

    def entries():
        yield from meta_entries
        with ctx.Pool(nproc, _init_worker, (str(base_dir), channels, levels, seed)) as pool:
            for task, chunks in zip(tasks, pool.imap(_shard_task, tasks, chunksize=1)):
                k, c, sy, sx, sh, ch = task
                per = sh // ch
                shard_path = tmp_dir / str(k) / "c" / str(c) / str(sy) / str(sx)
                shard_path.parent.mkdir(parents=True, exist_ok=True)
                shard_path.write_bytes(_shard_bytes(chunks))
                stats["raw_bytes"] += sh * sh * 2
                for i, b in enumerate(chunks):
                    cy, cx = sy * per + i // per, sx * per + i % per
                    stats["chunks"] += 1
                    stats["stored_bytes"] += len(b)
                    yield ZipEntry(f"{k}/c/{c}/{cy}/{cx}", b)
                if (sy, sx, c) == (per_level[k] - 1, per_level[k] - 1, channels - 1):
                    print(f"  level {k} written at {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    t1 = time.perf_counter()
    tmp_unsharded = p["unsharded"].with_suffix(".tmp")
    write_zip(tmp_unsharded, entries(), comment=rfc9_comment("0.5", True), zip64_end=True)
    t_main = time.perf_counter() - t1
    shutil.rmtree(p["directory"], ignore_errors=True)
    os.replace(tmp_dir, p["directory"])
    os.replace(tmp_unsharded, p["unsharded"])
    t2 = time.perf_counter()
    tmp_sharded = p["sharded"].with_suffix(".tmp")
    pack_directory(p["directory"], tmp_sharded)
    os.replace(tmp_sharded, p["sharded"])
    t_pack = time.perf_counter() - t2
    shutil.rmtree(base_dir, ignore_errors=True)
    dir_bytes = sum(q.stat().st_size for q in p["directory"].rglob("*") if q.is_file())
    info = {
        "shape": [channels, side, side], "levels": levels, "chunk": chunk, "shard": shard, "seed": seed,
        "raw_bytes": stats["raw_bytes"], "chunk_entries": stats["chunks"],
        "unsharded_entries": stats["chunks"] + len(meta_entries),
        "sizes": {"directory": dir_bytes, "sharded_ozx": p["sharded"].stat().st_size,
                  "unsharded_ozx": p["unsharded"].stat().st_size},
        "seconds": {"base": round(t_base, 1), "levels_and_unsharded": round(t_main, 1),
                    "pack_sharded": round(t_pack, 1), "total": round(time.perf_counter() - t0, 1)},
        "workers": nproc,
    }
    p["info"].write_text(json.dumps(info, indent=2))
    print(f"  built {name}: {json.dumps(info)}", file=sys.stderr)
    return p


def verify(p: dict[str, Path], regions: int = 4) -> None:
    """Compare random regions of every level: zarr-python on the directory vs our reader on both .ozx."""
    import zarr

    from viewer.ome import open_document

    rng = np.random.default_rng(1)
    group = zarr.open_group(str(p["directory"]), mode="r")
    docs = [open_document(str(p["sharded"])), open_document(str(p["unsharded"]))]
    images = [d.images()[0] for d in docs]
    for k in range(len(images[0].levels)):
        ref = group[str(k)]
        n = ref.shape[1]
        for _ in range(regions):
            h = min(300, n)
            y, x = (int(v) for v in rng.integers(0, n - h + 1, size=2))
            want = ref[:, y:y + h, x:x + h]
            for img in images:
                got = img.levels[k].array.read((slice(None), slice(y, y + h), slice(x, x + h)))
                assert np.array_equal(got, want), f"level {k} region {y},{x} differs"
    for d in docs:
        d.close()
    print("  verify: zarr-python (directory) == ours (sharded .ozx) == ours (unsharded .ozx)", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", type=int, default=32768)
    parser.add_argument("--levels", type=int, default=8)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--verify", action="store_true")
    args = parser.parse_args()
    p = build(args.channels, args.side, args.levels, seed=args.seed, data_dir=args.data_dir, workers=args.workers)
    if args.verify:
        verify(p)
    print(json.dumps({k: str(v) for k, v in p.items()}))


if __name__ == "__main__":
    main()

"""Build (and cache) the archives that benchmarks/bench_reading.py measures.

Usage (normally called by bench_reading.py, but runnable on its own):

    python benchmarks/make_data.py [--quick] [--data-dir DIR]

Files are cached in benchmarks/data/ (git-ignored) under names that encode every parameter,
so a rerun only rebuilds what is missing. Delete the folder to start over.

* ``entries-<N>-v1.ozx`` -- an OME-Zarr 0.5 image whose root `zarr.json` and one array
  `0/zarr.json` come first, then N tiny (16-byte) chunk entries named like
  `0/c/0/12/345`; RFC-9 comment with `jsonFirst: true`. Written with ozx_writer.write_zip.
* ``sharded-<C>x<H>x<W>-s<H>-c<c>-zstd1-seed<S>-v1/`` -- a directory OME-Zarr written with
  zarr-python (uint16, shards (1, H, W), inner chunks (1, c, c), zstd level 1), holding
  deterministic microscopy-like content (smooth blobs on a background + Poisson noise),
  and the same packed into ``....ozx`` with ozx_writer.pack_directory.
* ``....-numcodecs.ozx`` -- the same chunk bytes, but the array's metadata names the zstd codec
  `numcodecs.zstd` (zarr-python's name for numcodecs' Zstd, which writes the same frames): the
  viewer's fast path does not know that name, so the file is read through zarr-python's codecs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from viewer.container.ozx_writer import ZipEntry, pack_directory, rfc9_comment, write_zip  # noqa: E402

DATA_DIR = REPO / "benchmarks" / "data"
CHUNK_SIDE = 4  # tiny chunks: 1 x 4 x 4 uint8 = 16 bytes each


def _ome_image_attrs(ndim: int, name: str) -> dict:
    axes = [{"name": "c", "type": "channel"}, {"name": "y", "type": "space", "unit": "micrometer"},
            {"name": "x", "type": "space", "unit": "micrometer"}][-ndim:]
    return {
        "ome": {
            "version": "0.5",
            "multiscales": [{
                "name": name,
                "axes": axes,
                "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0] * ndim}]}],
            }],
        }
    }


def _group_json(ndim: int, name: str) -> bytes:
    meta = {"zarr_format": 3, "node_type": "group", "attributes": _ome_image_attrs(ndim, name)}
    return json.dumps(meta, indent=2).encode()


def many_entries_path(n: int, data_dir: Path = DATA_DIR) -> Path:
    """The cached N-entry archive, built on first use."""
    path = data_dir / f"entries-{n}-v1.ozx"
    if path.exists():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    side = math.isqrt(n - 1) + 1 if n > 1 else 1
    array_meta = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": [1, side * CHUNK_SIDE, side * CHUNK_SIDE],
        "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, CHUNK_SIDE, CHUNK_SIDE]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": [{"name": "bytes"}],
        "dimension_names": ["c", "y", "x"],
    }
    entries = [
        ZipEntry("zarr.json", _group_json(3, f"entries-{n}")),
        ZipEntry("0/zarr.json", json.dumps(array_meta, indent=2).encode()),
    ]
    payload = bytes(range(CHUNK_SIDE * CHUNK_SIDE))
    entries += [ZipEntry(f"0/c/0/{k // side}/{k % side}", payload) for k in range(n)]
    tmp = path.with_suffix(".tmp")
    write_zip(tmp, entries, comment=rfc9_comment("0.5", True))
    os.replace(tmp, path)
    print(f"  built {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return path


def microscopy_like(shape: tuple[int, int, int], seed: int) -> np.ndarray:
    """Deterministic uint16 image: per channel a background, a few hundred Gaussian blobs
    (cells/nuclei of 4-60 px sigma) and Poisson noise. Values span ~250 to a few thousand."""
    rng = np.random.default_rng(seed)
    nc, h, w = shape
    out = np.empty(shape, dtype=np.uint16)
    yy = np.arange(h, dtype=np.float32)
    xx = np.arange(w, dtype=np.float32)
    for c in range(nc):
        field = np.full((h, w), 300.0 + 60.0 * c, dtype=np.float32)
        # a slow illumination gradient
        field += (60.0 * np.outer(np.sin(yy / h * np.pi), np.sin(xx / w * np.pi))).astype(np.float32)
        n_blobs = int(900 * (h * w) / 4096**2) + 20
        for _ in range(n_blobs):
            sigma = float(rng.uniform(4, 60)) * math.sqrt(h * w) / 4096
            amp = float(rng.uniform(200, 3000))
            cy, cx = rng.uniform(0, h), rng.uniform(0, w)
            r = int(4 * sigma) + 1
            y0, y1 = max(0, int(cy) - r), min(h, int(cy) + r)
            x0, x1 = max(0, int(cx) - r), min(w, int(cx) + r)
            if y1 <= y0 or x1 <= x0:
                continue
            gy = np.exp(-0.5 * ((yy[y0:y1] - cy) / sigma) ** 2)
            gx = np.exp(-0.5 * ((xx[x0:x1] - cx) / sigma) ** 2)
            field[y0:y1, x0:x1] += amp * np.outer(gy, gx)
        out[c] = np.minimum(rng.poisson(field), 65535).astype(np.uint16)
    return out


def sharded_paths(
    channels: int = 3, side: int = 4096, inner: int = 256, seed: int = 0, data_dir: Path = DATA_DIR
) -> tuple[Path, Path]:
    """(directory OME-Zarr, packed .ozx) of the sharded test image, built on first use."""
    import zarr
    from zarr.codecs import ZstdCodec
    from zarr.storage import LocalStore

    stem = f"sharded-{channels}x{side}x{side}-s{side}-c{inner}-zstd1-seed{seed}-v1"
    directory, ozx = data_dir / stem, data_dir / f"{stem}.ozx"
    if directory.joinpath("0", "zarr.json").exists() and ozx.exists():
        return directory, ozx
    data_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    image = microscopy_like((channels, side, side), seed)
    t1 = time.perf_counter()
    tmp_dir = data_dir / f"{stem}.tmpdir"
    shutil.rmtree(tmp_dir, ignore_errors=True)
    store = LocalStore(tmp_dir)
    zarr.create_group(store, zarr_format=3, attributes=_ome_image_attrs(3, stem))
    arr = zarr.create_array(
        store, name="0", shape=image.shape, dtype="uint16",
        shards=(1, side, side), chunks=(1, inner, inner),
        compressors=ZstdCodec(level=1), fill_value=0, dimension_names=["c", "y", "x"],
    )
    arr[:] = image
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(tmp_dir, directory)
    tmp_ozx = ozx.with_suffix(".tmp")
    pack_directory(directory, tmp_ozx)
    os.replace(tmp_ozx, ozx)
    stored = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    print(f"  built {stem} (content {t1 - t0:.1f} s, total {time.perf_counter() - t0:.1f} s; "
          f"{image.nbytes / 1e6:.0f} MB raw -> {stored / 1e6:.1f} MB stored, "
          f"values {int(image.min())}..{int(image.max())}, mean {float(image.mean()):.0f})", file=sys.stderr)
    return directory, ozx


def numcodecs_variant(directory: Path) -> Path:
    """`directory` (from sharded_paths) with its array's codec renamed to `numcodecs.zstd`, packed."""
    ozx = directory.parent / f"{directory.name}-numcodecs.ozx"
    if ozx.exists():
        return ozx
    tmp_dir = directory.parent / f"{directory.name}-numcodecs.tmpdir"
    shutil.rmtree(tmp_dir, ignore_errors=True)
    shutil.copytree(directory, tmp_dir)
    meta_path = tmp_dir / "0" / "zarr.json"
    meta = json.loads(meta_path.read_text())
    inner = meta["codecs"][0]["configuration"]["codecs"]
    zstd = next(c for c in inner if c["name"] == "zstd")
    zstd.update({"name": "numcodecs.zstd", "configuration": {"level": zstd["configuration"]["level"]}})
    meta_path.write_text(json.dumps(meta))
    tmp_ozx = ozx.with_suffix(".tmp")
    pack_directory(tmp_dir, tmp_ozx)
    os.replace(tmp_ozx, ozx)
    shutil.rmtree(tmp_dir)
    return ozx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k/100k entries and a 3x1024^2 image only")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args()
    for n in (1_000, 100_000) if args.quick else (1_000, 100_000, 1_000_000):
        print(many_entries_path(n, args.data_dir))
    directory, ozx = sharded_paths(side=1024 if args.quick else 4096, data_dir=args.data_dir)
    print(directory, ozx, numcodecs_variant(directory))


if __name__ == "__main__":
    main()

"""Single-level images for benchmarks/bench_virtual_levels.py (no pyramid: levels made on demand).

    python benchmarks/make_single_level.py             # 3 x 32768^2 uint16, level 0 of the large pyramid
    python benchmarks/make_single_level.py --side 8192 # a smaller one for smoke runs
    python benchmarks/make_single_level.py --absent    # 65536^2 uint16 whose chunks are all absent

* ``...-single.ozx``: level 0 of `make_large_image.py`'s sharded pyramid (the same real pixels,
  shards 4096^2 with 256^2 inner chunks, zstd) as a valid one-level OME-Zarr 0.5 `.ozx`: the
  group metadata lists one dataset, and the level-0 shard files are stored as they are.
* ``absent-<side>.ozx``: one uint16 array of side^2 with shards 4096^2 / chunks 256^2 and no
  chunk stored at all (every pixel is the fill value), as a cropped or unfinished export is.

Files go to benchmarks/data/ (git-ignored); existing ones are reused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import make_large_image as large  # noqa: E402

from viewer.container.ozx_writer import ZipEntry, rfc9_comment, write_zip  # noqa: E402


def single_level(side: int = 32768, data_dir: Path = large.DATA_DIR) -> Path:
    """The large pyramid's level 0 alone as a `.ozx` (built from the pyramid's directory)."""
    pyramid = large.build(side=side, data_dir=data_dir)  # the files bench_viewer.py uses
    out = pyramid["sharded"].with_name(pyramid["sharded"].name.replace("-sharded.ozx", "-single.ozx"))
    if out.exists():
        return out
    directory = pyramid["directory"]
    group = json.loads((directory / "zarr.json").read_text())
    multiscale = group["attributes"]["ome"]["multiscales"][0]
    multiscale["datasets"] = multiscale["datasets"][:1]
    entries = [ZipEntry("zarr.json", json.dumps(group, indent=2).encode()),
               ZipEntry("0/zarr.json", (directory / "0" / "zarr.json").read_bytes())]
    shards = sorted((p for p in (directory / "0" / "c").rglob("*") if p.is_file()),
                    key=lambda p: p.relative_to(directory).as_posix())
    entries += [ZipEntry(p.relative_to(directory).as_posix(), p) for p in shards]
    tmp = out.with_suffix(".tmp")
    write_zip(tmp, entries, comment=rfc9_comment("0.5", True), zip64_end=True)
    tmp.replace(out)
    return out


def absent_image(path: Path, side: int = 65536, shard: int = 4096, chunk: int = 256) -> Path:
    """A valid one-level uint16 `.ozx` of side^2 pixels with no chunk stored."""
    array = {
        "zarr_format": 3, "node_type": "array", "shape": [side, side], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [shard, shard]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0, "dimension_names": ["y", "x"], "attributes": {},
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [chunk, chunk],
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 1}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
            "index_location": "end"}}],
    }
    group = {"zarr_format": 3, "node_type": "group", "attributes": {"ome": {
        "version": "0.5",
        "multiscales": [{"name": "absent", "axes": [{"name": "y", "type": "space", "unit": "micrometer"},
                                                    {"name": "x", "type": "space", "unit": "micrometer"}],
                         "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [0.5, 0.5]}]}]}],
    }}}
    write_zip(path, [ZipEntry("zarr.json", json.dumps(group).encode()), ZipEntry("0/zarr.json", json.dumps(array).encode())],
              comment=rfc9_comment("0.5", True), zip64_end=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", type=int, default=None)
    parser.add_argument("--absent", action="store_true")
    parser.add_argument("--data-dir", type=Path, default=large.DATA_DIR)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    if args.absent:
        side = args.side or 65536
        print(absent_image(args.data_dir / f"absent-{side}.ozx", side))
    else:
        print(single_level(args.side or 32768, args.data_dir))


if __name__ == "__main__":
    main()

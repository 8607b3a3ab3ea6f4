"""Build the bundled sample image `resources/sample.ozx`.

Usage: python resources/make_sample.py [OUT]

The picture is scikit-image's `immunohistochemistry()` (512 x 512 RGB, shipped inside
the scikit-image wheel). It is written as an OME-Zarr 0.5 image (axes c, y, x; three
levels made by 2 x 2 mean downsampling; sharded, zstd-compressed) into a temporary
folder with zarr-python 3, then packed into an RFC-9 `.ozx` (stored entries, ZIP64 end
records, zarr.json first, jsonFirst comment). The output is byte-for-byte reproducible
with the same zarr / zstd versions.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import zarr
from skimage import data
from zarr.codecs import ZstdCodec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from viewer.container.ozx_writer import pack_directory  # noqa: E402

NAME = "immunohistochemistry"
LEVELS = 3
PIXEL_SIZE_UM = 0.5
INNER_CHUNK = 128
SHARD = 256
CHANNELS = (("Red", "FF0000"), ("Green", "00FF00"), ("Blue", "0000FF"))
DEFAULT_OUT = Path(__file__).resolve().parent / "sample.ozx"


def sample_image() -> np.ndarray:
    """The skimage picture as a (c, y, x) uint8 array."""
    return np.ascontiguousarray(np.moveaxis(data.immunohistochemistry(), -1, 0))


def pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    """`image` followed by successive 2 x 2 mean downsamplings (rounded, same dtype)."""
    result = [image]
    for _ in range(levels - 1):
        c, h, w = result[-1].shape
        blocks = result[-1].reshape(c, h // 2, 2, w // 2, 2).astype(np.float64)
        result.append(np.round(blocks.mean(axis=(2, 4))).astype(image.dtype))
    return result


def ome_attributes(levels: int) -> dict[str, object]:
    """OME-Zarr 0.5 group attributes: multiscales and omero rendering hints."""
    space = {"type": "space", "unit": "micrometer"}
    datasets = [
        {
            "path": str(i),
            "coordinateTransformations": [
                {"type": "scale", "scale": [1.0, PIXEL_SIZE_UM * 2**i, PIXEL_SIZE_UM * 2**i]}
            ],
        }
        for i in range(levels)
    ]
    channels = [
        {
            "label": label,
            "color": color,
            "window": {"start": 0, "end": 255, "min": 0, "max": 255},
            "active": True,
            "inverted": False,
            "family": "linear",
            "coefficient": 1.0,
        }
        for label, color in CHANNELS
    ]
    multiscale = {
        "name": NAME,
        "axes": [{"name": "c", "type": "channel"}, {"name": "y", **space}, {"name": "x", **space}],
        "datasets": datasets,
        "type": "mean",
        "metadata": {"description": "2x2 mean downsampling in numpy, rounded to uint8"},
    }
    omero = {"name": NAME, "channels": channels, "rdefs": {"model": "color"}}
    return {"ome": {"version": "0.5", "multiscales": [multiscale], "omero": omero}}


def write_zarr(directory: Path, levels: list[np.ndarray]) -> None:
    """Write the image as a directory OME-Zarr 0.5 hierarchy."""
    zarr.create_group(directory, zarr_format=3, attributes=ome_attributes(len(levels)))
    for i, level in enumerate(levels):
        _, h, w = level.shape
        zarr.create_array(
            directory,
            name=str(i),
            data=level,
            chunks=(1, min(INNER_CHUNK, h), min(INNER_CHUNK, w)),
            shards=(1, min(SHARD, h), min(SHARD, w)),
            compressors=ZstdCodec(level=19),
            dimension_names=["c", "y", "x"],
        )


def build(out: Path) -> None:
    """Write the sample `.ozx` to `out`."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sample.zarr"
        write_zarr(root, pyramid(sample_image(), LEVELS))
        pack_directory(root, out)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    build(out)
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

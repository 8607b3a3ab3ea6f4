"""Builders of real OME-Zarr hierarchies (written with zarr-python) for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import zarr

from viewer.container.ozx_writer import pack_directory


def pyramid(data: np.ndarray, levels: int, plane_axes: int = 2) -> list[np.ndarray]:
    """Level 0 = data; each next level takes every second pixel of the last two axes."""
    out = [data]
    for _ in range(levels - 1):
        index = (slice(None),) * (data.ndim - plane_axes) + (slice(None, None, 2),) * plane_axes
        out.append(np.ascontiguousarray(out[-1][index]))
    return out


def axes_for(names: str, unit: str = "micrometer") -> list[dict]:
    kinds = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
    return [{"name": n, "type": kinds[n], **({"unit": unit} if kinds[n] == "space" else {})} for n in names]


def write_image(
    root: Path,
    group_path: str,
    levels: Sequence[np.ndarray],
    axes: str,
    *,
    zarr_format: int = 3,
    chunks: Sequence[int] | None = None,
    shards: Sequence[int] | None = None,
    omero: dict | None = None,
    pixel_size: float = 0.5,
    extra_ome: dict | None = None,
    name: str = "image",
) -> None:
    """One multiscale image group (0.5 on Zarr v3, 0.4 on Zarr v2) at `root/group_path`."""
    store = zarr.storage.LocalStore(str(root))
    group = zarr.open_group(store=store, path=group_path, mode="a", zarr_format=zarr_format)
    datasets = []
    for i, data in enumerate(levels):
        factor = levels[0].shape[-1] / data.shape[-1]
        scale = [1.0] * (data.ndim - 2) + [pixel_size * factor] * 2
        datasets.append({"path": str(i), "coordinateTransformations": [{"type": "scale", "scale": scale}]})
        kwargs = {"dimension_names": list(axes)} if zarr_format == 3 else {"chunk_key_encoding": {"name": "v2", "separator": "/"}}
        array = group.create_array(
            str(i), shape=data.shape, dtype=data.dtype, chunks=tuple(chunks or data.shape),
            shards=tuple(shards) if shards and zarr_format == 3 else None, **kwargs,
        )
        array[...] = data
    multiscale = {"name": name, "axes": axes_for(axes), "datasets": datasets}
    ome: dict = {"multiscales": [multiscale]}
    if omero is not None:
        ome["omero"] = omero
    ome.update(extra_ome or {})
    if zarr_format == 3:
        group.attrs["ome"] = {"version": "0.5", **ome}
    else:
        multiscale["version"] = "0.4"
        group.attrs.update(ome)


def set_group_attrs(root: Path, group_path: str, ome: dict, zarr_format: int = 3) -> None:
    """Create (or update) a plain group with OME attributes."""
    group = zarr.open_group(store=zarr.storage.LocalStore(str(root)), path=group_path, mode="a", zarr_format=zarr_format)
    if zarr_format == 3:
        group.attrs["ome"] = {"version": "0.5", **ome}
    else:
        group.attrs.update(ome)


def pack(root: Path, out: Path) -> Path:
    """Pack a Zarr v3 directory into a conforming .ozx."""
    pack_directory(root, out, version="0.5")
    return out


def omero_channels(colors: Sequence[str], windows: Sequence[tuple[float, float]], labels: Sequence[str] | None = None) -> dict:
    return {
        "channels": [
            {"label": (labels[i] if labels else f"ch{i}"), "color": c, "active": True, "inverted": False,
             "window": {"min": 0, "max": 65535, "start": w[0], "end": w[1]}}
            for i, (c, w) in enumerate(zip(colors, windows))
        ],
        "rdefs": {"model": "color"},
    }

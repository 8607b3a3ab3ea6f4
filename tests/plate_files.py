"""A fast writer of HCS plates as `.ozx` (Zarr v3, uncompressed chunks), for tests and benchmarks.

zarr-python takes tens of milliseconds per array; a 384-well plate with a pyramid per field has
over a thousand arrays, so this writes the JSON and raw chunks itself (one chunk per level).
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Callable

import numpy as np

from viewer.container.ozx_writer import ZipEntry, rfc9_comment, write_zip

#: Picture of one field: (row, column, field) → (channels, rows, cols) uint16.
FieldPicture = Callable[[int, int, int], np.ndarray]


def row_names(count: int) -> list[str]:
    """A, B, … Z, AA, AB, … (as plate readers name rows)."""
    letters = string.ascii_uppercase
    return [letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26] for i in range(count)]


def gradient_field(side: int = 64, channels: int = 2) -> FieldPicture:
    """A field whose values encode its well and field: a ramp plus a per-field offset."""

    def picture(row: int, column: int, field: int) -> np.ndarray:
        ramp = np.add.outer(np.arange(side), np.arange(side)).astype(np.uint16) * 4
        base = np.uint16((row * 37 + column * 11 + field * 101) % 1500)
        return np.stack([ramp + base + 300 * c for c in range(channels)]).astype(np.uint16)

    return picture


def _array_json(shape: tuple[int, ...], dtype: np.dtype) -> bytes:
    return json.dumps({
        "zarr_format": 3, "node_type": "array", "shape": list(shape), "data_type": np.dtype(dtype).name,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(shape)}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0, "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
        "dimension_names": ["c", "y", "x"],
    }).encode()


def _group_json(ome: dict | None = None) -> bytes:
    attributes = {"ome": {"version": "0.5", **ome}} if ome is not None else {}
    return json.dumps({"zarr_format": 3, "node_type": "group", "attributes": attributes}).encode()


def _field_entries(path: str, data: np.ndarray, levels: int, name: str) -> tuple[list[ZipEntry], list[ZipEntry]]:
    """(metadata entries, chunk entries) of one multiscale image at `path`."""
    meta, chunks, datasets = [], [], []
    level = data
    for index in range(levels):
        factor = 2 ** index
        datasets.append({"path": str(index), "coordinateTransformations": [
            {"type": "scale", "scale": [1.0, 0.5 * factor, 0.5 * factor]}]})
        meta.append(ZipEntry(f"{path}/{index}/zarr.json", _array_json(level.shape, level.dtype)))
        chunks.append(ZipEntry(f"{path}/{index}/c/0/0/0", np.ascontiguousarray(level).astype("<u2").tobytes()))
        level = level[:, ::2, ::2]
    channels = [{"label": f"ch{c}", "color": ("00FF00", "FF00FF", "00FFFF")[c % 3], "active": True,
                 "window": {"min": 0, "max": 65535, "start": 0, "end": 1800}} for c in range(data.shape[0])]
    ome = {"multiscales": [{"name": name, "axes": [
        {"name": "c", "type": "channel"}, {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space", "unit": "micrometer"}], "datasets": datasets}],
        "omero": {"channels": channels, "rdefs": {"model": "color"}}}
    meta.insert(0, ZipEntry(f"{path}/zarr.json", _group_json(ome)))
    return meta, chunks


def write_plate(out: Path, rows: int, columns: int, fields: int, picture: FieldPicture | None = None,
                levels: int = 2, present: Callable[[int, int], bool] = lambda r, c: True,
                name: str = "plate") -> Path:
    """A plate of rows × columns wells (those `present`), `fields` images each, as `.ozx`."""
    picture = picture or gradient_field()
    row_list, col_list = row_names(rows), [str(c + 1) for c in range(columns)]
    wells = [(r, c) for r in range(rows) for c in range(columns) if present(r, c)]
    meta = [ZipEntry("zarr.json", _group_json({"plate": {
        "name": name, "rows": [{"name": n} for n in row_list], "columns": [{"name": n} for n in col_list],
        "wells": [{"path": f"{row_list[r]}/{col_list[c]}", "rowIndex": r, "columnIndex": c} for r, c in wells],
        "field_count": fields}}))]
    chunks = []
    for r in sorted({r for r, _ in wells}):
        meta.append(ZipEntry(f"{row_list[r]}/zarr.json", _group_json()))
    for r, c in wells:
        well = f"{row_list[r]}/{col_list[c]}"
        meta.append(ZipEntry(f"{well}/zarr.json", _group_json({"well": {"images": [{"path": str(f)} for f in range(fields)]}})))
        for f in range(fields):
            field_meta, field_chunks = _field_entries(f"{well}/{f}", picture(r, c, f), levels, f"{well}/{f}")
            meta += field_meta
            chunks += field_chunks
    write_zip(out, meta + chunks, comment=rfc9_comment("0.5", True))
    return out

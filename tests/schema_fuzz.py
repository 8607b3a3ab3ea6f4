"""A fuzzer that walks the OME-Zarr metadata schema: valid document sets (image with labels,
plate, RFC-8 collection, Zarr v2 image) in which chosen values are replaced by wrong types and
extreme values. `exercise` opens the result and touches everything a user can reach."""

from __future__ import annotations

import json
import math
from typing import Any, Iterator

import numpy as np
from hypothesis import strategies as st

from viewer.container.base import Container
from viewer.errors import OzxError


class MemoryContainer(Container):
    """Entries held in a dict (the document layer only needs the Container interface)."""

    format = "ozx"

    def __init__(self, entries: dict[str, bytes]) -> None:
        self.entries = entries
        self.path = "memory.ozx"
        self.findings = []

    def size(self, key: str) -> int | None:
        return len(self.entries[key]) if key in self.entries else None

    def read(self, key: str, limit: int | None = None) -> bytes | None:
        data = self.entries.get(key)
        if data is not None and limit is not None and len(data) > limit:
            raise OzxError("entry larger than its limit")
        return data

    def read_range(self, key: str, start: int, length: int) -> bytes | None:
        data = self.entries.get(key)
        if data is None:
            return None
        start = start + len(data) if start < 0 else start
        if start < 0 or start + length > len(data):
            raise OzxError("range outside the entry")
        return data[start : start + length]

    def metadata_keys(self) -> list[str]:
        return [k for k in self.entries if k.endswith(("zarr.json", ".zattrs", ".zgroup", ".zarray", ".json"))]


def _array(shape, chunks, data_type="uint16", codecs=None, fill_value=0) -> dict:
    return {"zarr_format": 3, "node_type": "array", "shape": shape, "data_type": data_type,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}}, "fill_value": fill_value,
            "codecs": codecs or [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 1}}],
            "dimension_names": None, "attributes": {}}


def _group(ome: dict) -> dict:
    return {"zarr_format": 3, "node_type": "group", "attributes": {"ome": ome}}


def _multiscales(paths: list[str], names: str = "czyx") -> list[dict]:
    types = {"c": "channel", "z": "space", "y": "space", "x": "space", "t": "time"}
    return [{"name": "img", "axes": [{"name": n, "type": types[n], "unit": "micrometer" if types[n] == "space" else None} for n in names],
             "datasets": [{"path": p, "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0] + [2.0**i] * (len(names) - 2)},
                                                                     {"type": "translation", "translation": [0.0] * len(names)}]}
                          for i, p in enumerate(paths)],
             "coordinateTransformations": [{"type": "scale", "scale": [1.0] * len(names)}], "type": "mean", "metadata": {}}]


def _chunk(shape: tuple[int, ...], dtype: str = "<u2") -> bytes:
    from numcodecs import zstd

    return zstd.compress(np.arange(math.prod(shape), dtype=dtype).tobytes(), 1)


def image_set() -> dict[str, Any]:
    omero = {"name": "omero", "channels": [
        {"label": "DAPI", "color": "0000FF", "active": True, "inverted": False, "window": {"start": 0, "end": 100, "min": 0, "max": 65535}},
        {"label": "GFP", "color": "00FF00", "active": False, "inverted": True, "window": {"start": 5, "end": 50, "min": 0, "max": 65535}}],
        "rdefs": {"defaultZ": 1, "defaultT": 0, "model": "color"}}
    return {
        "zarr.json": _group({"version": "0.5", "multiscales": _multiscales(["0", "1"]), "omero": omero}),
        "0/zarr.json": _array([2, 3, 8, 8], [1, 1, 8, 8]),
        "1/zarr.json": _array([2, 3, 4, 4], [1, 1, 4, 4]),
        "0/c/0/0/0/0": _chunk((1, 1, 8, 8)),
        "1/c/0/0/0/0": _chunk((1, 1, 4, 4)),
        "labels/zarr.json": _group({"version": "0.5", "labels": ["cells"]}),
        "labels/cells/zarr.json": _group({"version": "0.5", "multiscales": _multiscales(["0"], "zyx"), "image-label": {
            "colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}], "properties": [{"label-value": 1, "area": 3}],
            "source": {"image": "../../"}}}),
        "labels/cells/0/zarr.json": _array([3, 8, 8], [1, 8, 8], "uint8"),
        "labels/cells/0/c/0/0/0": _chunk((1, 8, 8), "u1"),
    }


def plate_set() -> dict[str, Any]:
    docs = {
        "zarr.json": _group({"version": "0.5", "plate": {"name": "p", "rows": [{"name": "A"}], "columns": [{"name": "1"}],
                                                         "wells": [{"path": "A/1", "rowIndex": 0, "columnIndex": 0}],
                                                         "acquisitions": [{"id": 0}], "field_count": 1}}),
        "A/1/zarr.json": _group({"version": "0.5", "well": {"images": [{"path": "0", "acquisition": 0}]}}),
        "A/1/0/zarr.json": _group({"version": "0.5", "multiscales": _multiscales(["0"], "yx")}),
        "A/1/0/0/zarr.json": _array([8, 8], [8, 8]),
        "A/1/0/0/c/0/0": _chunk((8, 8)),
    }
    return docs


def collection_set() -> dict[str, Any]:
    return {
        "zarr.json": _group({"version": "0.6", "type": "collection", "name": "c", "nodes": [
            {"type": "multiscale", "name": "ref", "id": "i1", "path": "img"},
            {"type": "multiscale", "name": "inline", "attributes": {
                "coordinateSystems": [{"name": "world", "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]}],
                "coordinateTransformations": [{"type": "scale", "scale": [2.0, 2.0], "input": {"id": "s0"}}]},
             "nodes": [{"type": "singlescale", "id": "s0", "path": "img/0"}]},
            {"type": "collection", "name": "nested", "nodes": [{"type": "multiscale", "name": "again", "path": {"path": "img", "type": "zarr"}}]},
        ]}),
        "img/zarr.json": _group({"version": "0.5", "multiscales": _multiscales(["0"], "yx")}),
        "img/0/zarr.json": _array([8, 8], [8, 8]),
        "img/0/c/0/0": _chunk((8, 8)),
    }


def v2_set() -> dict[str, Any]:
    return {
        ".zgroup": {"zarr_format": 2},
        ".zattrs": {"multiscales": [{"version": "0.4", "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
                                     "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0]}]}]}]},
        "0/.zarray": {"zarr_format": 2, "shape": [8, 8], "chunks": [8, 8], "dtype": "<u2", "order": "C", "fill_value": 0,
                      "compressor": {"id": "zstd", "level": 1}, "filters": [{"id": "delta", "dtype": "<u2"}], "dimension_separator": "/"},
        "0/0/0": _chunk((8, 8)),
    }


def _numcodecs_chunk(shape: tuple[int, ...], *codecs: dict) -> bytes:
    """arange of `shape` (<u2) encoded by numcodecs `codecs` in order (as a Zarr pipeline writes)."""
    from numcodecs import get_codec

    data: Any = np.arange(math.prod(shape), dtype="<u2").reshape(shape)
    for config in codecs:
        data = get_codec(dict(config)).encode(data)
    return bytes(data)


def fallback_set() -> dict[str, Any]:
    """An image whose codecs only zarr-python knows (numcodecs.* names), read through the fallback."""
    codecs = [{"name": "numcodecs.delta", "configuration": {"dtype": "<u2"}}, {"name": "bytes", "configuration": {"endian": "little"}},
              {"name": "numcodecs.zlib", "configuration": {"level": 1}}, {"name": "numcodecs.crc32", "configuration": {}}]
    return {
        "zarr.json": _group({"version": "0.5", "multiscales": _multiscales(["0"], "yx")}),
        "0/zarr.json": _array([8, 8], [8, 8], codecs=codecs),
        "0/c/0/0": _numcodecs_chunk((8, 8), {"id": "delta", "dtype": "<u2"}, {"id": "zlib", "level": 1}, {"id": "crc32"}),
    }


def v2_fallback_set() -> dict[str, Any]:
    """A Zarr v2 image whose filter (astype) only numcodecs' registry knows."""
    docs = v2_set()
    docs["0/.zarray"] = {**docs["0/.zarray"], "compressor": {"id": "zlib", "level": 1},
                         "filters": [{"id": "astype", "encode_dtype": "<u4", "decode_dtype": "<u2"}]}
    docs["0/0/0"] = _numcodecs_chunk((8, 8), {"id": "astype", "encode_dtype": "<u4", "decode_dtype": "<u2"}, {"id": "zlib", "level": 1})
    return docs


SETS = {"image": image_set, "plate": plate_set, "collection": collection_set, "v2": v2_set,
        "fallback": fallback_set, "v2-fallback": v2_fallback_set}


def paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path (keys and indices) inside a JSON value, the root included."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, prefix + (i,))


def replace_at(doc: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[path[0]] = replace_at(doc[path[0]], path[1:], new)
    return copy


def _deep(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


HOSTILE = [0, -1, 1, 2**31, 2**63, 2**64 + 1, 10**300, -(10**300), 1e308, -1e308, 5e-324, float("nan"), float("inf"),
           float("-inf"), "", "0", "..", "../x", "/abs", "a\\b", "x" * 5000, "\x1b[2J\x1b[31mred\x07", "\u202eevil", "é",
           True, False, None, [], [[]], [0] * 1000, [10**300] * 3, [1e308] * 4, [-1] * 4, {}, {"a": 1}, {"name": 3},
           _deep(200), [{"name": "c", "type": "channel"}] * 3]


@st.composite
def damaged_documents(draw) -> dict[str, bytes]:
    """One document set with one to three values replaced."""
    docs = SETS[draw(st.sampled_from(sorted(SETS)))]()
    json_keys = sorted(k for k, v in docs.items() if not isinstance(v, bytes))
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(json_keys))
        where = draw(st.sampled_from(list(paths(docs[key]))))
        docs[key] = replace_at(docs[key], where, draw(st.sampled_from(HOSTILE)))
    return {k: v if isinstance(v, bytes) else json.dumps(v).encode() for k, v in docs.items()}


def exercise(entries: dict[str, bytes]) -> None:
    """Open the documents and touch what `info`, `validate` and the viewer reach; only OzxError
    with a one-line message that is not an internal error may come out."""
    from viewer.app.preparing import OpenedImage, auto_windows, start_plane, tile_loader
    from viewer.tiles import TileKey
    from viewer.ome.document import build_document
    from viewer.output import to_json
    from viewer.ome.report import document_info, format_info

    try:
        doc = build_document(MemoryContainer(entries), "memory.ozx")
        info = document_info(doc, doc.findings)
        json.loads(to_json(info))
        format_info(info)
        for image in doc.images():
            assert image.levels and image.channels
            plane = start_plane(image)
            try:
                image.channels = auto_windows(image, image.layout, plane)
            except OzxError:
                pass
            loader = tile_loader(OpenedImage("memory.ozx", doc, image, image.layout, plane))
            try:
                loader(TileKey(len(image.levels) - 1, plane, 0, 0))
            except OzxError:
                pass
            for level in image.levels:
                try:
                    level.array.read_chunk([0] * level.array.ndim)
                except OzxError:
                    pass
    except OzxError as exc:
        message = str(exc)
        assert message and "\n" not in message and "internal error" not in message, message


def _measured_run(examples: int) -> dict[str, float]:
    """Run `examples` damaged documents here, each measured: the worst time and the worst peak
    resident growth over the size before it (reset per example via /proc/self/clear_refs)."""
    import time

    from hypothesis import HealthCheck, given, settings

    from .hostile_probe import _rss_kib

    worst = {"seconds": 0.0, "growth_mb": 0.0, "examples": 0}

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(damaged_documents())
    def run(entries: dict[str, bytes]) -> None:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        base = _rss_kib("VmRSS")
        start = time.perf_counter()
        exercise(entries)
        worst["seconds"] = max(worst["seconds"], time.perf_counter() - start)
        worst["growth_mb"] = max(worst["growth_mb"], (_rss_kib("VmHWM") - base) / 1024)
        worst["examples"] += 1

    exercise(image_set_entries())  # imports and first-use costs are not part of any example
    run()
    return worst


def image_set_entries() -> dict[str, bytes]:
    return {k: v if isinstance(v, bytes) else json.dumps(v).encode() for k, v in image_set().items()}


if __name__ == "__main__":
    import sys

    print(json.dumps({"fuzz": _measured_run(int(sys.argv[1]))}))

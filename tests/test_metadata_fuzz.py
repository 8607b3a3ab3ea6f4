"""Property tests: any metadata, however broken, gives a document or one OzxError — nothing else."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from viewer.container.base import Container
from viewer.errors import OzxError
from viewer.ome.document import build_document


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
        return [k for k in self.entries if k.endswith(("zarr.json", ".zattrs", ".json"))]


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
                      st.text(max_size=8), st.sampled_from(["0", "1", "labels", "../x", "https://h/x", "c", "zarr"]))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                             st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                          max_leaves=20)
ome_keys = st.sampled_from(["multiscales", "omero", "labels", "image-label", "plate", "well",
                            "bioformats2raw.layout", "series", "type", "nodes", "name", "version", "path", "attributes"])

VALID_ARRAY = {"zarr_format": 3, "node_type": "array", "shape": [4, 6], "data_type": "uint8",
               "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 6]}},
               "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": [{"name": "bytes"}],
               "dimension_names": ["y", "x"]}


def plausible_multiscales() -> st.SearchStrategy:
    axis = st.fixed_dictionaries({"name": st.sampled_from(["y", "x", "c", "z"])},
                                 optional={"type": st.sampled_from(["space", "channel", "time", "weird"]), "unit": json_value})
    dataset = st.fixed_dictionaries({"path": st.sampled_from(["0", "1", "missing", ""])},
                                    optional={"coordinateTransformations": json_value})
    return st.lists(st.fixed_dictionaries({"axes": st.lists(axis, max_size=4), "datasets": st.lists(dataset, max_size=3)},
                                          optional={"coordinateTransformations": json_value, "name": json_value}),
                    max_size=2)


def check(entries: dict[str, bytes]) -> None:
    try:
        doc = build_document(MemoryContainer(entries), "memory.ozx")
    except OzxError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for image in doc.images():
        assert image.levels and image.channels


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(ome_keys, json_value, max_size=6))
def test_random_ome_attributes(ome: dict) -> None:
    root = {"zarr_format": 3, "node_type": "group", "attributes": {"ome": ome}}
    check({"zarr.json": json.dumps(root).encode(), "0/zarr.json": json.dumps(VALID_ARRAY).encode()})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plausible_multiscales(), json_value, st.dictionaries(st.sampled_from(list(VALID_ARRAY)), json_value, max_size=3))
def test_nearly_valid_images(multiscales: list, omero: object, array_damage: dict) -> None:
    root = {"zarr_format": 3, "node_type": "group",
            "attributes": {"ome": {"version": "0.5", "multiscales": multiscales, "omero": omero}}}
    array = {**VALID_ARRAY, **array_damage}
    check({"zarr.json": json.dumps(root).encode(), "0/zarr.json": json.dumps(array).encode(),
           "1/zarr.json": json.dumps(VALID_ARRAY).encode(), "0/c/0/0": bytes(24)})


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_as_metadata(raw: bytes) -> None:
    check({"zarr.json": raw})
    check({".zattrs": raw, ".zgroup": b'{"zarr_format": 2}'})


def test_deeply_nested_json_is_refused() -> None:
    deep = b'{"zarr_format": 3, "node_type": "group", "attributes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    check({"zarr.json": deep})

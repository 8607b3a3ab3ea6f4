"""Property tests: any metadata, however broken, gives a document or one OzxError — nothing else."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from viewer.errors import OzxError
from viewer.ome.document import build_document

from .schema_fuzz import MemoryContainer, damaged_documents, exercise, image_set_entries


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


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(damaged_documents())
def test_schema_walk_wrong_types_and_extreme_values(entries: dict[str, bytes]) -> None:
    """Valid image, plate, RFC-8 and v2 documents with values replaced by wrong types and extreme
    values: a document or one clear OzxError, never an internal error."""
    exercise(entries)


def test_schema_walk_is_bounded_in_a_fresh_process() -> None:
    """The same fuzzer in a fresh process, every example measured: time and memory stay bounded."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-m", "tests.schema_fuzz", "150"], cwd=root, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    worst = json.loads(proc.stdout.strip().splitlines()[-1])["fuzz"]
    assert worst["examples"] >= 100
    assert worst["seconds"] < 2.0 and worst["growth_mb"] < 100, worst


def test_the_undamaged_fallback_sets_read_through_zarr_python() -> None:
    import numpy as np

    from .schema_fuzz import SETS

    for name in ("fallback", "v2-fallback"):
        entries = {k: v if isinstance(v, bytes) else json.dumps(v).encode() for k, v in SETS[name]().items()}
        array = build_document(MemoryContainer(entries), "memory.ozx").images()[0].levels[0].array
        assert array.via_zarr_python, name
        assert np.array_equal(array.read_chunk((0, 0)), np.arange(64, dtype="<u2").reshape(8, 8)), name


def test_the_undamaged_sets_open() -> None:
    doc = build_document(MemoryContainer(image_set_entries()), "memory.ozx")
    image = doc.images()[0]
    assert [c.label for c in image.channels] == ["DAPI", "GFP"] and image.labels[0].name == "cells"

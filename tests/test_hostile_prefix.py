"""Item 8: with an intact `jsonFirst` prefix, lookups of absent metadata keys (labels groups,
Zarr v2 keys) are answered from the prefix, so the image model is ready before the full central
directory index of a large archive."""

from __future__ import annotations

import time
from pathlib import Path

from viewer.container.ozx_writer import ZipEntry, rfc9_comment, write_zip
from viewer.ome import open_document

from .zipfixtures import tiny_entries


def test_image_model_is_ready_without_the_full_index(tmp_path: Path) -> None:
    path = tmp_path / "many.ozx"
    entries = tiny_entries() + [ZipEntry(f"0/c/9/{i}", b"") for i in range(100_000)]
    write_zip(path, entries, comment=rfc9_comment(json_first=True))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        doc = open_document(path)
        image = doc.images()[0]
        best = min(best, time.perf_counter() - start)
        ready_before_index = not doc.container.index_ready
        doc.close()
    assert image.labels == [] and image.levels[0].shape == (4, 4)
    assert ready_before_index  # labels/zarr.json and labels/.zattrs were answered from the prefix
    assert best < 0.05, best  # typically ~2 ms; generous on a shared machine


def test_without_json_first_absent_keys_wait_for_the_index(tmp_path: Path) -> None:
    path = tmp_path / "plain.ozx"
    write_zip(path, tiny_entries(), comment=rfc9_comment(json_first=False))
    doc = open_document(path)
    try:
        assert doc.container.index_ready and doc.images()[0].labels == []
    finally:
        doc.close()

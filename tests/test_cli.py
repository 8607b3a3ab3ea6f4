"""The `ozx-viewer` command as a user runs it: output, JSON schema, exit codes, clean errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.omezarr_fixtures import omero_channels, pack, pyramid, write_image
from viewer import __version__
from viewer.container.ozx_writer import ZipEntry, pack_directory, rfc9_comment, write_zip

SAMPLE = Path(__file__).resolve().parent.parent / "resources" / "sample.ozx"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "viewer", *args], capture_output=True, text=True, timeout=120)


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"ozx-viewer {__version__}"


def test_info_json_on_the_sample() -> None:
    result = run("info", str(SAMPLE), "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["format"] == "ozx" and info["ome_version"] == "0.5"
    assert info["entry_count"] == 22 and info["json_first"] is True
    assert info["conformance"] == {"conforming": True, "errors": 0, "warnings": 0}
    assert info["findings"] == []
    [image] = info["images"]
    assert image["name"] == "immunohistochemistry" and image["path"] == ""
    assert image["axes"] == [{"name": "c", "type": "channel", "unit": None},
                             {"name": "y", "type": "space", "unit": "micrometer"},
                             {"name": "x", "type": "space", "unit": "micrometer"}]
    assert [lv["shape"] for lv in image["levels"]] == [[3, 512, 512], [3, 256, 256], [3, 128, 128]]
    assert image["levels"][0] | {"translation": None} == {
        "path": "0", "shape": [3, 512, 512], "dtype": "uint8", "chunks": [1, 128, 128], "shards": [1, 256, 256],
        "scale": [1.0, 0.5, 0.5], "translation": None}
    assert [(c["label"], c["color"], c["window"]) for c in image["channels"]] == [
        ("Red", "FF0000", [0.0, 255.0]), ("Green", "00FF00", [0.0, 255.0]), ("Blue", "0000FF", [0.0, 255.0])]
    assert image["labels"] == []


def test_info_text_lists_levels_channels_and_labels(tmp_path: Path) -> None:
    root = tmp_path / "img.zarr"
    write_image(root, "", pyramid(np.zeros((2, 64, 64), np.uint16), 2), "cyx", chunks=(1, 32, 32),
                omero=omero_channels(["FF00FF", "00FF00"], [(5, 500), (0, 100)], ["DAPI", "GFP"]))
    result = run("info", str(pack(root, tmp_path / "img.ozx")))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "ozx, OME-Zarr 0.5" in out and "jsonFirst: yes" in out
    assert "0: 2 × 64 × 64  uint16  chunks 1 × 32 × 32" in out
    assert "DAPI  #FF00FF  window 5–500" in out and "GFP  #00FF00" in out


def test_info_on_a_directory(tmp_path: Path) -> None:
    root = tmp_path / "dir.ome.zarr"
    write_image(root, "", [np.ones((10, 10), np.uint8)], "yx")
    info = json.loads(run("info", str(root), "--json").stdout)
    assert info["format"] == "directory" and info["entry_count"] is None and info["conformance"] is None


@pytest.mark.parametrize("content", [b"", b"not a zip at all" * 100, os.urandom(5000)])
def test_bad_input_is_one_line_on_stderr_exit_2(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.ozx"
    bad.write_bytes(content)
    for command in ("info", "validate"):
        result = run(command, str(bad))
        assert result.returncode == 2
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ozx-viewer: bad.ozx:") and "ZIP" in lines[0]
        assert "Traceback" not in result.stderr


def test_missing_file(tmp_path: Path) -> None:
    result = run("info", str(tmp_path / "nope.ozx"))
    assert result.returncode == 2 and "there is no file" in result.stderr


def test_validate_exit_codes(tmp_path: Path) -> None:
    root = tmp_path / "img.zarr"
    write_image(root, "", [np.ones((16, 16), np.uint8)], "yx")
    good = tmp_path / "good.ozx"
    pack_directory(root, good)
    assert run("validate", str(good)).returncode == 0
    assert run("validate", "--strict", str(good)).returncode == 0

    warned = tmp_path / "warned.zip"  # S5: name does not end in .ozx (a warning only)
    warned.write_bytes(good.read_bytes())
    result = run("validate", str(warned), "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["errors"] == 0 and [f["rule"] for f in report["findings"]] == ["S5"]
    assert run("validate", "--strict", str(warned)).returncode == 1

    entries = [ZipEntry(p.relative_to(root).as_posix(), p.read_bytes(), method=8) for p in sorted(root.rglob("*")) if p.is_file()]
    deflated = tmp_path / "deflated.ozx"
    write_zip(deflated, sorted(entries, key=lambda e: not e.name.endswith("zarr.json")), comment=rfc9_comment())
    result = run("validate", str(deflated))
    assert result.returncode == 2
    assert "error M6:" in result.stdout and "NOT a conforming" in result.stdout
    # the viewer still opens it leniently
    assert run("info", str(deflated)).returncode == 0


def test_validate_refuses_folders(tmp_path: Path) -> None:
    root = tmp_path / "img.zarr"
    write_image(root, "", [np.ones((4, 4), np.uint8)], "yx")
    result = run("validate", str(root))
    assert result.returncode == 2 and "is a folder" in result.stderr


def test_validate_reports_non_ome_root(tmp_path: Path) -> None:
    out = tmp_path / "plain.ozx"
    write_zip(out, [ZipEntry("zarr.json", json.dumps({"zarr_format": 3, "node_type": "group"}).encode())], comment=rfc9_comment())
    result = run("validate", str(out), "--json")
    assert result.returncode == 2
    assert "M1" in [f["rule"] for f in json.loads(result.stdout)["findings"]]


def test_opening_never_writes(tmp_path: Path) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    target = folder / "image (2).OZX"
    target.write_bytes(SAMPLE.read_bytes())
    before = (target.stat().st_mtime_ns, target.read_bytes())
    assert run("info", str(target)).returncode == 0
    assert run("validate", str(target)).returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == ["image (2).OZX"]
    assert (target.stat().st_mtime_ns, target.read_bytes()) == before

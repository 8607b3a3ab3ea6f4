"""Desktop metadata shipped in packaging/: the desktop entry and the MIME type for .ozx."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

LINUX = Path(__file__).resolve().parent.parent / "packaging" / "linux"
APP_ID = "io.github.ozxviewer.OzxViewer"
MIME_TYPES = ["application/x-ome-zarr+zip", "application/vnd.ome.zarr+zip"]


def test_desktop_entry_opens_ozx_files() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(LINUX / f"{APP_ID}.desktop")
    section = entry["Desktop Entry"]
    assert section["Exec"] == "ozx-viewer %F" and section["Icon"] == APP_ID
    assert [m for m in section["MimeType"].split(";") if m] == MIME_TYPES


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_entry_validates() -> None:
    result = subprocess.run(["desktop-file-validate", str(LINUX / f"{APP_ID}.desktop")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mime_type_globs_ozx_and_sniffs_zarr_json_first() -> None:
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ElementTree.parse(LINUX / f"{APP_ID}.xml").getroot()
    mime = root.find("m:mime-type", ns)
    assert mime is not None and mime.get("type") == MIME_TYPES[0]
    assert mime.find("m:glob", ns).get("pattern") == "*.ozx"
    outer = mime.find("m:magic/m:match", ns)
    assert outer.get("offset") == "0" and outer.find("m:match", ns).get("value") == "zarr.json"

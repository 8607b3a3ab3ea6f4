"""The operating-system metadata (desktop entry, MIME XML, thumbnailer, AppStream, Info.plist,
NSIS defines) is generated from `viewer.identity` and is valid for the tools that read it."""

from __future__ import annotations

import configparser
import plistlib
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from viewer import __version__, identity as ID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))
import desktop_files  # noqa: E402

NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("desktop-files")
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "desktop_files.py"), str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return out


def _ini(path: Path, section: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser[section]


def test_identity_is_the_package_version_and_names() -> None:
    assert ID.VERSION == __version__
    assert ID.APP_ID == "io.github.ozxviewer.OzxViewer"
    assert ID.MIME_TYPES == ("application/x-ome-zarr+zip", "application/vnd.ome.zarr+zip")
    assert ID.DOCUMENT_ICON_NAME == "application-x-ome-zarr+zip"


def test_desktop_entry_opens_ozx_files(generated: Path) -> None:
    entry = _ini(generated / desktop_files.DESKTOP_PATH, "Desktop Entry")
    assert entry["Exec"] == "ozx-viewer %F" and entry["TryExec"] == "ozx-viewer"
    assert entry["Icon"] == ID.APP_ID and entry["Name"] == ID.APP_NAME
    assert [m for m in entry["MimeType"].split(";") if m] == list(ID.MIME_TYPES)


def test_desktop_entry_quotes_a_per_user_command_with_spaces(tmp_path: Path) -> None:
    desktop_files.write_all(tmp_path, command='/home/a b/.local/bin/ozx-viewer')
    entry = _ini(tmp_path / desktop_files.DESKTOP_PATH, "Desktop Entry")
    assert entry["Exec"] == '"/home/a b/.local/bin/ozx-viewer" %F'


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_entry_validates(generated: Path) -> None:
    result = subprocess.run(["desktop-file-validate", str(generated / desktop_files.DESKTOP_PATH)],
                            capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_mime_type_globs_ozx_and_sniffs_zarr_json_first(generated: Path) -> None:
    mime = ElementTree.parse(generated / desktop_files.MIME_PATH).getroot().find("m:mime-type", NS)
    assert mime.get("type") == ID.MIME_TYPE
    assert mime.find("m:glob", NS).get("pattern") == "*.ozx"
    assert mime.find("m:icon", NS).get("name") == ID.DOCUMENT_ICON_NAME
    outer = mime.find("m:magic/m:match", NS)
    assert outer.get("offset") == "0" and outer.find("m:match", NS).get("value") == "zarr.json"


def test_thumbnailer_calls_the_thumbnail_command_of_the_bundle(generated: Path) -> None:
    entry = _ini(generated / desktop_files.THUMBNAILER_PATH, "Thumbnailer Entry")
    exe = f"{ID.LINUX_INSTALL_DIR}/{ID.CLI_EXECUTABLE}"
    assert entry["TryExec"] == exe
    assert entry["Exec"] == f"{exe} thumbnail %i %o --size %s"
    assert [m for m in entry["MimeType"].split(";") if m] == list(ID.MIME_TYPES)


def test_metainfo_names_the_app_and_its_types(generated: Path) -> None:
    root = ElementTree.parse(generated / desktop_files.METAINFO_PATH).getroot()
    assert root.findtext("id") == ID.APP_ID
    assert root.find("launchable").text == f"{ID.APP_ID}.desktop"
    assert [m.text for m in root.iter("mediatype")] == list(ID.MIME_TYPES)


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_metainfo_validates(generated: Path) -> None:
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(generated / desktop_files.METAINFO_PATH)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_nsis_defines_match_identity(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "desktop_files.py"), "--nsis-defines",
                             str(tmp_path / "identity.nsh")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    defines = dict(re.findall(r'^!define (\w+) "([^"]*)"$', (tmp_path / "identity.nsh").read_text(), re.M))
    assert defines["PROGID"] == ID.WINDOWS_PROGID == "OzxViewer.OmeZarrZip.1"
    assert defines["EXTENSION"] == ".ozx" and defines["VERSION"] == __version__
    assert defines["GUI_EXE"] == "ozx-viewer-gui.exe" and defines["MIME_TYPE"] == ID.MIME_TYPE


def test_info_plist_round_trips_with_the_document_type_and_uti() -> None:
    plist = plistlib.loads(plistlib.dumps(desktop_files.info_plist()))
    assert plist["CFBundleIdentifier"] == ID.APP_ID and plist["CFBundleShortVersionString"] == __version__
    assert plist["NSHighResolutionCapable"] is True
    (document,) = plist["CFBundleDocumentTypes"]
    assert document["LSItemContentTypes"] == [ID.UTI] and document["CFBundleTypeRole"] == "Viewer"
    (uti,) = plist["UTImportedTypeDeclarations"]
    assert uti["UTTypeIdentifier"] == "org.openmicroscopy.ome-zarr-zip"
    assert uti["UTTypeConformsTo"] == ["public.data", "public.content"]
    assert uti["UTTypeTagSpecification"] == {"public.filename-extension": ["ozx"], "public.mime-type": [ID.MIME_TYPE]}


def test_window_title_uses_the_app_name() -> None:
    from viewer.app import window

    assert window.APP_NAME == ID.APP_NAME

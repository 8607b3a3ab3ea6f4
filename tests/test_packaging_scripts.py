"""Static checks of what only other machines run: the shell scripts parse (`bash -n`), the
PyInstaller spec builds onedir with the macOS bundle from the identity, and the Info.plist it
gets survives a write as XML and as binary with every key macOS needs."""

from __future__ import annotations

import ast
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from viewer import identity as ID

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((ROOT / "installers").rglob("*.sh")) + [ROOT / "tests" / "run.sh"]
SPEC = ROOT / "packaging" / "pyinstaller" / "ozx-viewer.spec"
sys.path.insert(0, str(ROOT / "packaging"))
import desktop_files  # noqa: E402


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_script_parses(script: Path) -> None:
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_installer_scripts_are_executable() -> None:
    for script in SCRIPTS:
        if script.read_text().startswith("#!"):  # the others are sourced (common.sh)
            assert script.stat().st_mode & 0o111, f"{script} is not executable"


def _calls(name: str) -> list[ast.Call]:
    tree = ast.parse(SPEC.read_text())
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]


def test_spec_is_onedir_without_argv_emulation() -> None:
    (exe,) = _calls("EXE")
    keywords = {k.arg: k.value for k in exe.keywords}
    assert ast.literal_eval(keywords["exclude_binaries"]) is True  # onedir: binaries go to COLLECT
    assert ast.literal_eval(keywords["argv_emulation"]) is False and ast.literal_eval(keywords["upx"]) is False
    assert len(_calls("COLLECT")) == 1
    (bundle,) = _calls("BUNDLE")
    bundle_keywords = {k.arg: ast.unparse(k.value) for k in bundle.keywords}
    assert bundle_keywords["info_plist"] == "info_plist()" and bundle_keywords["bundle_identifier"] == "ID.APP_ID"


@pytest.mark.parametrize("fmt", [plistlib.FMT_XML, plistlib.FMT_BINARY])
def test_info_plist_has_what_launch_services_needs(fmt, tmp_path: Path) -> None:
    path = tmp_path / "Info.plist"
    path.write_bytes(plistlib.dumps(desktop_files.info_plist(), fmt=fmt))
    plist = plistlib.loads(path.read_bytes())
    for key in ("CFBundleIdentifier", "CFBundleName", "CFBundleDisplayName", "CFBundleShortVersionString",
                "CFBundleVersion", "CFBundleIconFile", "LSMinimumSystemVersion", "NSHighResolutionCapable",
                "CFBundleDocumentTypes", "UTImportedTypeDeclarations"):
        assert key in plist, key
    (document,) = plist["CFBundleDocumentTypes"]
    (uti,) = plist["UTImportedTypeDeclarations"]
    assert document["LSItemContentTypes"] == [uti["UTTypeIdentifier"]] == [ID.UTI]
    assert document["CFBundleTypeIconFile"] == f"{ID.DOCUMENT_ICON}.icns"
    assert "public.zip-archive" not in uti["UTTypeConformsTo"]  # Archive Utility must not claim .ozx

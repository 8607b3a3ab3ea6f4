"""The Windows installer script (installers/windows/ozx-viewer.nsi): compiled with warnings as
errors against a stub bundle, and its registry work checked: per-user, polite about `.ozx`,
and an uninstaller that takes back every key it wrote."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from viewer import identity as ID

ROOT = Path(__file__).resolve().parent.parent
NSI = ROOT / "installers" / "windows" / "ozx-viewer.nsi"


@pytest.fixture(scope="module")
def defines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path = tmp_path_factory.mktemp("nsis") / "identity.nsh"
    subprocess.run([sys.executable, str(ROOT / "packaging" / "desktop_files.py"), "--nsis-defines", str(path)], check=True)
    values = dict(re.findall(r'^!define (\w+) "([^"]*)"$', path.read_text(), re.M))
    values["_path"] = str(path)
    return values


def _expand(text: str, defines: dict[str, str]) -> str:
    defines = {**defines, "CLASSES": r"Software\Classes", "APP_KEY": rf"Software\{ID.WINDOWS_REGISTRY_KEY}",
               "UNINSTALL_KEY": rf"Software\Microsoft\Windows\CurrentVersion\Uninstall\{ID.WINDOWS_REGISTRY_KEY}"}
    return re.sub(r"\$\{(\w+)\}", lambda m: defines.get(m.group(1), m.group(0)), text)


@pytest.mark.skipif(shutil.which("makensis") is None, reason="nsis is not installed (tests/run.sh installs it as root)")
def test_installer_compiles_without_warnings(defines: dict[str, str], tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "_internal").mkdir(parents=True)
    for name in (defines["GUI_EXE"], defines["CLI_EXE"], "_internal/python311.dll"):
        (dist / name).write_bytes(b"stub")
    icons = tmp_path / "icons"
    subprocess.run([sys.executable, str(ROOT / "resources" / "icons" / "make_icons.py"), str(icons)], check=True,
                   capture_output=True)
    out = tmp_path / f"OZX-Viewer-{ID.VERSION}-windows-x64.exe"
    result = subprocess.run(["makensis", "-WX", "-V2", f"-DDEFINES={defines['_path']}", f"-DDIST={dist}",
                             f"-DICONS={icons}", f"-DOUTFILE={out}", str(NSI)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    data = out.read_bytes()
    pe = int.from_bytes(data[0x3C:0x40], "little")
    assert data[:2] == b"MZ" and data[pe:pe + 4] == b"PE\0\0"
    assert int.from_bytes(data[pe + 4:pe + 6], "little") == 0x8664  # amd64


def test_installer_is_per_user_and_registers_the_progid(defines: dict[str, str]) -> None:
    text = _expand(NSI.read_text(), defines)
    assert "RequestExecutionLevel user" in text and r'InstallDir "$LOCALAPPDATA\Programs\OZX Viewer"' in text
    assert not re.search(r"\b(HKLM|HKCR)\b.*Write|Write\w+ (HKLM|HKCR)", text)
    progid = ID.WINDOWS_PROGID
    assert rf'WriteRegStr HKCU "Software\Classes\{progid}\shell\open\command" "" ' \
           rf"""'"$INSTDIR\{ID.GUI_EXECUTABLE}.exe" "%1"'""" in text
    assert rf'WriteRegStr HKCU "Software\Classes\{progid}\DefaultIcon" "" ' \
           rf"""'"$INSTDIR\{ID.DOCUMENT_ICON}.ico",0'""" in text
    assert rf'WriteRegStr HKCU "Software\Classes\.ozx\OpenWithProgids" "{progid}" ""' in text
    # the default only when nobody owns .ozx
    polite = re.search(r'ReadRegStr \$0 HKCR "\.ozx" ""\s+\$\{If\} \$0 == ""\s+WriteRegStr HKCU "Software\\Classes\\\.ozx" "" "'
                       + re.escape(progid) + '"', text)
    assert polite, "the .ozx default must be written only when it is empty"
    assert text.count("shell32::SHChangeNotify(i 0x08000000") == 0 and text.count("SHChangeNotify(i ${SHCNE_ASSOCCHANGED}") == 2
    assert rf'CreateShortCut "$SMPROGRAMS\{ID.APP_NAME}.lnk" "$INSTDIR\{ID.GUI_EXECUTABLE}.exe"' in text


def test_uninstaller_takes_back_every_registry_entry(defines: dict[str, str]) -> None:
    text = _expand(NSI.read_text(), defines)
    install, uninstall = text.split('Section "Uninstall"')
    written = set(re.findall(r'WriteReg(?:Str|DWORD) HKCU "([^"]+)" "([^"]*)"', install))
    removed_keys = set(re.findall(r'DeleteRegKey (?:/ifempty )?HKCU "([^"]+)"', uninstall))
    removed_values = set(re.findall(r'DeleteRegValue HKCU "([^"]+)" "([^"]*)"', uninstall))
    for key, value in written:
        covered = (key, value) in removed_values or any(key == k or key.startswith(k + "\\") for k in removed_keys)
        assert covered, f"the uninstaller leaves {key} [{value}]"
    # the shared .ozx key itself only goes when empty; its default only when still ours
    assert r'DeleteRegKey /ifempty HKCU "Software\Classes\.ozx"' in uninstall
    assert r'DeleteRegKey HKCU "Software\Classes\.ozx"' not in uninstall
    assert 'RMDir /r "$INSTDIR"' not in uninstall and 'RMDir "$INSTDIR"' in uninstall

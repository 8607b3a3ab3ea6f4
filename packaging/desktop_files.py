"""Write the operating-system metadata of OZX Viewer from `viewer/identity.py`.

Usage: python packaging/desktop_files.py OUT_DIR [--bin COMMAND] [--lib DIR]
       python packaging/desktop_files.py --nsis-defines FILE

OUT_DIR (a prefix such as `/usr`) receives the freedesktop files with their install paths below
it (`share/applications/…desktop`, `share/mime/packages/…xml`, `share/thumbnailers/…thumbnailer`,
`share/metainfo/…metainfo.xml`); FILE receives NSIS `!define`s. `--bin` is the command the
desktop entry runs (default `ozx-viewer`, found on PATH), `--lib` the folder of the frozen bundle
the thumbnailer runs from (default /usr/lib/ozx-viewer). `info_plist()` is the macOS Info.plist
content, used by the PyInstaller spec.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from viewer import identity as ID  # noqa: E402

DESKTOP_PATH = f"share/applications/{ID.APP_ID}.desktop"
MIME_PATH = f"share/mime/packages/{ID.APP_ID}.xml"
THUMBNAILER_PATH = f"share/thumbnailers/{ID.APP_ID}.thumbnailer"
METAINFO_PATH = f"share/metainfo/{ID.APP_ID}.metainfo.xml"
MIME_LIST = "".join(f"{m};" for m in ID.MIME_TYPES)


def desktop_entry(command: str = ID.CLI_EXECUTABLE) -> str:
    """The desktop entry: opens any number of files (`%F`)."""
    return f"""[Desktop Entry]
Type=Application
Version=1.0
Name={ID.APP_NAME}
GenericName={ID.GENERIC_NAME}
Comment={ID.SUMMARY}
Exec={_quote_exec(command)} %F
TryExec={command}
Icon={ID.APP_ID}
Terminal=false
Categories=Science;Biology;ImageProcessing;DataVisualization;
MimeType={MIME_LIST}
Keywords=microscopy;OME-Zarr;zarr;ozx;
StartupNotify=true
StartupWMClass={ID.CLI_EXECUTABLE}
"""


def _quote_exec(path: str) -> str:
    """A desktop-entry Exec argument: quoted when it contains anything but plain characters."""
    if all(c.isalnum() or c in "/-_." for c in path):
        return path
    return '"' + "".join("\\\\" + c if c in '"`$\\' else c for c in path) + '"'


def mime_xml() -> str:
    """shared-mime-info type: the `*.ozx` glob (case-insensitive), and `zarr.json` as the first
    entry of a ZIP for files without the extension (RFC-9 writers put it first)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">
  <mime-type type="{ID.MIME_TYPE}">
    <comment>{escape(ID.DOCUMENT_NAME)}</comment>
    <sub-class-of type="application/zip"/>
    <icon name="{ID.DOCUMENT_ICON_NAME}"/>
    <generic-icon name="image-x-generic"/>
    <glob pattern="*{ID.EXTENSION}"/>
    <magic priority="70">
      <match type="string" value="PK\\003\\004" offset="0">
        <match type="string" value="zarr.json" offset="30"/>
      </match>
    </magic>
  </mime-type>
</mime-info>
"""


def thumbnailer(lib_dir: str = ID.LINUX_INSTALL_DIR) -> str:
    """freedesktop thumbnailer entry calling `ozx-viewer thumbnail INPUT OUTPUT --size N`."""
    exe = f"{lib_dir}/{ID.CLI_EXECUTABLE}"
    return f"""[Thumbnailer Entry]
TryExec={exe}
Exec={_quote_exec(exe)} thumbnail %i %o --size %s
MimeType={MIME_LIST}
"""


def metainfo() -> str:
    """AppStream metainfo (software centres list the app and the file types it opens)."""
    mediatypes = "".join(f"\n    <mediatype>{m}</mediatype>" for m in ID.MIME_TYPES)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<component type="desktop-application">
  <id>{ID.APP_ID}</id>
  <metadata_license>CC0-1.0</metadata_license>
  <project_license>{ID.LICENSE}</project_license>
  <name>{escape(ID.APP_NAME)}</name>
  <summary>{escape(ID.SUMMARY)}</summary>
  <developer id="{ID.APP_ID.rsplit('.', 1)[0]}">
    <name>{escape(ID.DEVELOPER)}</name>
  </developer>
  <description>
    <p>Opens single-file OME-Zarr images (.ozx, zipped OME-Zarr) with a double-click and shows
    them as one composite image, streaming the tiles of the pyramid that the screen needs.</p>
  </description>
  <launchable type="desktop-id">{ID.APP_ID}.desktop</launchable>
  <categories>
    <category>Science</category>
    <category>Biology</category>
  </categories>
  <provides>
    <binary>{ID.CLI_EXECUTABLE}</binary>{mediatypes}
  </provides>
  <content_rating type="oars-1.1"/>
</component>
"""


def nsis_defines() -> str:
    """`!define`s for installers/windows/ozx-viewer.nsi."""
    values = {
        "APP_NAME": ID.APP_NAME, "APP_ID": ID.APP_ID, "VERSION": ID.VERSION,
        "GUI_EXE": f"{ID.GUI_EXECUTABLE}.exe", "CLI_EXE": f"{ID.CLI_EXECUTABLE}.exe",
        "EXTENSION": ID.EXTENSION, "MIME_TYPE": ID.MIME_TYPE, "PROGID": ID.WINDOWS_PROGID,
        "DOCUMENT_NAME": ID.DOCUMENT_NAME, "REGISTRY_KEY": ID.WINDOWS_REGISTRY_KEY,
        "DOCUMENT_ICON": f"{ID.DOCUMENT_ICON}.ico", "APP_ICON": f"{ID.APP_ICON}.ico",
    }
    return "".join(f'!define {key} "{value}"\n' for key, value in values.items())


def info_plist() -> dict:
    """macOS Info.plist keys: the document type, the imported UTI, ids, version, Retina."""
    return {
        "CFBundleName": ID.APP_NAME,
        "CFBundleDisplayName": ID.APP_NAME,
        "CFBundleIdentifier": ID.APP_ID,
        "CFBundleShortVersionString": ID.VERSION,
        "CFBundleVersion": ID.VERSION,
        "CFBundleIconFile": f"{ID.APP_ICON}.icns",
        "NSHighResolutionCapable": True,
        "LSMinimumSystemVersion": "11.0",
        "CFBundleDocumentTypes": [{
            "CFBundleTypeName": ID.DOCUMENT_NAME,
            "CFBundleTypeRole": "Viewer",
            "LSHandlerRank": "Default",
            "LSItemContentTypes": [ID.UTI],
            "CFBundleTypeIconFile": f"{ID.DOCUMENT_ICON}.icns",
        }],
        "UTImportedTypeDeclarations": [{
            "UTTypeIdentifier": ID.UTI,
            "UTTypeDescription": ID.DOCUMENT_NAME,
            "UTTypeConformsTo": ["public.data", "public.content"],
            "UTTypeReferenceURL": ID.UTI_REFERENCE_URL,
            "UTTypeIconFile": f"{ID.DOCUMENT_ICON}.icns",
            "UTTypeTagSpecification": {
                "public.filename-extension": [ID.EXTENSION.lstrip(".")],
                "public.mime-type": [ID.MIME_TYPE],
            },
        }],
    }


def write_all(out: Path, command: str = ID.CLI_EXECUTABLE, lib_dir: str = ID.LINUX_INSTALL_DIR) -> list[Path]:
    """Write every file below `out`; returns their paths."""
    files = {
        DESKTOP_PATH: desktop_entry(command), MIME_PATH: mime_xml(),
        THUMBNAILER_PATH: thumbnailer(lib_dir), METAINFO_PATH: metainfo(),
    }
    written = []
    for relative, text in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--bin", default=ID.CLI_EXECUTABLE, help="command the desktop entry runs")
    parser.add_argument("--lib", default=ID.LINUX_INSTALL_DIR, help="folder of the frozen bundle")
    parser.add_argument("--nsis-defines", type=Path, metavar="FILE", help="write the NSIS defines instead")
    args = parser.parse_args()
    if args.nsis_defines:
        args.nsis_defines.write_text(nsis_defines(), encoding="utf-8")
        return 0
    if args.out is None:
        parser.error("OUT_DIR or --nsis-defines is needed")
    for path in write_all(args.out, args.bin, args.lib):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

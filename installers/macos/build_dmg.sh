#!/usr/bin/env bash
# Build the macOS disk image of OZX Viewer (run on a Mac: hdiutil). The .app comes from
# PyInstaller (`pyinstaller --noconfirm packaging/pyinstaller/ozx-viewer.spec` → dist/OZX Viewer.app,
# its Info.plist made from viewer/identity.py: .ozx document type, imported UTI, bundle id).
#
# Usage: installers/macos/build_dmg.sh [APP] [OUT_DIR]
#   APP default "dist/OZX Viewer.app"; OUT_DIR default dist/
# Writes OUT_DIR/OZX-Viewer-VERSION-macos-ARCH.dmg (the .app beside an /Applications link) and
# prints its path. With CODESIGN_IDENTITY set, the app is signed first (hardened runtime);
# notarizing needs Apple credentials and is left to the release workflow.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
APP="${1:-$REPO/dist/OZX Viewer.app}"
OUT="$(mkdir -p "${2:-$REPO/dist}" && cd "${2:-$REPO/dist}" && pwd)"
command -v hdiutil >/dev/null || { echo "build_dmg.sh: hdiutil is missing (this runs on macOS)" >&2; exit 2; }
[ -d "$APP/Contents/MacOS" ] || { echo "build_dmg.sh: no app bundle at $APP" >&2; exit 2; }
PLIST="$APP/Contents/Info.plist"
VERSION=$(/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$PLIST")
NAME=$(/usr/libexec/PlistBuddy -c "Print :CFBundleName" "$PLIST")
/usr/libexec/PlistBuddy -c "Print :UTImportedTypeDeclarations:0:UTTypeIdentifier" "$PLIST" >/dev/null

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$APP"
fi
STAGE="$(mktemp -d)"; trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
DMG="$OUT/OZX-Viewer-${VERSION}-macos-$(uname -m).dmg"
rm -f "$DMG"
hdiutil create -volname "$NAME" -srcfolder "$STAGE" -fs HFS+ -format UDZO -quiet "$DMG"
echo "$DMG"

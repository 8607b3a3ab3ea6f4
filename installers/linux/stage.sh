#!/usr/bin/env bash
# Lay out OZX Viewer for Linux as it installs under /usr: the frozen bundle (PyInstaller onedir)
# in usr/lib/ozx-viewer, the launcher usr/bin/ozx-viewer, the desktop entry, the shared-mime-info
# type, the thumbnailer, AppStream metainfo and the hicolor icons; install-user.sh beside usr/.
# Both the .deb (build_deb.sh) and the per-user download are made from this tree.
#
# Usage: installers/linux/stage.sh [DIST_DIR] OUT_DIR
#   DIST_DIR  the PyInstaller bundle (default dist/ozx-viewer)
# PYTHON (default .venv/bin/python, else python3) runs the generators; the icons need PySide6.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
if [ $# -eq 1 ]; then DIST="$REPO/dist/ozx-viewer"; OUT="$1"; elif [ $# -eq 2 ]; then DIST="$1"; OUT="$2"; else
  echo "usage: $0 [DIST_DIR] OUT_DIR" >&2; exit 2; fi
DEFAULT_PYTHON="$REPO/.venv/bin/python"; [ -x "$DEFAULT_PYTHON" ] || DEFAULT_PYTHON=python3
PYTHON="${PYTHON:-$DEFAULT_PYTHON}"
if [ ! -x "$DIST/ozx-viewer" ]; then
  echo "stage.sh: no frozen bundle at $DIST (build it: pyinstaller --noconfirm packaging/pyinstaller/ozx-viewer.spec)" >&2
  exit 2
fi

LIB_DIR=$("$PYTHON" -c "import sys; sys.path.insert(0, '$REPO'); from viewer.identity import LINUX_INSTALL_DIR; print(LINUX_INSTALL_DIR)")
mkdir -p "$OUT/usr/bin" "$OUT$LIB_DIR" "$OUT/usr/share/icons" "$OUT/usr/share/doc/ozx-viewer"
cp -a "$DIST/." "$OUT$LIB_DIR/"
ln -sfn "../lib/$(basename "$LIB_DIR")/ozx-viewer" "$OUT/usr/bin/ozx-viewer"
"$PYTHON" "$REPO/packaging/desktop_files.py" "$OUT/usr" >/dev/null
ICONS="$(mktemp -d)"; trap 'rm -rf "$ICONS"' EXIT
"$PYTHON" "$REPO/resources/icons/make_icons.py" "$ICONS" >/dev/null
cp -a "$ICONS/hicolor" "$OUT/usr/share/icons/"
cat > "$OUT/usr/share/doc/ozx-viewer/copyright" <<'TEXT'
OZX Viewer: BSD-3-Clause. The bundled Qt (LGPL-3.0), Python (PSF-2.0), NumPy, vispy, numcodecs and
their libraries keep their own licenses; see the license files inside /usr/lib/ozx-viewer/_internal.
TEXT
cp "$REPO/installers/linux/install-user.sh" "$OUT/install-user.sh"
chmod -R u+w,go-w,a+rX "$OUT"

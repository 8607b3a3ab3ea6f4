#!/usr/bin/env bash
# Build the per-user download of OZX Viewer (no root needed to install it): the staged /usr tree
# and install-user.sh in one .tar.gz.
#
# Usage: installers/linux/build_tarball.sh [DIST_DIR] [OUT_DIR]
#   DIST_DIR  the PyInstaller bundle (default dist/ozx-viewer); OUT_DIR default dist/
# Writes OUT_DIR/ozx-viewer-VERSION-linux-ARCH.tar.gz and prints its path. Users unpack it and
# run ./install-user.sh (./install-user.sh --uninstall removes it again).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
DIST="${1:-$REPO/dist/ozx-viewer}"
OUT="$(mkdir -p "${2:-$REPO/dist}" && cd "${2:-$REPO/dist}" && pwd)"
DEFAULT_PYTHON="$REPO/.venv/bin/python"; [ -x "$DEFAULT_PYTHON" ] || DEFAULT_PYTHON=python3
export PYTHON="${PYTHON:-$DEFAULT_PYTHON}"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
bash "$REPO/installers/linux/stage.sh" "$DIST" "$WORK/ozx-viewer"
VERSION=$("$PYTHON" -c "import sys; sys.path.insert(0, '$REPO'); from viewer import __version__; print(__version__)")
TARBALL="$OUT/ozx-viewer-${VERSION}-linux-$(uname -m).tar.gz"
tar -C "$WORK" --owner=0 --group=0 -czf "$TARBALL" ozx-viewer
echo "$TARBALL"

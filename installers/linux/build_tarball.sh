#!/usr/bin/env bash
# Build the per-user download of OZX Viewer (no root needed to install it): the staged /usr tree
# and install-user.sh in one .tar.gz.
#
# Usage: installers/linux/build_tarball.sh [DIST_DIR] [OUT_DIR]
#   DIST_DIR  the PyInstaller bundle (default dist/ozx-viewer); OUT_DIR default dist/
# Writes OUT_DIR/ozx-viewer-VERSION-linux-ARCH.tar.gz and prints its path. Users unpack it and
# run ./install-user.sh (./install-user.sh --uninstall removes it again).
set -euo pipefail
source "$(dirname "$0")/common.sh"
TARBALL="$OUT/ozx-viewer-${VERSION}-linux-$(uname -m).tar.gz"
tar -C "$WORK" --owner=0 --group=0 -czf "$TARBALL" ozx-viewer
echo "$TARBALL"

#!/usr/bin/env bash
# Build the Debian package of OZX Viewer from the frozen bundle.
#
# Usage: installers/linux/build_deb.sh [DIST_DIR] [OUT_DIR]
#   DIST_DIR  the PyInstaller bundle (default dist/ozx-viewer); OUT_DIR default dist/
# Writes OUT_DIR/ozx-viewer_VERSION_ARCH.deb and prints its path. DEB_COMPRESSION (default xz)
# is dpkg-deb's -Z: the tests use gzip, ~5x faster to build.
# No maintainer scripts: shared-mime-info, desktop-file-utils and hicolor-icon-theme update
# their caches through dpkg triggers. Depends comes from dpkg-shlibdeps on every ELF file.
set -euo pipefail
for tool in dpkg-deb dpkg-shlibdeps; do
  command -v $tool >/dev/null || { echo "build_deb.sh: $tool is missing (apt-get install dpkg-dev)" >&2; exit 2; }
done
source "$(dirname "$0")/common.sh"
SUMMARY=$("$PYTHON" -c "import sys; sys.path.insert(0, '$REPO'); from viewer.identity import SUMMARY; print(SUMMARY)")
ARCH=$(dpkg --print-architecture)

# Depends: the system libraries that the bundle's ELF files need and do not carry themselves.
mkdir -p "$WORK/shlibs/debian"
printf 'Source: ozx-viewer\n\nPackage: ozx-viewer\nArchitecture: any\n' > "$WORK/shlibs/debian/control"
mapfile -t elves < <(find "$STAGE/usr/lib" -type f \( -name '*.so*' -o -perm -u+x \) -exec sh -c \
  'head -c4 "$1" | grep -q "ELF" && echo "$1"' _ {} \;)
mapfile -t private < <(find "$STAGE/usr/lib" -type f -name '*.so*' -printf '%h\n' | sort -u)
if ! shlibs=$(cd "$WORK/shlibs" && dpkg-shlibdeps -O --ignore-missing-info \
    $(printf -- "-l%s " "${private[@]}") "${elves[@]}" 2>"$WORK/shlibdeps.log"); then
  echo "build_deb.sh: dpkg-shlibdeps failed:" >&2; grep -v warning "$WORK/shlibdeps.log" >&2; exit 1
fi
depends=$(printf '%s\n' "$shlibs" | sed -n 's/^shlibs:Depends=//p')

ROOT="$WORK/root"
mkdir -p "$ROOT/DEBIAN"
cp -a "$STAGE/usr" "$ROOT/usr"
cat > "$ROOT/DEBIAN/control" <<CONTROL
Package: ozx-viewer
Version: $VERSION
Architecture: $ARCH
Maintainer: OZX Viewer developers <ozx-viewer@users.noreply.github.com>
Installed-Size: $(du -sk "$ROOT/usr" | cut -f1)
Section: science
Priority: optional
Depends: $depends
Recommends: shared-mime-info, desktop-file-utils, hicolor-icon-theme
Description: $SUMMARY
 OZX Viewer opens single-file OME-Zarr images (.ozx, zipped OME-Zarr) with a
 double-click and shows them as one composite image, streaming the pyramid
 tiles the screen needs. Includes a file-manager thumbnailer for .ozx files.
CONTROL
(cd "$ROOT" && find usr -type f -exec md5sum {} + > DEBIAN/md5sums)
DEB="$OUT/ozx-viewer_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group "-Z${DEB_COMPRESSION:-xz}" --build "$ROOT" "$DEB" >/dev/null
echo "$DEB"

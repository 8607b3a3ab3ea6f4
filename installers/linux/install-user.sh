#!/usr/bin/env bash
# Install OZX Viewer for the current user only (no root): the app into ~/.local/lib/ozx-viewer,
# the command ~/.local/bin/ozx-viewer, the desktop entry, the .ozx file type, icons and the
# thumbnailer into ~/.local/share; then the MIME and desktop databases are updated, so .ozx
# files open with OZX Viewer on a double-click.
#
# Usage (from the unpacked ozx-viewer-VERSION-linux-ARCH.tar.gz, beside its usr/ folder):
#   ./install-user.sh              install (again: replaces the previous per-user install)
#   ./install-user.sh --uninstall  remove exactly the files the install wrote
# Honours XDG_DATA_HOME (default ~/.local/share). GNOME runs thumbnailers in a sandbox that sees
# only /usr: with a per-user install, Nautilus shows no previews (the .deb has them).
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)/usr"
PREFIX="$HOME/.local"
DATA="${XDG_DATA_HOME:-$PREFIX/share}"
LIB="$PREFIX/lib/ozx-viewer"
MANIFEST="$LIB/installed-files.txt"
APP_ID="io.github.ozxviewer.OzxViewer"

refresh() {
  command -v update-mime-database >/dev/null && update-mime-database "$DATA/mime" || true
  command -v update-desktop-database >/dev/null && update-desktop-database "$DATA/applications" || true
  command -v gtk-update-icon-cache >/dev/null && [ -f "$DATA/icons/hicolor/index.theme" ] \
    && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
}

uninstall() {
  [ -f "$MANIFEST" ] || { echo "install-user.sh: OZX Viewer is not installed for this user ($MANIFEST missing)"; return 0; }
  while IFS= read -r path; do
    rm -f -- "$path"
  done < "$MANIFEST"
  rm -rf -- "$LIB"
  # folders the install created and that are empty now
  for dir in "$DATA/thumbnailers" "$DATA/metainfo"; do rmdir -- "$dir" 2>/dev/null || true; done
  find "$DATA/icons/hicolor" -depth -type d -empty -delete 2>/dev/null || true
  refresh
  # caches that only described our files (no other type or entry left): not the user's any more
  [ -n "$(ls -A "$DATA/mime/packages" 2>/dev/null)" ] || rm -rf -- "$DATA/mime"
  [ "$(ls -A "$DATA/applications" 2>/dev/null)" != "mimeinfo.cache" ] || rm -rf -- "$DATA/applications"
  echo "OZX Viewer removed for ${USER:-$(id -un)}."
}

# A desktop-entry Exec argument: quoted (with \\ escapes) unless it is plain.
exec_arg() {
  if [[ "$1" =~ ^[A-Za-z0-9/._-]+$ ]]; then printf '%s' "$1"; else
    printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"`$]/\\\\&/g')"; fi
}

if [ "${1:-}" = "--uninstall" ]; then uninstall; exit 0; fi
[ $# -eq 0 ] || { echo "usage: $0 [--uninstall]" >&2; exit 2; }
[ -x "$SOURCE/lib/ozx-viewer/ozx-viewer" ] || { echo "install-user.sh: no usr/lib/ozx-viewer beside this script" >&2; exit 2; }
[ ! -f "$MANIFEST" ] || uninstall >/dev/null

mkdir -p "$PREFIX/bin" "$(dirname "$LIB")"
cp -a "$SOURCE/lib/ozx-viewer" "$LIB"
files=("$PREFIX/bin/ozx-viewer")
ln -sfn "$LIB/ozx-viewer" "$PREFIX/bin/ozx-viewer"
while IFS= read -r -d '' file; do
  relative="${file#"$SOURCE/share/"}"
  target="$DATA/$relative"
  [[ "$relative" != doc/* ]] || continue
  mkdir -p "$(dirname "$target")"
  case "$relative" in
    applications/*.desktop)
      sed -e "s|^Exec=ozx-viewer |Exec=$(exec_arg "$LIB/ozx-viewer" | sed 's/[&|\\]/\\&/g') |" \
          -e "s|^TryExec=ozx-viewer$|TryExec=$(printf '%s' "$LIB/ozx-viewer" | sed 's/[&|\\]/\\&/g')|" "$file" > "$target" ;;
    thumbnailers/*)
      sed "s|/usr/lib/ozx-viewer/ozx-viewer|$(printf '%s' "$LIB/ozx-viewer" | sed 's/[&|\\]/\\&/g')|g" "$file" > "$target" ;;
    *) cp "$file" "$target" ;;
  esac
  files+=("$target")
done < <(find "$SOURCE/share" -type f -print0)
printf '%s\n' "${files[@]}" > "$MANIFEST"
refresh
echo "OZX Viewer installed for ${USER:-$(id -un)}: $PREFIX/bin/ozx-viewer (.ozx files open with it)."

# Sourced by build_deb.sh and build_tarball.sh ([DIST_DIR] [OUT_DIR] as their arguments): sets
# REPO, DIST (default dist/ozx-viewer), OUT (default dist/, created), PYTHON, VERSION and WORK (a
# folder removed at exit), and lays out the installed tree in STAGE=$WORK/ozx-viewer (stage.sh).
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="${1:-$REPO/dist/ozx-viewer}"
OUT="$(mkdir -p "${2:-$REPO/dist}" && cd "${2:-$REPO/dist}" && pwd)"
DEFAULT_PYTHON="$REPO/.venv/bin/python"; [ -x "$DEFAULT_PYTHON" ] || DEFAULT_PYTHON=python3
export PYTHON="${PYTHON:-$DEFAULT_PYTHON}"
VERSION=$("$PYTHON" -c "import sys; sys.path.insert(0, '$REPO'); from viewer import __version__; print(__version__)")
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/ozx-viewer"
bash "$REPO/installers/linux/stage.sh" "$DIST" "$STAGE"

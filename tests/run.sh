#!/usr/bin/env bash
# Install everything the test suite needs and run it (the README's test command; CI runs it too).
# System packages (Xvfb, Mesa software OpenGL, Qt's xcb libraries, xdotool for real X input, xprop
# for window properties; for the packaging tests dpkg-dev, shared-mime-info, xdg-utils, GLib's gio,
# bubblewrap, appstream, nsis)
# are installed with apt-get when they are missing and we are root; the Python packages (with
# PyInstaller for the frozen-build tests) go into .venv next to this repository.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES="xvfb xauth libgl1-mesa-dri libglx-mesa0 libgl1 libegl1 libegl-mesa0 libxkbcommon-x11-0
libxkbcommon0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
libxcb-render0 libxcb-shape0 libxcb-xinerama0 libxcb-xfixes0 libxcb-xkb1 libxcb-shm0 libxcb-sync1 libxcb-glx0
libx11-xcb1 libdbus-1-3 libfontconfig1 libfreetype6 desktop-file-utils xdotool x11-utils
dpkg-dev shared-mime-info xdg-utils libglib2.0-bin bubblewrap appstream nsis binutils"
missing=$(dpkg-query -W -f='${Status} ${Package}\n' $SYSTEM_PACKAGES 2>&1 | grep -v "^install ok installed" || true)
if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages for the GUI tests (Xvfb, Mesa, xcb)..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $SYSTEM_PACKAGES >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,freeze]"

export LIBGL_ALWAYS_SOFTWARE=1
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
  exec xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/python -m pytest "$@"

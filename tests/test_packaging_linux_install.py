"""Installing OZX Viewer on Linux, end to end: the `.deb` (root: CI runs on a throwaway machine)
and the per-user install into ~/.local (no root). Each proves that `.ozx` files get our MIME type
by name (any case) and by content, that our desktop entry is their default handler, that
`gio open` starts the viewer with the file, and that removal takes away every installed file."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.packaging_build import ROOT, frozen_bundle, stop, wait_for_window, write_two_channel_ozx
from viewer import cli, identity as ID

pytestmark = [pytest.mark.frozen, pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("xdg-mime", "gio", "update-mime-database", "update-desktop-database",
                                                 "dpkg-deb", "dpkg-shlibdeps", "xdotool")),
    reason="needs xdg-utils, libglib2.0-bin, shared-mime-info, desktop-file-utils, dpkg-dev, xdotool (tests/run.sh installs them)",
)]
DESKTOP_ID = f"{ID.APP_ID}.desktop"
HAS_SINGLE_INSTANCE = importlib.util.find_spec("viewer.app.single_instance") is not None
HAS_THUMBNAIL = "thumbnail" in getattr(cli, "SUBCOMMANDS", ())
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """installers/linux/stage.sh output: usr/… as the .deb installs it, install-user.sh beside it."""
    out = tmp_path_factory.mktemp("stage")
    result = subprocess.run(["bash", str(ROOT / "installers" / "linux" / "stage.sh"), str(frozen_bundle()), str(out)],
                            capture_output=True, text=True, env={**os.environ, "PYTHON": _python()})
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deb")
    result = subprocess.run(["bash", str(ROOT / "installers" / "linux" / "build_deb.sh"), str(frozen_bundle()), str(out)],
                            capture_output=True, text=True, env={**os.environ, "PYTHON": _python(), "DEB_COMPRESSION": "gzip"})
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def _python() -> str:
    import sys

    return sys.executable


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A real .ozx under three names: plain, odd name with upper-case extension, no extension."""
    data = tmp_path / "data"
    data.mkdir()
    plain = write_two_channel_ozx(data / "a.ozx", "association")
    odd, bare = data / "Scan (2).OZX", data / "no-extension"
    shutil.copy(plain, odd)
    shutil.copy(plain, bare)
    return {"plain": plain, "odd": odd, "bare": bare}


def _session_env(tmp_path: Path, data_home: Path | None = None, data_dirs: str = "/usr/local/share:/usr/share") -> dict[str, str]:
    """A desktop user's environment: own HOME and XDG folders, GNOME (xdg-mime then asks GIO)."""
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(data_home or home / ".local" / "share"), "XDG_DATA_DIRS": data_dirs,
           "XDG_CURRENT_DESKTOP": "GNOME", "XDG_CACHE_HOME": str(home / ".cache")}
    env.pop("WAYLAND_DISPLAY", None)
    (home / ".config").mkdir(parents=True, exist_ok=True)
    return env


def _filetype(path: Path, env: dict) -> str:
    return subprocess.run(["xdg-mime", "query", "filetype", str(path)], capture_output=True, text=True, env=env).stdout.strip()


def _check_association(files: dict[str, Path], env: dict) -> None:
    for name, path in files.items():
        assert _filetype(path, env) == ID.MIME_TYPE, name
    default = subprocess.run(["xdg-mime", "query", "default", ID.MIME_TYPE], capture_output=True, text=True, env=env)
    assert default.stdout.strip() == DESKTOP_ID
    gio = subprocess.run(["gio", "mime", ID.MIME_TYPE], capture_output=True, text=True, env=env)
    assert f"Default application for “{ID.MIME_TYPE}”: {DESKTOP_ID}" in gio.stdout, gio.stdout


def _check_gio_open(files: dict[str, Path], env: dict) -> None:
    """`gio open` starts the installed viewer with the file: its window is titled with the image."""
    log = files["plain"].with_name("gio-open.log")
    with open(log, "w") as out:  # not a pipe: the viewer inherits it and outlives gio
        result = subprocess.run(["gio", "open", str(files["odd"])], stdout=out, stderr=out, env=env, timeout=60)
    assert result.returncode == 0, log.read_text()
    windows = wait_for_window(re.escape(files["odd"].name) + f" — {ID.APP_NAME}", timeout=60)
    try:
        assert windows, "gio open did not show the image in an OZX Viewer window"
        if HAS_SINGLE_INSTANCE:
            _check_second_open_hands_over(files, env, windows)
    finally:
        _stop_viewers(windows)


def _check_second_open_hands_over(files: dict[str, Path], env: dict, windows: list[str]) -> None:
    second = files["plain"].with_name("second.ozx")
    write_two_channel_ozx(second, "second")
    with open(second.with_suffix(".log"), "w") as out:
        subprocess.run(["gio", "open", str(second)], check=True, stdout=out, stderr=out, env=env, timeout=60)
    assert wait_for_window(f"second.ozx — {ID.APP_NAME}", timeout=60), "the second file was not shown"
    pids = {_window_pid(w) for w in wait_for_window(f".* — {ID.APP_NAME}", timeout=5)}
    assert len(pids) == 1, f"the second gio open started another viewer: {pids}"


def _window_pid(window: str) -> int:
    return int(subprocess.run(["xdotool", "getwindowpid", window], capture_output=True, text=True).stdout)


def _stop_viewers(windows: list[str]) -> None:
    """End the viewers this test started through gio (found by their windows' process ids)."""
    for pid in {_window_pid(w) for w in windows}:
        os.kill(pid, 15)


def _check_thumbnailer(thumbnailer: Path, sample: Path, tmp_path: Path) -> None:
    """Run the thumbnailer entry as GNOME does: bubblewrap, only /usr visible, files in /tmp."""
    exec_line = next(line.split("=", 1)[1] for line in thumbnailer.read_text().splitlines() if line.startswith("Exec="))
    command = [part.replace("%i", "/tmp/gnome-desktop-file-to-thumbnail.ozx")
               .replace("%o", "/tmp/gnome-desktop-thumbnailer.png").replace("%s", "128") for part in exec_line.split()]
    box = tmp_path / "sandbox-tmp"
    box.mkdir()
    result = subprocess.run(
        ["bwrap", "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache",
         "--proc", "/proc", "--dev", "/dev", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
         "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin", "--chdir", "/", "--setenv", "GIO_USE_VFS", "local",
         "--unshare-all", "--die-with-parent", "--bind", str(box), "/tmp",
         "--ro-bind", str(sample), "/tmp/gnome-desktop-file-to-thumbnail.ozx", *command],
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    png = (box / "gnome-desktop-thumbnailer.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert max(width, height) == 128, (width, height)
    assert zlib.crc32(png[12:29]) == struct.unpack(">I", png[29:33])[0]  # a well-formed IHDR


def test_deb_holds_the_desktop_integration_and_no_maintainer_scripts(deb: Path) -> None:
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    for path in ("./usr/lib/ozx-viewer/ozx-viewer", f"./usr/share/applications/{DESKTOP_ID}",
                 f"./usr/share/mime/packages/{ID.APP_ID}.xml", f"./usr/share/thumbnailers/{ID.APP_ID}.thumbnailer",
                 f"./usr/share/metainfo/{ID.APP_ID}.metainfo.xml",
                 f"./usr/share/icons/hicolor/256x256/apps/{ID.APP_ID}.png",
                 f"./usr/share/icons/hicolor/scalable/mimetypes/{ID.DOCUMENT_ICON_NAME}.svg",
                 "./usr/lib/ozx-viewer/_internal/viewer/resources/sample.ozx"):
        assert f" {path}" in listing, path
    assert "./usr/bin/ozx-viewer -> ../lib/ozx-viewer/ozx-viewer" in listing
    control = subprocess.run(["dpkg-deb", "-I", str(deb)], capture_output=True, text=True, check=True).stdout
    assert not any(script in control for script in ("postinst", "prerm", "postrm", "preinst"))
    depends = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True, check=True).stdout
    names = {item.split()[0] for item in depends.split(",")}
    assert {"libc6", "libgl1", "libegl1", "libfontconfig1", "libxkbcommon-x11-0", "libxcb-cursor0", "libdbus-1-3"} <= names


@pytest.mark.gui
@pytest.mark.skipif(not IS_ROOT, reason="installing a .deb needs root (CI runs as root on a throwaway machine)")
def test_deb_install_associates_opens_and_removes_every_file(deb: Path, files: dict[str, Path], tmp_path: Path, qapp) -> None:
    assert subprocess.run(["dpkg-query", "-W", "ozx-viewer"], capture_output=True).returncode != 0, \
        "ozx-viewer is installed already: this test would remove it"
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", str(deb)] if shutil.which("apt-get") \
        else ["dpkg", "-i", str(deb)]
    result = subprocess.run(install, capture_output=True, text=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    installed = subprocess.run(["dpkg-query", "-L", "ozx-viewer"], capture_output=True, text=True).stdout.split("\n")
    try:
        env = _session_env(tmp_path)
        _check_association(files, env)
        version = subprocess.run(["ozx-viewer", "--version"], capture_output=True, text=True, env=env)
        assert version.stdout.strip() == f"ozx-viewer {ID.VERSION}"
        _check_gio_open(files, env)
        if HAS_THUMBNAIL:
            _check_thumbnailer(Path(f"/usr/share/thumbnailers/{ID.APP_ID}.thumbnailer"), files["bare"], tmp_path)
    finally:
        removed = subprocess.run(["dpkg", "-r", "ozx-viewer"], capture_output=True, text=True)
    assert removed.returncode == 0, removed.stderr
    left = [p for p in installed if p and os.path.lexists(p) and not os.path.isdir(p)]
    assert not left, f"dpkg -r left files behind: {left[:10]}"
    assert not os.path.lexists("/usr/lib/ozx-viewer")
    assert _filetype(files["plain"], _session_env(tmp_path)) != ID.MIME_TYPE


@pytest.mark.gui
def test_per_user_install_associates_opens_and_uninstalls(stage: Path, files: dict[str, Path], tmp_path: Path, qapp) -> None:
    env = _session_env(tmp_path, data_dirs="/usr/share")
    home = Path(env["HOME"])
    if os.path.exists(f"/usr/share/applications/{DESKTOP_ID}"):
        pytest.skip("OZX Viewer is installed system-wide here; the per-user test needs a machine without it")
    result = subprocess.run(["bash", str(stage / "install-user.sh")], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    manifest = home / ".local" / "lib" / "ozx-viewer" / "installed-files.txt"
    written = manifest.read_text().split("\n")[:-1]
    assert str(home / ".local" / "bin" / "ozx-viewer") in written
    desktop = home / ".local" / "share" / "applications" / DESKTOP_ID
    assert f"Exec={home}/.local/lib/ozx-viewer/ozx-viewer %F" in desktop.read_text()
    assert subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True).returncode == 0
    _check_association(files, env)
    _check_gio_open(files, env)
    again = subprocess.run(["bash", str(stage / "install-user.sh")], capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr  # installing over an install replaces it
    removed = subprocess.run(["bash", str(stage / "install-user.sh"), "--uninstall"], capture_output=True, text=True, env=env)
    assert removed.returncode == 0, removed.stderr
    left = [p for p in written if os.path.lexists(p)]
    assert not left and not (home / ".local" / "lib" / "ozx-viewer").exists(), left
    assert _filetype(files["plain"], env) != ID.MIME_TYPE

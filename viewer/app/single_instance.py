"""One viewer process per user: a second launch hands its files to the running one and exits.

The election and the hand-off use the standard library only, so a second launch decides before
it reads a file or imports Qt or vispy (a hand-off takes tens of milliseconds, a cold start ~1 s):

- Election: an exclusive lock on a per-user lock file (`fcntl.flock` / `msvcrt.locking`). The OS
  releases it when its owner dies, even by `kill -9`, so a crash leaves no stale lock behind.
- Transport: the owner listens with a `QLocalServer` (served by its event loop) on a per-user
  name: a Unix socket in the runtime directory, a named pipe on Windows. A second process
  connects with the standard library, sends one JSON line `{"v": 1, "files": [...]}` and waits
  for `ok`. Several launches at the same instant (file managers start one process per file) all
  lose the election but one, and hand off as soon as the winner listens.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from ..identity import APP_ID as APP_KEY

PROTOCOL_VERSION = 1
#: How long a loser of the election waits for the winner to listen (it may still be importing).
HAND_OFF_PATIENCE_S = 15.0
_RETRY_S = 0.05


def _user_key() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name (containers): the uid still separates users
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    return hashlib.sha256(f"{APP_KEY}:{user}".encode()).hexdigest()[:16]


def _runtime_dir() -> Path:
    """A per-user directory for the lock and the socket (never next to an opened file)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime)
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", tempfile.gettempdir()))
    folder = Path(tempfile.gettempdir()) / f"ozx-viewer-{_user_key()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def server_name() -> str:
    """The name the running instance listens on (a path on Unix, a pipe name on Windows)."""
    if sys.platform == "win32":
        return f"ozx-viewer-{_user_key()}"
    return str(_runtime_dir() / f"ozx-viewer-{_user_key()}.sock")


def lock_path() -> Path:
    return _runtime_dir() / f"ozx-viewer-{_user_key()}.lock"


class Election:
    """The outcome of `elect()`: `primary` is True for the one process that serves the others."""

    def __init__(self, primary: bool, handle: object | None) -> None:
        self.primary = primary
        self._handle = handle  # kept open: the lock lives as long as this process

    def hand_off(self, paths: list[str], patience_s: float = HAND_OFF_PATIENCE_S) -> bool:
        """Send `paths` to the running instance; False when none answered within `patience_s`."""
        return send_files(paths, patience_s)


def elect() -> Election:
    """Take the per-user lock if nobody holds it (then this process is the instance)."""
    path = lock_path()
    handle = open(path, "a+b")  # noqa: SIM115 (kept open for the process' lifetime)
    try:
        if sys.platform == "win32":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return Election(False, None)
    return Election(True, handle)


def send_files(paths: list[str], patience_s: float = HAND_OFF_PATIENCE_S) -> bool:
    """Connect to the running instance (retrying while it starts), send `paths`, await `ok`."""
    message = (json.dumps({"v": PROTOCOL_VERSION, "files": paths}) + "\n").encode()
    deadline = time.monotonic() + patience_s
    while True:
        try:
            return _exchange(message)
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(_RETRY_S)


def _exchange(message: bytes) -> bool:
    if sys.platform == "win32":
        with open(rf"\\.\pipe\{server_name()}", "r+b", buffering=0) as pipe:
            pipe.write(message)
            return pipe.readline().strip() == b"ok"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5.0)
        client.connect(server_name())
        client.sendall(message)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = client.recv(64)
            if not chunk:
                break
            reply += chunk
        return reply.strip() == b"ok"


def parse_message(data: bytes) -> list[str] | None:
    """The files of one hand-off line, or None if it is not one (wrong version, not JSON)."""
    try:
        message = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(message, dict) or message.get("v") != PROTOCOL_VERSION:
        return None
    files = message.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return files


def start_server(on_files: Callable[[list[str]], None]):
    """Listen for hand-offs on the Qt event loop (primary only); returns the QLocalServer."""
    from PySide6.QtNetwork import QLocalServer

    server = QLocalServer()
    server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
    name = server_name()
    QLocalServer.removeServer(name)  # a socket left by a crashed instance (we hold the lock)
    if not server.listen(name):
        return None

    def accept() -> None:
        while server.hasPendingConnections():
            connection = server.nextPendingConnection()
            buffer = bytearray()

            def read(connection=connection, buffer=buffer) -> None:
                buffer.extend(bytes(connection.readAll().data()))
                if b"\n" not in buffer:
                    return
                files = parse_message(bytes(buffer.split(b"\n", 1)[0]))
                connection.write(b"ok\n" if files is not None else b"error\n")
                connection.flush()
                connection.disconnectFromServer()
                if files is not None:
                    on_files(files)

            connection.readyRead.connect(read)
            connection.disconnected.connect(connection.deleteLater)
            if connection.bytesAvailable():
                read()

    server.newConnection.connect(accept)
    return server

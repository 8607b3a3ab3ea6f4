"""Run a function on a worker thread and deliver its outcome on the GUI thread."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, Signal

from ..errors import OzxError

logger = logging.getLogger(__name__)


class BackgroundCall(QObject):
    """`start(function)` runs it on a daemon thread; emits `finished(result)` or `failed(message)`
    on the thread this object lives on. A bug (any exception but OzxError/OSError) is logged with
    its traceback and reported in one line."""

    finished = Signal(object)
    failed = Signal(str)
    _outcome = Signal(object, object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._outcome.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.running = False

    def start(self, function: Callable[[], Any]) -> None:
        self.running = True
        threading.Thread(target=self._run, args=(function,), name=self._name, daemon=True).start()

    def _run(self, function: Callable[[], Any]) -> None:
        try:
            result, message = function(), None
        except OzxError as exc:
            result, message = None, str(exc)
        except OSError as exc:
            result, message = None, exc.strerror or str(exc)
        except Exception as exc:  # a bug of ours: logged, still one line for the user
            logger.exception("%s failed", self._name)
            result, message = None, f"internal error ({type(exc).__name__}: {exc})"
        try:
            self._outcome.emit(result, message)
        except RuntimeError:  # the receiver was deleted meanwhile (its window closed)
            pass

    def _deliver(self, result: object, message: object) -> None:
        self.running = False
        if message is None:
            self.finished.emit(result)
        else:
            self.failed.emit(str(message))

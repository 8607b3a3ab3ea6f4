"""The Qt binding must not drop references to `None`, `True` or `False` that it does not own.

Upstream behaviour this guards against (measured on CPython 3.11.7): PySide6-Essentials 6.12.0
releases one reference to `None` per call of a void Qt method (`QTimer.start()`, `QTimer.stop()`)
and one to `True` per emission of a `Signal(bool)` carrying `True`; 6.11.3 does neither. Before
CPython 3.12 these objects are not immortal, so the count reaches zero after minutes of zooming
(the viewer starts timers and emits signals per tile and per frame) and CPython aborts with
"Fatal Python error: bool_dealloc" (exit 134). pyproject.toml keeps PySide6 below 6.12; these
probes tell whether the installed version may be used.

A second, harmless defect is documented here too: PySide6 6.11.3 and 6.12.0 keep one extra
reference to `None` for every call of a Python override of a void virtual (`mouseMoveEvent`) and
for every `sendEvent` to a widget. Counts that only grow never reach zero, so these probes are
only checked for not falling.

Each probe runs in a fresh process (offscreen Qt: no display needed), because a binding with the
defect aborts the interpreter that runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

CALLS = 200
#: Changes of the counts caused by anything else (interned objects, caches) stay far below this.
NOISE = 20

PROBE = textwrap.dedent(
    """
    import json, sys, threading
    from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QTimer, Qt, Signal
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent, QWindow
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication([])
    CALLS = int(sys.argv[1])

    class Emitter(QObject):
        flag = Signal(bool)
        pair = Signal(int, bool)

    class Window(QWindow):
        def event(self, event):  # a Python override of a virtual that returns bool
            return super().event(event)

    def counts():
        return {"None": sys.getrefcount(None), "True": sys.getrefcount(True), "False": sys.getrefcount(False)}

    def drift(action):
        action()  # warm up: first calls may create caches
        before = counts()
        for _ in range(CALLS):
            action()
        after = counts()
        return {name: after[name] - before[name] for name in before}

    timer = QTimer()
    emitter = Emitter()
    emitter.flag.connect(lambda value: None)
    emitter.pair.connect(lambda _n, value: None)
    window = Window()

    queued = Emitter()
    queued.flag.connect(lambda value: None, Qt.ConnectionType.QueuedConnection)

    def queued_from_thread():
        worker = threading.Thread(target=queued.flag.emit, args=(True,))
        worker.start()
        worker.join()
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)

    def window_events():
        window.setTitle("probe")
        QCoreApplication.processEvents()

    class Widget(QWidget):
        def mouseMoveEvent(self, event):  # a Python override of a void virtual
            pass

    widget = Widget()
    point = QPointF(1, 1)

    def mouse_moves():
        event = QMouseEvent(QEvent.Type.MouseMove, point, point, point, Qt.MouseButton.NoButton,
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)

    results = {
        "timer start/stop": drift(lambda: (timer.start(10), timer.stop())),
        "emit bool True": drift(lambda: emitter.flag.emit(True)),
        "emit bool False": drift(lambda: emitter.flag.emit(False)),
        "emit int, True": drift(lambda: emitter.pair.emit(1, True)),
        "isActive()": drift(lambda: timer.isActive()),
        "QWindow.event override": drift(window_events),
        "queued bool from a thread": drift(queued_from_thread),
        "void override (grows)": drift(mouse_moves),
    }
    print(json.dumps(results))
    """
)


def run_probe() -> dict[str, dict[str, int]]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", PROBE, str(CALLS)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, f"the probe died (exit {done.returncode}): {done.stderr.strip()[-800:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_qt_calls_and_signals_keep_the_reference_counts_of_none_true_and_false() -> None:
    import PySide6

    results = run_probe()
    drifting = {probe: changes for probe, changes in results.items()
                if any(change < -NOISE or (change > NOISE and "grows" not in probe) for change in changes.values())}
    assert not drifting, (
        f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} changes reference counts "
        f"it does not own over {CALLS} calls: {drifting}")

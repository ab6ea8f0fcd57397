"""Helpers for the GUI tests (no tests here): open the practice window on the demo, click and drag like a person."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
from PyQt6.QtGui import QMouseEvent
from PyQt6.QtWidgets import QApplication, QMessageBox

OPEN_TIMEOUT_MS = 20000


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A fresh data folder for sessions and window settings (WOODSHED_DATA_DIR)."""
    d = tmp_path / "data"
    monkeypatch.setenv("WOODSHED_DATA_DIR", str(d))
    return d


def open_demo(qtbot, device, **window_options):
    """A shown MainWindow with the demo song loaded and its engine playing to ``device``."""
    from woodshed.player.ui.main_window import MainWindow

    window = MainWindow(device=device, **window_options)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitActive(window):  # shortcuts go to the active window
        window.activateWindow()
    window.open_demo()
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=OPEN_TIMEOUT_MS)
    return window


def open_quiet(qtbot, song, size: tuple[int, int] = (1200, 700)):
    """A shown, active MainWindow without sound (with_engine=False) with ``song`` open."""
    from woodshed.player.ui.main_window import MainWindow

    window = MainWindow(with_engine=False)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitActive(window):  # shortcuts go to the active window
        window.activateWindow()
    window.open_song(song)
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=10000)
    return window


def focused(window):
    """Where a key press goes: the focus widget (the window itself when nothing has it)."""
    return QApplication.focusWidget() or window


def close_window(window) -> None:
    window.close()


def lane_point(lane, time_s: float, y_fraction: float = 0.5) -> QPoint:
    """Where, in the lane's viewport, time_s is drawn."""
    scene = lane.view.mapViewToScene(QPointF(time_s, 0))
    point = lane.mapFromScene(scene)
    return QPoint(point.x(), int(lane.viewport().height() * y_fraction))


def _send(widget, kind, pos: QPoint, button, buttons, modifiers=Qt.KeyboardModifier.NoModifier):
    event = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, buttons,
                        modifiers)
    QApplication.sendEvent(widget, event)


def drag(qtbot, lane, from_s: float, to_s: float, button=Qt.MouseButton.LeftButton, steps: int = 8,
         modifiers=Qt.KeyboardModifier.NoModifier):
    """Press at from_s, move in steps, release at to_s, as a hand on a mouse would (holding
    ``modifiers``, Shift for instance, throughout)."""
    viewport = lane.viewport()
    start, end = lane_point(lane, from_s), lane_point(lane, to_s)
    _send(viewport, QEvent.Type.MouseButtonPress, start, button, button, modifiers)
    for k in range(1, steps + 1):
        p = start + (end - start) * (k / steps)
        _send(viewport, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, button, modifiers)
        qtbot.wait(5)
    _send(viewport, QEvent.Type.MouseButtonRelease, end, button, Qt.MouseButton.NoButton, modifiers)
    qtbot.wait(20)


def click(qtbot, lane, at_s: float):
    viewport = lane.viewport()
    p = lane_point(lane, at_s)
    _send(viewport, QEvent.Type.MouseButtonPress, p, Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton)
    _send(viewport, QEvent.Type.MouseButtonRelease, p, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)
    qtbot.wait(20)


def answer_next_message_box(button) -> list[str]:
    """Press ``button`` on the next message box, as a person would; the list it returns
    receives what the box said (its text, then its informative text)."""
    said: list[str] = []

    def press():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, press)
            return
        said.extend([box.text(), box.informativeText()])
        box.button(button).click()
    QTimer.singleShot(20, press)
    return said

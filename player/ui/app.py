"""Start the practice window: a Qt application, a dark theme, one MainWindow."""
from __future__ import annotations

import sys

APP_STYLE = """
QWidget { font-size: 12px; }
QToolButton { padding: 4px 8px; }
QToolButton:checked { background: #6e5a10; }
QPushButton#mute:checked { background: #b34040; color: white; }
QPushButton#solo:checked { background: #b39a10; color: black; }
QPushButton#click_on:checked { background: #2f7d46; color: white; }
"""


# Python hands the GIL between threads every 5 ms by default: the UI thread and the engine's
# producer thread then wait on each other in 5 ms steps. 1 ms keeps both prompt (DESIGN.md:
# it helped the audio; 0.2 ms made it worse).
GIL_SWITCH_INTERVAL_S = 0.001


def make_application(argv: list[str] | None = None):
    from PyQt6.QtGui import QColor, QPalette
    from PyQt6.QtWidgets import QApplication

    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    app = QApplication.instance() or QApplication(list(argv or sys.argv[:1]))
    app.setApplicationName("Woodshed")
    app.setOrganizationName("woodshed")
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#20252c"), (QPalette.ColorRole.WindowText, "#e6edf3"),
                         (QPalette.ColorRole.Base, "#161b22"), (QPalette.ColorRole.AlternateBase, "#20252c"),
                         (QPalette.ColorRole.Text, "#e6edf3"), (QPalette.ColorRole.Button, "#2d333b"),
                         (QPalette.ColorRole.ButtonText, "#e6edf3"), (QPalette.ColorRole.Highlight, "#1f6feb"),
                         (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.ToolTipBase, "#2d333b"),
                         (QPalette.ColorRole.ToolTipText, "#e6edf3"), (QPalette.ColorRole.PlaceholderText, "#8b949e")):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    app.setStyleSheet(APP_STYLE)
    return app


def _close_on_ctrl_c(window) -> None:
    """Ctrl+C in the terminal closes the window properly (session saved, separation paused).
    Python runs signal handlers only between bytecodes, so a timer wakes it now and then."""
    import signal

    from PyQt6.QtCore import QTimer

    signal.signal(signal.SIGINT, lambda *_: window.close())
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)


def run(song: str | None = None, demo: bool = False, device=None, command_line: dict | None = None) -> int:
    """Open the window (on a song, or the demo) and run until it closes."""
    from woodshed.player.log_file import setup_logging

    setup_logging()
    app = make_application()
    from .main_window import MainWindow

    window = MainWindow(device=device, command_line=command_line, midi=True)
    window.show()
    _close_on_ctrl_c(window)
    if demo:
        window.open_demo()
    elif song:
        window.open_path(song)
    return app.exec()

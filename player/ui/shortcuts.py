"""The keyboard: one table, used both to install the shortcuts and to list them in Help."""
from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import QDialog, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

# US-layout characters typed by Shift+digit, so Shift+N works wherever Qt reports the symbol.
_SHIFTED_DIGITS = "!@#$%^&*("

# (keys, what it does, action name on SongView or the window, argument)
SHORTCUTS: list[tuple[list[str], str, str, object]] = [
    (["Space"], "Play / pause", "toggle_play", None),
    (["Left"], "Back 5 s", "skip", -5.0),
    (["Right"], "Forward 5 s", "skip", 5.0),
    (["Shift+Left"], "Back 1 s", "skip", -1.0),
    (["Shift+Right"], "Forward 1 s", "skip", 1.0),
    (["["], "Loop start at the playhead", "set_loop_start_here", None),
    (["]"], "Loop end at the playhead", "set_loop_end_here", None),
    (["L"], "Loop on / off", "toggle_loop", None),
    (["-"], "Tempo −5 %", "nudge_tempo", -5),
    (["+", "="], "Tempo +5 %", "nudge_tempo", 5),
    (["Ctrl+0"], "Reset tempo and pitch", "reset_tempo_and_pitch", None),
    *[([str(n)], f"Mute stem {n}", "toggle_mute", n - 1) for n in range(1, 10)],
    *[([f"Shift+{n}", _SHIFTED_DIGITS[n - 1]], f"Solo stem {n}", "toggle_solo", n - 1)
      for n in range(1, 10)],
    # Menu actions, listed here too:
    (["Ctrl+O"], "Open a song", "open_dialog", None),
    (["Ctrl+E"], "Export a backing track", "export_dialog", None),
    (["F1"], "This list", "show_shortcuts", None),
]
MENU_ACTIONS = {"open_dialog", "export_dialog", "show_shortcuts"}


def install(window: QWidget, handler) -> list[QShortcut]:
    """Create the shortcuts; handler(action, argument) does the work (on the current song)."""
    made = []
    for keys, _, action, arg in SHORTCUTS:
        if action in MENU_ACTIONS:  # the menu owns the key: two owners would cancel out
            continue
        for key in keys:
            shortcut = QShortcut(QKeySequence(key), window)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda a=action, x=arg: handler(a, x))
            made.append(shortcut)
    return made


def _pretty(keys: list[str]) -> str:
    return " or ".join(k for k in keys if k not in _SHIFTED_DIGITS)


def table_rows() -> list[tuple[str, str]]:
    """(keys, description) rows, with the 1–9 and Shift+1–9 rows folded into one each."""
    rows, seen = [], set()
    for keys, text, action, _ in SHORTCUTS:
        if action in ("toggle_mute", "toggle_solo"):
            if action in seen:
                continue
            seen.add(action)
            rows.append(("1 … 9" if action == "toggle_mute" else "Shift+1 … 9",
                         "Mute stem N" if action == "toggle_mute" else "Solo stem N"))
        else:
            rows.append((_pretty(keys), text))
    rows += [("Mouse wheel", "Zoom in time"), ("Drag", "Draw an A-B loop"),
             ("Right / middle drag", "Scroll"), ("Click", "Seek"),
             ("Double-click a fader", "Back to 0 dB")]
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = table_rows()
        table = QTableWidget(len(rows), 2)
        table.setObjectName("shortcuts")
        table.setHorizontalHeaderLabels(["Keys", "Does"])
        table.verticalHeader().hide()
        for r, (keys, text) in enumerate(rows):
            table.setItem(r, 0, QTableWidgetItem(keys))
            table.setItem(r, 1, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        self.table = table
        self.resize(420, 560)

"""The F1 list: every action's keys from the registry (actions.py), grouped, in two columns
so that it fits on the screen without scrolling."""
from __future__ import annotations

from PyQt6.QtGui import QKeySequence
from PyQt6.QtWidgets import QDialog, QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from . import actions

# Groups per column: the song's controls left, the rest right.
COLUMNS = (("Play", "Loop"), ("Markers", "Mix", "File", "Help", "Mouse"))


def pretty(key: str) -> str:
    """A key as this platform writes it (Ctrl+E; ⌘E on a Mac)."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) or key


def groups() -> dict[str, list[tuple[str, str]]]:
    """group -> (keys, what it does) rows; a family (mute 1 … 9) folds into one row."""
    result: dict[str, list[tuple[str, str]]] = {}
    folded = set()
    for action in actions.all_actions():
        if not action.keys:
            continue
        rows = result.setdefault(action.group, [])
        if action.listed_as:
            if action.listed_as not in folded:
                folded.add(action.listed_as)
                rows.append(action.listed_as)
            continue
        rows.append((" or ".join(pretty(k) for k in action.keys), action.name))
    result["Mouse"] = list(actions.MOUSE)
    return result


def table_rows() -> list[tuple[str, str]]:
    return [row for rows in groups().values() for row in rows]


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keys and mouse")
        self.setObjectName("shortcuts")
        by_group = groups()
        placed = {g for column in COLUMNS for g in column}
        columns = [list(c) for c in COLUMNS]

        def height(column):  # in rows; a group's heading and frame count about two
            return sum(len(by_group.get(g, ())) + 2 for g in column if g in by_group)
        for group in (g for g in by_group if g not in placed):  # groups others add (Beats…)
            min(columns, key=height).append(group)  # to the shorter column: both fit the screen
        outer = QGridLayout(self)
        self.rows: dict[str, str] = {}  # keys -> what it does (tests read it)
        for col, names in enumerate(columns):
            stack = QVBoxLayout()
            for name in names:
                if name not in by_group:
                    continue
                box = QGroupBox(name)
                grid = QGridLayout(box)
                grid.setVerticalSpacing(2)
                for r, (keys, text) in enumerate(by_group[name]):
                    key_label = QLabel(f"<b>{keys}</b>")
                    grid.addWidget(key_label, r, 0)
                    grid.addWidget(QLabel(text), r, 1)
                    self.rows[keys] = text
                grid.setColumnStretch(1, 1)
                stack.addWidget(box)
            stack.addStretch(1)
            outer.addLayout(stack, 0, col)

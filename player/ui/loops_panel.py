"""Saved loops: name the current A-B region, jump between loops, rename and delete them."""
from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                             QVBoxLayout, QWidget)

from .session import SavedLoop
from .timefmt import format_time


class LoopsPanel(QWidget):
    save_requested = pyqtSignal()
    jump_requested = pyqtSignal(object)  # SavedLoop
    loops_edited = pyqtSignal()  # renamed or deleted

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loops: list[SavedLoop] = []
        self.list = QListWidget()
        self.list.setObjectName("loops")
        # F2 or the Rename button edit a name; a double-click jumps to the loop.
        self.list.setEditTriggers(QListWidget.EditTrigger.EditKeyPressed)
        self.save = QPushButton("Save loop")
        self.save.setToolTip("Save the current A-B region under a name")
        self.rename = QPushButton("Rename")
        self.delete = QPushButton("Delete")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for b in (self.save, self.rename, self.delete):
            buttons.addWidget(b)
        title = QLabel("Saved loops")
        title.setStyleSheet("font-weight: bold;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

        self.save.clicked.connect(self.save_requested)
        self.rename.clicked.connect(self._edit_current)
        self.delete.clicked.connect(self.delete_current)
        self.list.itemActivated.connect(self._activated)
        self.list.itemDoubleClicked.connect(self._activated)
        self.list.itemChanged.connect(self._renamed)

    def set_loops(self, loops: list[SavedLoop]) -> None:
        self.loops = list(loops)
        self.list.blockSignals(True)
        self.list.clear()
        for loop in self.loops:
            item = QListWidgetItem(loop.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setToolTip(f"{format_time(loop.start_s)} – {format_time(loop.end_s)}")
            self.list.addItem(item)
        self.list.blockSignals(False)

    def add(self, loop: SavedLoop) -> None:
        self.set_loops([*self.loops, loop])
        self.list.setCurrentRow(len(self.loops) - 1)
        self.loops_edited.emit()

    def next_name(self) -> str:
        taken = {loop.name for loop in self.loops}
        n = len(self.loops) + 1
        while f"Loop {n}" in taken:
            n += 1
        return f"Loop {n}"

    def delete_current(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.loops):
            del self.loops[row]
            self.set_loops(self.loops)
            self.loops_edited.emit()

    def _edit_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def _activated(self, item: QListWidgetItem) -> None:
        self.jump_requested.emit(self.loops[self.list.row(item)])

    def _renamed(self, item: QListWidgetItem) -> None:
        row = self.list.row(item)
        name = item.text().strip() or self.loops[row].name
        self.loops[row] = SavedLoop(name, self.loops[row].start_s, self.loops[row].end_s)
        self.loops_edited.emit()

"""A list of named things with times (saved loops, markers): the name editable (F2), the
times drawn beside it in grey, not part of the name."""
from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QListWidget, QListWidgetItem, QStyledItemDelegate

TIMES_ROLE = Qt.ItemDataRole.UserRole + 1


class _TimesBeside(QStyledItemDelegate):
    def paint(self, painter, option, index):
        super().paint(painter, option, index)
        times = index.data(TIMES_ROLE)
        if times:
            painter.save()
            painter.setPen(QColor("#8b949e"))
            painter.drawText(option.rect.adjusted(0, 0, -6, 0),
                             int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), times)
            painter.restore()


class NamedList(QListWidget):
    def __init__(self, name: str):
        super().__init__()
        self.setObjectName(name)
        # F2 (or a Rename button) edits a name; a double-click jumps to it.
        self.setEditTriggers(QListWidget.EditTrigger.EditKeyPressed)
        self.setItemDelegate(_TimesBeside(self))

    def fill(self, rows: list[tuple[str, str]]) -> None:
        """(name, times) rows, without signals (the caller's own state is the truth)."""
        self.blockSignals(True)
        self.clear()
        for name, times in rows:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setData(TIMES_ROLE, times)
            item.setToolTip(times)
            self.addItem(item)
        self.blockSignals(False)

    def edit_current(self) -> None:
        item = self.currentItem()
        if item is not None:
            self.editItem(item)

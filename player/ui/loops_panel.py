"""The loop and the song's places: the current A-B loop typed or nudged to the millisecond,
saved loops (with their times; their tempo and mix too if asked) and named markers. Deleting
either can be undone (SongView.undo)."""
from __future__ import annotations

from dataclasses import replace

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QListWidgetItem, QPushButton,
                             QVBoxLayout, QWidget)

from .loop_bars import bars_text
from .named_list import NamedList
from .session import Marker, SavedLoop
from .time_box import TimeBox
from .timefmt import format_time
from .transport import TypingDone


def span_text(start_s: float, end_s: float) -> str:
    return f"{format_time(start_s)}–{format_time(end_s)}"


def _bold(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: bold;")
    return label


class LoopsPanel(QWidget):
    save_requested = pyqtSignal()
    jump_requested = pyqtSignal(object)  # SavedLoop
    loops_edited = pyqtSignal()  # renamed or deleted
    loop_typed = pyqtSignal(float, float)  # the A-B loop's bounds typed or nudged in the boxes
    typing_done = pyqtSignal()  # Enter or Escape in a time box: keys back to the transport
    marker_add_requested = pyqtSignal()
    marker_jump_requested = pyqtSignal(object)  # Marker
    markers_edited = pyqtSignal()
    deleted = pyqtSignal(str, int, object)  # "loop" or "marker", where it was, what: for undo

    def __init__(self, duration_s: float = 0.0, parent: QWidget | None = None):
        super().__init__(parent)
        self.loops: list[SavedLoop] = []
        self.markers: list[Marker] = []
        # The current loop, exact.
        self.start_box, self.end_box = TimeBox(duration_s), TimeBox(duration_s)
        self.start_box.setObjectName("loop_start")
        self.end_box.setObjectName("loop_end")
        for box, tip in ((self.start_box, "Loop start"), (self.end_box, "Loop end")):
            box.setToolTip(f"{tip}: type m:ss.mmm; ↑/↓ 10 ms, Page Up/Down 100 ms")
            box.valueChanged.connect(self._typed)
            TypingDone(box, self.typing_done.emit)
        bounds = QHBoxLayout()
        bounds.setContentsMargins(0, 0, 0, 0)
        bounds.addWidget(QLabel("A"))
        bounds.addWidget(self.start_box, 1)
        bounds.addWidget(QLabel("B"))
        bounds.addWidget(self.end_box, 1)
        # Saved loops.
        self.list = NamedList("loops")
        self.save = QPushButton("Save loop")
        self.save.setToolTip("Save the current A-B region under a name")
        self.rename = QPushButton("Rename")
        self.delete = QPushButton("Delete")
        self.with_settings = QCheckBox("Save with tempo and mix")
        self.with_settings.setToolTip("A saved loop brings back the tempo, pitch and mix it was "
                                      "saved with")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for b in (self.save, self.rename, self.delete):
            buttons.addWidget(b)
        # Markers.
        self.marker_list = NamedList("markers")
        self.add_marker = QPushButton("Add (M)")
        self.add_marker.setToolTip("A marker at the playhead: verse, chorus, solo…")
        self.rename_marker = QPushButton("Rename")
        self.delete_marker = QPushButton("Delete")
        marker_buttons = QHBoxLayout()
        marker_buttons.setContentsMargins(0, 0, 0, 0)
        for b in (self.add_marker, self.rename_marker, self.delete_marker):
            marker_buttons.addWidget(b)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(_bold("Loop"))
        layout.addLayout(bounds)
        layout.addWidget(_bold("Saved loops"))
        layout.addWidget(self.list, 2)
        layout.addWidget(self.with_settings)
        layout.addLayout(buttons)
        layout.addWidget(_bold("Markers"))
        layout.addWidget(self.marker_list, 1)
        layout.addLayout(marker_buttons)

        self.save.clicked.connect(self.save_requested)
        self.rename.clicked.connect(self.list.edit_current)
        self.delete.clicked.connect(self.delete_current)
        self.list.itemActivated.connect(self._activated)
        self.list.itemDoubleClicked.connect(self._activated)
        self.list.itemChanged.connect(self._renamed)
        self.add_marker.clicked.connect(self.marker_add_requested)
        self.rename_marker.clicked.connect(self.marker_list.edit_current)
        self.delete_marker.clicked.connect(self.delete_current_marker)
        self.marker_list.itemActivated.connect(self._marker_activated)
        self.marker_list.itemDoubleClicked.connect(self._marker_activated)
        self.marker_list.itemChanged.connect(self._marker_renamed)

    # --- the current loop --------------------------------------------------------
    def show_loop(self, start_s: float, end_s: float) -> None:
        for box, value in ((self.start_box, start_s), (self.end_box, end_s)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)

    def _typed(self, _=None) -> None:
        self.loop_typed.emit(self.start_box.value(), self.end_box.value())

    # --- saved loops ---------------------------------------------------------------
    def set_loops(self, loops: list[SavedLoop]) -> None:
        self.loops = list(loops)
        self.list.fill([(loop.name, span_text(loop.start_s, loop.end_s)
                         + (f" · {bars_text(loop.bars)}" if loop.bars is not None else "")
                         + (f" · {loop.tempo * 100:.0f} %" if loop.tempo is not None else ""))
                        for loop in self.loops])

    def add(self, loop: SavedLoop) -> None:
        self.set_loops([*self.loops, loop])
        self.list.setCurrentRow(len(self.loops) - 1)
        self.loops_edited.emit()

    def insert(self, row: int, loop: SavedLoop) -> None:
        self.loops.insert(row, loop)
        self.set_loops(self.loops)
        self.list.setCurrentRow(row)
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
            loop = self.loops.pop(row)
            self.set_loops(self.loops)
            self.loops_edited.emit()
            self.deleted.emit("loop", row, loop)

    def _activated(self, item: QListWidgetItem) -> None:
        self.jump_requested.emit(self.loops[self.list.row(item)])

    def _renamed(self, item: QListWidgetItem) -> None:
        row = self.list.row(item)
        name = item.text().strip() or self.loops[row].name
        self.loops[row] = replace(self.loops[row], name=name)
        self.loops_edited.emit()

    # --- markers -------------------------------------------------------------------
    def set_markers(self, markers: list[Marker]) -> None:
        self.markers = sorted(markers, key=lambda m: m.time_s)
        self.marker_list.fill([(m.name, format_time(m.time_s)) for m in self.markers])

    def delete_current_marker(self) -> None:
        row = self.marker_list.currentRow()
        if 0 <= row < len(self.markers):
            marker = self.markers.pop(row)
            self.set_markers(self.markers)
            self.markers_edited.emit()
            self.deleted.emit("marker", row, marker)

    def _marker_activated(self, item: QListWidgetItem) -> None:
        self.marker_jump_requested.emit(self.markers[self.marker_list.row(item)])

    def _marker_renamed(self, item: QListWidgetItem) -> None:
        row = self.marker_list.row(item)
        name = item.text().strip() or self.markers[row].name
        self.markers[row] = replace(self.markers[row], name=name)
        self.markers_edited.emit()

"""The songs already in the stem cache: title, length, model, stems. Double-click opens one."""
from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QDialog, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from .timefmt import format_time


class LibraryTable(QTableWidget):
    song_chosen = pyqtSignal(object)  # CachedSong

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 4, parent)
        self.setObjectName("library")
        self.setHorizontalHeaderLabels(["Title", "Length", "Model", "Stems"])
        self.verticalHeader().hide()
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.horizontalHeader().setStretchLastSection(True)
        self.songs = []
        self.cellActivated.connect(lambda row, _: self.song_chosen.emit(self.songs[row]))
        self.cellDoubleClicked.connect(lambda row, _: self.song_chosen.emit(self.songs[row]))

    def set_songs(self, songs) -> None:
        self.songs = sorted(songs, key=lambda s: s.manifest.title.lower())
        self.setRowCount(len(self.songs))
        for row, song in enumerate(self.songs):
            m = song.manifest
            ready = "" if m.complete else f" ({m.ready_fraction():.0%} separated)"
            for col, text in enumerate((m.title + ready, format_time(m.duration_s, 0), m.model,
                                        ", ".join(m.sources))):
                self.setItem(row, col, QTableWidgetItem(text))
        self.resizeColumnsToContents()


class LibraryDialog(QDialog):
    def __init__(self, songs, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Library: songs already separated")
        self.table = LibraryTable()
        self.table.set_songs(songs)
        self.table.song_chosen.connect(lambda _: self.accept())
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        self.resize(720, 400)

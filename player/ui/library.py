"""The songs already in the stem cache: title, length, model, stems. Double-click opens one."""
from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QDialog, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from .song_names import song_details, song_label, told_apart
from .timefmt import format_time


class LibraryTable(QTableWidget):
    song_chosen = pyqtSignal(object)  # CachedSong

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 5, parent)
        self.setObjectName("library")
        self.setHorizontalHeaderLabels(["Title", "Artist", "Length", "Model", "Stems"])
        self.verticalHeader().hide()
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.horizontalHeader().setStretchLastSection(True)
        self.songs = []
        # Activated: a double-click (or Enter, or a single click where the platform says so).
        # Not cellDoubleClicked as well: a double-click activates too, and opened the song twice
        self.cellActivated.connect(lambda row, _: self.song_chosen.emit(self.songs[row]))

    def set_songs(self, songs) -> None:
        self.songs = sorted(songs, key=lambda s: (s.manifest.title.lower(), s.manifest.artist or ""))
        self.setRowCount(len(self.songs))
        # Two songs of one name (two takes, two models) are told apart by their file.
        labels = told_apart([song_label(s.manifest) for s in self.songs],
                            [song_details(s.manifest, s.key) for s in self.songs])
        for row, (song, label) in enumerate(zip(self.songs, labels)):
            m = song.manifest
            title = m.title + label[len(song_label(m)):]  # the title, and "(file)" if needed
            ready = "" if m.complete else f" ({m.ready_fraction():.0%} separated)"
            for col, text in enumerate((title + ready, m.artist or "", format_time(m.duration_s, 0),
                                        m.model, ", ".join(m.sources))):
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

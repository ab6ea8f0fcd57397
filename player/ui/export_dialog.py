"""File ▸ Export backing track: the song (or the loop) without the stems you will play,
at the tempo and pitch you practise at, through the engine's own render path."""
from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout,
                             QHBoxLayout, QLabel, QLineEdit, QMessageBox, QProgressBar, QPushButton,
                             QRadioButton, QVBoxLayout, QWidget)

from .tasks import describe_error
from .timefmt import format_time

FORMATS = {"WAV (32-bit float)": ".wav", "FLAC": ".flac", "Ogg Vorbis": ".ogg", "MP3": ".mp3"}


class ExportDialog(QDialog):
    progressed = pyqtSignal(float)  # emitted from the export thread, shown on the UI thread

    def __init__(self, view, tasks, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export backing track")
        self.view, self.tasks = view, tasks
        self.result_path: Path | None = None
        session = view.session
        self.leave_out: dict[str, QCheckBox] = {}
        stems_row = QHBoxLayout()
        soloing = bool(session.soloed)
        for name in view.stems:
            box = QCheckBox(name.capitalize())
            # what you do not hear now is what you will play
            box.setChecked(name in session.muted or (soloing and name not in session.soloed))
            self.leave_out[name] = box
            stems_row.addWidget(box)
        self.whole = QRadioButton("Whole song")
        self.loop = QRadioButton("Current loop")
        group = QButtonGroup(self)
        group.addButton(self.whole)
        group.addButton(self.loop)
        if session.loop:
            self.loop.setText(f"Current loop ({format_time(session.loop[0])} – {format_time(session.loop[1])})")
            self.loop.setChecked(True)
        else:
            self.loop.setEnabled(False)
            self.whole.setChecked(True)
        range_row = QHBoxLayout()
        range_row.addWidget(self.whole)
        range_row.addWidget(self.loop)
        self.format = QComboBox()
        self.format.addItems(FORMATS)
        self.format.currentTextChanged.connect(self._format_changed)
        title = view.song.manifest.title
        self.path = QLineEdit(str(Path.home() / f"{title} - backing{FORMATS[self.format.currentText()]}"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        settings = QLabel(f"Tempo {session.tempo * 100:.1f} %, pitch {session.pitch_semitones:+g} st, "
                          "volumes, pans and master as on the faders")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self._clipping: list[str] = []  # what the last export had to clip, one line a file
        self.export = QPushButton("Export")
        self.export.setDefault(True)
        self.export.clicked.connect(self.start)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)

        form = QFormLayout()
        form.addRow("Leave out", stems_row)
        form.addRow("Range", range_row)
        form.addRow("Format", self.format)
        form.addRow("File", path_row)
        form.addRow("As set", settings)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.progressed.connect(lambda f: self.progress.setValue(round(f * 1000)))
        self.resize(560, 0)

    def _format_changed(self, text: str) -> None:
        self.path.setText(str(Path(self.path.text()).with_suffix(FORMATS[text])))

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export backing track", self.path.text())
        if path:
            self.path.setText(path)

    def confirm_replace(self, path: Path) -> bool:
        """Ask before an existing file is replaced (a musician's earlier take, or the song)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Replace file?",
                          f"{path.name} already exists in {path.parent}.\nReplace it?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Yes

    def start(self) -> None:
        from woodshed.player.engine.export import check_safe_to_write, clip_warning, export_mix
        from woodshed.separation.errors import UserError

        view, session = self.view, self.view.session
        kwargs = dict(without=[n for n, b in self.leave_out.items() if b.isChecked()],
                      gains_db=dict(session.gains_db), pans=dict(session.pans),
                      master_db=session.master_db, tempo=session.tempo,
                      pitch_semitones=session.pitch_semitones)
        if self.loop.isChecked() and session.loop:
            kwargs.update(start_s=session.loop[0], end_s=session.loop[1])
        out = Path(self.path.text()).expanduser()
        song = view.song
        # The terminal's rule: never into the stem cache, never over the song's own file (or
        # into the stem folder it was imported from); an existing file is asked about below.
        inputs = [Path(song.manifest.source_path)] if song.manifest.source_path else []
        try:
            check_safe_to_write([out], song, force=True, inputs=inputs)
        except UserError as exc:
            self.status.setText(f"Not exported: {exc.message}")
            return
        if out.exists() and not self.confirm_replace(out):
            self.status.setText("Not exported: the file is kept as it was.")
            return
        self.export.setEnabled(False)
        self.status.setText(f"Exporting to {out}…")
        self._clipping = []  # filled on the export's thread, read in _done once it has ended
        self.tasks.run(lambda: export_mix(song, out, progress=self.progressed.emit,
                                          clipped=lambda *told: self._clipping.append(
                                              clip_warning(*told)), force=True, inputs=inputs, **kwargs),
                       self._done, self._failed, "export")

    def _done(self, path) -> None:
        self.result_path = Path(path)
        self.progress.setValue(1000)
        self.status.setText("\n".join([f"Written: {path}", *self._clipping]))
        self.export.setEnabled(True)

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(f"Export failed: {describe_error(exc)}")
        self.export.setEnabled(True)

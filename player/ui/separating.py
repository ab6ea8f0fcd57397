"""Opening a song that is not separated yet: separation runs in a child process while the
song already plays (the original mix where stems are not ready), with progress, an ETA and
Cancel. Separation follows the musician: the loop, or the music around the playhead, first.
"""
from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from woodshed.separation.errors import UserError

from .loading import LoadedSong, load_cached
from .timefmt import format_time

READY_TIMEOUT_S = 300.0  # model loading on a slow machine; the window stays live meanwhile
POLL_MS = 200
FIRST_SPAN_S = (0.0, 30.0)
AHEAD_S = 30.0  # after a seek, separate this much from the playhead on first
FOLLOWING = "Another Woodshed is separating this song: following it"


def window_settings(settings=None):
    """Separation settings for a song that plays meanwhile: the audio path keeps a core."""
    from woodshed.separation.separate import SeparationSettings

    settings = settings or SeparationSettings()
    if settings.threads is None:
        settings = replace(settings, threads=max(1, (os.cpu_count() or 2) - 1))
    return settings


def start_separation(path: Path, device=None, with_engine: bool = True, settings=None,
                     on_download=None, open_engine=None, job=None) -> LoadedSong:
    """Runs on a background thread: find the stems, or start separating and return as soon
    as the song folder exists (its mix plays at once). While the model's weights download
    (first use), on_download(job, Downloading) is called on this thread. ``job``: a
    Separation made already (of a song opened from its cache folder), else one of path."""
    from woodshed.separation.separate import Cancelled, Downloading, Failed, Ready, Separation

    job = job or Separation(Path(path), window_settings(settings))
    song = job.cached()
    if song is not None:
        return load_cached(song, device, with_engine, open_engine)
    job.start(first_s=FIRST_SPAN_S, mix_first=True)
    song = job.partial()
    deadline = time.monotonic() + READY_TIMEOUT_S
    downloading = None
    while song is None or not song.mix_path.is_file():
        for event in job.poll(0.5):
            if isinstance(event, Ready):
                song = job.partial()
            elif isinstance(event, Downloading):
                downloading = event
                deadline = time.monotonic() + READY_TIMEOUT_S  # the wait is the download's
                if on_download is not None:
                    on_download(job, event)
            elif isinstance(event, Failed):
                raise UserError(event.message)
            elif isinstance(event, Cancelled) and downloading is not None:
                raise UserError(f"download of the separation model {downloading.model} cancelled "
                                f"at {downloading.done_bytes / 1e6:.1f} MB: it carries on from "
                                "there when you open a song again")
            elif isinstance(event, Cancelled):
                raise UserError("separation cancelled")
        if job.finished and song is None:
            raise UserError("the separation process ended before the song was ready")
        if time.monotonic() > deadline:
            job.close()
            raise UserError(f"{Path(path).name}: separation did not start within "
                            f"{READY_TIMEOUT_S:.0f} s")
    loaded = load_cached(song, device, with_engine, open_engine)
    loaded.separation = job
    return loaded


def resume_separation(job, first_s: tuple[float, float]):
    """Runs on a background thread: a new separation of a cancelled job's song, carrying on
    from the segments already in the cache (the region around first_s first)."""
    from woodshed.separation.separate import Separation

    again = Separation(job.song_path, job.settings, job.cache_root)
    again.start(first_s=first_s)
    return again


class SeparationBar(QWidget):
    """Progress bar, ETA and Cancel, shown while the open song separates; after a Cancel,
    Resume carries on where it stopped."""

    cancel_clicked = pyqtSignal()
    resume_clicked = pyqtSignal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel("Separating…")
        self.bar = QProgressBar()
        self.bar.setObjectName("separation_progress")
        self.bar.setRange(0, 1000)
        self.bar.setFixedWidth(260)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.cancel_clicked)
        self.resume = QPushButton("Resume separation")
        self.resume.setObjectName("resume_separation")
        self.resume.clicked.connect(self.resume_clicked)
        self.resume.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 2, 8, 2)
        row.addWidget(self.label, 1)
        row.addWidget(self.bar)
        row.addWidget(self.cancel)
        row.addWidget(self.resume)
        self.hide()

    def show_download(self, text: str, fraction: float) -> None:
        """The model's weights downloading (before the song can be separated)."""
        self.label.setText(text)
        self.bar.setValue(round(1000 * fraction))
        self.show_running()

    def show_paused(self, fraction_done: float, text: str | None = None) -> None:
        self.label.setText(text or f"Separation paused at {fraction_done:.0%}: the original mix "
                           "plays where stems are missing.")
        self.bar.setValue(round(1000 * fraction_done))
        self.cancel.hide()
        self.resume.show()
        self.resume.setEnabled(True)
        self.show()

    def show_running(self) -> None:
        self.resume.hide()
        self.cancel.show()
        self.cancel.setEnabled(True)
        self.show()


class SeparationMonitor(QObject):
    """Follows one Separation from the UI thread: polls its pipe (never blocks), shows
    progress and ETA, reloads peaks as stems arrive, steers its priority."""

    progressed = pyqtSignal(int, int)
    finished = pyqtSignal(str)  # "done", "cancelled" or the failure message
    stems_arrived = pyqtSignal()

    def __init__(self, job, bar: SeparationBar, parent: QObject | None = None):
        super().__init__(parent)
        self.job, self.bar = job, bar
        self.following = False  # another process separates the song; this job follows it
        self.download = None  # the model's weights' last Downloading event (first use)
        self.meter = None
        self.started_s = time.monotonic()
        self.first_progress: tuple[float, int] | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.timer.start()
        bar.label.setText("Separating stems: starting… (the original mix plays meanwhile)")
        bar.bar.setValue(0)
        bar.show_running()

    def poll(self) -> None:
        from woodshed.separation.separate import (Cancelled, Done, Downloading, Failed, Progress,
                                                  Waiting)

        for event in self.job.poll(0):
            if isinstance(event, Downloading):
                self._download(event)
            elif isinstance(event, Waiting):
                self.following = event.following
                self.bar.label.setText(FOLLOWING if event.following else "Separating stems…")
            elif isinstance(event, Progress):
                self._progress(event.done, event.total)
            elif isinstance(event, Done):
                self._finish("done", "Stems ready.")
            elif isinstance(event, Failed):
                self._finish(event.message, "Separation failed.")
            elif isinstance(event, Cancelled):
                self._finish("cancelled", "Separation paused.")

    def _download(self, event) -> None:
        """The model's weights downloading (first use) while the song's mix plays."""
        from woodshed.separation.model_download import DownloadMeter, DownloadProgress

        if self.meter is None:
            self.meter = DownloadMeter()
        self.download = event
        text = self.meter.line(DownloadProgress(event.model, event.done_bytes, event.total_bytes))
        if event.note:
            text += f" — {event.note}"
        fraction = event.done_bytes / event.total_bytes if event.total_bytes else 0.0
        self.bar.show_download(text + " (the original mix plays meanwhile)", fraction)

    def download_unfinished(self) -> str | None:
        """How far the model's download got, if it was cut short (for the paused bar)."""
        d = self.download
        if d is None or (d.total_bytes is not None and d.done_bytes >= d.total_bytes):
            return None
        return (f"Download of the separation model {d.model} cancelled at "
                f"{d.done_bytes / 1e6:.1f} MB: Resume carries on from there; the original mix "
                "plays meanwhile.")

    def _progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.first_progress is None:
            self.first_progress = (now, done)
        t0, d0 = self.first_progress
        eta = ""
        if done > d0 and total > done:
            left_s = (now - t0) / (done - d0) * (total - done)
            eta = f", about {format_time(left_s, 0)} left"
        self.bar.bar.setValue(round(1000 * done / max(1, total)))
        doing = FOLLOWING if self.following else "Separating stems"
        self.bar.label.setText(f"{doing}: {done} of {total} segments{eta}")
        self.progressed.emit(done, total)
        self.stems_arrived.emit()

    def _finish(self, outcome: str, text: str) -> None:
        self.timer.stop()
        self.bar.label.setText(text)
        self.bar.cancel.setEnabled(False)
        if outcome == "done":
            self.bar.bar.setValue(1000)
            self.stems_arrived.emit()
            QTimer.singleShot(3000, self.bar.hide)
        self.finished.emit(outcome)

    def prioritise(self, start_s: float, end_s: float) -> None:
        if not self.job.finished:
            self.job.prioritise(start_s, max(end_s, start_s + AHEAD_S) if end_s - start_s < 1 else end_s)

    def stop(self) -> None:
        """Stop following; the caller cancels the job (off the UI thread: it joins)."""
        self.timer.stop()

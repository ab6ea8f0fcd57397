"""The separation model's first download, seen from the window: MB of MB, speed, time left
and Cancel in the separation bar. (Offline, a folder of model weights is a row of
Preferences ▸ Separation: preferences.py.)
"""
from __future__ import annotations

import logging

from PyQt6.QtCore import QObject, pyqtSignal

from woodshed.separation.model_download import DownloadMeter, DownloadProgress

log = logging.getLogger(__name__)


class DownloadRelay(QObject):
    """Carries download progress from the thread that opens the song to the UI thread."""

    progressed = pyqtSignal(object, object)  # (Separation job, separate.Downloading)

    def __init__(self, bar, tasks, parent: QObject | None = None):
        super().__init__(parent)
        self.bar, self.tasks = bar, tasks
        self.job = None
        self.meter = DownloadMeter()
        self.progressed.connect(self._show)
        bar.cancel_clicked.connect(self.cancel)

    def on_download(self, job, event) -> None:
        """Called on the opening thread (see separating.start_separation)."""
        self.progressed.emit(job, event)

    def _show(self, job, event) -> None:
        if job is not self.job:
            self.job, self.meter = job, DownloadMeter()
        text = self.meter.line(DownloadProgress(event.model, event.done_bytes, event.total_bytes))
        if event.note:
            text += f" — {event.note}"
        fraction = event.done_bytes / event.total_bytes if event.total_bytes else 0.0
        self.bar.show_download(text, fraction)

    def cancel(self) -> None:
        job, self.job = self.job, None
        if job is not None and not job.finished:
            self.bar.cancel.setEnabled(False)
            self.bar.label.setText("Cancelling the download… (it resumes where it stopped next time)")
            # The opening thread then sees "cancelled", and the window hides the bar.
            self.tasks.run(job.cancel, lambda _: None, None, "cancel download")

    def done(self) -> None:
        self.job = None

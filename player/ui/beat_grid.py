"""The song's beat grid for the window: read from the cache when known, else found by a
process of its own (never the UI thread, never the audio path) while the song plays; the
window hears about it by a signal, polled at display rate (a process cannot signal Qt)."""
from __future__ import annotations

import logging

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from woodshed.separation.beats.analyse import GridJob, GridState, known_grid

log = logging.getLogger(__name__)

POLL_MS = 250
REANALYSIS_FAILED = "Finding this song's beats again failed: the grid found before stays"


class GridWatcher(QObject):
    changed = pyqtSignal(object)     # a GridState

    def __init__(self, song_dir, parent: QObject | None = None):
        super().__init__(parent)
        self.song_dir = song_dir
        self.state, needed = known_grid(song_dir)
        self._job: GridJob | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        if needed:
            self._job = GridJob(song_dir)
            self._timer.start()

    def _poll(self) -> None:
        if self._job is None or not self._job.done:
            return
        self._timer.stop()
        failed, self._job = self._job.failed, None
        state, still_needed = known_grid(self.song_dir)
        if still_needed and state.grid is not None:
            # an older tracker's grid that could not be found again: it serves on (it did
            # before the analysis), and the musician hears why it is still the old one
            state = GridState(state.grid, REANALYSIS_FAILED)
        elif still_needed or failed and state.grid is None:
            state = GridState(None, "no beat grid: the beats could not be found; tap the tempo")
        self.state = state
        self.changed.emit(state)

    def stop(self) -> None:
        self._timer.stop()
        if self._job is not None:
            self._job.cancel()
            self._job = None


# Grids being found for songs the window imported but did not open (kept so they are reaped)
_meanwhile: list[GridJob] = []


def find_beats_meanwhile(song_dirs) -> None:
    """Songs imported and not opened (a folder of songs: the first opens): their grids found
    now, one process for all of them in turn, so each song has its grid when it is opened.
    Any thread; the window's own watcher of the open song waits for this if it gets there
    second (the song's beats lock)."""
    _meanwhile[:] = [job for job in _meanwhile if not job.done]
    needed = [d for d in song_dirs if known_grid(d)[1]]
    if needed:
        _meanwhile.append(GridJob(*needed))


def tempo_text(song_bpm: float, tempo: float) -> str:
    """'172 BPM · 70 % = 120': the song's tempo, the speed, and what you hear."""
    return f"{song_bpm:.0f} BPM · {tempo * 100:.0f} % = {song_bpm * tempo:.0f}"

"""A new song's stems joining the view that plays its mix.

A song file opens with its mix alone while the separation model loads; when the model is
known, its stems join the playing engine (without a gap) and the view. Building the whole
view again for them held the UI thread for ~0.4-0.5 s (a lane is a pyqtgraph plot with its
own scene and axes), so the window froze just as the music changed. Here each stem's strip
and lane are built in a turn of the event loop of their own (their waveform levels were
computed off the UI thread), and then shown in one turn in place of the mix's lane: the view
that plays stays, with its position, loop, speed, pitch, mix, markers, bars, zoom and focus.
"""
from __future__ import annotations

import logging
from functools import partial
from typing import Callable

from PyQt6.QtCore import QObject, QTimer

from .colours import stem_colour
from .stem_strip import StemStrip

log = logging.getLogger(__name__)


class StemsJoining(QObject):
    """Builds ``manifest.sources``' strips and lanes, a step a turn (a stem's lane; then its
    strip and its place), then hands them to view.show_stems and calls done(). A child of
    the view: closing the song ends it."""

    def __init__(self, view, manifest, peaks: dict, done: Callable[[], None]):
        super().__init__(view)
        self.view, self.manifest, self.peaks, self.done = view, manifest, peaks, done
        self.names = list(manifest.sources)
        self.strips: dict[str, StemStrip] = {}
        self.lanes: dict = {}
        self.steps = [step for index, name in enumerate(self.names)
                      for step in (partial(self._make_lane, index, name),
                                   partial(self._place, index, name))]
        self.steps.append(self._show)
        # A timer of our own (not QTimer.singleShot): deleted with the view, it never fires
        # into a closed song.
        self.turn = QTimer(self)
        self.turn.setSingleShot(True)
        self.turn.setInterval(0)
        self.turn.timeout.connect(self._next)
        self.turn.start()

    def stop(self) -> None:
        """The song closed: build no more."""
        self.turn.stop()

    def _next(self) -> None:
        self.steps.pop(0)()
        if self.steps:
            self.turn.start()  # the next step in a turn of its own

    def _make_lane(self, index: int, name: str) -> None:
        """The costliest part: a pyqtgraph plot with its scene, axes and items."""
        self.lanes[name] = self.view.waveforms.make_lane(name, index, len(self.names),
                                                         self.peaks[name])

    def _place(self, index: int, name: str) -> None:
        """Its strip; the lane kept in step with those shown; both the view's, hidden."""
        self.strips[name] = StemStrip(name, stem_colour(name, index), index + 1)
        self.view.waveforms.stage_lane(name, self.lanes[name])
        self.view.adopt(self.strips[name], self.lanes[name])

    def _show(self) -> None:
        log.debug("showing %d joined stems", len(self.names))
        self.view.show_stems(self.manifest, self.strips, self.lanes)
        self.done()

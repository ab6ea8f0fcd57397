"""Loops snap to the song's grid while the musician drags them: to the nearest beat, or to the
nearest bar when the beats are too close on screen to aim at. Holding Shift drags freely (as
in Bitwig and REAPER; Alt+drag is the window manager's on many Linux desktops).

The lanes' loop region drags its edges and its body here (SnappingRegion); drawing a new loop
(LaneViewBox) asks Waveforms.snap_s the same question.
"""
from __future__ import annotations

import math

import pyqtgraph as pg
from PyQt6.QtCore import Qt

FREE_MODIFIER = Qt.KeyboardModifier.ShiftModifier
FREE_KEY_NAME = "Shift"
SNAP_BEAT_MIN_PX = 10.0  # beats closer than this on screen: snap to bars instead
SNAP_TIP = (f"Drag the loop or its edges: they land on the beats (on bars when zoomed out); "
            f"hold {FREE_KEY_NAME} to drag freely")


def snap_to_grid(grid, time_s: float, px_per_s: float) -> float:
    """The beat (or, zoomed out, the bar start) nearest time_s."""
    position = grid.beat_position(time_s)
    below = math.floor(position)
    beat_px = (grid.time_of_beat(below + 1) - grid.time_of_beat(below)) * px_per_s
    if beat_px >= SNAP_BEAT_MIN_PX:
        return grid.time_of_beat(round(position))
    per_bar, first = grid.beats_per_bar, grid.first_downbeat
    return grid.time_of_beat(first + round((position - first) / per_bar) * per_bar)


def is_free(ev) -> bool:
    """Whether this drag asked not to snap (the modifier held)."""
    return bool(ev.modifiers() & FREE_MODIFIER)


class SnappingRegion(pg.LinearRegionItem):
    """The loop region, its edges and body dragged onto the grid: ``snap(time_s, free)``
    gives where an edge lands (None: no snapping, as pyqtgraph drags it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.snap = None
        for line in self.lines:
            line.mouseDragEvent = lambda ev, line=line: self._drag_edge(line, ev)

    def _drag_edge(self, line, ev) -> None:
        # pyqtgraph's InfiniteLine.mouseDragEvent, the position snapped before it is set
        if self.snap is None or not line.movable or ev.button() != Qt.MouseButton.LeftButton:
            return pg.InfiniteLine.mouseDragEvent(line, ev)
        if ev.isStart():
            line.moving = True
            line.cursorOffset = line.pos() - line.mapToParent(ev.buttonDownPos())
            line.startPosition = line.pos()
        ev.accept()
        if not line.moving:
            return
        x = (line.cursorOffset + line.mapToParent(ev.pos())).x()
        line.setPos(self.snap(x, is_free(ev)))
        line.sigDragged.emit(line)
        if ev.isFinish():
            line.moving = False
            line.sigPositionChangeFinished.emit(line)

    def mouseDragEvent(self, ev) -> None:
        """Moving the whole loop: its start lands on the grid, its length stays."""
        if self.snap is None or not self.movable or ev.button() != Qt.MouseButton.LeftButton:
            return super().mouseDragEvent(ev)
        ev.accept()
        if ev.isStart():
            self.startPositions = [line.value() for line in self.lines]
            self.moving = True
        if not self.moving:
            return
        delta = ev.pos().x() - ev.buttonDownPos().x()
        start, end = self.startPositions
        new_start = self.snap(start + delta, is_free(ev))
        self.blockLineSignal = True   # one region change, not one per edge
        self.lines[0].setValue(new_start)
        self.lines[1].setValue(new_start + (end - start))
        self.prepareGeometryChange()
        self.blockLineSignal = False
        if ev.isFinish():
            self.moving = False
            self.sigRegionChangeFinished.emit(self)
        else:
            self.sigRegionChanged.emit(self)

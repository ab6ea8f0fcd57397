"""Bars in the lanes: bar numbers on a ruler above the first lane, a line at each bar start
in every lane and, zoomed in far enough, fainter lines on the beats.

Readable at every zoom: lines are never drawn closer than LINE_MIN_PX (zoomed out, every 2nd,
4th, 8th… bar gets one) and labels never closer than LABEL_MIN_PX (bars 1, 5, 9… or 1, 17,
33…), as a DAW's bar ruler does. What a view shows is computed once per view (all lanes share
it) from the grid's beats with numpy: a 60-minute song at full zoom-out draws a few dozen lines
a lane, which keeps the redraw within its frame (tests/benchmarks/bench_ui.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg

from .quick_axis import QuickAxis

LINE_MIN_PX = 12.0       # closer bar lines would grey the lane out (and cost paint)
BEAT_LINE_MIN_PX = 14.0  # beats get lines once they are this far apart
LABEL_MIN_PX = 44.0      # room for a bar number ("1234") and a gap
BAR_PEN = pg.mkPen((230, 237, 243, 120), width=1)
BEAT_PEN = pg.mkPen((230, 237, 243, 45), width=1)
LINE_Z = 4  # over the waveform (visible on a loud lane), under the loop, markers and playhead


def beat_times_s(grid, indices: np.ndarray) -> np.ndarray:
    """Source seconds of whole beat indices, extrapolated at the first/last beat's length
    outside the song's beats (as Grid.time_of_beat does, for many beats at once)."""
    b = np.asarray(grid.beats_s, float)
    n = len(b)
    indices = np.asarray(indices, np.int64)
    t = b[np.clip(indices, 0, n - 1)]
    before, after = indices < 0, indices > n - 1
    t = np.where(before, b[0] + indices * (b[1] - b[0]), t)
    return np.where(after, b[-1] + (indices - (n - 1)) * (b[-1] - b[-2]), t)


def every_nth(spacing_px: float, min_px: float) -> int:
    """The smallest power of two n with n * spacing_px >= min_px (1, 2, 4, 8…)."""
    if spacing_px >= min_px:
        return 1
    return 2 ** math.ceil(math.log2(min_px / max(spacing_px, 1e-9)))


@dataclass(frozen=True)
class BarMarks:
    """What one view shows of the grid."""
    bar_s: np.ndarray        # where a bar line is drawn (seconds)
    label_s: np.ndarray      # where a bar number is written
    label_bars: np.ndarray   # the numbers written there
    beat_s: np.ndarray       # beat lines (empty when the beats are too close to draw)
    bar_px: float            # a bar's width on screen (the ruler and snapping read it)
    beat_px: float


def bar_marks(grid, start_s: float, end_s: float, width_px: float, duration_s: float) -> BarMarks:
    width_px = max(float(width_px), 1.0)
    start_s, end_s = max(0.0, start_s), min(duration_s, end_s)
    px_per_s = width_px / max(end_s - start_s, 1e-9)
    per_bar, first = grid.beats_per_bar, grid.first_downbeat
    first_bar = grid.bar_at(start_s) - 1
    last_bar = grid.bar_at(end_s) + 1
    bar_numbers = np.arange(first_bar, last_bar + 1)
    starts = beat_times_s(grid, first + (bar_numbers - 1) * per_bar)
    bar_px = float(np.median(np.diff(starts))) * px_per_s if len(starts) > 1 else width_px
    beat_px = bar_px / per_bar
    line_every = every_nth(bar_px, LINE_MIN_PX)
    label_every = max(line_every, every_nth(bar_px, LABEL_MIN_PX))
    inside = (starts >= start_s) & (starts <= end_s)
    lined = inside & ((bar_numbers - 1) % line_every == 0)
    labelled = inside & ((bar_numbers - 1) % label_every == 0) & (bar_numbers >= 1)
    beats = np.zeros(0)
    if beat_px >= BEAT_LINE_MIN_PX:
        lo = int(math.floor(grid.beat_position(start_s)))
        hi = int(math.ceil(grid.beat_position(end_s)))
        index = np.arange(lo, hi + 1)
        index = index[(index - first) % per_bar != 0]           # bar lines already drawn there
        beats = beat_times_s(grid, index)
        beats = beats[(beats >= start_s) & (beats <= end_s)]
    return BarMarks(starts[lined], starts[labelled], bar_numbers[labelled], beats, bar_px, beat_px)


class BarMarksSource:
    """The song's grid and the marks of the view last asked for: every lane and the ruler ask
    for the same view in one redraw, so it is computed once."""

    def __init__(self, duration_s: float):
        self.duration_s = duration_s
        self.grid = None
        self._key = None
        self._marks: BarMarks | None = None

    def set_grid(self, grid) -> None:
        self.grid, self._key, self._marks = grid, None, None

    def marks(self, start_s: float, end_s: float, width_px: float) -> BarMarks | None:
        if self.grid is None:
            return None
        key = (start_s, end_s, int(width_px))
        if key != self._key:
            self._key, self._marks = key, bar_marks(self.grid, start_s, end_s, width_px,
                                                    self.duration_s)
        return self._marks


def vertical_lines(times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x, y of one vertical segment per time (drawn with connect="pairs")."""
    x = np.repeat(np.asarray(times_s, float), 2)
    y = np.tile(np.array([-1.05, 1.05], np.float32), len(times_s))
    return x, y


class VerticalLines(pg.PlotCurveItem):
    """Lines across the lane whose bounds are known when they are given (their first and last
    time, and the lane's height): pyqtgraph would scan every point for them at each paint."""

    def set_times(self, times_s: np.ndarray) -> None:
        self._known_bounds = ((float(times_s.min()), float(times_s.max())), (-1.05, 1.05))
        self.setData(*vertical_lines(times_s), connect="pairs")

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        known = getattr(self, "_known_bounds", None)
        if known is None or orthoRange is not None or ax not in (0, 1):
            return super().dataBounds(ax, frac, orthoRange)
        return known[ax]


class BarLines:
    """A lane's bar and beat lines: two line items, each one path (cheap to paint)."""

    def __init__(self, view: pg.ViewBox):
        self.bars = VerticalLines(pen=BAR_PEN, connect="pairs", skipFiniteCheck=True)
        self.beats = VerticalLines(pen=BEAT_PEN, connect="pairs", skipFiniteCheck=True)
        for item in (self.bars, self.beats):
            item.setZValue(LINE_Z)
            item.hide()
            view.addItem(item)

    def draw(self, marks: BarMarks | None) -> None:
        for item, times in ((self.bars, None if marks is None else marks.bar_s),
                            (self.beats, None if marks is None else marks.beat_s)):
            if times is None or len(times) == 0:
                item.hide()         # a hidden item costs nothing to paint
                continue
            item.set_times(np.asarray(times, float))
            item.show()

    def bar_times_s(self) -> list[float]:
        """Where bar lines are drawn now (tests read them)."""
        x = self.bars.xData if self.bars.isVisible() and self.bars.xData is not None else []
        return [float(t) for t in x[0::2]]

    def beat_times_s(self) -> list[float]:
        x = self.beats.xData if self.beats.isVisible() and self.beats.xData is not None else []
        return [float(t) for t in x[0::2]]


class BarAxis(QuickAxis):
    """The bar ruler: bar numbers at their bars' starts (1, 5, 9… when zoomed out), a tick at
    each bar drawn in the lanes."""

    def __init__(self, source: BarMarksSource):
        super().__init__("top")
        self.source = source
        self._labels: dict[float, int] = {}
        self.setStyle(tickLength=-6, hideOverlappingLabels=False)  # bar 1 at the very left too

    def tickValues(self, minVal, maxVal, size):
        marks = self.source.marks(minVal, maxVal, size)
        if marks is None:
            return []
        self._labels = dict(zip(marks.label_s.tolist(), marks.label_bars.tolist()))
        # Two levels: the labelled bars (with text), then every bar line (tick only).
        return [(1.0, marks.label_s.tolist()), (0.5, marks.bar_s.tolist())]

    def tickStrings(self, values, scale, spacing):
        if spacing != 1.0:
            return [""] * len(values)
        # Centred on its bar line as pyqtgraph writes labels, the number padded on its left
        # so it stands just right of the line, as a DAW's bar ruler writes it (bar 1 at the
        # song's very start readable too).
        numbers = [str(self._labels.get(v, "")) for v in values]
        return [" " * (len(n) + 1) + n if n else "" for n in numbers]

    def labels(self) -> list[str]:
        """The bar numbers the ruler shows now (tests read them)."""
        return [str(n) for n in self._labels.values()]

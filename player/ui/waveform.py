"""Waveform lanes (pyqtgraph): one per stem plus the mix overview, drawn from manifest peaks.

Mouse, as in most audio editors: wheel zooms in time, left click seeks, left drag makes an
A-B loop (drag its edges or its body to adjust), right or middle drag pans. In the mix
overview the shaded window is the part the lanes show: drag it to scroll.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtGui import QColor

from .bar_ruler import BarAxis, BarLines, BarMarksSource
from .colours import stem_colour
from .peaks_view import PeakLevels
from .snap import SNAP_TIP, SnappingRegion, is_free, snap_to_grid
from .timefmt import format_time

BACKGROUND = "#161b22"
# The loop is drawn over the waveform (a tint over loud lanes too), in a colour no stem has
# (colours.py keeps the stems' hues away from it).
LOOP_RGB = (255, 214, 10)
LOOP_BRUSH = (*LOOP_RGB, 48)
LOOP_EDGE = (*LOOP_RGB, 230)
PEAK_ALPHA = 90  # the peaks drawn faint, the loudness (RMS) solid inside them
PLAYHEAD_PEN = pg.mkPen("#ffffff", width=2)
MARKER_PEN = pg.mkPen((230, 237, 243, 170), width=1, style=Qt.PenStyle.DashLine)
MIN_VIEW_S = 0.2
FOLLOW_PAUSE_S = 3.0  # after a scroll or zoom by hand, the view stays put this long


def to_display(amplitude: np.ndarray, top: float, floor_db: float) -> np.ndarray:
    """Amplitude -> lane height 0…1 on a dB scale from floor_db (0) to the lane's loudest
    peak (1): the shape of quiet parts and the sections of loud ones both show."""
    ratio = np.maximum(np.asarray(amplitude, np.float32) / max(top, 1e-9), 1e-9)
    return np.clip(1.0 - 20.0 * np.log10(ratio) / floor_db, 0.0, 1.0)


def mirrored(x: np.ndarray, heights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x doubled and heights as -h, +h, -h…: a vertical segment per bin fills the envelope."""
    y = np.empty(2 * len(heights), np.float32)
    y[0::2] = -heights
    y[1::2] = heights
    return np.repeat(x, 2), y


def outline(x: np.ndarray, heights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The envelope's edges as one line: +h left to right, then -h right to left (the one
    joining segment is the view's right end, past it when zoomed in)."""
    return (np.concatenate([x, x[::-1]]),
            np.concatenate([heights, -heights[::-1]]).astype(np.float32))


def without_unit_prefixes(plot: pg.PlotItem) -> None:
    """Seconds need no SI prefix (ms, ks): with it on, each of a plot's four axes rewrote its
    (unshown) label's HTML at every change of the time range, at each scroll, zoom and
    resize of every lane (a fifth of the work of showing a song's joining stems)."""
    for name in ("left", "right", "top", "bottom"):
        plot.getAxis(name).enableAutoSIPrefix(False)


def redraw_if_wider_or_narrower(lane) -> None:
    """After a resize: a lane's points depend on its width alone (its height scales them), so
    only a new width draws them again (stems joining resize every lane's height at once)."""
    if "curve" not in lane.__dict__:  # pyqtgraph resizes once before our __init__ is done
        return
    if int(lane.view.width() or lane.width()) != getattr(lane, "drawn_width_px", None):
        lane.redraw()


class LaneCurve(pg.PlotCurveItem):
    """A curve whose bounds are known when it is given its points (a lane's time range, and
    ±1 in height): pyqtgraph would otherwise scan every point for them at each paint."""

    def set_points(self, x: np.ndarray, y: np.ndarray, connect) -> None:
        self._known_bounds = ((float(x.min()), float(x.max())) if len(x) else (None, None),
                              (-1.0, 1.0) if len(x) else (None, None))
        self.setData(x, y, connect=connect)

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        known = getattr(self, "_known_bounds", None)
        if known is None or orthoRange is not None or ax not in (0, 1):
            return super().dataBounds(ax, frac, orthoRange)
        return known[ax]


class EnvelopeCurves:
    """A lane's waveform, dB-scaled and mirrored: its loudness (RMS) solid, its peaks as a
    faint outline around it (an outline costs far less to paint than a fill).

    Both are handed to Qt as connected polylines where the bins are dense (pyqtgraph turns
    those into a path ~7x faster than separate segments: the redraw goal at full zoom-out):
    the solid one zigzags -h, +h from bin to bin, which at a bin a pixel fills the envelope as
    vertical segments would. Zoomed in, where bins are wider than a pixel, it is drawn as one
    vertical segment a bin (few points: cheap either way)."""

    def __init__(self, view: pg.ViewBox, colour: QColor):
        faint = QColor(colour)
        faint.setAlpha(PEAK_ALPHA)
        self.peak_curve = LaneCurve(pen=pg.mkPen(faint, width=1), skipFiniteCheck=True)
        self.curve = LaneCurve(pen=pg.mkPen(colour, width=1), skipFiniteCheck=True)
        for z, item in enumerate((self.peak_curve, self.curve), start=1):
            item.setZValue(z)
            view.addItem(item)

    def draw(self, peaks: PeakLevels, start_s: float, end_s: float, width_px: int) -> None:
        x, peak, loudness = peaks.envelope(start_s, end_s, width_px)
        top, floor_db = peaks.loudest, peaks.floor_db
        self.peak_curve.set_points(*outline(x, to_display(peak, top, floor_db)), connect="all")
        dense = len(x) * 2 >= width_px  # at least a bin every two pixels
        self.curve.set_points(*mirrored(x, to_display(loudness, top, floor_db)),
                              connect="all" if dense else "pairs")

    def set_opacity(self, opacity: float) -> None:
        self.peak_curve.setOpacity(opacity)
        self.curve.setOpacity(opacity)


# Ruler steps a musician reads easily (clock steps past a second), and the room a label needs.
RULER_STEPS_S = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900,
                 1800, 3600)
RULER_LABEL_PX = 80


def ruler_steps(span_s: float, width_px: float) -> tuple[float, float]:
    """(labelled step, small tick step) so labels are about RULER_LABEL_PX apart at any zoom."""
    span_s = max(span_s, 1e-6)
    width_px = max(width_px, 1.0)
    major = next((s for s in RULER_STEPS_S if s * width_px / span_s >= RULER_LABEL_PX),
                 RULER_STEPS_S[-1])
    smaller = [s for s in RULER_STEPS_S if s < major and (major / s) % 1 < 1e-9]
    minor = next((s for s in reversed(smaller) if s * width_px / span_s >= 12), major)
    return major, minor


def ruler_decimals(step_s: float) -> int:
    return 0 if step_s >= 1 else 1 if step_s >= 0.1 else 2


class TimeAxis(pg.AxisItem):
    """Bottom axis in m:ss(.s): a label every RULER_LABEL_PX or so, at any zoom."""

    def tickSpacing(self, minVal, maxVal, size):
        major, minor = ruler_steps(maxVal - minVal, size)
        return [(major, 0), (minor, 0)]

    def tickStrings(self, values, scale, spacing):
        return [format_time(v, ruler_decimals(spacing)) for v in values]


class LaneViewBox(pg.ViewBox):
    """Time-only zoom and pan; left click seeks, left drag reports a loop being drawn."""

    clicked = pyqtSignal(float)
    loop_drawn = pyqtSignal(float, float, bool, bool)  # start_s, end_s, finished, free (no snap)

    def __init__(self, draw_loops: bool = True):
        super().__init__(enableMenu=False)
        self.draw_loops = draw_loops
        self.setMouseEnabled(x=True, y=False)
        self.disableAutoRange()
        self.setYRange(-1.05, 1.05, padding=0)

    def mouseClickEvent(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.clicked.emit(float(self.mapSceneToView(ev.scenePos()).x()))
        else:
            ev.ignore()

    def mouseDragEvent(self, ev, axis=None):
        if ev.button() == Qt.MouseButton.LeftButton and self.draw_loops:
            ev.accept()
            a = self.mapSceneToView(ev.buttonDownScenePos()).x()
            b = self.mapSceneToView(ev.scenePos()).x()
            self.loop_drawn.emit(float(min(a, b)), float(max(a, b)), bool(ev.isFinish()),
                                 is_free(ev))
        elif ev.button() in (Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton):
            ev.accept()
            dx = self.mapSceneToView(ev.scenePos()).x() - self.mapSceneToView(ev.lastScenePos()).x()
            self.translateBy(x=-dx)
        else:
            ev.ignore()


class Lane(pg.PlotWidget):
    """One stem's waveform, its playhead and its copy of the loop region."""

    def __init__(self, name: str, colour: str, peaks: PeakLevels, duration_s: float,
                 show_axis: bool = False, bars: BarMarksSource | None = None,
                 show_bar_ruler: bool = False):
        self.view = LaneViewBox()
        axis = {"bottom": TimeAxis("bottom")} if show_axis else {}
        self.bars = bars or BarMarksSource(duration_s)
        if show_bar_ruler:
            axis["top"] = BarAxis(self.bars)
        super().__init__(viewBox=self.view, axisItems=axis, background=BACKGROUND)
        self.name = name
        self.peaks = peaks
        self.duration_s = duration_s
        plot = self.getPlotItem()
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.hideAxis("left")
        if not show_axis:
            plot.hideAxis("bottom")
        self.bar_ruler = axis.get("top")  # shown once the song has a grid
        plot.hideAxis("top")
        plot.layout.setContentsMargins(0, 0, 0, 0)
        without_unit_prefixes(plot)
        self.setMinimumHeight(44)
        self.view.setLimits(xMin=0, xMax=duration_s, minXRange=MIN_VIEW_S)
        self.colour = QColor(colour)
        self.waveform = EnvelopeCurves(self.view, self.colour)
        self.curve = self.waveform.curve  # the loudness line (benchmarks count its points)
        self.bar_lines = BarLines(self.view)
        self.playhead = pg.InfiniteLine(0, pen=PLAYHEAD_PEN, movable=False)
        self.playhead.setZValue(10)
        self.view.addItem(self.playhead)
        self.loop_region = SnappingRegion((0, 1), brush=LOOP_BRUSH, movable=True,
                                          pen=pg.mkPen(LOOP_EDGE, width=2), swapMode="sort")
        self.loop_region.setZValue(5)  # over the waveform: visible on a loud lane too
        self.loop_region.setToolTip(SNAP_TIP)
        self.loop_region.setBounds((0, duration_s))
        self.loop_region.hide()
        self.view.addItem(self.loop_region)
        # Grey bands where separation has not reached yet (the original mix plays there).
        self.unready = pg.BarGraphItem(x0=[], width=[], y0=-1e3, height=2e3,
                                       brush=pg.mkBrush(140, 140, 140, 45), pen=pg.mkPen(None))
        self.unready.setZValue(-1)
        self.unready.hide()
        self.view.addItem(self.unready)
        self.dimmed = False
        self.fit_height()
        self.view.sigXRangeChanged.connect(lambda *_: self.redraw())

    def fit_height(self) -> None:
        """Each lane is scaled to its own loudest peak (to_display): a quiet part still shows."""
        self.view.setYRange(-1.05, 1.05, padding=0)

    def redraw(self) -> None:
        # The view's new transform now, not when it paints: pyqtgraph applies it in the
        # paint itself, and the items moving then made every lane paint twice per zoom.
        self.view.updateMatrix()
        (x0, x1), _ = self.view.viewRange()
        width = self.drawn_width_px = int(self.view.width() or self.width())
        self.waveform.draw(self.peaks, x0, x1, width)
        self.bar_lines.draw(self.bars.marks(x0, x1, width))

    def show_grid(self) -> None:
        """The song's grid changed (found, fixed, or none): its ruler and lines follow."""
        if self.bar_ruler is not None:
            self.getPlotItem().showAxis("top", self.bars.grid is not None)
        self.redraw()

    def set_dimmed(self, dimmed: bool) -> None:
        self.dimmed = dimmed
        self.waveform.set_opacity(0.25 if dimmed else 1.0)

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        redraw_if_wider_or_narrower(self)


MIX_LANE = "mix"


def lane_peaks(manifest, name: str) -> PeakLevels:
    """What a lane draws for ``name`` (a stem, or "mix"): its levels of detail (numpy work
    that can run off the UI thread)."""
    return PeakLevels(*manifest.peaks_of(name), manifest.frames_per_peak / manifest.sample_rate,
                      manifest.rms_of(name))


class Waveforms(QObject):
    """The lanes of one song, kept in step: one time range, one playhead, one loop region."""

    seek_requested = pyqtSignal(float)
    loop_changed = pyqtSignal(float, float)  # the musician finished drawing or moving a loop

    def __init__(self, song, parent: QObject | None = None):
        super().__init__(parent)
        manifest = song.manifest
        self.duration_s = manifest.duration_s
        self.lanes: dict[str, Lane] = {}
        self.bars = BarMarksSource(self.duration_s)  # the grid, shared by every lane
        self._markers = []
        self.staged: dict[str, Lane] = {}  # a joining song's stems' lanes, not shown yet
        # A song with no stems yet (opened while the model loads) shows its mix in one lane.
        names = list(manifest.sources) or [MIX_LANE]
        for i, name in enumerate(names):
            self.lanes[name] = self.make_lane(name, i, len(names), lane_peaks(manifest, name))
        first = next(iter(self.lanes.values()))
        for lane in self.lanes.values():
            if lane is not first:
                lane.setXLink(first)
        self.overview = Overview(lane_peaks(manifest, "mix"), self.duration_s)
        self.overview.view.clicked.connect(self.seek_requested)
        self.overview.window.sigRegionChanged.connect(self._overview_window_moved)
        if not manifest.complete:
            self.show_unready(manifest)
        first.view.sigXRangeChanged.connect(self._lanes_scrolled)
        self._syncing = False
        self.follow = True
        self._paging = False
        self._looked_away_s = -1e9  # when the musician last scrolled or zoomed by hand
        self._paging = True
        self.set_view(0.0, min(self.duration_s, 30.0))
        self._paging = False

    def make_lane(self, name: str, index: int, count: int, peaks: PeakLevels) -> Lane:
        """Lane ``index`` of ``count``: the first carries the bar ruler, the last the time
        axis; its mouse works as every lane's does. Not linked to the others yet."""
        lane = Lane(name, stem_colour(name, index), peaks, self.duration_s,
                    show_axis=(index == count - 1), bars=self.bars, show_bar_ruler=(index == 0))
        lane.view.clicked.connect(self.seek_requested)
        lane.view.loop_drawn.connect(self._loop_drawn)
        lane.loop_region.snap = self.snap_s
        lane.loop_region.sigRegionChanged.connect(self._region_moved)
        lane.loop_region.sigRegionChangeFinished.connect(self._region_finished)
        return lane

    def stage_lane(self, name: str, lane: Lane) -> None:
        """A joining stem's lane (from make_lane), kept as the shown lanes are (the same time
        range, playhead, loop and bars) until take_staged shows it: the work of one lane at
        a time, so no turn of the event loop does it all (stems_join.py)."""
        # Linked as they will be once shown (to the first of them, which follows the lanes
        # shown meanwhile): showing them then links one lane, not all.
        lane.setXLink(next(iter(self.staged.values()), self.first))
        lane.playhead.setValue(self.first.playhead.value())
        self.staged[name] = lane
        loop = self.loop_region_s()
        if loop is not None:
            self.show_loop(*loop)  # (as the window's own move: not the musician's new loop)
        lane.show_grid()

    def take_staged(self) -> list[Lane]:
        """The staged lanes take the place of the ones shown (the song's stems joined its
        mix), showing the same time range and markers. Returns the lanes let go (the caller
        takes them off the screen)."""
        old, old_first = list(self.lanes.values()), self.first
        x0, x1 = self.view_range_s()
        markers = self._markers
        if markers:
            self.show_markers([])  # (their lines are in the old lanes' views)
        old_first.view.sigXRangeChanged.disconnect(self._lanes_scrolled)
        self.lanes, self.staged = self.staged, {}
        first = self.first
        first.setXLink(None)  # (it followed the old first lane; the others follow it)
        first.view.sigXRangeChanged.connect(self._lanes_scrolled)
        self.show_span(x0, x1)  # the window's own move: following the playhead goes on
        if markers:
            self.show_markers(markers)
        return old

    def _every_lane(self) -> list[Lane]:
        """The shown lanes and the staged ones."""
        return [*self.lanes.values(), *self.staged.values()]

    # --- time range ------------------------------------------------------
    @property
    def first(self) -> Lane:
        return next(iter(self.lanes.values()))

    def view_range_s(self) -> tuple[float, float]:
        (x0, x1), _ = self.first.view.viewRange()
        return float(x0), float(x1)

    def set_view(self, start_s: float, end_s: float) -> None:
        self.first.view.setXRange(start_s, end_s, padding=0)

    def show_span(self, start_s: float, end_s: float) -> None:
        """Show [start_s, end_s] as the window's own move (not the musician scrolling away)."""
        self._paging = True
        self.set_view(start_s, end_s)
        self._paging = False

    def zoom_out_full(self) -> None:
        self.set_view(0.0, self.duration_s)

    def _lanes_scrolled(self, *_):
        if not self._paging:
            self._looked_away_s = time.monotonic()
        if self._syncing:
            return
        self._syncing = True
        self.overview.window.setRegion(self.view_range_s())
        self._syncing = False

    def _overview_window_moved(self):
        if self._syncing:
            return
        self._syncing = True
        self.set_view(*self.overview.window.getRegion())
        self._syncing = False

    # --- playhead --------------------------------------------------------
    def set_playhead(self, position_s: float, playing: bool) -> None:
        for lane in (*self._every_lane(), self.overview):
            lane.playhead.setValue(position_s)
        # Follow the playhead, unless the musician is looking elsewhere right now.
        if playing and self.follow and time.monotonic() - self._looked_away_s > FOLLOW_PAUSE_S:
            x0, x1 = self.view_range_s()
            if not (x0 <= position_s <= x1 - 0.02 * (x1 - x0)):
                width = x1 - x0  # page along, keeping the zoom
                start = min(max(0.0, position_s - 0.05 * width), max(0.0, self.duration_s - width))
                self._paging = True
                self.set_view(start, start + width)
                self._paging = False

    # --- loop region -----------------------------------------------------
    def show_loop(self, start_s: float, end_s: float) -> None:
        self._syncing = True
        for lane in self._every_lane():
            lane.loop_region.setRegion((start_s, end_s))
            lane.loop_region.show()
        self.overview.loop.setRegion((start_s, end_s))
        self.overview.loop.show()
        self._syncing = False

    # --- bars --------------------------------------------------------------------
    def set_grid(self, grid) -> None:
        """Bar numbers on the ruler above the first lane, bar (and beat) lines in every
        lane; None: none (a song without a grid)."""
        self.bars.set_grid(grid)
        for lane in self._every_lane():
            lane.show_grid()

    def bar_labels(self) -> list[str]:
        """The bar numbers the ruler shows (tests read them)."""
        ruler = self.first.bar_ruler
        return ruler.labels() if ruler is not None and ruler.isVisible() else []

    # --- markers -----------------------------------------------------------------
    def show_markers(self, markers) -> None:
        """A dashed line per marker across every lane, its name by the ruler (the lane that
        carries the time axis)."""
        for view, line in getattr(self, "_marker_lines", []):
            view.removeItem(line)
        self._marker_lines = []
        self._markers = list(markers)
        ruler_lane = list(self.lanes.values())[-1]
        for marker in markers:
            for lane in (*self.lanes.values(), self.overview):
                named = lane is ruler_lane
                line = pg.InfiniteLine(
                    marker.time_s, pen=MARKER_PEN, movable=False,
                    label=marker.name if named else None,
                    labelOpts={"position": 0.12, "color": "#e6edf3",
                               "fill": (22, 27, 34, 200), "anchors": [(0, 1), (0, 1)]})
                line.setZValue(6)
                lane.view.addItem(line)
                self._marker_lines.append((lane.view, line))

    def marker_labels(self) -> list[str]:
        """The names shown by the ruler (tests read them)."""
        return [line.label.toPlainText() for _, line in getattr(self, "_marker_lines", [])
                if getattr(line, "label", None) is not None]

    def hide_loop(self) -> None:
        for lane in self._every_lane():
            lane.loop_region.hide()
        self.overview.loop.hide()

    def loop_region_s(self) -> tuple[float, float] | None:
        region = self.first.loop_region
        return tuple(float(v) for v in region.getRegion()) if region.isVisible() else None

    def snap_s(self, time_s: float, free: bool = False) -> float:
        """Where a loop edge dragged to time_s lands: the nearest beat (bar, zoomed out),
        or time_s itself when dragged freely or when the song has no grid."""
        grid = self.bars.grid
        if grid is not None and not free:
            x0, x1 = self.view_range_s()
            time_s = snap_to_grid(grid, time_s, self.first.view.width() / max(x1 - x0, 1e-9))
        return min(max(0.0, time_s), self.duration_s)

    def _loop_drawn(self, start_s: float, end_s: float, finished: bool, free: bool = False) -> None:
        start_s, end_s = self.snap_s(start_s, free), self.snap_s(end_s, free)
        if end_s - start_s < 0.05:
            return
        self.show_loop(start_s, end_s)
        if finished:
            self.loop_changed.emit(start_s, end_s)

    def _region_moved(self, region) -> None:
        if self._syncing:
            return
        self.show_loop(*region.getRegion())

    def _region_finished(self, region) -> None:
        if not self._syncing:
            self.loop_changed.emit(*(float(v) for v in region.getRegion()))

    def set_dimmed(self, name: str, dimmed: bool) -> None:
        self.lanes[name].set_dimmed(dimmed)

    def update_peaks(self, manifest, peaks: dict | None = None) -> None:
        """The manifest's new peaks drawn; peaks: {name: lane_peaks(…)} if computed already
        (off the UI thread), else computed here."""
        def levels(name):
            return peaks[name] if peaks and name in peaks else lane_peaks(manifest, name)

        self.show_unready(manifest)
        for name, lane in self.lanes.items():
            lane.peaks = levels(name)
            lane.fit_height()
        self.overview.peaks = levels("mix")
        self.redraw_all()

    def show_unready(self, manifest) -> None:
        """Shade what is not separated yet, from the manifest's ready ranges."""
        rate, edges = manifest.sample_rate, [0]
        for start, end in manifest.ready_ranges():
            edges += [start, end]
        edges.append(manifest.frames)
        gaps = [(a / rate, b / rate) for a, b in zip(edges[0::2], edges[1::2]) if b > a]
        starts = [a for a, _ in gaps]
        widths = [b - a for a, b in gaps]
        for lane in self.lanes.values():
            lane.unready.setOpts(x0=starts, width=widths)
            lane.unready.setVisible(bool(gaps))  # a hidden item costs nothing to paint

    def redraw_all(self) -> None:
        for lane in self.lanes.values():
            lane.redraw()
        self.overview.redraw()


class Overview(pg.PlotWidget):
    """The whole mix at a glance: the loop, the playhead and the window the lanes show."""

    def __init__(self, peaks: PeakLevels, duration_s: float):
        self.view = LaneViewBox(draw_loops=False)
        self.view.setMouseEnabled(x=False, y=False)
        super().__init__(viewBox=self.view, background=BACKGROUND)
        plot = self.getPlotItem()
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.layout.setContentsMargins(0, 0, 0, 0)
        without_unit_prefixes(plot)
        self.setFixedHeight(48)
        self.peaks = peaks
        self.duration_s = duration_s
        self.view.setXRange(0, duration_s, padding=0)
        self.view.setYRange(-1.05, 1.05, padding=0)
        self.waveform = EnvelopeCurves(self.view, QColor(stem_colour("mix")))
        self.curve = self.waveform.curve
        self.window = pg.LinearRegionItem((0, duration_s), brush=(121, 192, 255, 40),
                                          pen=pg.mkPen((121, 192, 255, 160)))
        self.window.setBounds((0, duration_s))
        self.view.addItem(self.window)
        self.loop = pg.LinearRegionItem((0, 1), brush=LOOP_BRUSH, movable=False,
                                        pen=pg.mkPen(LOOP_EDGE))
        self.loop.setZValue(5)
        self.loop.hide()
        self.view.addItem(self.loop)
        self.playhead = pg.InfiniteLine(0, pen=PLAYHEAD_PEN, movable=False)
        self.view.addItem(self.playhead)

    def redraw(self) -> None:
        width = self.drawn_width_px = int(self.view.width() or self.width())
        self.waveform.draw(self.peaks, 0, self.duration_s, width)

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        redraw_if_wider_or_narrower(self)

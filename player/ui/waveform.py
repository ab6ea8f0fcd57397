"""Waveform lanes (pyqtgraph): one per stem plus the mix overview, drawn from manifest peaks.

Mouse, as in most audio editors: wheel zooms in time, left click seeks, left drag makes an
A-B loop (drag its edges or its body to adjust), right or middle drag pans. In the mix
overview the shaded window is the part the lanes show: drag it to scroll.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QColor, QImage

from .bar_ruler import BarAxis, BarLines, BarMarksSource
from .colours import stem_colour
from .peaks_view import PeakLevels
from .quick_axis import QuickAxis
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


def without_unit_prefixes(plot: pg.PlotItem) -> None:
    """Seconds need no SI prefix (ms, ks): with it on, each of a plot's four axes rewrote its
    (unshown) label's HTML at every change of the time range, at each scroll, zoom and
    resize of every lane (a fifth of the work of showing a song's joining stems)."""
    for name in ("left", "right", "top", "bottom"):
        plot.getAxis(name).enableAutoSIPrefix(False)


def view_size_px(plot: pg.PlotWidget) -> tuple[int, int]:
    """The pixels a lane's (or the overview's) picture covers: its view's size."""
    return int(plot.view.width() or plot.width()), int(plot.view.height() or plot.height())


def premultiplied_argb(colour: QColor, alpha: int) -> np.uint32:
    """One pixel of QImage's ARGB32_Premultiplied format."""
    a = alpha / 255
    r, g, b = (round(c * a) for c in (colour.red(), colour.green(), colour.blue()))
    return np.uint32((alpha << 24) | (r << 16) | (g << 8) | b)


def column_heights(x_s: np.ndarray, heights: np.ndarray, start_s: float, end_s: float,
                   width_px: int, song_s: float) -> np.ndarray:
    """A height per pixel column from the drawn bins: the highest bin whose centre falls in
    the column (no peak lost where bins are about a pixel each), and between bin centres, where
    bins are wider than a pixel (zoomed in), the line joining them; NaN outside the song."""
    column_s = (end_s - start_s) / width_px
    centres_s = start_s + (np.arange(width_px) + 0.5) * column_s
    if len(x_s) == 0:
        return np.full(width_px, np.nan, np.float32)
    joined = np.interp(centres_s, x_s, heights).astype(np.float32)
    column = np.floor((x_s - start_s) / column_s).astype(np.int64)
    inside = (column >= 0) & (column < width_px)
    highest = np.full(width_px, -1.0, np.float32)
    np.maximum.at(highest, column[inside], heights[inside])
    out = np.where(highest >= 0, highest, joined)
    out[(centres_s < 0) | (centres_s > song_s)] = np.nan
    return out


def rasterise(peak_h: np.ndarray, loud_h: np.ndarray, height_px: int,
              solid: np.uint32, faint: np.uint32) -> np.ndarray:
    """(height, width) ARGB pixels, mirrored around the middle: each column's loudness span
    solid, its peak span faint around it; a silent column still shows the centre line.
    Heights are 0…1 of the lane's half-height (its view spans ±1.05)."""
    half_px = height_px / 2 / 1.05
    sounding = ~np.isnan(peak_h)
    peak_px = np.where(sounding, np.maximum(np.nan_to_num(peak_h) * half_px, 0.5), -1.0)
    loud_px = np.where(sounding, np.maximum(np.nan_to_num(loud_h) * half_px, 0.5), -1.0)
    # The upper half (and the middle row of an odd height), then its mirror image below.
    upper_rows = (height_px + 1) // 2
    from_middle_px = (height_px / 2 - 0.5 - np.arange(upper_rows, dtype=np.float32))[:, None]
    upper = np.where(from_middle_px <= loud_px, solid,
                     np.where(from_middle_px <= peak_px, faint, np.uint32(0)))
    return np.concatenate([upper, upper[:height_px // 2][::-1]])


class LanePicture(pg.GraphicsObject):
    """A lane's waveform as one picture of its view, a pixel column at a time (numpy): a
    playhead or loop moving over it repaints by copying pixels, and a zoom costs a numpy pass,
    not the stroking of two paths of thousands of points per lane (a turn's worst work)."""

    def __init__(self):
        super().__init__()
        self.image: QImage | None = None
        self.rect = QRectF()
        self.columns = 0  # pixel columns drawn from the song (tests read it)

    def set_pixels(self, pixels: np.ndarray, rect: QRectF, columns: int,
                   pixel_ratio: float = 1.0) -> None:
        height, width = pixels.shape
        self.prepareGeometryChange()
        pixels = np.ascontiguousarray(pixels)
        # A copy Qt owns (~0.05 ms): an image over numpy's buffer would outlive it at exit.
        self.image = QImage(pixels.data, width, height, width * 4,
                            QImage.Format.Format_ARGB32_Premultiplied).copy()
        self.image.setDevicePixelRatio(pixel_ratio)
        self.rect, self.columns = rect, columns
        self.update()

    def boundingRect(self) -> QRectF:
        return self.rect

    def paint(self, painter, option, widget=None):
        if self.image is None:
            return
        target = painter.transform().mapRect(self.rect)
        size = self.image.deviceIndependentSize()
        if abs(target.width() - size.width()) < 0.5 and abs(target.height() - size.height()) < 0.5:
            painter.save()  # as drawn: pixel for pixel
            painter.resetTransform()
            painter.drawImage(QPointF(round(target.left()), round(target.top())), self.image)
            painter.restore()
        else:  # the view moved or resized since: stretched until drawn again
            painter.drawImage(self.rect, self.image)


class Envelope:
    """A lane's waveform, dB-scaled and mirrored: its loudness (RMS) solid, its peaks faint
    around it, drawn as a picture of the view (LanePicture)."""

    def __init__(self, view: pg.ViewBox, colour: QColor):
        self.solid = premultiplied_argb(colour, 255)
        self.faint = premultiplied_argb(colour, PEAK_ALPHA)
        self.picture = LanePicture()
        self.picture.setZValue(1)
        view.addItem(self.picture)

    def draw(self, peaks: PeakLevels, start_s: float, end_s: float, width_px: int,
             height_px: int, pixel_ratio: float = 1.0) -> None:
        """width_px, height_px: the view's size on screen; pixel_ratio: the screen's device
        pixels to one of those (2 on a Retina screen: drawn sharp, at its own pixels)."""
        width_px = max(1, round(width_px * pixel_ratio))
        height_px = max(1, round(height_px * pixel_ratio))
        x, peak, loudness = peaks.envelope(start_s, end_s, width_px)
        top, floor_db = peaks.loudest, peaks.floor_db
        song_s = len(peaks.levels[0][0]) * peaks.seconds_per_peak
        peak_h = column_heights(x, to_display(peak, top, floor_db), start_s, end_s, width_px, song_s)
        loud_h = column_heights(x, to_display(loudness, top, floor_db), start_s, end_s, width_px,
                                song_s)
        pixels = rasterise(peak_h, loud_h, height_px, self.solid, self.faint)
        self.picture.set_pixels(pixels, QRectF(start_s, -1.05, end_s - start_s, 2.1),
                                int(np.count_nonzero(~np.isnan(peak_h))), pixel_ratio)

    def set_opacity(self, opacity: float) -> None:
        self.picture.setOpacity(opacity)


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


class TimeAxis(QuickAxis):
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
        self.drawn_size_px: tuple[int, int] | None = None  # the picture's size; None: stale
        self.waveform = Envelope(self.view, self.colour)
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
        # A lane hidden (a joining stem's, staged) follows every scroll without drawing, and
        # draws when it shows; a resized one draws in the next turn of the event loop (shown
        # stems are resized several times in one turn: ~20 pictures drawn for 6 lanes).
        self._draw_soon = QTimer(self)
        self._draw_soon.setSingleShot(True)
        self._draw_soon.setInterval(0)
        self._draw_soon.timeout.connect(self._draw_if_stale)
        self.view.sigXRangeChanged.connect(lambda *_: self.redraw_when_seen())

    def fit_height(self) -> None:
        """Each lane is scaled to its own loudest peak (to_display): a quiet part still shows."""
        self.view.setYRange(-1.05, 1.05, padding=0)

    def redraw(self) -> None:
        # The view's new transform now, not when it paints: pyqtgraph applies it in the
        # paint itself, and the items moving then made every lane paint twice per zoom.
        self.view.updateMatrix()
        (x0, x1), _ = self.view.viewRange()
        width, height = self.drawn_size_px = view_size_px(self)
        self.waveform.draw(self.peaks, x0, x1, width, height, self.devicePixelRatioF())
        self.bar_lines.draw(self.bars.marks(x0, x1, width))

    def show_grid(self) -> None:
        """The song's grid changed (found, fixed, or none): its ruler and lines follow."""
        if self.bar_ruler is not None:
            self.getPlotItem().showAxis("top", self.bars.grid is not None)
        self.redraw_when_seen()

    def redraw_when_seen(self) -> None:
        if self.isVisible():
            self.redraw()
        else:
            self.drawn_size_px = None  # (stale)

    def _draw_if_stale(self) -> None:
        if self.isVisible() and self.drawn_size_px is None:
            self.redraw()

    def showEvent(self, ev):
        super().showEvent(ev)
        if self.drawn_size_px is None:
            self._draw_soon.start()

    def set_dimmed(self, dimmed: bool) -> None:
        self.dimmed = dimmed
        self.waveform.set_opacity(0.25 if dimmed else 1.0)

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        if "waveform" not in self.__dict__:  # pyqtgraph resizes once before our __init__ is done
            return
        if view_size_px(self) != self.drawn_size_px:
            self.drawn_size_px = None  # (stale: stretched until then)
            self._draw_soon.start()


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
        self.drawn_size_px: tuple[int, int] | None = None
        self.waveform = Envelope(self.view, QColor(stem_colour("mix")))
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
        width, height = self.drawn_size_px = view_size_px(self)
        self.waveform.draw(self.peaks, 0, self.duration_s, width, height, self.devicePixelRatioF())

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        # A picture as wide and as high as the view: a new size draws it again.
        if "waveform" in self.__dict__ and view_size_px(self) != self.drawn_size_px:
            self.redraw()

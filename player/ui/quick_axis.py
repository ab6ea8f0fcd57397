"""A time ruler (pyqtgraph AxisItem, above or below a lane) that lays out its ticks with numpy
and draws each level's ticks in one call.

pyqtgraph builds a Point pair and a pen per tick and measures every tick's label, its unshown
minor ones too, in Python: at each zoom or scroll the lanes' two rulers cost more than all
the lanes' waveforms (about 4 ms each in a turn of ~16). Ours label the first level only (a
label every RULER_LABEL_PX, or the bar numbers), as both rulers are designed to.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QLineF, QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFontMetricsF, QPainter, QPen

LABEL_HEIGHT = 0.8  # of the font's height, as pyqtgraph sets its labels


class QuickAxis(pg.AxisItem):
    """Top or bottom axis only; tickValues and tickStrings as any AxisItem's."""

    def generateDrawSpecs(self, p: QPainter):
        if self.style["tickFont"] is not None:
            p.setFont(self.style["tickFont"])
        bounds = self.mapRectFromParent(self.geometry())
        low, high = self.range
        width_px = bounds.width()
        if high <= low or width_px <= 0:
            return None
        top = self.orientation == "top"
        edge = bounds.bottom() if top else bounds.top()
        direction = -1 if top else 1
        offset = -1.0 if top else 1.0  # pyqtgraph's axis line: a pixel off the edge
        axis_spec = (self.pen(), QPointF(bounds.left() - 1, edge + offset),
                     QPointF(bounds.right() + 1, edge + offset))
        scale = width_px / (high - low)
        levels = self.tickValues(low, high, width_px)
        tick_specs, shown = [], []
        for i, (spacing, values) in enumerate(levels):
            x = (np.asarray(values, float) - low) * scale
            inside = (x >= 0) & (x <= width_px)
            shown.append((spacing, np.asarray(values, float)[inside], x[inside]))
            end = edge + self.style["tickLength"] / (i * 0.5 + 1.0) * direction
            pen = QPen(self.tickPen())
            colour = QColor(pen.color())
            colour.setAlpha(int(255 / (i + 1)))
            pen.setColor(colour)
            tick_specs.append((pen, [QLineF(float(v), edge, float(v), end) for v in x[inside]]))
        text_specs = []
        if self.style["showValues"] and shown:
            spacing, values, x = shown[0]
            strings = self.tickStrings(values.tolist(), self.autoSIPrefixScale * self.scale, spacing)
            metrics = QFontMetricsF(p.font())
            height = metrics.height() * LABEL_HEIGHT
            gap = max(0, self.style["tickLength"]) + self.style["tickTextOffset"][1]
            flags = (Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextDontClip
                     | (Qt.AlignmentFlag.AlignBottom if top else Qt.AlignmentFlag.AlignTop))
            y = edge - gap - height if top else edge + gap
            room = self.boundingRect()
            for position, text in zip(x.tolist(), strings):
                if not text:
                    continue
                width = metrics.horizontalAdvance(text)
                rect = QRectF(position - width / 2, y, width, height)
                if room & rect == rect:  # (pyqtgraph's rule: a label it cannot fit is left out)
                    text_specs.append((rect, flags, text))
            self._updateMaxTextSize(height if text_specs else 0)
        return axis_spec, tick_specs, text_specs

    def drawPicture(self, p: QPainter, axis_spec, tick_specs, text_specs) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        pen, start, end = axis_spec
        p.setPen(pen)
        p.drawLine(start, end)
        for pen, lines in tick_specs:
            if lines:
                p.setPen(pen)
                p.drawLines(lines)
        if self.style["tickFont"] is not None:
            p.setFont(self.style["tickFont"])
        p.setPen(self.textPen())
        p.setClipRect(self.boundingRect().toAlignedRect())
        for rect, flags, text in text_specs:
            p.drawText(rect, int(flags), text)

"""A box for a time in the song, typed as m:ss.mmm (or seconds) and nudged by its arrows:
↑/↓ 10 ms, Page Up/Down 100 ms. Enter applies, Escape puts the value back; either way the
keyboard goes back to the transport (transport.TypingDone)."""
from __future__ import annotations

from PyQt6.QtGui import QValidator
from PyQt6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QWidget

from .timefmt import format_time, parse_time

NUDGE_S = 0.01  # arrow keys; Page Up/Down step ten of these (100 ms)


class TimeBox(QDoubleSpinBox):
    def __init__(self, duration_s: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.setDecimals(3)
        self.setRange(0.0, max(0.0, duration_s))
        self.setSingleStep(NUDGE_S)
        self.setKeyboardTracking(False)  # apply on Enter, not per keystroke
        self.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.UpDownArrows)
        self.setAccelerated(True)

    def textFromValue(self, value: float) -> str:
        return format_time(value, 3)

    def valueFromText(self, text: str) -> float:
        seconds = parse_time(text)
        return self.value() if seconds is None else seconds

    def validate(self, text: str, pos: int):
        seconds = parse_time(text)
        if seconds is not None and self.minimum() <= seconds <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

"""A stem's channel strip: name, mute, solo, a dB fader, pan and a live level meter."""
from __future__ import annotations

import math

from PyQt6.QtCore import QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter
from PyQt6.QtWidgets import QDial, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

FADER_MIN_DB = -40.0
FADER_MAX_DB = 6.0
FADER_STEPS_PER_DB = 2  # half-dB steps
METER_FLOOR_DB = -60.0


def db_text(db: float) -> str:
    return f"{db:+.1f} dB" if db else "0.0 dB"


def pan_text(pan_percent: int) -> str:
    """Pan as a mixing desk writes it: C, L30, R45."""
    if pan_percent == 0:
        return "C"
    return f"{'L' if pan_percent < 0 else 'R'}{abs(pan_percent)}"


class Fader(QSlider):
    """Horizontal volume fader in dB; double-click puts it back to 0 dB."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setRange(int(FADER_MIN_DB * FADER_STEPS_PER_DB), int(FADER_MAX_DB * FADER_STEPS_PER_DB))
        self.setValue(0)
        self.setPageStep(3 * FADER_STEPS_PER_DB)

    @property
    def db(self) -> float:
        return self.value() / FADER_STEPS_PER_DB

    def set_db(self, db: float) -> None:
        self.setValue(round(db * FADER_STEPS_PER_DB))

    def mouseDoubleClickEvent(self, ev):
        self.setValue(0)
        ev.accept()


class LevelMeter(QWidget):
    """A thin bar showing the stem's level in dB (from the engine's meter)."""

    def __init__(self, colour: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.colour = QColor(colour)
        self.level_db = METER_FLOOR_DB
        self.setFixedWidth(8)
        self.setMinimumHeight(24)

    def set_level(self, linear: float) -> None:
        db = 20 * math.log10(linear) if linear > 1e-6 else METER_FLOOR_DB
        db = max(METER_FLOOR_DB, min(0.0, db))
        if abs(db - self.level_db) > 0.2:
            self.level_db = db
            self.update()

    def fraction(self) -> float:
        return 1 - self.level_db / METER_FLOOR_DB

    def paintEvent(self, ev):
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#0d1117"))
        h = self.height() * self.fraction()
        colour = QColor("#ff5555") if self.level_db > -1 else self.colour
        p.fillRect(QRectF(0, self.height() - h, self.width(), h), colour)
        p.end()


class StemStrip(QWidget):
    gain_changed = pyqtSignal(str, float)
    mute_changed = pyqtSignal(str, bool)
    solo_changed = pyqtSignal(str, bool)
    pan_changed = pyqtSignal(str, float)

    def __init__(self, name: str, colour: str, number: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = name
        self.setObjectName(f"strip_{name}")
        self.setFixedWidth(250)
        self.label = QLabel(f"{number}  {name.capitalize()}")
        self.label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.mute = QPushButton("M")
        self.mute.setCheckable(True)
        self.mute.setToolTip(f"Mute {name} ({number})")
        self.mute.setObjectName("mute")
        self.solo = QPushButton("S")
        self.solo.setCheckable(True)
        self.solo.setToolTip(f"Solo {name} (Shift+{number})")
        self.solo.setObjectName("solo")
        for b in (self.mute, self.solo):
            b.setFixedSize(26, 22)
        self.fader = Fader()
        self.fader.setToolTip("Volume (double-click: 0 dB)")
        self.db_label = QLabel("0.0 dB")
        self.db_label.setFixedWidth(52)
        self.db_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.pan = QDial()
        self.pan.setRange(-100, 100)
        self.pan.setFixedSize(30, 30)
        self.pan.setNotchesVisible(True)
        self.pan.setToolTip("Pan (double-click: centre)")
        self.pan.mouseDoubleClickEvent = lambda ev: self.pan.setValue(0)
        self.pan_label = QLabel("C")
        self.pan_label.setObjectName("pan_value")
        self.pan_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pan_label.setStyleSheet("font-size: 10px;")
        self.pan_label.setFixedWidth(32)
        self.meter = LevelMeter(colour)

        top = self.name_row = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.label, 1)
        top.addWidget(self.mute)
        top.addWidget(self.solo)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.fader, 1)
        bottom.addWidget(self.db_label)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(2)
        left.addLayout(top)
        left.addLayout(bottom)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 4, 2)
        row.addLayout(left, 1)
        pan_box = QVBoxLayout()
        pan_box.setContentsMargins(0, 0, 0, 0)
        pan_box.setSpacing(0)
        pan_box.addWidget(self.pan)
        pan_box.addWidget(self.pan_label)
        row.addLayout(pan_box)
        row.addWidget(self.meter)

        self.fader.valueChanged.connect(self._fader_moved)
        self.mute.toggled.connect(lambda on: self.mute_changed.emit(self.name, on))
        self.solo.toggled.connect(lambda on: self.solo_changed.emit(self.name, on))
        self.pan.valueChanged.connect(self._pan_moved)

    def _fader_moved(self) -> None:
        self.db_label.setText(db_text(self.fader.db))
        self.gain_changed.emit(self.name, self.fader.db)

    def _pan_moved(self, value: int) -> None:
        self.pan_label.setText(pan_text(value))
        self.pan_changed.emit(self.name, value / 100)

    def set_alive(self, alive: bool) -> None:
        """Controls work only where the stem exists (during separation it may not yet)."""
        for w in (self.mute, self.solo, self.fader, self.pan):
            w.setEnabled(alive)


CLICK_COLOUR = "#6e7781"  # a neutral grey: the click is not a stem


class ClickStrip(StemStrip):
    """The click's strip, like a stem's: volume, mute (the beats and the count-in), pan; and
    the click itself on or off (K). No solo and no meter: the click is the song's own beats,
    not a stem the separation made."""

    click_toggled = pyqtSignal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("click", CLICK_COLOUR, 0, parent)
        self.label.setText("Click")
        self.label.setToolTip("A metronome on the song's own beats (accented 1)")
        self.solo.hide()
        self.meter.hide()
        self.mute.setToolTip("Mute the click and the count-in")
        self.on = QPushButton("On")
        self.on.setObjectName("click_on")
        self.on.setCheckable(True)
        self.on.setFixedSize(34, 22)
        self.on.setToolTip("Click on the beats on / off (K)")
        self.on.toggled.connect(self.click_toggled)
        self.name_row.insertWidget(1, self.on)

    def show_click_on(self, on: bool) -> None:
        """Show the click's state (K changed it) without sending it back."""
        self.on.blockSignals(True)
        self.on.setChecked(on)
        self.on.blockSignals(False)

    def set_alive(self, alive: bool) -> None:
        super().set_alive(alive)
        self.on.setEnabled(alive)

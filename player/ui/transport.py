"""Transport bar: play/pause, stop, +-5 s, loop on/off, time / length, tempo and pitch."""
from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QValidator
from PyQt6.QtWidgets import (QAbstractSpinBox, QApplication, QDoubleSpinBox, QStyle, QHBoxLayout, QLabel, QSlider, QSpinBox,
                             QToolButton, QWidget)

from .speed_text import TEMPO_MAX_PERCENT, TEMPO_MIN_PERCENT, parse_speed
from .timefmt import format_time

TEMPO_STEP_PERCENT = 5
PITCH_RANGE_SEMITONES = 12
FINE_TUNE_CENTS = 50  # a record not at A440 is at most a quarter tone off


class SignedSpinBox(QSpinBox):
    """A whole number shown with its sign: "+2 st", "0 st", "−3 st" (typed: 2, +2 or -3)."""

    def textFromValue(self, value: int) -> str:
        return f"{value:+d}" if value else "0"


class TempoBox(QDoubleSpinBox):
    """The speed in percent, typed as a musician would: 70, 70 %, 0.7x, or the tempo to hear,
    "120 bpm" (needs the song's BPM: song_bpm, set once the song has a grid)."""

    def __init__(self):
        super().__init__()
        self.song_bpm: float | None = None
        self.setRange(TEMPO_MIN_PERCENT, TEMPO_MAX_PERCENT)
        self.setDecimals(1)

    def textFromValue(self, value: float) -> str:
        return f"{value:.1f} %"     # the % is part of the text: selectAll selects it too

    def valueFromText(self, text: str) -> float:
        return parse_speed(text, self.song_bpm)

    def validate(self, text: str, pos: int):
        try:
            parse_speed(text, self.song_bpm)
        except ValueError:
            return QValidator.State.Intermediate, text, pos   # still typing (or bad: Enter says)
        return QValidator.State.Acceptable, text, pos

    def fixup(self, text: str) -> str:
        return text

    def problem(self) -> str | None:
        """Why what is typed is not a speed (one line), or None."""
        try:
            parse_speed(self.lineEdit().text(), self.song_bpm)
        except ValueError as exc:
            return str(exc)
        return None


def _button(text: str, tip: str, name: str, checkable: bool = False, icon=None) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    if icon is not None:  # the style's own media icons: no font needs the glyphs
        b.setIcon(QApplication.style().standardIcon(icon))
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon if text
                             else Qt.ToolButtonStyle.ToolButtonIconOnly)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space belongs to play/pause, not to a button
    b.setToolTip(tip)
    b.setObjectName(name)
    b.setCheckable(checkable)
    b.setMinimumWidth(34)
    return b


class TypingDone(QObject):
    """Enter or Escape in a number box ends typing: Enter applies, Escape puts the value back;
    either way the box lets go of the keyboard (Space must play, not blank the box)."""

    def __init__(self, box: QAbstractSpinBox, done, complain=None):
        super().__init__(box)
        self.box, self.done, self.complain = box, done, complain
        box.installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key == Qt.Key.Key_Escape:
                self.box.lineEdit().setText(self.box.textFromValue(self.box.value()))
                self.done()
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                problem = self.box.problem() if hasattr(self.box, "problem") else None
                if problem and self.complain is not None:
                    # Say what is wrong in one line; the box shows the speed as it was.
                    self.box.lineEdit().setText(self.box.textFromValue(self.box.value()))
                    self.complain(problem)
                    self.done()
                    return True
                QTimer.singleShot(0, self.done)  # after the box applies the value
        return False


class Transport(QWidget):
    play_toggled = pyqtSignal()
    stop_clicked = pyqtSignal()
    skip = pyqtSignal(float)  # seconds, negative = back
    loop_toggled = pyqtSignal(bool)
    tempo_changed = pyqtSignal(float)  # ratio, 1.0 = as recorded
    pitch_changed = pyqtSignal(float)  # semitones
    typing_done = pyqtSignal()  # Enter or Escape in the tempo or pitch box
    bad_input = pyqtSignal(str)  # what was typed is not a speed: one line saying why

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        pix = QStyle.StandardPixmap
        self.play = _button("", "Play / pause (Space)", "play", icon=pix.SP_MediaPlay)
        self.stop = _button("", "Stop: back to the start (or the loop start)", "stop",
                            icon=pix.SP_MediaStop)
        self.back = _button("5 s", "Back 5 s (←)", "back", icon=pix.SP_MediaSeekBackward)
        self.forward = _button("5 s", "Forward 5 s (→)", "forward", icon=pix.SP_MediaSeekForward)
        self.loop = _button("Loop", "Loop on/off (L)", "loop", checkable=True)
        self.time = QLabel("0:00.0 / 0:00.0")
        self.time.setObjectName("time")
        self.time.setMinimumWidth(130)
        self.time.setStyleSheet("font-family: monospace; font-size: 14px;")
        self.bars = QLabel("")        # bar.beat under the playhead, when the song has a grid
        self.bars.setObjectName("bars")
        self.bars.setToolTip("Bar.beat (bar 1 starts at the song's first downbeat)")
        self.bars.setStyleSheet("font-family: monospace; font-size: 14px;")
        self.bpm = QLabel("")         # "172 BPM · 70 % = 120", or why there is no grid
        self.bpm.setObjectName("bpm")

        self.tempo_slider = QSlider(Qt.Orientation.Horizontal)
        self.tempo_slider.setRange(TEMPO_MIN_PERCENT, TEMPO_MAX_PERCENT)
        self.tempo_slider.setValue(100)
        self.tempo_slider.setFixedWidth(140)
        self.tempo_slider.setToolTip("Tempo (− and +); double-click: 100 %")
        self.tempo_slider.mouseDoubleClickEvent = lambda ev: self.set_tempo(1.0, emit=True)
        self.tempo_box = TempoBox()
        self.tempo_box.setValue(100)
        self.tempo_box.setToolTip("Speed: type 70 (%), 0.7x, or the tempo you want to hear: "
                                  "120 bpm. Enter applies, Escape goes back")
        self.tempo_box.setKeyboardTracking(False)  # apply on Enter, not per keystroke
        self.tempo_box.setObjectName("tempo")
        self.slower = _button("−5%", "Slower (−)", "slower")
        self.faster = _button("+5%", "Faster (+)", "faster")
        self.tempo_reset = _button("100%", "Tempo back to 100 % (Ctrl+0 resets pitch too)", "tempo_reset")
        self.pitch_box = SignedSpinBox()
        self.pitch_box.setRange(-PITCH_RANGE_SEMITONES, PITCH_RANGE_SEMITONES)
        self.pitch_box.setSuffix(" st")
        self.pitch_box.setToolTip("Transpose in semitones")
        self.cents_box = SignedSpinBox()
        self.cents_box.setRange(-FINE_TUNE_CENTS, FINE_TUNE_CENTS)
        self.cents_box.setSuffix(" ct")
        self.cents_box.setObjectName("cents")
        self.cents_box.setToolTip("Fine tune in cents (±50), for records not at A440; "
                                  "double-click: 0")
        self.cents_box.setKeyboardTracking(False)
        self.cents_box.mouseDoubleClickEvent = lambda ev: self.cents_box.setValue(0)
        self.pitch_box.setObjectName("pitch")
        self.pitch_box.setKeyboardTracking(False)  # apply on Enter; Escape drops what was typed

        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        for w in (self.play, self.stop, self.back, self.forward, self.loop):
            row.addWidget(w)
        row.addSpacing(8)
        row.addWidget(self.time)
        row.addWidget(self.bars)
        row.addStretch(1)
        row.addWidget(QLabel("Tempo"))
        for w in (self.slower, self.tempo_slider, self.faster, self.tempo_box, self.tempo_reset,
                  self.bpm):
            row.addWidget(w)
        row.addSpacing(12)
        row.addWidget(QLabel("Pitch"))
        row.addWidget(self.pitch_box)
        row.addWidget(self.cents_box)

        self.play.clicked.connect(self.play_toggled)
        self.stop.clicked.connect(self.stop_clicked)
        self.back.clicked.connect(lambda: self.skip.emit(-5.0))
        self.forward.clicked.connect(lambda: self.skip.emit(5.0))
        self.loop.toggled.connect(self.loop_toggled)
        self.tempo_slider.valueChanged.connect(lambda v: self.set_tempo(v / 100, emit=True))
        self.tempo_box.valueChanged.connect(lambda v: self.set_tempo(v / 100, emit=True))
        self.slower.clicked.connect(lambda: self.nudge_tempo(-TEMPO_STEP_PERCENT))
        self.faster.clicked.connect(lambda: self.nudge_tempo(TEMPO_STEP_PERCENT))
        self.tempo_reset.clicked.connect(lambda: self.set_tempo(1.0, emit=True))
        self.pitch_box.valueChanged.connect(lambda _: self.pitch_changed.emit(self.pitch))
        self.cents_box.valueChanged.connect(lambda _: self.pitch_changed.emit(self.pitch))
        self._tempo = 1.0
        for box in (self.tempo_box, self.pitch_box, self.cents_box):
            TypingDone(box, self.typing_done.emit, self.bad_input.emit)
        # A click on a slider must not take the keyboard from the transport's keys.
        self.tempo_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    @property
    def tempo(self) -> float:
        return self._tempo

    def set_tempo(self, ratio: float, emit: bool = False) -> None:
        ratio = min(TEMPO_MAX_PERCENT, max(TEMPO_MIN_PERCENT, round(ratio * 1000) / 10)) / 100
        changed = abs(ratio - self._tempo) > 1e-9
        self._tempo = ratio
        for w, v in ((self.tempo_slider, round(ratio * 100)), (self.tempo_box, ratio * 100)):
            w.blockSignals(True)
            w.setValue(v)
            w.blockSignals(False)
        if emit and changed:
            self.tempo_changed.emit(ratio)

    def nudge_tempo(self, percent: float) -> None:
        self.set_tempo(self._tempo + percent / 100, emit=True)

    @property
    def pitch(self) -> float:
        """Semitones, fine tune included (2 st + 25 ct = 2.25): the stretcher takes both."""
        return self.pitch_box.value() + self.cents_box.value() / 100

    def set_pitch(self, semitones: float, emit: bool = False) -> None:
        whole = round(semitones)
        cents = round((semitones - whole) * 100)
        for box, value in ((self.pitch_box, whole), (self.cents_box, cents)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        if emit:
            self.pitch_changed.emit(self.pitch)

    def show_time(self, position_s: float, duration_s: float) -> None:
        self.time.setText(f"{format_time(position_s)} / {format_time(duration_s)}")

    def show_playing(self, playing: bool) -> None:
        if playing != getattr(self, "_shown_playing", None):
            self._shown_playing = playing
            pix = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
            self.play.setIcon(QApplication.style().standardIcon(pix))

    def set_loop_checked(self, on: bool) -> None:
        self.loop.blockSignals(True)
        self.loop.setChecked(on)
        self.loop.blockSignals(False)

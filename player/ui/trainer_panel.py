"""The speed trainer in the window: for the current loop, a start speed, a step every N passes,
and a target (60 % -> 100 %, +5 % every 2 passes); shows which pass is heard and its speed.

The engine does the work (engine/trainer.py: the speed changes at the loop's wrap, on the
input side of the stretcher, so without a glitch); this panel only sets it and reads
Engine.trainer_pass at display rate. Its settings and on/off go in the song's session.
Its actions (trainer on/off, count-in on/off, count-in then play) join the one registry, so
keys, the menus and MIDI pedals can run them."""
from __future__ import annotations

from PyQt6.QtCore import QTimer, pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QGridLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from woodshed.player.engine.controls import TEMPO_MAX, TEMPO_MIN
from woodshed.player.engine.trainer import SpeedTrainer

from . import actions
from .session import TRAINER_DEFAULTS
from .transport import SignedSpinBox

PAUSE_FADE_MS = 100   # the engine fades a pause over one chunk (a few ms): well past it


def _percent_box(name: str, low: int, high: int, tip: str, box=QSpinBox) -> QSpinBox:
    spin = box()
    spin.setObjectName(name)
    spin.setRange(low, high)
    spin.setSuffix(" %")
    spin.setToolTip(tip)
    return spin


class TrainerPanel(QWidget):
    """Settings of the speed trainer; ``changed`` each time one is edited or it is switched."""
    changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.on = QCheckBox("Speed trainer")
        self.on.setObjectName("trainer_on")
        self.on.setToolTip("Play the loop slow, then faster every few passes, up to the target")
        low, high = round(TEMPO_MIN * 100), round(TEMPO_MAX * 100)
        self.start = _percent_box("trainer_start", low, high, "Speed of the first pass")
        self.step = _percent_box("trainer_step", -50, 50, "Speed added at each step",
                                 SignedSpinBox)
        self.every = QSpinBox()
        self.every.setObjectName("trainer_every")
        self.every.setRange(1, 99)
        self.every.setSuffix(" passes")
        self.every.setToolTip("Passes at each speed before the next step")
        self.target = _percent_box("trainer_target", low, high, "The speed it stops at")
        self.status = QLabel("")
        self.status.setObjectName("trainer_status")
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for row, (label, box) in enumerate((("From", self.start), ("Step", self.step),
                                            ("Every", self.every), ("To", self.target))):
            grid.addWidget(QLabel(label), row // 2, 2 * (row % 2))
            grid.addWidget(box, row // 2, 2 * (row % 2) + 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.on)
        layout.addLayout(grid)
        layout.addWidget(self.status)
        self.set_settings(TRAINER_DEFAULTS)
        self.on.toggled.connect(lambda _: self.changed.emit())
        for box in (self.start, self.step, self.every, self.target):
            box.valueChanged.connect(lambda _: self.changed.emit())

    def settings(self) -> dict[str, float]:
        """As the session keeps them: speeds as ratios (0.6 = 60 %)."""
        return {"start": self.start.value() / 100, "step": self.step.value() / 100,
                "every": self.every.value(), "target": self.target.value() / 100}

    def set_settings(self, settings: dict) -> None:
        """Show saved settings (without a ``changed`` for each box)."""
        for box, value in ((self.start, round(settings["start"] * 100)),
                           (self.step, round(settings["step"] * 100)),
                           (self.every, int(settings["every"])),
                           (self.target, round(settings["target"] * 100))):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)

    def trainer(self) -> SpeedTrainer:
        """The trainer these settings make (UserError, in one line, if they make none)."""
        return SpeedTrainer(**self.settings())

    def show_pass(self, heard: tuple[int, float] | None, trainer: SpeedTrainer | None) -> None:
        """'pass 3 · 70 %' (passes counted from 1, as a musician counts), '· target' once
        there; empty when the trainer is off."""
        if trainer is None:
            text = ""
        elif heard is None:
            text = f"pass 1 · {trainer.speed(0) * 100:.0f} %"
        else:
            number, speed = heard
            text = f"pass {number + 1} · {speed * 100:.0f} %" + (
                " · target" if trainer.done(number) else "")
        if self.status.text() != text:
            self.status.setText(text)


def _register() -> None:
    if "beats.trainer" in {a.id for a in actions.all_actions()}:
        return  # imported twice (tests reload modules)

    def add(action_id, name, method, keys=(), separator=False):
        actions.register(actions.Action(action_id, name, "Beats",
                                        lambda view, m=method: getattr(view, m)(), tuple(keys),
                                        menu="Beats", separator_before=separator))

    add("beats.trainer", "Speed trainer on / off", "toggle_trainer", ("Shift+T",), separator=True)
    add("beats.count_in_on_off", "Count-in on / off", "toggle_count_in")
    add("beats.count_in_then_play", "Count-in, then play", "count_in_then_play", ("Shift+Space",))


_register()


class TrainerMixin:
    """SongView's side of the speed trainer and the count-in actions (self.engine,
    self.session, self.trainer_panel…)."""

    running_trainer: SpeedTrainer | None = None

    def _trainer_changed(self) -> None:
        """The panel was edited or switched: a new trainer starts again from its first pass."""
        self.session.trainer = self.trainer_panel.settings()
        self.set_trainer_on(self.trainer_panel.on.isChecked())

    def set_trainer_on(self, on: bool) -> None:
        from woodshed.separation.errors import UserError

        trainer = None
        if on and self.session.loop is None:
            self.error.emit("The speed trainer plays a loop: draw one first (drag across the "
                            "waveform, or press [ and ]).")
        elif on:
            try:
                trainer = self.trainer_panel.trainer()
            except UserError as exc:
                self.error.emit(exc.message)
            else:
                if not self.session.loop_enabled:
                    self.set_loop_enabled(True)
        self.running_trainer = trainer
        self.session.trainer_on = trainer is not None
        box = self.trainer_panel.on
        if box.isChecked() != (trainer is not None):
            box.blockSignals(True)
            box.setChecked(trainer is not None)
            box.blockSignals(False)
        self._engine("set_trainer", trainer)
        self.show_trainer()
        self._changed()

    def toggle_trainer(self) -> None:
        self.set_trainer_on(self.running_trainer is None)

    def show_trainer(self) -> None:
        heard = self.engine.trainer_pass if (self.engine is not None
                                             and self.running_trainer is not None) else None
        self.trainer_panel.show_pass(heard, self.running_trainer)

    def heard_speed(self) -> float:
        """The speed heard now: this trainer pass's, else the transport's."""
        if self.running_trainer is not None and self.engine is not None:
            heard = self.engine.trainer_pass
            return heard[1] if heard is not None else self.running_trainer.speed(0)
        return self.transport.tempo

    # --- count-in, for keys and pedals ------------------------------------------------
    count_in_when_on = 1       # bars the count-in gives when switched on (the last chosen)

    def toggle_count_in(self) -> None:
        """Off <-> on (with the bars last chosen: 1 unless the Beats menu said 2)."""
        if self.count_in_bars:
            self.count_in_when_on = self.count_in_bars
            self.count_in_bars = 0
        else:
            self.count_in_bars = self.count_in_when_on
        self.show_tempo()

    def count_in_then_play(self) -> None:
        """A count-in (the bars chosen, at least one), then the song: from the loop's start
        with a loop on, else from the playhead. Playing already, it starts over that way."""
        if not self._need_grid():
            return
        if self.playing:  # let the pause fade out first: a count-in cutting in would click
            self._engine("pause")
            QTimer.singleShot(PAUSE_FADE_MS, self._count_in_and_play)
            return
        self._count_in_and_play()

    def _count_in_and_play(self) -> None:
        if self.engine is None:
            return
        loop = self.session.loop
        if loop is not None and self.session.loop_enabled:
            self.seek(loop[0])
        chosen = self.count_in_bars
        self.count_in_bars = chosen or self.count_in_when_on
        try:
            self.arm_count_in()
        finally:
            self.count_in_bars = chosen
        self._engine("play")
        self.refresh()

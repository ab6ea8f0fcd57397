"""Hands-free in the window: MIDI pedals and controllers, page-turner keys, media keys.

- Actions: the registry's (actions.py). This module adds the ones a foot wants (restart the
  loop, next / previous saved loop) with keys that suit page-turner pedals (Page Up / Page
  Down) and media keys.
- MIDI: ``MidiBridge`` listens on every MIDI input (woodshed.player.midi). Transport and mix
  actions happen on the MIDI thread, straight on the engine's controls (the UI thread's worst
  lag would add ~40 ms); the window hears of each as a Qt signal and brings its controls in
  line with the engine. Any other registry action a pedal is bound to (zoom, open…) is run
  by the window, on the UI thread.
"""
from __future__ import annotations

import logging
import math

from PyQt6.QtCore import QObject, pyqtSignal

from woodshed.player.midi.actions import ACTIONS as MIDI_ACTIONS
from woodshed.player.midi.actions import WINDOW_ACTIONS

from . import actions

log = logging.getLogger(__name__)

# Play / pause's Page Down and media play keys are in actions.py, with its Space.


# --- actions a foot wants ---------------------------------------------------------------------
def restart_loop(view) -> None:
    """Back to the loop's start (the song's, without a loop on) and play."""
    loop = view.session.loop
    view.seek(loop[0] if loop and view.session.loop_enabled else 0.0)
    if not view.playing:
        view.play()


def step_saved_loop(view, step: int) -> None:
    """The next (step 1) or previous (-1) saved loop in song order, from the current loop or
    the playhead; nothing without saved loops."""
    loops = sorted(view.loops.loops, key=lambda loop: loop.start_s)
    if not loops:
        view.error.emit("No saved loops yet: draw a loop, then Save loop.")
        return
    here_s = view.session.loop[0] if view.session.loop else view.position_s
    if step > 0:
        later = [loop for loop in loops if loop.start_s > here_s + 1e-3]
        target = later[0] if later else loops[0]
    else:
        earlier = [loop for loop in loops if loop.start_s < here_s - 1e-3]
        target = earlier[-1] if earlier else loops[-1]
    view.jump_to_loop(target)


def _register() -> None:
    if "play.restart_loop" in {a.id for a in actions.all_actions()}:
        return  # imported twice (tests reload modules)
    actions.register(actions.Action(
        "play.restart_loop", "Restart the loop and play", "Play", restart_loop,
        ("PgUp",), menu="Play"))  # a page-turner's left pedal
    actions.register(actions.Action(
        "loop.next_saved", "Next saved loop", "Loop", lambda view: step_saved_loop(view, 1),
        ("Media Next",), menu="Loop", separator_before=True))
    actions.register(actions.Action(
        "loop.previous_saved", "Previous saved loop", "Loop",
        lambda view: step_saved_loop(view, -1), ("Media Previous",), menu="Loop"))
    actions.register(actions.Action(
        "play.controls", "Pedals, MIDI and keys…", "Play", show_controls, needs_song=False,
        menu="Play", separator_before=True))


def show_controls(window) -> None:
    from .controls_dialog import ControlsDialog

    ControlsDialog(window).open()


_register()


# --- the window follows what MIDI did to the engine ---------------------------------------------
def follow_engine(view) -> None:
    """Bring the view's controls (and its session) in line with its engine, after MIDI changed
    the engine directly. Setting a control sends the same value back to the engine: harmless."""
    engine = view.engine
    if engine is None:
        return
    controls = engine.controls
    for name, strip in view.strips.items():
        if strip.mute.isChecked() != controls.muted(name):
            strip.mute.setChecked(controls.muted(name))
        if strip.solo.isChecked() != controls.soloed(name):
            strip.solo.setChecked(controls.soloed(name))
        _follow_fader(strip.fader, controls.gain_db(name), strip)
        view.session.gains_db[name] = strip.fader.db  # (silence is kept as the bottom)
    _follow_fader(view.master, controls.master_db, view.master)
    view.session.master_db = view.master.db
    if abs(view.transport.tempo - engine.tempo) > 1e-6:
        view.set_tempo(engine.tempo)
    if view.session.pitch_semitones != engine.pitch_semitones:
        view.set_pitch(engine.pitch_semitones)
    loop = engine.loop
    if loop is not None:
        shown = view.session.loop
        if shown is None or abs(shown[0] - loop[0]) > 1e-6 or abs(shown[1] - loop[1]) > 1e-6:
            view.set_loop(loop[0], loop[1], enable=loop[2])
        if view.session.loop_enabled != loop[2]:
            view.set_loop_enabled(loop[2])
    view.refresh()
    view.session_changed.emit()


def _follow_fader(fader, db: float, sender: QObject) -> None:
    """A fader to an engine volume; silence (-inf) shows as the fader's bottom without sending
    the bottom's finite value back to the engine."""
    if math.isinf(db):
        sender.blockSignals(True)
        fader.setValue(fader.minimum())
        sender.blockSignals(False)
    elif abs(fader.db - db) > 0.05:
        fader.set_db(db)


class MidiBridge(QObject):
    """Every MIDI input, bound to the window's actions (see module doc). Signals arrive on the
    UI thread (queued from the MIDI thread)."""

    action_done = pyqtSignal(str, object)     # action id, CC value or None
    status = pyqtSignal(str)                  # one line: connected, damaged file, refused…
    learned = pyqtSignal(str, object)         # device name, Binding

    def __init__(self, window, bindings_path=None, **inputs_options):
        super().__init__(window)
        from woodshed.player.midi.controller import MidiController

        self.window = window
        self.controller = MidiController(
            engine=self._engine, bindings_path=bindings_path,
            on_action=self.action_done.emit, on_status=self.status.emit,
            on_learned=self.learned.emit)
        self.action_done.connect(self._follow)
        self.status.connect(self._say)
        self.inputs_options = inputs_options

    def start(self) -> "MidiBridge":
        if self.controller.warning:
            self.window.show_error(self.controller.warning)
        try:
            self.controller.listen(**self.inputs_options)
        except Exception as exc:  # no MIDI library or backend: the window works without
            log.warning("MIDI not available", exc_info=True)
            self.window.show_error(f"MIDI is not available: {exc}")
        return self

    def stop(self) -> None:
        self.controller.stop()

    def _engine(self):
        """MIDI thread: the open song's engine, or None."""
        view = self.window.song_view
        return view.engine if view is not None else None

    def _follow(self, action_id: str, value) -> None:
        """UI thread: after MIDI acted on the engine, show it; other actions, run them here."""
        view = self.window.song_view
        done_on_engine = (action_id in MIDI_ACTIONS and action_id not in WINDOW_ACTIONS
                          and view is not None and view.engine is not None)
        if done_on_engine:
            follow_engine(view)
            return
        try:
            action = actions.get(action_id)
        except KeyError:
            return  # an expression pedal with no engine: nothing to move
        self.window.trigger(action)

    def _say(self, line: str) -> None:
        if line.endswith(("connected", "disconnected")):
            self.window.statusBar().showMessage(line, 5000)
        else:
            self.window.show_error(line)

"""MIDI bindings without devices: mido messages straight into the controller. Taps and double
taps, momentary, toggle and expression pedals, learn, the bindings file, running status and
malformed bytes. (Real MIDI through a JACK virtual port: tests/test_midi_ports.py.)"""
from __future__ import annotations

import json
import math

import mido
import pytest

import stem_songs
from woodshed.player.engine.engine import Engine
from woodshed.player.midi import bindings as b
from woodshed.player.midi.actions import ACTIONS, cc_to_speed
from woodshed.player.midi.controller import MidiController
from woodshed.player.midi.decode import Decoder
from woodshed.player.midi.gestures import DOUBLE_TAP_S

PEDAL = "FCB1010"
CC64 = b.Control("cc", 0, 64)
NOTE_C4 = b.Control("note", 0, 60)


def cc(number: int, value: int, channel: int = 0) -> mido.Message:
    return mido.Message("control_change", channel=channel, control=number, value=value)


def note_on(note: int, velocity: int = 100) -> mido.Message:
    return mido.Message("note_on", note=note, velocity=velocity)


def note_off(note: int) -> mido.Message:
    return mido.Message("note_off", note=note)


@pytest.fixture
def bindings_file(tmp_path):
    return tmp_path / "data" / b.BINDINGS_FILE


@pytest.fixture
def engine(cache_dir):
    """A real engine, not started: its controls are what MIDI changes."""
    return Engine(stem_songs.tone_song(seconds=3.0))


def recording_controller(bindings_file, engine=None, bound=()):
    done: list[tuple[str, int | None]] = []
    controller = MidiController(engine, bindings_file,
                                on_action=lambda action, value: done.append((action, value)))
    for binding in bound:
        controller.bind(PEDAL, binding, save=False)
    return controller, done


# --- taps and double taps ------------------------------------------------------------------
def test_a_tap_without_a_double_tap_binding_fires_at_once(bindings_file):
    controller, done = recording_controller(bindings_file, bound=[
        b.Binding(NOTE_C4, "play.faster")])
    controller.handle(PEDAL, note_on(60), time_s=10.0)
    assert done == [("play.faster", None)]
    controller.handle(PEDAL, note_off(60), time_s=10.1)  # releasing does nothing
    assert done == [("play.faster", None)]


def test_tap_and_double_tap_on_one_pedal_do_two_things(bindings_file):
    controller, done = recording_controller(bindings_file, bound=[
        b.Binding(CC64, "play.restart_loop", "tap"), b.Binding(CC64, "loop.next_saved", "double_tap")])
    # one tap: nothing until the double-tap wait is over, then the tap's action
    controller.handle(PEDAL, cc(64, 127), time_s=0.0)
    controller.handle(PEDAL, cc(64, 0), time_s=0.1)
    controller.due(DOUBLE_TAP_S - 0.01)
    assert done == []
    controller.due(DOUBLE_TAP_S + 0.01)
    assert done == [("play.restart_loop", None)]
    # two taps within the wait: the double tap's action only
    done.clear()
    for time_s, value in [(5.0, 127), (5.1, 0), (5.2, 127), (5.3, 0)]:
        controller.handle(PEDAL, cc(64, value), time_s=time_s)
    controller.due(10.0)
    assert done == [("loop.next_saved", None)]


def test_two_slow_taps_are_two_taps(bindings_file):
    controller, done = recording_controller(bindings_file, bound=[
        b.Binding(NOTE_C4, "play.faster", "tap"), b.Binding(NOTE_C4, "play.slower", "double_tap")])
    controller.handle(PEDAL, note_on(60), time_s=0.0)
    controller.handle(PEDAL, note_on(60), time_s=DOUBLE_TAP_S + 0.2)  # the first is due first
    controller.due(5.0)
    assert done == [("play.faster", None), ("play.faster", None)]


# --- momentary, toggle and continuous pedals ----------------------------------------------
def test_a_momentary_pedal_acts_on_press_only(bindings_file):
    controller, done = recording_controller(bindings_file, bound=[b.Binding(CC64, "play.faster")])
    for value in (127, 127, 0, 0, 100, 30):  # a repeated 127 is not a second press
        controller.handle(PEDAL, cc(64, value))
    assert [a for a, _ in done] == ["play.faster", "play.faster"]


def test_a_toggle_pedal_acts_on_every_change(bindings_file):
    controller, done = recording_controller(bindings_file, bound=[
        b.Binding(CC64, "loop.toggle", pedal="toggle")])
    for value in (127, 0, 127, 127):  # latching: down, up, down (and a repeat)
        controller.handle(PEDAL, cc(64, value))
    assert [a for a, _ in done] == ["loop.toggle"] * 3


def test_an_expression_pedal_drives_speed_stem_volume_and_master(bindings_file, engine):
    controller, done = recording_controller(bindings_file, engine, bound=[
        b.Binding(b.Control("cc", 0, 11), "midi.speed", pedal="continuous"),
        b.Binding(b.Control("cc", 0, 7), "midi.volume_2", pedal="continuous"),
        b.Binding(b.Control("cc", 0, 1), "midi.master_volume", pedal="continuous")])
    controller.handle(PEDAL, cc(11, 0))
    assert engine.tempo == 0.5
    controller.handle(PEDAL, cc(11, 127))
    assert engine.tempo == 1.0
    controller.handle(PEDAL, cc(11, 64))
    assert engine.tempo == cc_to_speed(64) == pytest.approx(0.75, abs=0.01)
    controller.handle(PEDAL, cc(7, 0))
    assert engine.controls.gain_db(engine.stems[1]) == -math.inf
    controller.handle(PEDAL, cc(7, 127))
    assert engine.controls.gain_db(engine.stems[1]) == 0.0
    controller.handle(PEDAL, cc(1, 64))
    assert engine.controls.master_db == pytest.approx(20 * math.log10(64 / 127))
    assert [a for a, _ in done] == ["midi.speed"] * 3 + ["midi.volume_2"] * 2 + ["midi.master_volume"]


# --- actions on a real engine's controls -----------------------------------------------------
def test_pedal_actions_change_the_engine(bindings_file, engine):
    notes = {"play.slower": 60, "play.reset": 61, "mix.mute_1": 62, "mix.solo_3": 63,
             "loop.start_here": 64, "loop.end_here": 65, "loop.toggle": 66}
    controller, done = recording_controller(bindings_file, engine, bound=[
        b.Binding(b.Control("note", 0, n), action) for action, n in notes.items()])
    press = lambda action: controller.handle(PEDAL, note_on(notes[action]))
    press("play.slower")
    press("play.slower")
    assert engine.tempo == 0.9
    press("play.reset")
    assert engine.tempo == 1.0
    press("mix.mute_1")
    assert engine.controls.muted(engine.stems[0])
    press("mix.mute_1")
    assert not engine.controls.muted(engine.stems[0])
    press("mix.solo_3")
    assert engine.controls.soloed(engine.stems[2])
    engine.seek(0.5)
    press("loop.start_here")          # no end yet: as the window's [ does, 4 s (to the end)
    assert engine.loop == (0.5, 3.0, True)
    engine.seek(2.0)
    press("loop.end_here")
    assert engine.loop == (0.5, 2.0, True)
    engine.seek(1.0)
    press("loop.start_here")
    assert engine.loop == (1.0, 2.0, True)
    press("loop.toggle")
    assert engine.loop == (1.0, 2.0, False)


def test_a_refused_action_says_so_in_one_line_and_nothing_else_happens(bindings_file, engine):
    statuses = []
    controller = MidiController(engine, bindings_file, on_status=statuses.append)
    controller.bind(PEDAL, b.Binding(NOTE_C4, "loop.toggle"), save=False)
    controller.handle(PEDAL, note_on(60))  # no loop yet
    assert len(statuses) == 1 and "no loop" in statuses[0]
    assert engine.loop is None


def test_an_action_of_the_window_is_passed_on_not_done(bindings_file, engine):
    controller, done = recording_controller(bindings_file, engine, bound=[
        b.Binding(NOTE_C4, "loop.zoom")])          # any registry id can be bound
    controller.handle(PEDAL, note_on(60))
    assert done == [("loop.zoom", None)]


def test_a_stem_the_song_does_not_have_is_ignored(bindings_file, engine):
    controller, done = recording_controller(bindings_file, engine, bound=[
        b.Binding(NOTE_C4, "mix.mute_9")])
    controller.handle(PEDAL, note_on(60))
    assert done == [] and not any(engine.controls.muted(s) for s in engine.stems)


# --- MIDI learn and the bindings file --------------------------------------------------------
def test_learn_binds_the_next_pedal_pressed_and_saves_it_per_device(bindings_file, engine):
    learned = []
    controller = MidiController(engine, bindings_file,
                                on_learned=lambda device, binding: learned.append((device, binding)))
    controller.learn("play.faster")
    controller.handle(PEDAL, cc(80, 0))      # a pedal's release is not what to learn
    controller.handle(PEDAL, cc(80, 127))
    assert learned == [(PEDAL, b.Binding(b.Control("cc", 0, 80), "play.faster"))]
    assert engine.tempo == 1.0               # learning does not also act
    controller.handle(PEDAL, cc(80, 0))
    controller.handle(PEDAL, cc(80, 127))
    assert engine.tempo == 1.05
    # saved for that device only, and read back by a new controller
    again = MidiController(engine, bindings_file)
    assert again.warning is None
    assert b.Binding(b.Control("cc", 0, 80), "play.faster") in again.bindings_for(PEDAL)
    assert b.Binding(b.Control("cc", 0, 80), "play.faster") not in again.bindings_for("Another")
    saved = json.loads(bindings_file.read_text())
    assert saved["version"] == b.BINDINGS_VERSION and PEDAL in saved["devices"]


def test_learn_a_continuous_action_takes_a_cc_not_a_note(bindings_file, engine):
    statuses, learned = [], []
    controller = MidiController(engine, bindings_file, on_status=statuses.append,
                                on_learned=lambda d, binding: learned.append(binding))
    controller.learn("midi.speed")
    controller.handle(PEDAL, note_on(60))
    assert learned == [] and "needs a CC" in statuses[0]
    controller.learn("midi.speed")
    controller.handle(PEDAL, cc(11, 30))
    assert learned == [b.Binding(b.Control("cc", 0, 11), "midi.speed", pedal="continuous")]


def test_defaults_work_for_any_device_without_bindings(bindings_file, engine):
    controller, done = recording_controller(bindings_file, engine)
    engine.set_loop(0.5, 1.5)
    controller.handle("Some Keyboard", cc(66, 127))   # sostenuto: loop on/off
    assert engine.loop[2] is True


@pytest.mark.parametrize("content", ["{not json", '{"version": 99, "devices": {}}',
                                     '{"version": 1, "devices": {"x": [{"kind": "cc"}]}}',
                                     '{"version": 1, "devices": {"x": [{"kind": "cc", "channel": 0, '
                                     '"number": 64, "action": "Launch rocket!"}]}}', "[]"])
def test_a_damaged_bindings_file_gives_one_line_and_the_defaults(bindings_file, content):
    bindings_file.parent.mkdir(parents=True)
    bindings_file.write_text(content)
    controller = MidiController(None, bindings_file)
    assert controller.warning and "\n" not in controller.warning
    assert "damaged" in controller.warning and "defaults" in controller.warning
    assert controller.table == b.default_bindings()
    assert bindings_file.read_text() == content   # left as it was until the user binds


def test_every_bindable_action_has_a_name():
    assert all(a.name for a in ACTIONS.values())
    needed = {"play.toggle", "play.restart_loop", "loop.toggle", "loop.start_here",
              "loop.end_here", "play.slower", "play.faster", "play.reset", "mix.mute_1",
              "mix.solo_1", "loop.next_saved", "loop.previous_saved", "midi.speed",
              "midi.master_volume", "midi.volume_1"}
    assert needed <= set(ACTIONS)


# --- what devices send -----------------------------------------------------------------------
def test_running_status_is_understood():
    decoder = Decoder()
    messages = decoder.decode([0x90, 60, 100, 62, 100])   # two notes, one status byte
    messages += decoder.decode([64, 0])                   # a third, in the next packet
    assert [(m.type, m.note, m.velocity) for m in messages] == [
        ("note_on", 60, 100), ("note_on", 62, 100), ("note_on", 64, 0)]


def test_sysex_clock_and_malformed_bytes_are_dropped_and_what_follows_arrives():
    decoder = Decoder()
    junk = [0xF0, *range(100), 0xF7, 0xF8, 0xFE, 0x85, 0xFF, 3, 0xF4, 9, 0xB0]
    assert decoder.decode(junk) == []
    assert decoder.decode([64, 127]) == [cc(64, 127)]     # the cut-off CC, completed
    assert decoder.decode([0xB0, 64, 0]) == [cc(64, 0)]

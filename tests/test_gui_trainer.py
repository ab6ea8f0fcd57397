"""The speed trainer in the window, and the trainer and count-in actions on keys and pedals:
set on the panel by typing, saved with the song, switched by a real MIDI note through a
virtual port on the JACK dummy server (the engine plays on the same server), the pass heard
and its speed shown as it goes up to the target."""
from __future__ import annotations

import json

import pytest
from PyQt6.QtCore import QPoint, Qt

from test_gui_helpers import data_dir, focused, open_demo, open_quiet  # noqa: F401 (fixture)
from test_midi_ports import pedal  # noqa: F401 (fixture: a virtual MIDI port on JACK)
from woodshed.player.midi import bindings as b
from woodshed.player.ui import actions
from woodshed.player.ui.session import session_path

pytest.importorskip("pytestqt")


def type_into(qtbot, box, text: str) -> None:
    """Click into a box, select what is there, type, Enter: as a person edits a number."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    box.selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def tick(qtbot, box) -> None:
    """Click a check box on its box (its middle may be past the end of its text)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def demo_song():
    from woodshed.player.ui.demo_song import import_demo

    return import_demo()


def test_trainer_settings_are_typed_saved_with_the_song_and_restored(qtbot, cache_dir, data_dir):
    song = demo_song()
    window = open_quiet(qtbot, song)
    view = window.song_view
    panel = view.trainer_panel
    tick(qtbot, panel.on)           # no loop yet: said so
    assert not panel.on.isChecked() and "draw one first" in window.banner.message
    view.set_loop(4.8, 9.6)
    for box, text in ((panel.start, "50"), (panel.step, "10"), (panel.every, "3"),
                      (panel.target, "90")):
        type_into(qtbot, box, text)
    tick(qtbot, panel.on)
    assert panel.on.isChecked() and view.running_trainer is not None
    assert (view.running_trainer.start, view.running_trainer.step, view.running_trainer.every,
            view.running_trainer.target) == pytest.approx((0.5, 0.1, 3, 0.9))
    assert panel.status.text() == "pass 1 · 50 %"
    window.close()                                                  # the session is written
    saved = json.loads(session_path(song.key).read_text())
    assert saved["trainer"] == pytest.approx({"start": 0.5, "step": 0.1, "every": 3, "target": 0.9})
    assert saved["trainer_on"] is True and saved["version"] == 1

    again = open_quiet(qtbot, demo_song())
    panel = again.song_view.trainer_panel
    assert (panel.start.value(), panel.step.value(), panel.every.value(),
            panel.target.value()) == (50, 10, 3, 90)
    assert panel.on.isChecked() and again.song_view.running_trainer.target == pytest.approx(0.9)
    type_into(qtbot, panel.step, "-5")                              # never gets from 50 to 90
    assert not panel.on.isChecked() and again.song_view.running_trainer is None
    assert "never gets from 0.5 to 0.9" in again.banner.message
    again.close()


@pytest.fixture
def window(qtbot, cache_dir, data_dir, jack_server, pedal):
    w = open_demo(qtbot, jack_server.portaudio_device, midi=True)
    qtbot.waitUntil(lambda: bool(w.midi.controller.inputs.open_ports()), timeout=5000)
    yield w
    w.close()


def test_a_pedal_switches_the_trainer_and_the_window_shows_each_pass_up_to_the_target(
        qtbot, window, pedal):
    view, engine = window.song_view, window.song_view.engine
    window.midi.controller.bind(pedal.device, b.Binding(b.Control("note", 0, 62), "beats.trainer"))
    view.set_loop(0.0, 2.4)                                         # one bar at 100 BPM
    panel = view.trainer_panel
    panel.set_settings({"start": 1.0, "step": 0.25, "every": 1, "target": 1.5})
    view.play()
    pedal.send(0x90, 62, 100)                                       # the pedal: trainer on
    qtbot.waitUntil(lambda: engine.trainer is not None, timeout=2000)
    assert panel.on.isChecked() and view.session.trainer_on
    shown = set()

    def reached_target():
        shown.add(panel.status.text())
        return panel.status.text() == "pass 3 · 150 % · target"
    qtbot.waitUntil(reached_target, timeout=15000)                 # 2.4 s + 1.9 s + latency
    assert {"pass 1 · 100 %", "pass 2 · 125 %"} <= shown, shown
    assert engine.trainer_pass[1] == pytest.approx(1.5)
    qtbot.waitUntil(lambda: engine.trainer_pass[0] >= 3, timeout=5000)
    assert engine.trainer_pass[1] == pytest.approx(1.5)            # held at the target
    assert engine.error is None and engine.playing
    pedal.send(0x90, 62, 100)                                       # again: off
    qtbot.waitUntil(lambda: engine.trainer is None, timeout=2000)
    assert not panel.on.isChecked() and panel.status.text() == ""
    assert window.banner.message == ""


def test_count_in_keys_and_count_in_then_play(qtbot, cache_dir, data_dir, jack_server):
    window = open_demo(qtbot, jack_server.portaudio_device)
    try:
        view, engine = window.song_view, window.song_view.engine
        qtbot.waitUntil(lambda: view.grid is not None, timeout=60000)  # found in its own process
        window.trigger(actions.get("beats.count_in_on_off"))
        assert view.count_in_bars == 1 and "count-in 1" in view.transport.bpm.text()
        window.trigger(actions.get("beats.count_in_on_off"))
        assert view.count_in_bars == 0 and "count-in" not in view.transport.bpm.text()
        view.set_loop(4.8, 9.6)
        view.seek(12.0)
        qtbot.keyClick(focused(window), Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)
        assert engine.playing and view.count_in_bars == 0           # a count-in this once
        # one bar of count-in at 100 BPM (2.4 s): the song waits at the loop's start
        qtbot.wait(1200)
        assert engine.position_s == pytest.approx(4.8, abs=0.02)
        qtbot.waitUntil(lambda: engine.position_s > 5.2, timeout=5000)
        assert engine.error is None
    finally:
        window.close()

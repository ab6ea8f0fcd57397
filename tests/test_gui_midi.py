"""The window driven hands-free: real MIDI through a virtual port on the JACK dummy server
(the engine plays on the same server), page-turner keys and media keys sent to the focus."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt

from test_gui_helpers import data_dir, focused, open_demo  # noqa: F401 (fixture)
from test_midi_ports import pedal  # noqa: F401 (fixture: a virtual MIDI port on JACK)
from woodshed.player.midi import bindings as b
from woodshed.player.ui.session import SavedLoop

pytest.importorskip("pytestqt")
CONNECT_TIMEOUT_MS = 5000


def open_window(qtbot, device, midi: bool):
    return open_demo(qtbot, device, midi=midi)


@pytest.fixture
def window(qtbot, cache_dir, data_dir, jack_server, pedal):
    w = open_window(qtbot, jack_server.portaudio_device, midi=True)
    qtbot.waitUntil(lambda: bool(w.midi.controller.inputs.open_ports()), timeout=CONNECT_TIMEOUT_MS)
    yield w
    w.close()


def test_a_pedal_plays_mutes_and_drives_speed_and_the_window_follows(qtbot, window, pedal):
    view = window.song_view
    engine = view.engine
    controller = window.midi.controller
    controller.bind(pedal.device, b.Binding(b.Control("note", 0, 60), "mix.mute_2"))
    controller.bind(pedal.device, b.Binding(b.Control("cc", 0, 11), "midi.speed",
                                            pedal="continuous"))
    assert not engine.playing
    pedal.send(0xB0, 64, 127)                    # sustain pedal: play / pause (default)
    qtbot.waitUntil(lambda: engine.playing, timeout=2000)
    qtbot.waitUntil(lambda: view.transport._shown_playing, timeout=2000)
    pedal.send(0x90, 60, 100)                    # mute stem 2 (the bass)
    qtbot.waitUntil(lambda: engine.controls.muted("bass"), timeout=2000)
    qtbot.waitUntil(lambda: view.strips["bass"].mute.isChecked(), timeout=2000)
    assert "bass" in view.session.muted and view.waveforms.lanes["bass"].dimmed
    pedal.send(0xB0, 11, 64)                     # expression pedal half way: 75 %
    qtbot.waitUntil(lambda: engine.tempo == pytest.approx(0.75, abs=0.01), timeout=2000)
    qtbot.waitUntil(lambda: view.transport.tempo == pytest.approx(0.75, abs=0.01), timeout=2000)
    assert view.session.tempo == pytest.approx(0.75, abs=0.01)
    controller.bind(pedal.device, b.Binding(b.Control("cc", 0, 7), "midi.volume_4",
                                            pedal="continuous"))
    pedal.send(0xB0, 7, 64)                      # the lead's volume: about -6 dB
    qtbot.waitUntil(lambda: abs(view.strips["lead"].fader.db + 5.9) < 0.1, timeout=2000)
    assert engine.controls.gain_db("lead") == pytest.approx(-5.95, abs=0.1)
    pedal.send(0xB0, 7, 0)                       # heel down: silent, the fader at its bottom
    qtbot.waitUntil(lambda: view.strips["lead"].fader.value() == view.strips["lead"].fader.minimum(),
                    timeout=2000)
    assert engine.effective_gains()["lead"] == 0.0
    assert window.banner.message == ""


def test_a_pedal_steps_through_saved_loops_in_the_window(qtbot, window, pedal):
    view = window.song_view
    window.midi.controller.bind(pedal.device, b.Binding(b.Control("cc", 0, 64), "loop.next_saved"))
    window.midi.controller.bind(pedal.device, b.Binding(b.Control("cc", 0, 64), "loop.previous_saved",
                                                       gesture="double_tap"))
    view.loops.set_loops([SavedLoop("verse", 4.8, 9.6), SavedLoop("chorus", 14.4, 19.2)])
    pedal.send(0xB0, 64, 127)
    pedal.send(0xB0, 64, 0)                      # one tap: next saved loop
    qtbot.waitUntil(lambda: view.session.loop == (4.8, 9.6), timeout=3000)
    pedal.send(0xB0, 64, 127)
    pedal.send(0xB0, 64, 0)
    qtbot.waitUntil(lambda: view.session.loop == (14.4, 19.2), timeout=3000)
    assert view.engine.loop == (14.4, 19.2, True)
    for value in (127, 0, 127, 0):               # a double tap: the previous one
        pedal.send(0xB0, 64, value)
    qtbot.waitUntil(lambda: view.session.loop == (4.8, 9.6), timeout=3000)


def test_a_pedal_unplugged_mid_song_is_one_line_and_playback_goes_on(qtbot, window, pedal):
    view = window.song_view
    view.play()
    pedal.unplug()
    qtbot.waitUntil(lambda: "disconnected" in window.statusBar().currentMessage(), timeout=3000)
    position_s = view.engine.position_s
    qtbot.waitUntil(lambda: view.engine.position_s > position_s + 0.3, timeout=3000)
    assert view.engine.error is None and window.banner.message == ""


def test_a_damaged_bindings_file_says_so_in_one_line(qtbot, cache_dir, data_dir):
    from woodshed.player.ui.main_window import MainWindow

    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / b.BINDINGS_FILE).write_text("{ this is not json")
    w = MainWindow(with_engine=False, midi=True)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    try:
        assert "damaged" in w.banner.message and "\n" not in w.banner.message
        assert w.midi.controller.table == b.default_bindings()
    finally:
        w.close()


# --- keys that page-turner pedals and keyboards' media keys send -----------------------------
@pytest.fixture
def plain_window(qtbot, cache_dir, data_dir, jack_server):
    w = open_window(qtbot, jack_server.portaudio_device, midi=False)
    yield w
    w.close()


def test_page_down_plays_and_page_up_restarts_the_loop(qtbot, plain_window):
    view = plain_window.song_view
    view.set_loop(4.8, 9.6)
    view.seek(8.0)
    qtbot.keyClick(focused(plain_window), Qt.Key.Key_PageDown)
    assert view.engine.playing
    qtbot.keyClick(focused(plain_window), Qt.Key.Key_PageDown)
    assert not view.engine.playing
    qtbot.keyClick(focused(plain_window), Qt.Key.Key_PageUp)   # back to the loop's start, playing
    assert view.engine.playing
    qtbot.waitUntil(lambda: 4.8 <= view.engine.position_s < 6.0, timeout=2000)


def test_media_keys_play_and_step_through_saved_loops(qtbot, plain_window):
    view = plain_window.song_view
    view.loops.set_loops([SavedLoop("a", 2.0, 4.0), SavedLoop("b", 10.0, 12.0)])
    qtbot.keyClick(focused(plain_window), Qt.Key.Key_MediaTogglePlayPause)
    assert view.engine.playing
    qtbot.keyClick(focused(plain_window), Qt.Key.Key_MediaPlay)
    assert not view.engine.playing
    qtbot.keyClick(focused(plain_window), Qt.Key.Key_MediaNext)
    assert view.session.loop == (2.0, 4.0)
    qtbot.keyClick(focused(plain_window), Qt.Key.Key_MediaNext)
    assert view.session.loop == (10.0, 12.0)
    qtbot.keyClick(focused(plain_window), Qt.Key.Key_MediaPrevious)
    assert view.session.loop == (2.0, 4.0)


# --- Pedals, MIDI and keys: MIDI learn and any key --------------------------------------------
def open_controls(qtbot, window):
    from woodshed.player.ui.controls_dialog import ControlsDialog

    window.trigger(__import__("woodshed.player.ui.actions", fromlist=["get"]).get("play.controls"))
    dialogs = [d for d in window.findChildren(ControlsDialog) if d.isVisible()]
    assert len(dialogs) == 1
    qtbot.waitExposed(dialogs[0])
    return dialogs[0]


def test_midi_learn_click_an_action_press_the_pedal(qtbot, window, pedal):
    view = window.song_view
    dialog = open_controls(qtbot, window)
    dialog.select("play.restart_loop")
    qtbot.mouseClick(dialog.learn_tap, Qt.MouseButton.LeftButton)
    assert "Learning" in dialog.message.text()
    pedal.send(0xB0, 20, 127)                    # the pedal the musician pressed
    qtbot.waitUntil(lambda: "CC 20" in dialog.message.text(), timeout=3000)
    row = [r for r, (i, _, _) in enumerate(dialog.rows) if i == "play.restart_loop"][0]
    assert dialog.table.item(row, 2).text() == "CC 20 (channel 1)"
    assert dialog.current_device() == pedal.device
    assert not view.engine.playing               # learning did not also restart
    view.set_loop(4.8, 9.6)
    view.seek(8.0)
    pedal.send(0xB0, 20, 0)
    pedal.send(0xB0, 20, 127)                    # now it restarts the loop
    qtbot.waitUntil(lambda: view.engine.playing, timeout=2000)
    qtbot.waitUntil(lambda: 4.8 <= view.engine.position_s < 6.5, timeout=2000)
    # kept for that device, in the data folder
    saved = b.load_bindings(window.midi.controller.bindings_path)[0]
    assert b.Binding(b.Control("cc", 0, 20), "play.restart_loop") in saved[pedal.device]
    qtbot.mouseClick(dialog.clear_midi, Qt.MouseButton.LeftButton)
    assert dialog.table.item(row, 2).text() == ""
    dialog.close()


@pytest.fixture
def shipped_keys():
    """The registry belongs to the process: leave it as shipped for the tests after."""
    from woodshed.player.ui import keymap

    yield
    keymap.restore_defaults()


def test_a_latching_pedal_acts_on_every_press(qtbot, window, pedal):
    engine = window.song_view.engine
    dialog = open_controls(qtbot, window)
    dialog.select("mix.mute_1")
    qtbot.mouseClick(dialog.learn_tap, Qt.MouseButton.LeftButton)
    pedal.send(0xB0, 21, 127)                    # first press: it stays down
    qtbot.waitUntil(lambda: "CC 21" in dialog.message.text(), timeout=3000)
    assert not dialog.latching.isChecked()
    dialog.latching.click()
    assert dialog.latching.isChecked()
    pedal.send(0xB0, 21, 0)                      # second press: it comes up; it acts
    qtbot.waitUntil(lambda: engine.controls.muted("drums"), timeout=2000)
    pedal.send(0xB0, 21, 127)                    # third press
    qtbot.waitUntil(lambda: not engine.controls.muted("drums"), timeout=2000)
    saved = b.load_bindings(window.midi.controller.bindings_path)[0][pedal.device]
    assert b.Binding(b.Control("cc", 0, 21), "mix.mute_1", pedal="toggle") in saved
    dialog.close()


def test_any_action_takes_any_key_and_keeps_it(qtbot, cache_dir, data_dir, jack_server,
                                               shipped_keys):
    w = open_window(qtbot, jack_server.portaudio_device, midi=False)
    try:
        view = w.song_view
        view.set_loop(4.8, 9.6)
        dialog = open_controls(qtbot, w)
        dialog.select("loop.toggle")
        dialog.key_edit.setFocus()
        qtbot.keyClick(dialog.key_edit, Qt.Key.Key_F5)
        qtbot.mouseClick(dialog.set_key, Qt.MouseButton.LeftButton)
        assert "F5" in dialog.message.text()
        dialog.select("play.toggle")             # Page Down taken from play/pause: said so
        dialog.key_edit.setFocus()
        qtbot.keyClick(dialog.key_edit, Qt.Key.Key_PageDown)
        dialog.select("loop.zoom")
        qtbot.mouseClick(dialog.set_key, Qt.MouseButton.LeftButton)
        assert "taken from “Play / pause”" in dialog.message.text()
        dialog.close()
        qtbot.keyClick(focused(w), Qt.Key.Key_F5)
        assert view.engine.loop[2] is False      # F5: loop off
        qtbot.keyClick(focused(w), Qt.Key.Key_L)
        assert view.engine.loop[2] is True       # L still does it too
        qtbot.keyClick(focused(w), Qt.Key.Key_PageDown)
        assert not view.engine.playing           # Page Down is the zoom's now
    finally:
        w.close()
    again = open_window(qtbot, jack_server.portaudio_device, midi=False)   # kept
    try:
        from woodshed.player.ui import actions

        assert "F5" in actions.get("loop.toggle").keys
        assert "PgDown" not in actions.get("play.toggle").keys
        again.song_view.set_loop(4.8, 9.6)
        qtbot.keyClick(focused(again), Qt.Key.Key_F5)
        assert again.song_view.engine.loop[2] is False
        dialog = open_controls(qtbot, again)
        dialog.select("play.toggle")
        qtbot.mouseClick(dialog.default_keys, Qt.MouseButton.LeftButton)
        assert "PgDown" in actions.get("play.toggle").keys
        dialog.close()
    finally:
        again.close()

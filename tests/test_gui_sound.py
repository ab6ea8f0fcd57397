"""Sound controls as a musician reads them: pitch with its sign, a fine tune in cents that
reaches the engine's stretcher as fractional semitones, master and pan values shown, and a
double-click resetting each."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication

from test_gui_helpers import data_dir, focused, open_demo  # noqa: F401 (fixture)

pytest.importorskip("pytestqt")


def type_into(qtbot, box, text: str) -> None:
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(QApplication.focusWidget(), text)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not box.hasFocus(), timeout=1000)


def test_pitch_shows_its_sign_and_fine_tune_reaches_the_engine(qtbot, cache_dir, data_dir, jack_server):
    window = open_demo(qtbot, jack_server.portaudio_device)
    view = window.song_view
    t = view.transport
    assert t.pitch_box.text() == "0 st" and t.cents_box.text() == "0 ct"
    type_into(qtbot, t.pitch_box, "2")
    assert t.pitch_box.text() == "+2 st"
    type_into(qtbot, t.cents_box, "-30")
    assert t.cents_box.text() == "-30 ct"
    assert view.engine.pitch_semitones == pytest.approx(1.70)  # 2 st - 30 ct, one stretcher
    assert view.session.pitch_semitones == pytest.approx(1.70)
    type_into(qtbot, t.pitch_box, "-3")
    assert t.pitch_box.text() == "-3 st" and view.engine.pitch_semitones == pytest.approx(-3.30)
    type_into(qtbot, t.cents_box, "80")  # past the range: held at +50
    assert t.cents_box.value() <= 50
    qtbot.mouseDClick(t.cents_box, Qt.MouseButton.LeftButton)
    assert view.engine.pitch_semitones == pytest.approx(-3.0)
    view.transport.play.click()
    qtbot.waitUntil(lambda: view.engine.position_s > 0.5, timeout=5000)  # it plays, shifted
    window.close()

    again = open_demo(qtbot, jack_server.portaudio_device)  # remembered, fine tune included
    assert again.song_view.transport.pitch_box.text() == "-3 st"
    assert again.song_view.engine.pitch_semitones == pytest.approx(-3.0)
    again.close()


def test_fine_tune_is_remembered_with_the_song(qtbot, cache_dir, data_dir):
    from woodshed.player.ui.demo_song import import_demo
    from woodshed.player.ui.main_window import MainWindow
    from woodshed.player.ui.session import Session, save_session

    song = import_demo()
    save_session(song.key, Session(pitch_semitones=-1.25))
    window = MainWindow(with_engine=False)
    qtbot.addWidget(window)
    window.show()
    window.open_song(song)
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=10000)
    t = window.song_view.transport
    assert (t.pitch_box.text(), t.cents_box.text()) == ("-1 st", "-25 ct")
    window.close()


def test_master_and_pan_show_their_values_and_double_click_resets_them(qtbot, cache_dir, data_dir):
    from woodshed.player.ui.demo_song import import_demo
    from woodshed.player.ui.main_window import MainWindow

    window = MainWindow(with_engine=False)
    qtbot.addWidget(window)
    window.show()
    window.open_song(import_demo())
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=10000)
    view = window.song_view
    view.master.set_db(-4.5)
    assert view.master_label.text() == "-4.5 dB" and view.session.master_db == -4.5
    qtbot.mouseDClick(view.master, Qt.MouseButton.LeftButton)
    assert view.master_label.text() == "0.0 dB" and view.session.master_db == 0.0
    strip = view.strips["bass"]
    strip.pan.setValue(-30)
    assert strip.pan_label.text() == "L30" and view.session.pans["bass"] == pytest.approx(-0.3)
    strip.pan.setValue(45)
    assert strip.pan_label.text() == "R45"
    qtbot.mouseDClick(strip.pan, Qt.MouseButton.LeftButton)
    assert strip.pan_label.text() == "C" and view.session.pans["bass"] == 0.0
    window.close()

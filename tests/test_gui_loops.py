"""Exact loops and markers, through the window (no sound: MainWindow(with_engine=False)):
the loop typed and nudged to the millisecond, saved loops with their times (and tempo and
mix when asked), deleting undone, markers at the playhead on the ruler, next/previous, a loop
from one marker to the next, saved with the song and shown by the terminal player."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication

from test_gui_helpers import data_dir, open_quiet  # noqa: F401 (fixture)
from test_gui_keys import fired, press

pytest.importorskip("pytestqt")


@pytest.fixture
def demo_song(cache_dir):
    from woodshed.player.ui.demo_song import import_demo

    return import_demo()


def open_window(qtbot, song):
    return open_quiet(qtbot, song, (1300, 760))


def type_into(qtbot, box, text: str, key=Qt.Key.Key_Return) -> None:
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(QApplication.focusWidget(), text)
    qtbot.keyClick(QApplication.focusWidget(), key)
    qtbot.waitUntil(lambda: not box.hasFocus(), timeout=1000)


def test_the_loop_is_typed_and_nudged_to_the_millisecond(qtbot, data_dir, demo_song):
    window = open_window(qtbot, demo_song)
    view = window.song_view
    view.set_loop(4.0, 8.0)
    assert view.loops.start_box.text() == "0:04.000" and view.loops.end_box.text() == "0:08.000"
    type_into(qtbot, view.loops.start_box, "0:05.250")
    type_into(qtbot, view.loops.end_box, "9.5")  # plain seconds too
    assert view.session.loop == pytest.approx((5.25, 9.5))
    assert view.waveforms.loop_region_s() == pytest.approx((5.25, 9.5))
    assert fired(window, qtbot, "Space") == ["play.toggle"]  # the keys are the transport's again
    press(qtbot, window, "Ctrl+Right")
    press(qtbot, window, "Ctrl+Shift+Left")
    press(qtbot, window, "Alt+Right")
    press(qtbot, window, "Alt+Shift+Right")
    assert view.session.loop == pytest.approx((5.25 + 0.01 - 0.1, 9.5 + 0.01 + 0.1))
    assert view.loops.start_box.text() == "0:05.160"
    # The boxes' own arrows: 10 ms a step.
    view.loops.end_box.setFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)
    assert view.session.loop[1] == pytest.approx(9.6)
    # An end before the start is refused with a message, the loop kept.
    type_into(qtbot, view.loops.end_box, "0:05.000")
    assert view.session.loop == pytest.approx((5.16, 9.6))
    window.close()


def test_saved_loops_show_their_times_bring_back_tempo_and_mix_and_a_delete_can_be_undone(
        qtbot, data_dir, demo_song):
    from woodshed.player.ui.named_list import TIMES_ROLE

    window = open_window(qtbot, demo_song)
    view = window.song_view
    view.set_loop(2.4, 4.8)
    view.save_loop("Intro")
    view.set_tempo(0.7)
    view.strips["drums"].mute.setChecked(True)
    view.loops.with_settings.setChecked(True)
    view.set_loop(12.0, 14.4)
    view.save_loop("Fill")
    assert view.loops.list.item(0).data(TIMES_ROLE) == "0:02.4–0:04.8"
    assert view.loops.list.item(1).data(TIMES_ROLE) == "0:12.0–0:14.4 · 70 %"
    # Back to full speed with drums; jumping to "Fill" brings its tempo and mix back.
    view.set_tempo(1.0)
    view.strips["drums"].mute.setChecked(False)
    view.jump_to_loop(view.loops.loops[1])
    assert view.transport.tempo == pytest.approx(0.7) and view.strips["drums"].mute.isChecked()
    view.jump_to_loop(view.loops.loops[0])  # saved without: tempo and mix stay
    assert view.transport.tempo == pytest.approx(0.7)
    # Delete, then undo (Ctrl+Z): back in its place.
    view.loops.list.setCurrentRow(0)
    qtbot.mouseClick(view.loops.delete, Qt.MouseButton.LeftButton)
    assert [loop.name for loop in view.session.loops] == ["Fill"]
    press(qtbot, window, "Ctrl+Z")
    assert [loop.name for loop in view.session.loops] == ["Intro", "Fill"]
    assert view.loops.list.item(0).text() == "Intro"
    window.close()


def test_markers_at_the_playhead_on_the_ruler_with_keys_and_a_loop_between_them(
        qtbot, data_dir, demo_song):
    window = open_window(qtbot, demo_song)
    view = window.song_view
    view.seek(4.8)
    press(qtbot, window, "M")
    view.seek(14.4)
    press(qtbot, window, "M")
    view.seek(24.0)
    qtbot.mouseClick(view.loops.add_marker, Qt.MouseButton.LeftButton)
    assert [(m.name, m.time_s) for m in view.session.markers] == [
        ("Marker 1", 4.8), ("Marker 2", 14.4), ("Marker 3", 24.0)]
    # Renamed as a musician does: select, F2 (here the Rename button), type, Enter.
    view.loops.marker_list.setCurrentRow(1)
    qtbot.mouseClick(view.loops.rename_marker, Qt.MouseButton.LeftButton)
    editor = QApplication.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, "Chorus")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.session.markers[1].name == "Chorus", timeout=2000)
    assert "Chorus" in view.waveforms.marker_labels()
    view.take_keys()
    # Next / previous marker, and the section the playhead is in as the loop.
    view.seek(6.0)
    press(qtbot, window, ".")
    assert view.position_s == pytest.approx(14.4)
    press(qtbot, window, ".")
    assert view.position_s == pytest.approx(24.0)
    press(qtbot, window, ",")
    assert view.position_s == pytest.approx(14.4)
    view.seek(16.0)
    press(qtbot, window, "Shift+L")
    assert view.session.loop == pytest.approx((14.4, 24.0)) and view.transport.loop.isChecked()
    # Deleting a marker can be undone.
    view.loops.marker_list.setCurrentRow(0)
    qtbot.mouseClick(view.loops.delete_marker, Qt.MouseButton.LeftButton)
    assert [m.name for m in view.session.markers] == ["Chorus", "Marker 3"]
    press(qtbot, window, "Ctrl+Z")
    assert [m.name for m in view.session.markers] == ["Marker 1", "Chorus", "Marker 3"]
    window.close()

    # Saved with the song: a restart shows them again.
    again = open_window(qtbot, demo_song)
    assert [m.name for m in again.song_view.session.markers] == ["Marker 1", "Chorus", "Marker 3"]
    assert "Chorus" in again.song_view.waveforms.marker_labels()
    again.close()


def test_the_terminal_player_names_the_marker_it_is_in(cache_dir, data_dir, demo_song):
    from woodshed.player.cli.commands import TerminalSession
    from woodshed.player.engine.engine import Engine
    from woodshed.player.ui.session import Marker, Session, load_session, save_session

    save_session(demo_song.key, Session(markers=[Marker("Verse", 2.0), Marker("Chorus", 12.0)]))
    engine = Engine(demo_song, device=None)  # not started: the status line reads its state
    try:
        session = TerminalSession(engine, demo_song.manifest.sources,
                                  markers=load_session(demo_song.key).markers)
        engine.seek(13.0)
        assert "[Chorus]" in session.status_line()
        engine.seek(5.0)
        assert "[Verse]" in session.status_line()
        engine.seek(1.0)
        assert "[" not in session.status_line().split("tempo")[0]
    finally:
        engine.close()

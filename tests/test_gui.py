"""The practice window, driven like a musician drives it: real widgets (offscreen), the real
engine playing to a real device (a JACK dummy server: no sound card needed)."""
from __future__ import annotations

import pytest
import soundfile as sf
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLineEdit

from test_gui_helpers import click, data_dir, drag, focused, open_demo  # noqa: F401 (fixture)

pytest.importorskip("pytestqt")


@pytest.fixture
def window(qtbot, cache_dir, data_dir, jack_server):
    w = open_demo(qtbot, jack_server.portaudio_device)
    yield w
    w.close()


def test_demo_opens_with_a_lane_and_strip_per_stem_and_plays(qtbot, window):
    view = window.song_view
    assert view.engine is not None, window.banner.message
    assert list(view.strips) == ["drums", "bass", "piano", "lead"]
    assert set(view.waveforms.lanes) == set(view.strips)
    assert window.banner.message == ""
    qtbot.mouseClick(view.transport.play, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.engine.position_s > 0.5, timeout=5000)
    assert view.engine.playing
    qtbot.waitUntil(lambda: view.transport.time.text().startswith("0:00.") is False, timeout=5000)
    assert view.transport.time.text().endswith("/ 0:28.8")
    # The playhead line follows the engine's audible position.
    assert abs(view.waveforms.first.playhead.value() - view.engine.position_s) < 0.5
    qtbot.keyClick(focused(window), Qt.Key.Key_Space)  # Space pauses
    assert not view.engine.playing


def test_mute_and_solo_change_the_engines_gains_and_dim_lanes(qtbot, window):
    view = window.song_view
    engine = view.engine
    qtbot.mouseClick(view.strips["bass"].mute, Qt.MouseButton.LeftButton)
    assert engine.effective_gains()["bass"] == 0.0
    assert engine.effective_gains()["drums"] == pytest.approx(1.0)
    assert view.waveforms.lanes["bass"].dimmed and not view.waveforms.lanes["drums"].dimmed
    qtbot.keyClick(focused(window), Qt.Key.Key_1)  # key 1 mutes stem 1, the drums
    assert engine.effective_gains()["drums"] == 0.0
    qtbot.keyClick(focused(window), Qt.Key.Key_1)
    qtbot.keyClick(focused(window), "$", Qt.KeyboardModifier.ShiftModifier)  # Shift+4 solos the lead
    gains = engine.effective_gains()
    assert gains["lead"] == pytest.approx(1.0)
    assert gains["drums"] == gains["piano"] == gains["bass"] == 0.0
    # Fader: -6 dB halves the amplitude; a double-click puts it back to 0 dB.
    view.strips["lead"].fader.set_db(-6.0)
    assert engine.effective_gains()["lead"] == pytest.approx(10 ** (-6 / 20), rel=1e-3)
    qtbot.mouseDClick(view.strips["lead"].fader, Qt.MouseButton.LeftButton)
    assert engine.effective_gains()["lead"] == pytest.approx(1.0)


def test_dragging_across_a_lane_sets_the_engines_loop(qtbot, window):
    view = window.song_view
    lane = view.waveforms.lanes["piano"]
    drag(qtbot, lane, 4.8, 9.6)
    start_s, end_s, enabled = view.engine.loop
    assert start_s == pytest.approx(4.8, abs=0.15) and end_s == pytest.approx(9.6, abs=0.15)
    assert enabled and view.transport.loop.isChecked()
    for other in view.waveforms.lanes.values():  # the region is drawn in every lane
        assert other.loop_region.isVisible()
        assert other.loop_region.getRegion() == pytest.approx((start_s, end_s))
    drag(qtbot, lane, end_s, 12.0)  # grab the loop's end and move it
    start_s, end_s, enabled = view.engine.loop
    assert start_s == pytest.approx(4.8, abs=0.15) and end_s == pytest.approx(12.0, abs=0.15)
    qtbot.keyClick(focused(window), Qt.Key.Key_L)  # L turns looping off, keeps the bounds
    assert view.engine.loop[2] is False
    # Clicking seeks, and playing from inside the loop wraps within it.
    qtbot.keyClick(focused(window), Qt.Key.Key_L)
    click(qtbot, lane, 8.5)
    assert view.engine.position_s == pytest.approx(8.5, abs=0.15)
    view.transport.play.click()
    qtbot.wait(2500)
    assert start_s - 0.1 <= view.engine.position_s <= end_s + 0.1


def test_tempo_and_pitch_controls_drive_the_engine(qtbot, window):
    view = window.song_view
    engine = view.engine
    box = view.transport.tempo_box
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(focused(window), "75")
    qtbot.keyClick(focused(window), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not box.hasFocus(), timeout=1000)
    assert engine.tempo == pytest.approx(0.75)
    assert view.transport.tempo_slider.value() == 75
    qtbot.mouseClick(view.transport.faster, Qt.MouseButton.LeftButton)
    assert engine.tempo == pytest.approx(0.80)
    qtbot.keyClick(focused(window), "-")  # Enter gave the keys back to the transport
    assert engine.tempo == pytest.approx(0.75)
    view.transport.pitch_box.setValue(-2)
    assert engine.pitch_semitones == -2
    qtbot.keyClick(focused(window), Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert engine.tempo == 1.0 and engine.pitch_semitones == 0


def test_save_rename_and_jump_back_to_a_loop(qtbot, window):
    view = window.song_view
    lane = view.waveforms.lanes["drums"]
    drag(qtbot, lane, 2.4, 4.8)
    qtbot.mouseClick(view.loops.save, Qt.MouseButton.LeftButton)
    assert [loop.name for loop in view.loops.loops] == ["Loop 1"]
    qtbot.mouseClick(view.loops.rename, Qt.MouseButton.LeftButton)  # opens the name for editing
    editor = view.loops.list.findChild(QLineEdit)
    assert editor is not None and editor.text() == "Loop 1"
    editor.selectAll()
    qtbot.keyClicks(editor, "Chorus")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # Qt commits the edit on the next event loop turn
    qtbot.waitUntil(lambda: view.session.loops[0].name == "Chorus", timeout=2000)
    drag(qtbot, lane, 12.0, 14.4)
    assert view.engine.loop[0] == pytest.approx(12.0, abs=0.15)
    item = view.loops.list.item(0)
    assert item.text() == "Chorus"
    rect = view.loops.list.visualItemRect(item)
    # A double-click is a click and then a double-click event (Qt's item views need both).
    qtbot.mouseClick(view.loops.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.loops.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    start_s, end_s, enabled = view.engine.loop
    assert (start_s, end_s) == pytest.approx((2.4, 4.8), abs=0.15) and enabled
    assert view.engine.position_s == pytest.approx(start_s, abs=0.05)
    view.loops.list.setCurrentRow(0)
    qtbot.mouseClick(view.loops.delete, Qt.MouseButton.LeftButton)
    assert view.loops.loops == [] and view.session.loops == []


def test_session_is_restored_after_a_restart(qtbot, cache_dir, data_dir, jack_server):
    window = open_demo(qtbot, jack_server.portaudio_device)
    view = window.song_view
    qtbot.mouseClick(view.strips["piano"].mute, Qt.MouseButton.LeftButton)
    view.strips["bass"].fader.set_db(-4.5)
    view.transport.nudge_tempo(-20)
    drag(qtbot, view.waveforms.lanes["lead"], 9.6, 14.4)
    view.save_loop("Solo")
    view.seek(11.0)
    window.close()
    assert (data_dir / "sessions" / f"{view.song.key}.json").is_file()

    again = open_demo(qtbot, jack_server.portaudio_device)
    restored = again.song_view
    engine = restored.engine
    assert restored.strips["piano"].mute.isChecked() and engine.effective_gains()["piano"] == 0.0
    assert restored.strips["bass"].fader.db == -4.5
    assert engine.effective_gains()["bass"] == pytest.approx(10 ** (-4.5 / 20), rel=1e-3)
    assert engine.tempo == pytest.approx(0.8)
    assert [loop.name for loop in restored.loops.loops] == ["Solo"]
    assert engine.loop[:2] == pytest.approx((9.6, 14.4), abs=0.15)
    assert engine.position_s == pytest.approx(11.0, abs=0.05)
    again.close()


def test_export_the_loop_without_the_drums(qtbot, window, tmp_path):
    from woodshed.player.ui.export_dialog import ExportDialog

    view = window.song_view
    drag(qtbot, view.waveforms.lanes["bass"], 2.4, 7.2)
    view.set_tempo(0.8)
    dialog = ExportDialog(view, window.tasks, window)
    qtbot.addWidget(dialog)
    assert dialog.loop.isChecked()
    dialog.leave_out["drums"].setChecked(True)
    dialog.format.setCurrentText("FLAC")
    out = tmp_path / "backing.flac"
    dialog.path.setText(str(out))
    qtbot.mouseClick(dialog.export, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_path is not None, timeout=60000)
    audio, rate = sf.read(out)
    start_s, end_s = view.session.loop
    assert len(audio) / rate == pytest.approx((end_s - start_s) / 0.8, abs=0.01)
    assert abs(audio).max() > 0.05  # bass, piano and lead are there
    assert dialog.progress.value() == 1000


def test_export_plays_back_what_you_hear_solo_pan_and_master_included(qtbot, window, tmp_path):
    import numpy as np

    from woodshed.player.engine.controls import Controls
    from woodshed.player.engine.render import Renderer
    from woodshed.player.ui.export_dialog import ExportDialog

    view = window.song_view
    qtbot.mouseClick(view.strips["bass"].solo, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.strips["piano"].solo, Qt.MouseButton.LeftButton)
    view.strips["bass"].pan.setValue(-100)  # hard left
    view.master.set_db(-6.0)
    dialog = ExportDialog(view, window.tasks, window)
    qtbot.addWidget(dialog)
    assert [n for n, box in dialog.leave_out.items() if box.isChecked()] == ["drums", "lead"]
    dialog.whole.setChecked(True)
    out = tmp_path / "solo.wav"
    dialog.path.setText(str(out))
    qtbot.mouseClick(dialog.export, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_path is not None, timeout=60000)
    assert dialog.status.text() == f"Written: {out}"  # nothing clipped, nothing else to say
    audio, _ = sf.read(out, dtype="float32", always_2d=True)
    controls = Controls.for_song(view.song)
    for stem in ("drums", "lead"):
        controls.set_mute(stem, True)
    controls.set_pan("bass", -1.0)
    controls.set_master_db(-6.0)
    expected = Renderer(view.song, controls).render(len(audio))
    np.testing.assert_array_equal(audio.T, expected)


def test_window_opens_and_explains_when_there_is_no_audio_device(qtbot, cache_dir, data_dir):
    window = open_demo(qtbot, "no such sound card")
    assert window.song_view.engine is None
    assert "no sound" in window.banner.message
    assert window.banner.action.text() == "Retry audio"
    # Everything that does not need sound still works: loops, tempo, the session.
    drag(qtbot, window.song_view.waveforms.lanes["drums"], 1.2, 3.0)  # on beats: snapped or not
    assert window.song_view.session.loop == pytest.approx((1.2, 3.0), abs=0.15)
    window.close()


def test_choosing_a_working_device_brings_the_sound_back_with_the_songs_settings(
        qtbot, cache_dir, data_dir, jack_server):
    window = open_demo(qtbot, "no such sound card")
    view = window.song_view
    qtbot.mouseClick(view.strips["bass"].mute, Qt.MouseButton.LeftButton)
    view.seek(7.0)
    assert view.engine is None and "no sound" in window.banner.message
    window.switch_device(jack_server.portaudio_device)  # what Audio ▸ Output device does
    qtbot.waitUntil(lambda: view.engine is not None, timeout=10000)
    assert window.banner.message == ""
    assert view.engine.effective_gains()["bass"] == 0.0
    assert view.engine.position_s == pytest.approx(7.0, abs=0.05)
    view.transport.play.click()
    qtbot.waitUntil(lambda: view.engine.position_s > 7.3, timeout=5000)
    window.close()


def test_help_lists_the_shortcuts_and_library_lists_cached_songs(qtbot, window):
    from woodshed.player.ui.shortcuts import ShortcutsDialog

    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    rows = dialog.rows
    assert rows["Space or PgDown or Media Play or Toggle Media Play/Pause"] == "Play / pause"
    assert rows["["] == "Loop start at the playhead"
    assert "Mute stem N" in rows.values() and "Solo stem N" in rows.values()
    window.refresh_library()
    qtbot.waitUntil(lambda: window.library.rowCount() == 1, timeout=5000)
    assert window.library.item(0, 0).text() == "Woodshed Groove (demo)"
    assert window.library.item(0, 4).text() == "drums, bass, piano, lead"


def test_unreadable_file_is_an_error_in_the_window(qtbot, window, tmp_path):
    window.open_path(tmp_path / "missing.mp3")
    qtbot.waitUntil(lambda: "does not exist" in window.banner.message, timeout=5000)
    assert window.song_view is not None  # the open song stays open


def test_woodshed_with_a_missing_song_says_so_without_opening_a_window(capsys):
    from woodshed.player.cli.main import main

    assert main(["no-such-song.mp3"]) == 2
    assert capsys.readouterr().err.strip() == "woodshed: error: no-such-song.mp3 does not exist"


def test_demo_and_app_commands_exist_and_the_demo_ships_as_package_data():
    import tomllib
    from pathlib import Path

    from woodshed.player.ui.demo_song import DEMO_DIR, demo_files
    from woodshed.player.cli.main import build_parser

    parser = build_parser()
    assert parser.parse_args(["demo"]).func.__name__ == "_run_demo"
    args = parser.parse_args(["app", "song.mp3", "--model", "htdemucs", "--device", "3"])
    assert (args.song, args.model, args.device) == ("song.mp3", "htdemucs", "3")
    root = Path(__file__).resolve().parent.parent
    setup = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped = {p for g in setup["package-data"]["woodshed.resources"] for p in (root / "resources").glob(g)}
    assert DEMO_DIR == root / "resources" / "demo"
    assert set(demo_files().values()) <= shipped and (DEMO_DIR / "LICENSE") in shipped
    for path in demo_files().values():
        info = sf.info(str(path))
        assert info.channels == 2 and 20 <= info.duration <= 30
    assert sum(p.stat().st_size for p in shipped) < 3 * 10**6

"""Opening a song that is not separated yet: it plays at once (the original mix), separation
runs in its own process with a progress bar, and the lanes fill in as stems arrive."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import QPoint, Qt, QTimer
from PyQt6.QtWidgets import QApplication, QLabel

from songs import music, write
from test_gui_helpers import data_dir  # noqa: F401 (fixture)


def open_unseparated(qtbot, tmp_path, seconds: float, model_repo, device):
    """The window opening a song file that is not in the cache: separation starts."""
    from woodshed.separation.separate import SeparationSettings
    from woodshed.player.ui.main_window import MainWindow

    song_file = write(tmp_path / "tune.wav", music(seconds))
    window = MainWindow(device=device,
                        separation_settings=SeparationSettings(model="test4s", model_repo=model_repo))
    qtbot.addWidget(window)
    window.show()
    window.open_path(song_file)
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=120000)
    return window


def with_stems(qtbot, window, timeout_ms: int = 120000):
    """The view once the model has loaded and the song's stems joined its mix."""
    qtbot.waitUntil(lambda: window.song_view is not None and bool(window.song_view.stems), timeout=timeout_ms)
    return window.song_view


def test_new_song_plays_while_it_separates_then_gets_stems(qtbot, cache_dir, data_dir, model_repo,
                                                           jack_server, tmp_path):
    window = open_unseparated(qtbot, tmp_path, 20.0, model_repo, jack_server.portaudio_device)
    first = window.song_view
    assert window.separation_bar.isVisible()
    # Opened before the model loaded: the mix, in one lane, plays at once.
    assert first.stems == [] and list(first.waveforms.lanes) == ["mix"]
    assert first.findChild(QLabel, "stems_to_come") is not None
    engine = first.engine
    # The musician sets up practice on the mix at once: a loop (not on yet), a speed and a
    # key, the master, a marker, a zoom; the keys belong to the transport.
    first.set_loop(2.0, 8.0, enable=False)
    first.set_tempo(0.9)
    first.set_pitch(1.0)
    first.master.set_db(-3.0)
    first.add_marker_here("verse")
    first.waveforms.set_view(0.0, 12.0)
    first.take_keys()
    qtbot.mouseClick(first.transport.play, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: engine.position_s > 0.3, timeout=5000)  # the mix plays meanwhile
    heard = []
    timer = QTimer()
    timer.timeout.connect(lambda: heard.append(engine.position_s))
    timer.start(20)
    view = with_stems(qtbot, window)
    # What is not separated yet is shaded as the stems show (all or most of the 20 s: the
    # model has just loaded; later reads shade less, down to none, below)
    shaded_s = sum(view.waveforms.lanes["bass"].unready.opts["width"])
    assert 0.0 < shaded_s <= 20.0
    wait_s = 0.5
    qtbot.wait(int(wait_s * 1000))
    timer.stop()
    # The model loaded: the same engine, still playing, mixes the stems in; the view that
    # plays has their strips and lanes in place of the mix's lane (it is not built again:
    # that froze the window for half a second). The playhead never went back nor stalled.
    assert view is first and view.engine is engine and engine.playing
    assert list(view.strips) == ["drums", "bass", "other", "vocals"] == engine.stems
    assert list(view.waveforms.lanes) == view.stems
    assert view.findChild(QLabel, "stems_to_come") is None
    assert all(lane.isVisible() for lane in view.waveforms.lanes.values())
    assert all(b >= a for a, b in zip(heard, heard[1:])), heard
    assert heard[-1] - heard[0] > 0.5 * len(heard) * 0.02
    # All that was set on the mix holds, on the stems' lanes too: the zoom (a view built
    # again showed all 20 s; the 12 s shown may have paged along with the playhead), the
    # loop, speed, key, master and the marker.
    x0, x1 = view.waveforms.view_range_s()
    assert x1 - x0 == pytest.approx(12.0)
    assert view.waveforms.loop_region_s() == (pytest.approx(2.0), pytest.approx(8.0))
    assert all(lane.loop_region.isVisible() for lane in view.waveforms.lanes.values())
    assert view.session.loop == (2.0, 8.0) and not view.session.loop_enabled
    assert (engine.tempo, engine.pitch_semitones) == (pytest.approx(0.9), pytest.approx(1.0))
    assert view.transport.tempo == pytest.approx(0.9) and view.session.master_db == -3.0
    assert view.waveforms.marker_labels() == ["verse"]
    playhead_s = view.waveforms.lanes["vocals"].playhead.value()
    assert abs(playhead_s - engine.position_s) < 0.5
    # The keyboard still belongs to the transport: Space pauses, Space plays on from there.
    with qtbot.waitActive(window):
        window.activateWindow()
    assert QApplication.focusWidget() is view
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert not engine.playing
    paused_s = engine.position_s
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert engine.playing and engine.position_s >= paused_s - 0.05
    view.seek(15.0)  # separation follows the playhead
    qtbot.waitUntil(lambda: window.separation_bar.bar.value() == 1000, timeout=180000)
    # The engine picks up finished regions from the manifest within half a second.
    qtbot.waitUntil(lambda: view.engine.ready_ranges_s() == [(0.0, pytest.approx(20.0))], timeout=5000)
    qtbot.waitUntil(lambda: all(s.fader.isEnabled() for s in view.strips.values()), timeout=5000)
    qtbot.waitUntil(lambda: sum(view.waveforms.lanes["bass"].unready.opts["width"]) == 0, timeout=5000)
    # The separation process found the beats from the mix meanwhile; the window has its answer
    from woodshed.separation.beats.analyse import known_grid

    assert not known_grid(view.song.dir)[1]
    qtbot.waitUntil(lambda: "finding the beats" not in view.transport.bpm.text(), timeout=10000)
    # The lanes now draw the separated stems' peaks, not flat lines.
    assert max(abs(lane.peaks.levels[0][1]).max() for lane in view.waveforms.lanes.values()) > 0
    assert "segments" in window.separation_bar.label.text() or "ready" in window.separation_bar.label.text()
    # The stems obey their strips (the engine learnt them with the view).
    qtbot.mouseClick(view.strips["bass"].mute, Qt.MouseButton.LeftButton)
    assert engine.effective_gains()["bass"] == 0.0
    window.close()
    assert window.banner.message == ""


def test_a_model_that_cannot_be_loaded_is_a_message_in_the_window(qtbot, cache_dir, data_dir, tmp_path):
    from woodshed.separation.separate import SeparationSettings
    from woodshed.player.ui.main_window import MainWindow

    song_file = write(tmp_path / "tune.wav", music(5.0))
    empty_repo = tmp_path / "no-models"
    empty_repo.mkdir()
    window = MainWindow(with_engine=False,
                        separation_settings=SeparationSettings(model="nosuchmodel", model_repo=empty_repo))
    qtbot.addWidget(window)
    window.show()
    window.open_path(song_file)
    qtbot.waitUntil(lambda: bool(window.banner.message), timeout=120000)
    assert "nosuchmodel" in window.banner.message
    assert "Traceback" not in window.banner.message and "\n" not in window.banner.message
    # The song opened before the model was tried: its mix stays open to play.
    assert window.song_view is not None and window.song_view.stems == []
    assert window.separation_bar.label.text() == "Separation failed."
    window.close()


def test_cancel_stops_separating_and_the_song_keeps_playing(qtbot, cache_dir, data_dir, model_repo,
                                                            jack_server, tmp_path):
    window = open_unseparated(qtbot, tmp_path, 60.0, model_repo, jack_server.portaudio_device)
    view = with_stems(qtbot, window)
    view.play()
    qtbot.waitUntil(lambda: any(b - a > 3.0 for a, b in view.engine.ready_ranges_s()),
                    timeout=120000)  # a first part separated (to export below)
    job = window.monitor.job
    qtbot.mouseClick(window.separation_bar.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.finished and window.separation_bar.resume.isVisible(), timeout=20000)
    assert window.monitor is None
    assert view.engine.playing and window.banner.message == ""
    ready = sum(b - a for a, b in view.engine.ready_ranges_s())
    assert ready < 60.0  # stopped part-way: the rest plays as the original mix
    export_refuses_only_what_is_not_separated(qtbot, window, view, tmp_path)
    # The window offers to carry on, and does, from where it stopped.
    resume = window.separation_bar.resume
    assert resume.isVisible() and "paused" in window.separation_bar.label.text()
    qtbot.mouseClick(resume, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.monitor is not None, timeout=30000)
    assert window.separation_bar.cancel.isVisible() and not resume.isVisible()
    qtbot.waitUntil(lambda: window.separation_bar.bar.value() == 1000, timeout=240000)
    qtbot.waitUntil(lambda: view.engine.ready_ranges_s() == [(0.0, pytest.approx(60.0))], timeout=5000)
    window.close()


def export_refuses_only_what_is_not_separated(qtbot, window, view, tmp_path):
    """File ▸ Export of a song separated part-way: a loop inside what is separated exports
    (its stems are final there); the whole song is refused in one line, nothing written."""
    import soundfile as sf

    from woodshed.player.ui.export_dialog import ExportDialog

    first_s, last_s = max(view.engine.ready_ranges_s(), key=lambda r: r[1] - r[0])
    assert last_s - first_s > 2.0
    view.set_loop(first_s + 0.5, first_s + 2.0)
    window.qactions["file.export"].trigger()
    dialog = window.findChild(ExportDialog)
    assert dialog is not None and dialog.isVisible() and dialog.loop.isChecked()
    loop_file, whole_file = tmp_path / "loop.wav", tmp_path / "whole.wav"
    dialog.path.setText(str(loop_file))
    qtbot.mouseClick(dialog.export, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_path is not None or "failed" in dialog.status.text(),
                    timeout=60000)
    assert dialog.result_path == loop_file, dialog.status.text()
    assert sf.info(loop_file).duration == pytest.approx(1.5, abs=0.05)
    on_the_button = QPoint(8, dialog.whole.height() // 2)  # (its centre may be past its text)
    qtbot.mouseClick(dialog.whole, Qt.MouseButton.LeftButton, pos=on_the_button)
    assert dialog.whole.isChecked()
    dialog.path.setText(str(whole_file))
    qtbot.mouseClick(dialog.export, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.export.isEnabled() and "Exporting" not in dialog.status.text(),
                    timeout=60000)
    status = dialog.status.text()
    assert status.startswith("Export failed: "), status
    assert "the whole song is not separated yet" in status and "\n" not in status
    assert not whole_file.exists() and list(tmp_path.glob("whole*")) == []
    dialog.close()

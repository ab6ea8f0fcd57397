"""Opening a song that is not separated yet: it plays at once (the original mix), separation
runs in its own process with a progress bar, and the lanes fill in as stems arrive."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QLabel

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
    qtbot.mouseClick(first.transport.play, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: engine.position_s > 0.3, timeout=5000)  # the mix plays meanwhile
    heard = []
    timer = QTimer()
    timer.timeout.connect(lambda: heard.append(engine.position_s))
    timer.start(20)
    view = with_stems(qtbot, window)
    wait_s = 0.5
    qtbot.wait(int(wait_s * 1000))
    timer.stop()
    # The model loaded: the same engine, still playing, mixes the stems in; the view has
    # their strips and lanes. The playhead never went back nor stalled across the change.
    assert view is not first and view.engine is engine and engine.playing
    assert list(view.strips) == ["drums", "bass", "other", "vocals"] == engine.stems
    assert all(b >= a for a, b in zip(heard, heard[1:])), heard
    assert heard[-1] - heard[0] > 0.5 * len(heard) * 0.02
    unready = view.waveforms.lanes["bass"].unready.opts
    # What is not separated yet is shaded (how much of the 20 s is left by now depends on the
    # machine: a quiet one had separated 10.5 s half a second after the stems joined)
    assert 0.0 < sum(unready["width"]) < 20.0
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
    job = window.monitor.job
    qtbot.mouseClick(window.separation_bar.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.finished and window.separation_bar.resume.isVisible(), timeout=20000)
    assert window.monitor is None
    assert view.engine.playing and window.banner.message == ""
    ready = sum(b - a for a, b in view.engine.ready_ranges_s())
    assert ready < 60.0  # stopped part-way: the rest plays as the original mix
    # The window offers to carry on, and does, from where it stopped.
    resume = window.separation_bar.resume
    assert resume.isVisible() and "paused" in window.separation_bar.label.text()
    qtbot.mouseClick(resume, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.monitor is not None, timeout=30000)
    assert window.separation_bar.cancel.isVisible() and not resume.isVisible()
    qtbot.waitUntil(lambda: window.separation_bar.bar.value() == 1000, timeout=240000)
    qtbot.waitUntil(lambda: view.engine.ready_ranges_s() == [(0.0, pytest.approx(60.0))], timeout=5000)
    window.close()

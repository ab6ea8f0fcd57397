"""Opening a song that is not separated yet: it plays at once (the original mix), separation
runs in its own process with a progress bar, and the lanes fill in as stems arrive."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt

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


def test_new_song_plays_while_it_separates_then_gets_stems(qtbot, cache_dir, data_dir, model_repo,
                                                           jack_server, tmp_path):
    window = open_unseparated(qtbot, tmp_path, 20.0, model_repo, jack_server.portaudio_device)
    view = window.song_view
    assert window.separation_bar.isVisible()
    assert list(view.strips) == ["drums", "bass", "other", "vocals"]
    unready = view.waveforms.lanes["bass"].unready.opts
    assert sum(unready["width"]) > 15.0  # most of the song is shaded: not separated yet
    qtbot.mouseClick(view.transport.play, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.engine.position_s > 0.3, timeout=5000)  # the mix plays meanwhile
    view.seek(15.0)  # separation follows the playhead
    qtbot.waitUntil(lambda: window.separation_bar.bar.value() == 1000, timeout=180000)
    # The engine picks up finished regions from the manifest within half a second.
    qtbot.waitUntil(lambda: view.engine.ready_ranges_s() == [(0.0, pytest.approx(20.0))], timeout=5000)
    qtbot.waitUntil(lambda: all(s.fader.isEnabled() for s in view.strips.values()), timeout=5000)
    qtbot.waitUntil(lambda: sum(view.waveforms.lanes["bass"].unready.opts["width"]) == 0, timeout=5000)
    # The lanes now draw the separated stems' peaks, not flat lines.
    assert max(abs(lane.peaks.levels[0][1]).max() for lane in view.waveforms.lanes.values()) > 0
    assert "segments" in window.separation_bar.label.text() or "ready" in window.separation_bar.label.text()
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
    assert window.song_view is None  # nothing half-open
    window.close()


def test_cancel_stops_separating_and_the_song_keeps_playing(qtbot, cache_dir, data_dir, model_repo,
                                                            jack_server, tmp_path):
    window = open_unseparated(qtbot, tmp_path, 60.0, model_repo, jack_server.portaudio_device)
    view = window.song_view
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

"""The window on first use: the model's download shows MB of MB, speed and time left, with
Cancel; offline, the window says so and names the way out (a folder of weights: Preferences,
tested in test_gui_preferences.py)."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt

from model_server import ModelServer
from songs import music, write
from test_gui_helpers import data_dir  # noqa: F401 (fixture)


@pytest.fixture
def server(tmp_path, monkeypatch):
    server = ModelServer(tmp_path / "server").start()
    for key, value in server.env(tmp_path / "models").items():
        monkeypatch.setenv(key, value)  # the separation process inherits them
    yield server
    server.stop()


def open_window(qtbot, tmp_path, server_name):
    from woodshed.player.ui.main_window import MainWindow
    from woodshed.separation.separate import SeparationSettings

    song_file = write(tmp_path / "tune.wav", music(4.0))
    window = MainWindow(with_engine=False, separation_settings=SeparationSettings(model=server_name))
    qtbot.addWidget(window)
    window.show()
    window.open_path(song_file)
    return window


def test_the_song_plays_its_mix_while_the_download_shows_progress(qtbot, cache_dir, data_dir,
                                                                 server, tmp_path):
    server.bytes_per_s = 40_000  # ~3 s for the tiny model: time to see it
    window = open_window(qtbot, tmp_path, server.name)
    bar = window.separation_bar
    qtbot.waitUntil(lambda: "Downloading the separation model" in bar.label.text(), timeout=60000)
    assert window.song_view is not None and window.song_view.stems == []  # open, the mix alone
    qtbot.waitUntil(lambda: "MB/s" in bar.label.text() and "left" in bar.label.text(), timeout=20000)
    text = bar.label.text()
    assert f"model {server.name} (first use only)" in text and "of 0.1 MB" in text
    assert "the original mix plays meanwhile" in text
    assert bar.isVisible() and bar.cancel.isEnabled() and 0 < bar.bar.value() < 1000
    # Downloaded and loaded: the stems join the open song.
    qtbot.waitUntil(lambda: bool(window.song_view.stems), timeout=120000)
    assert (tmp_path / "models" / server.file_name).read_bytes() == server.payload
    window.close()


def test_cancel_stops_the_download_keeps_what_arrived_and_resume_carries_on(
        qtbot, cache_dir, data_dir, server, tmp_path):
    server.bytes_per_s = 20_000
    window = open_window(qtbot, tmp_path, server.name)
    bar = window.separation_bar
    qtbot.waitUntil(lambda: "MB/s" in bar.label.text(), timeout=60000)
    qtbot.mouseClick(bar.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bar.resume.isVisible(), timeout=30000)
    assert window.song_view is not None  # the song stays open: its mix plays
    text = bar.label.text()
    assert f"Download of the separation model {server.name} cancelled at" in text
    assert "carries on from there" in text and window.banner.message == ""
    partial = tmp_path / "models" / (server.file_name + ".download")
    assert partial.is_file() and 0 < partial.stat().st_size < len(server.payload)
    had = partial.stat().st_size
    server.bytes_per_s = None
    qtbot.mouseClick(bar.resume, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(window.song_view.stems), timeout=120000)
    assert (tmp_path / "models" / server.file_name).read_bytes() == server.payload
    ranges = [r for method, r in server.requests if method == "GET" and r]
    assert ranges and ranges[-1] == f"bytes={had}-"  # carried on, not started again
    window.close()


def test_offline_the_window_says_so_and_names_the_way_out(qtbot, cache_dir, data_dir, server, tmp_path):
    server.stop()
    window = open_window(qtbot, tmp_path, server.name)
    qtbot.waitUntil(lambda: bool(window.banner.message), timeout=120000)
    message = window.banner.message
    assert "offline?" in message and "folder of model weights" in message
    assert "Traceback" not in message and "\n" not in message
    assert window.song_view is not None  # the mix plays all the same
    assert window.separation_bar.label.text() == "Separation failed."
    window.close()

"""Opening songs as a musician does, without sound (MainWindow(with_engine=False)): a song
reopens where it was left and the lanes show it; Open recent and the Library name songs by
title and artist, telling same-named songs apart; stem folders import from the File menu and
the start screen; the first start fills most of the screen."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QFileDialog, QPushButton

from test_gui_helpers import data_dir  # noqa: F401 (fixture)

pytest.importorskip("pytestqt")
RATE = 22050


def stem_folder(path, seconds: float = 90.0, base_hz: float = 110.0):
    """A multitrack as a musician gets it: one WAV per instrument in a folder."""
    path.mkdir(parents=True)
    t = np.arange(int(RATE * seconds)) / RATE
    for i, name in enumerate(("Drums", "Bass", "Guitar")):
        sf.write(path / f"{name}.wav", (0.2 * np.sin(2 * np.pi * base_hz * (i + 1) * t)).astype(np.float32),
                 RATE, subtype="PCM_16")
    return path


def new_window(qtbot, resize: bool = True):
    from woodshed.player.ui.main_window import MainWindow

    window = MainWindow(with_engine=False)
    qtbot.addWidget(window)
    if resize:
        window.resize(1200, 700)
    window.show()
    qtbot.waitExposed(window)
    return window


def open_and_wait(qtbot, window, path):
    window.close_song()  # then song_view is the new song's once it is there
    window.open_path(path)
    qtbot.waitUntil(lambda: window.song_view is not None or bool(window.banner.message), timeout=30000)
    assert window.banner.message == ""
    return window.song_view


def test_a_song_reopens_where_it_was_left_and_the_lanes_show_the_playhead_and_loop(
        qtbot, cache_dir, data_dir, tmp_path):
    folder = stem_folder(tmp_path / "Long Tune")
    window = new_window(qtbot)
    view = open_and_wait(qtbot, window, folder)
    assert view.waveforms.view_range_s() == pytest.approx((0.0, 30.0))  # a new song: its start
    view.set_loop(61.0, 65.5)
    view.seek(63.0)
    view.strips["bass"].mute.setChecked(True)
    window.close()

    again = new_window(qtbot)
    again.recent_menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: again.song_view is not None, timeout=30000)
    view = again.song_view
    assert view.position_s == pytest.approx(63.0)
    assert view.session.loop == pytest.approx((61.0, 65.5)) and view.transport.loop.isChecked()
    assert view.strips["bass"].mute.isChecked()
    x0, x1 = view.waveforms.view_range_s()
    assert x0 <= 61.0 and 65.5 <= x1, (x0, x1)  # the loop and the playhead are in view
    assert view.waveforms.first.playhead.value() == pytest.approx(63.0)
    again.close()


def test_open_recent_and_the_library_name_songs_by_title_and_tell_same_names_apart(
        qtbot, cache_dir, data_dir, tmp_path):
    window = new_window(qtbot)
    first = open_and_wait(qtbot, window, stem_folder(tmp_path / "take 1" / "Blue Bossa", 5.0, 110.0))
    first_dir = first.song.dir
    open_and_wait(qtbot, window, stem_folder(tmp_path / "take 2" / "Blue Bossa", 6.0, 130.0))
    window.close_song()
    window.open_song(first.song)  # from the library: the cache folder, named by its hash
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=30000)
    actions = window.recent_menu.actions()
    texts = [a.text() for a in actions]
    # One entry a song (opened from the library, it keeps the folder it came from), named by
    # its title, never the cache's hash, the two takes told apart by their folders.
    assert texts == ["Blue Bossa (take 1)", "Blue Bossa (take 2)"], texts
    assert actions[0].toolTip() == str(tmp_path / "take 1" / "Blue Bossa")
    assert first_dir.name not in "".join(texts)

    window.refresh_library()
    qtbot.waitUntil(lambda: window.library.rowCount() == 2, timeout=5000)
    titles = [window.library.item(r, 0).text() for r in range(2)]
    assert all(t.startswith("Blue Bossa") for t in titles) and titles[0] != titles[1], titles
    assert window.library.horizontalHeaderItem(1).text() == "Artist"
    window.close()


def test_a_songs_artist_is_shown_beside_its_title(qtbot, cache_dir, data_dir, tmp_path):
    folder = stem_folder(tmp_path / "Sectoid - Clouds", 3.0)
    (folder / "song.ini").write_text("[song]\nname = Clouds\nartist = Sectoid\n")
    window = new_window(qtbot)
    open_and_wait(qtbot, window, folder)
    assert window.recent_menu.actions()[0].text() == "Clouds — Sectoid"
    window.refresh_library()
    qtbot.waitUntil(lambda: window.library.rowCount() == 1, timeout=5000)
    assert (window.library.item(0, 0).text(), window.library.item(0, 1).text()) == ("Clouds", "Sectoid")
    window.close()


def test_stem_folders_import_from_the_file_menu_and_the_start_screen(qtbot, cache_dir, data_dir,
                                                                   tmp_path, monkeypatch):
    album = tmp_path / "album"
    stem_folder(album / "One", 3.0)
    stem_folder(album / "Two", 3.0, 150.0)
    chosen = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: chosen.pop(0) if chosen else ""))
    window = new_window(qtbot)
    with qtbot.waitActive(window):
        window.activateWindow()
    # The start screen's button: a folder of song folders imports each, the first opens.
    chosen.append(str(album))
    button = window.findChild(QPushButton, "welcome_import")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=30000)
    assert window.song_view.song.manifest.title == "One"
    window.refresh_library()
    qtbot.waitUntil(lambda: window.library.rowCount() == 2, timeout=5000)
    # File ▸ Import a stem folder (Ctrl+I), a key to whatever has the focus.
    single = stem_folder(tmp_path / "Three", 3.0, 170.0)
    chosen.append(str(single))
    file_menu = window.menuBar().actions()[0].menu()
    assert "Import a stem folder…" in [a.text() for a in file_menu.actions()]
    qtbot.keyClick(QApplication.focusWidget() or window, "i", Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.song_view.song.manifest.title == "Three", timeout=30000)
    window.close()


def test_the_first_start_fills_most_of_the_screen_and_the_size_is_remembered(qtbot, data_dir):
    window = new_window(qtbot, resize=False)
    area = window.screen().availableGeometry()
    assert window.width() >= 0.8 * area.width() and window.height() >= 0.8 * area.height()
    assert window.width() <= area.width() and window.height() <= area.height()
    window.resize(700, 500)
    window.close()
    again = new_window(qtbot, resize=False)
    assert (again.width(), again.height()) == (700, 500)
    again.close()

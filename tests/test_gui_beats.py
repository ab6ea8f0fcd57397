"""The window speaks bars: bar.beat beside the time, the tempo in BPM at the speed you hear,
the grid found by a process of its own while the window stays responsive."""
from __future__ import annotations

import numpy as np
import pytest

from test_gui_helpers import data_dir, open_demo  # noqa: F401 (fixture)

pytest.importorskip("pytestqt")


def test_bar_beat_and_bpm_in_the_transport(qtbot, cache_dir, data_dir):
    window = open_demo(qtbot, "no such sound card")        # no device needed for this
    view = window.song_view
    qtbot.waitUntil(lambda: view.grid is not None, timeout=60000)
    assert view.transport.bpm.text() == "100 BPM · 100 % = 100"
    view.set_tempo(0.7)
    view.refresh()
    assert view.transport.bpm.text() == "100 BPM · 70 % = 70"
    view.seek(5.0)                                          # bar 3 starts at 4.8 s
    view.refresh()
    assert view.transport.bars.text() == "3.1"
    view.seek(10.9)                                         # bar 5: 9.6 s, beat 3 at 10.8 s
    view.refresh()
    assert view.transport.bars.text() == "5.3"
    window.close()


def test_a_song_without_beats_says_so_and_offers_tap_tempo(qtbot, cache_dir, data_dir, tmp_path):
    from songs import write
    from woodshed.separation.importer import import_folder
    from woodshed.player.ui.main_window import MainWindow

    folder = tmp_path / "hum"
    write(folder / "drone.wav", np.zeros((2, 44100 * 6), np.float32), 44100)
    song = import_folder(folder)
    window = MainWindow(device="no such sound card")
    qtbot.addWidget(window)
    window.show()
    window.open_song(song)
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=20000)
    view = window.song_view
    qtbot.waitUntil(lambda: "no beat grid" in view.transport.bpm.text(), timeout=60000)
    assert "tap the tempo" in view.transport.bpm.text() and view.transport.bars.text() == ""
    assert view.grid is None
    window.close()

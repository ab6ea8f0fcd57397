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



def test_a_failed_reanalysis_keeps_the_old_grid_and_says_so(qtbot, cache_dir, data_dir):
    # An older tracker's grid is analysed again when the song opens, in a process of its
    # own. That process dies (here: ended while it waits for the song's analysis lock,
    # which this test holds so it cannot finish first): the old grid stays in the window,
    # and one line says the analysis failed.
    import multiprocessing
    from importlib.resources import files
    from pathlib import Path

    from test_gui_helpers import open_quiet
    from woodshed.player.ui.beat_grid import REANALYSIS_FAILED
    from woodshed.separation.beats import grid as grid_mod
    from woodshed.separation.beats.analyse import grid_for
    from woodshed.separation.beats.grid import Analysis
    from woodshed.separation.importer import import_folder
    from woodshed.separation.song_lock import beats_lock

    song = import_folder(Path(str(files("woodshed.resources") / "demo")))
    grid_for(song.dir)
    old = grid_mod.load_analysis(song.dir)
    stale = Analysis(old.tracker, "1", old.duration_s, tuple(b + 0.2 for b in old.beats_s),
                     old.beats_per_bar, old.first_downbeat)
    grid_mod.save_analysis(song.dir, stale)
    held = beats_lock(song.dir.parent, song.dir.name)
    assert held.try_acquire()
    try:
        window = open_quiet(qtbot, song)
        view = window.song_view
        assert view.grid is not None                      # the old grid serves meanwhile

        def analysing():
            return [p for p in multiprocessing.active_children() if p.name == "woodshed-beats"]

        qtbot.waitUntil(lambda: bool(analysing()), timeout=10000)
        for process in analysing():
            process.terminate()                           # SIGTERM: it touches no JACK
        qtbot.waitUntil(lambda: window.banner.message == REANALYSIS_FAILED, timeout=20000)
        assert view.grid is not None                      # still the old grid, shown
        assert abs(view.grid.beats_s[0] - (old.beats_s[0] + 0.2)) < 1e-9
        assert view.waveforms.bars.grid is view.grid      # its bar lines drawn
        assert view.transport.bpm.text().startswith("100 BPM")
        window.close()
    finally:
        held.release()
    assert grid_mod.load_analysis(song.dir).tracker_version == "1"   # nothing written

"""Saved loops remember bars as well as seconds, and stay on whole bars when the grid is
corrected later (player/ui/loop_bars.py says what a musician expects, and why)."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt

from test_gui_helpers import data_dir, focused, open_quiet  # noqa: F401 (fixture)
from woodshed.player.ui import actions
from woodshed.player.ui.session import load_session
from woodshed.separation.beats.analyse import grid_for

pytest.importorskip("pytestqt")


def times_shown(view, row: int) -> str:
    return view.loops.list.item(row).toolTip()


def test_a_saved_loop_keeps_its_bars_through_grid_fixes(qtbot, cache_dir, data_dir):
    from woodshed.player.ui.demo_song import import_demo

    song = import_demo()                      # 100 BPM, 4/4: a bar is 2.4 s, bar 1 at 0:00
    assert grid_for(song.dir).grid is not None
    window = open_quiet(qtbot, song)
    view = window.song_view
    view.seek(5.0)                            # in bar 3
    qtbot.keyClick(focused(window), Qt.Key.Key_F6)          # a loop of 2 bars from this bar
    assert view.session.loop == pytest.approx((4.8, 9.6), abs=0.005)
    qtbot.mouseClick(view.loops.save, Qt.MouseButton.LeftButton)
    view.set_loop(1.0, 2.0)                   # drawn freely: no bars
    qtbot.mouseClick(view.loops.save, Qt.MouseButton.LeftButton)
    chorus, free = view.loops.loops
    assert chorus.bars == (3, 4) and "bars 3–4" in times_shown(view, 0)
    assert free.bars is None and "bar" not in times_shown(view, 1)

    actions.get("beats.halve").run(view)      # the tracker had found double time
    chorus, free = view.loops.loops
    # the same music, now one bar of the slower grid
    assert (chorus.start_s, chorus.end_s) == pytest.approx((4.8, 9.6), abs=0.005) and chorus.bars == (2, 2)
    assert "bar 2" in times_shown(view, 0)
    assert (free.start_s, free.end_s) == (1.0, 2.0)
    actions.get("beats.halve").run(view)      # pressed again: as found
    assert view.loops.loops[0].bars == (3, 4)

    view.seek(0.6)                            # the ones were a beat early: this is beat 1
    actions.get("beats.downbeat_here").run(view)
    chorus, free = view.loops.loops
    # still bars 3-4, on the corrected bar lines (a beat later), not the old times
    assert (chorus.start_s, chorus.end_s) == pytest.approx((5.4, 10.2), abs=0.005) and chorus.bars == (3, 4)
    assert (free.start_s, free.end_s, free.bars) == (1.0, 2.0, None)
    window.close()
    kept = load_session(song.key).loops
    assert (kept[0].start_s, kept[0].end_s) == pytest.approx((5.4, 10.2), abs=0.005) and kept[0].bars == (3, 4)

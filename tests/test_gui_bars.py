"""Loops in bars, the click and grid fixes from the window's keys (through the one action
registry), pressed the way a musician presses them: to the focused widget."""
from __future__ import annotations

import json

import pytest
from PyQt6.QtCore import Qt

from test_gui_helpers import data_dir, focused, open_demo  # noqa: F401 (fixture)
from woodshed.separation.beats import grid as grid_file
from woodshed.player.ui import actions, bars  # noqa: F401 (bars registers its actions)

pytest.importorskip("pytestqt")


@pytest.fixture
def view(qtbot, cache_dir, data_dir):
    window = open_demo(qtbot, "no such sound card")
    v = window.song_view
    qtbot.waitUntil(lambda: v.grid is not None, timeout=60000)
    yield window, v
    window.close()


def press(qtbot, window, key, modifiers=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(focused(window), key, modifiers)


def test_bar_actions_are_in_the_registry_without_shared_keys():
    ids = {a.id for a in actions.all_actions()}
    assert {"beats.loop_1_bars", "beats.loop_8_bars", "beats.loop_bar_later", "beats.click",
            "beats.tap", "beats.double", "beats.downbeat_here"} <= ids
    assert actions.conflicts() == {}
    assert "Beats" in actions.MENUS


def test_keys_loop_bars_from_the_bar_under_the_playhead_and_move_it(qtbot, view):
    window, v = view
    v.seek(5.3)                                              # in bar 3 (4.8 .. 7.2 s)
    press(qtbot, window, Qt.Key.Key_F6)                      # 2 bars
    assert v.session.loop == pytest.approx((4.8, 9.6), abs=0.01) and v.session.loop_enabled
    press(qtbot, window, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)   # a bar later
    assert v.session.loop == pytest.approx((7.2, 12.0), abs=0.01)
    ctrl_alt = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    press(qtbot, window, Qt.Key.Key_Right, ctrl_alt)         # start a beat later
    assert v.session.loop == pytest.approx((7.8, 12.0), abs=0.01)
    press(qtbot, window, Qt.Key.Key_Left, ctrl_alt | Qt.KeyboardModifier.ShiftModifier)  # end a beat earlier
    assert v.session.loop == pytest.approx((7.8, 11.4), abs=0.01)
    v.seek(1.0)
    press(qtbot, window, Qt.Key.Key_F8)                      # 8 bars
    assert v.session.loop == pytest.approx((0.0, 19.2), abs=0.01)


def test_grid_fixes_are_kept_apart_and_shown(qtbot, view):
    window, v = view
    actions.get("beats.double").run(v)
    assert v.transport.bpm.text().startswith("200 BPM")
    actions.get("beats.double").run(v)                       # again: back to as found
    assert v.transport.bpm.text().startswith("100 BPM")
    v.seek(1.25)                                             # nearest beat: 1.2 s (beat 3 of bar 1)
    actions.get("beats.downbeat_here").run(v)
    v.refresh()
    assert v.transport.bars.text() == "1.1"
    kept = json.loads(grid_file.fixes_path(v.song.dir).read_text())
    assert kept["downbeat_s"] == pytest.approx(1.2, abs=0.01)
    analysis = json.loads((v.song.dir / grid_file.GRID_FILE).read_text())
    assert analysis["first_downbeat"] == 0                   # the analysis itself untouched
    actions.get("beats.per_bar_3").run(v)
    assert v.grid.beats_per_bar == 3
    actions.get("beats.reset").run(v)
    assert v.grid.beats_per_bar == 4 and v.grid.first_downbeat == 0


def test_tap_tempo(qtbot, view, monkeypatch):
    import woodshed.player.ui.bars as bars

    window, v = view
    clock = iter([10.0, 10.5, 11.0, 11.5])                   # 120 BPM
    monkeypatch.setattr(bars.time, "monotonic", lambda: next(clock))
    for _ in range(4):
        press(qtbot, window, Qt.Key.Key_T)
    assert v.grid.bpm == pytest.approx(120, abs=0.1)
    assert v.transport.bpm.text().startswith("120 BPM")


def test_k_turns_the_click_on_and_off_in_the_playing_engine(qtbot, cache_dir, data_dir, jack_server):
    window = open_demo(qtbot, jack_server.portaudio_device)
    v = window.song_view
    qtbot.waitUntil(lambda: v.grid is not None, timeout=60000)
    assert v.engine is not None
    press(qtbot, window, Qt.Key.Key_K)
    assert v.engine.click is not None and not v.engine.click.muted
    assert v.engine._renderer.click is v.engine.click       # the producer clicks from its next block
    press(qtbot, window, Qt.Key.Key_K)
    assert not v.engine.click.on_beats
    window.close()


def test_space_plays_from_the_loop_when_the_playhead_is_outside_it(qtbot, cache_dir, data_dir, jack_server):
    window = open_demo(qtbot, jack_server.portaudio_device)
    v = window.song_view
    v.set_loop(9.6, 14.4)
    v.seek(20.0)                                              # outside the loop
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: v.engine.position_s > 9.7, timeout=5000)
    assert 9.6 <= v.engine.position_s < 14.4
    press(qtbot, window, Qt.Key.Key_Space)                    # pause inside the loop: stays
    inside = v.position_s
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: v.engine.position_s > inside + 0.1, timeout=5000)
    assert 9.6 <= v.engine.position_s < 14.4
    window.close()


def test_count_in_holds_the_song_for_a_bar_then_plays(qtbot, cache_dir, data_dir, jack_server):
    import time

    window = open_demo(qtbot, jack_server.portaudio_device)
    v = window.song_view
    qtbot.waitUntil(lambda: v.grid is not None, timeout=60000)
    v.seek(4.8)
    actions.get("beats.count_in").run(v)                    # 1 bar: 2.4 s at 100 BPM
    assert v.transport.bpm.text().endswith("count-in 1")
    started = time.monotonic()
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: v.engine.position_s > 4.85, timeout=8000)
    assert time.monotonic() - started > 2.0                  # the bar of count-in came first
    assert not v.engine.click.on_beats                       # the click itself stays off
    window.close()

"""The window shows and edits musical time: bar numbers on the ruler, bar and beat lines in the
lanes (readable at every zoom), loops that snap to beats (to bars zoomed out) when dragged
with the mouse, Shift to drag freely; a song without a grid says so and tap tempo makes one.
Real widgets, real mouse events (no sound needed: MainWindow(with_engine=False))."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from test_gui_helpers import data_dir, drag, focused, open_quiet  # noqa: F401 (fixture)
from woodshed.player.ui import bar_ruler
from woodshed.player.ui.bar_ruler import bar_marks
from woodshed.player.ui.snap import snap_to_grid
from woodshed.separation.beats.grid import Grid

pytest.importorskip("pytestqt")

SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def demo(qtbot, cache_dir, data_dir):
    """The demo (100 BPM, 4/4: a beat every 0.6 s, a bar every 2.4 s) with its grid found."""
    from woodshed.player.ui.demo_song import import_demo

    window = open_quiet(qtbot, import_demo(), (1300, 760))
    view = window.song_view
    qtbot.waitUntil(lambda: view.grid is not None, timeout=60000)
    yield window, view
    window.close()


def nearest_beat_s(grid, time_s: float) -> float:
    return grid.time_of_beat(round(grid.beat_position(time_s)))


def test_the_ruler_numbers_the_bars_and_the_lanes_draw_bar_and_beat_lines(qtbot, demo):
    window, view = demo
    waveforms = view.waveforms
    view.waveforms.show_span(0.0, 30.0)
    qtbot.waitUntil(lambda: waveforms.bar_labels()[:1] == ["1"], timeout=5000)
    assert waveforms.bar_labels()[:5] == ["1", "2", "3", "4", "5"]   # a bar is ~80 px: each one
    grid = view.grid
    for lane in waveforms.lanes.values():
        bars = lane.bar_lines.bar_times_s()
        assert bars[:4] == pytest.approx([grid.bar_start_s(b) for b in (1, 2, 3, 4)], abs=1e-9)
        beats = lane.bar_lines.beat_times_s()         # the beats between the bars, not on them
        assert beats[:3] == pytest.approx([grid.time_of_beat(i) for i in (1, 2, 3)], abs=1e-9)
        assert not set(np.round(beats, 6)) & set(np.round(bars, 6))
    view.waveforms.show_span(4.0, 8.0)                 # zoomed in: bars 3 (4.8 s) and 4 (7.2 s)
    qtbot.waitUntil(lambda: waveforms.bar_labels() == ["3", "4"], timeout=5000)
    assert waveforms.first.bar_lines.bar_times_s() == pytest.approx(
        [grid.bar_start_s(3), grid.bar_start_s(4)], abs=1e-9)
    # Without a grid there is nothing to number and nothing drawn.
    waveforms.set_grid(None)
    qtbot.wait(50)
    assert waveforms.bar_labels() == []
    assert all(lane.bar_lines.bar_times_s() == [] for lane in waveforms.lanes.values())


@pytest.mark.parametrize("bpm", [60.0, 123.0, 200.0])
def test_bar_lines_and_numbers_stay_readable_at_every_zoom(bpm):
    """From a second to the whole hour: lines never closer than LINE_MIN_PX, numbers never
    closer than LABEL_MIN_PX, every number on a drawn line, numbered 1, 1 + n, 1 + 2n…"""
    beat_s = 60.0 / bpm
    beats = np.cumsum(np.full(int(3600 / beat_s), beat_s) * (1 + 0.01 * np.sin(np.arange(int(3600 / beat_s)) / 300)))
    grid = Grid(beats, 4, 1)
    width = 1100
    for span_s in np.geomspace(1.0, 3600.0, 40):
        start_s = min(3600 - span_s, 1234.5) if span_s < 3600 else 0.0
        marks = bar_marks(grid, start_s, start_s + span_s, width, 3600.0)
        px = width / span_s
        if len(marks.bar_s) > 1:
            assert np.diff(marks.bar_s).min() * px >= bar_ruler.LINE_MIN_PX * 0.95
        if len(marks.label_s) > 1:
            assert np.diff(marks.label_s).min() * px >= bar_ruler.LABEL_MIN_PX * 0.95
            step = int(np.diff(marks.label_bars)[0])
            assert ((marks.label_bars - 1) % step == 0).all()
        assert set(np.round(marks.label_s, 9)) <= set(np.round(marks.bar_s, 9))
        bar_s = 4 * beat_s
        if span_s > 4 * bar_s:
            assert len(marks.label_s) >= 2, f"nothing to read at {span_s:.0f} s"
        if len(marks.beat_s):
            assert marks.beat_px >= bar_ruler.BEAT_LINE_MIN_PX
        assert (marks.bar_s >= start_s).all() and (marks.bar_s <= start_s + span_s).all()


def test_dragging_a_loop_snaps_to_beats_and_shift_drags_freely(qtbot, demo):
    window, view = demo
    grid = view.grid
    lane = view.waveforms.lanes["bass"]
    view.waveforms.show_span(0.0, 24.0)               # a beat ~25 px: snaps to beats
    qtbot.wait(50)
    drag(qtbot, lane, 5.0, 9.1)                       # a new loop, drawn off the beats
    start, end = view.session.loop
    assert (start, end) == pytest.approx((nearest_beat_s(grid, 5.0), nearest_beat_s(grid, 9.1)), abs=1e-6)
    assert (start, end) == pytest.approx((4.8, 9.0), abs=0.02)
    drag(qtbot, lane, end, 10.1)                      # its end edge, dropped between beats
    assert view.session.loop[1] == pytest.approx(nearest_beat_s(grid, 10.1), abs=1e-6)
    assert view.session.loop[0] == pytest.approx(start, abs=1e-6)
    for other in view.waveforms.lanes.values():       # every lane shows the snapped loop
        assert other.loop_region.getRegion() == pytest.approx(view.session.loop, abs=1e-6)
    start, end = view.session.loop
    drag(qtbot, lane, 7.0, 8.05)                      # the whole loop, by ~1.05 s: start on a beat
    moved = view.session.loop
    assert moved[0] == pytest.approx(nearest_beat_s(grid, start + 1.05), abs=1e-6)
    assert moved[1] - moved[0] == pytest.approx(end - start, abs=1e-6)
    # Shift drags freely: the end stays where it was dropped, between beats.
    drag(qtbot, lane, moved[1], 12.9, modifiers=SHIFT)
    assert view.session.loop[1] == pytest.approx(12.9, abs=0.05)
    assert abs(view.session.loop[1] - nearest_beat_s(grid, 12.9)) > 0.2
    drag(qtbot, lane, 1.1, 3.3, modifiers=SHIFT)      # a new loop drawn freely
    assert view.session.loop == pytest.approx((1.1, 3.3), abs=0.05)
    drag(qtbot, lane, 15.1, 17.9)
    kept = view.session.loop                          # on beats: 15.0 to 18.0 s
    drag(qtbot, lane, kept[1], kept[0] + 0.1)         # its end snapped onto its start: refused,
    assert view.session.loop == kept                  # and every lane shows the loop it kept
    assert all(other.loop_region.getRegion() == pytest.approx(kept, abs=1e-6)
               for other in view.waveforms.lanes.values())
    assert view.engine is None                        # nothing here needed sound


def test_the_f1_list_says_drags_snap_and_shift_drags_freely():
    from woodshed.player.ui.shortcuts import groups
    from woodshed.player.ui.snap import FREE_KEY_NAME

    mouse = dict(groups()["Mouse"])
    assert "on the beats" in mouse["Drag"] and f"{FREE_KEY_NAME}: freely" in mouse["Drag"]
    assert f"{FREE_KEY_NAME}: freely" in mouse["Drag a loop edge"]


def test_the_loop_says_it_snaps_and_how_to_drag_freely(qtbot, demo):
    window, view = demo
    for lane in view.waveforms.lanes.values():
        assert "hold Shift to drag freely" in lane.loop_region.toolTip()
    assert "Shift: free" in window.statusBar().currentMessage()


def test_zoomed_out_loops_snap_to_bars():
    grid = Grid(np.arange(0, 600, 0.5), 4, 0)         # 120 BPM: bars every 2 s
    assert snap_to_grid(grid, 10.3, px_per_s=100) == pytest.approx(10.5)   # beats 50 px apart
    assert snap_to_grid(grid, 10.3, px_per_s=4) == pytest.approx(10.0)     # beats 2 px: bars
    assert snap_to_grid(grid, 11.2, px_per_s=4) == pytest.approx(12.0)


def test_a_song_without_a_grid_says_so_and_tap_tempo_makes_one(qtbot, cache_dir, data_dir, tmp_path,
                                                               monkeypatch):
    from songs import write
    from woodshed.player.ui import bars
    from woodshed.separation.importer import import_folder

    folder = tmp_path / "hum"
    write(folder / "drone.wav", np.zeros((2, 44100 * 8), np.float32), 44100)
    window = open_quiet(qtbot, import_folder(folder))
    view = window.song_view
    qtbot.waitUntil(lambda: "no beat grid" in view.transport.bpm.text(), timeout=60000)
    assert "tap the tempo (T)" in view.transport.bpm.text()
    assert "press T on each beat" in view.transport.bpm.toolTip()
    assert view.waveforms.bar_labels() == []
    qtbot.wait(100)                                   # the window's layout settles on the message
    lane = view.waveforms.first
    drag(qtbot, lane, 1.1, 3.3)                       # no grid: a drag is not snapped
    assert view.session.loop == pytest.approx((1.1, 3.3), abs=0.05)
    clock = iter([20.0, 20.5, 21.0, 21.5])            # four taps at 120 BPM
    monkeypatch.setattr(bars, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    for _ in range(4):
        qtbot.keyClick(focused(window), Qt.Key.Key_T)
    assert view.grid is not None and view.grid.bpm == pytest.approx(120, abs=0.1)
    assert view.transport.bpm.text().startswith("120 BPM")
    qtbot.waitUntil(lambda: view.waveforms.bar_labels()[:2] == ["1", "2"], timeout=5000)
    drag(qtbot, lane, 4.1, 6.3)                       # now loops snap to the tapped beats
    assert view.session.loop == pytest.approx((4.0, 6.5), abs=1e-6)
    window.close()


def type_tempo(qtbot, window, text: str, key=Qt.Key.Key_Return) -> None:
    """Click into the tempo box, select what it shows, type, Enter: as a musician does."""
    box = window.song_view.transport.tempo_box
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(focused(window), text)
    qtbot.keyClick(focused(window), key)
    qtbot.waitUntil(lambda: focused(window) not in (box, box.lineEdit()), timeout=1000)


def test_the_speed_typed_as_bpm_percent_or_ratio(qtbot, demo):
    window, view = demo
    t = view.transport
    type_tempo(qtbot, window, "70 bpm")                 # the demo is 100 BPM
    assert t.tempo == pytest.approx(0.70, abs=0.001)
    view.refresh()
    assert t.bpm.text() == "100 BPM · 70 % = 70"
    qtbot.keyClick(focused(window), "-")                # Enter gave the keys back: − slows down
    assert t.tempo == pytest.approx(0.65)
    type_tempo(qtbot, window, "=120")
    assert t.tempo == pytest.approx(1.2)
    type_tempo(qtbot, window, "0.8x")
    assert t.tempo == pytest.approx(0.8)
    type_tempo(qtbot, window, "85")                     # a bare number is still a percentage
    assert t.tempo == pytest.approx(0.85)
    # Bad input: one line in the banner, the speed as it was, the keys back to the transport.
    type_tempo(qtbot, window, "500 bpm")
    assert t.tempo == pytest.approx(0.85)
    assert window.banner.message.startswith("tempo: 500 BPM would be 500 % of the song's 100 BPM")
    assert "\n" not in window.banner.message
    assert t.tempo_box.lineEdit().text() == "85.0 %"
    type_tempo(qtbot, window, "fast")
    assert t.tempo == pytest.approx(0.85) and "70 (%), 0.7x or 120 bpm" in window.banner.message
    qtbot.keyClick(focused(window), "+")
    assert t.tempo == pytest.approx(0.90)
    type_tempo(qtbot, window, "60 bpm", key=Qt.Key.Key_Escape)   # Escape: nothing changes
    assert t.tempo == pytest.approx(0.90)


def test_a_song_172_bpm_at_70_percent_reads_120():
    from woodshed.player.ui.beat_grid import tempo_text
    from woodshed.player.ui.speed_text import parse_speed

    assert parse_speed("120 bpm", 172.0) == pytest.approx(69.8)
    assert tempo_text(172.0, parse_speed("120 BPM", 172.0) / 100) == "172 BPM · 70 % = 120"
    assert parse_speed("70,5 %", None) == 70.5
    with pytest.raises(ValueError, match="no BPM yet"):
        parse_speed("120 bpm", None)


def test_zoomed_out_a_dragged_loop_snaps_to_bars(qtbot, cache_dir, data_dir):
    from woodshed.player.ui.demo_song import import_demo
    from woodshed.player.ui.snap import SNAP_BEAT_MIN_PX

    from PyQt6.QtWidgets import QSplitter

    window = open_quiet(qtbot, import_demo())
    view = window.song_view
    qtbot.waitUntil(lambda: view.grid is not None, timeout=60000)
    view.findChild(QSplitter).setSizes([560, 640])    # the loops panel wide, the lanes narrow:
    qtbot.wait(50)                                    # the whole song in few pixels
    view.waveforms.zoom_out_full()
    qtbot.wait(50)
    lane = view.waveforms.lanes["bass"]
    x0, x1 = view.waveforms.view_range_s()
    beat_px = 0.6 * lane.view.width() / (x1 - x0)
    if beat_px >= SNAP_BEAT_MIN_PX:
        pytest.skip(f"the lanes are too wide here ({lane.view.width():.0f} px, window {window.width()}) to zoom beats under {SNAP_BEAT_MIN_PX} px")
    drag(qtbot, lane, 5.5, 10.3)                      # bars start at 4.8 and 9.6 s
    assert view.session.loop == pytest.approx((view.grid.bar_start_s(3), view.grid.bar_start_s(5)), abs=1e-6)
    window.close()

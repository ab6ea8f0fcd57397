"""The click's own strip in the window, like a stem's: volume, mute, pan and On (K), heard
through the engine's controls (the renderer adds the click with them), remembered with the
song; without a grid there is no click and the strip says so by being disabled."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt

from test_click_strip import first_click_levels
from test_gui_helpers import data_dir, focused, open_demo  # noqa: F401 (fixture)
from woodshed.player.engine.click import ACCENT_GAIN

pytest.importorskip("pytestqt")


def test_the_click_strip_sets_volume_mute_and_pan_of_the_click_heard(qtbot, cache_dir, data_dir,
                                                                     jack_server):
    window = open_demo(qtbot, jack_server.portaudio_device)
    view = window.song_view
    strip = view.click_strip
    qtbot.waitUntil(lambda: view.grid is not None, timeout=60000)
    assert strip.fader.isEnabled() and not strip.on.isChecked()
    qtbot.keyClick(focused(window), Qt.Key.Key_K)             # K: the click on the beats
    assert strip.on.isChecked() and view.engine.click.on_beats
    qtbot.mouseClick(strip.on, Qt.MouseButton.LeftButton)     # the strip's On: off again
    assert not view.engine.click.on_beats and not view.click_on
    qtbot.mouseClick(strip.on, Qt.MouseButton.LeftButton)
    assert view.engine.click.on_beats

    song, controls = view.song, view.engine.controls
    frames = int(0.05 * song.manifest.sample_rate)
    controls_at_bar_2 = lambda: (controls.seek(view.grid.bar_start_s(2)), controls)[1]  # noqa: E731
    strip.fader.set_db(-6.0)                                  # what dragging the fader does
    assert controls.click_db == -6.0
    level = first_click_levels(song, controls_at_bar_2(), frames)
    assert level == pytest.approx([ACCENT_GAIN * 10 ** (-6 / 20)] * 2, abs=0.02)
    strip.pan.setValue(-100)                                  # hard left
    left, right = first_click_levels(song, controls_at_bar_2(), frames)
    assert left == pytest.approx(ACCENT_GAIN * 10 ** (-6 / 20), abs=0.02) and right < 1e-6
    assert strip.pan_label.text() == "L100"
    qtbot.mouseClick(strip.mute, Qt.MouseButton.LeftButton)
    assert controls.click_muted
    assert first_click_levels(song, controls_at_bar_2(), frames).max() < 1e-6
    window.close()                                            # the strip is kept with the song

    again = open_demo(qtbot, jack_server.portaudio_device)
    restored = again.song_view
    assert restored.click_strip.fader.db == -6.0 and restored.click_strip.mute.isChecked()
    assert restored.click_strip.pan.value() == -100
    engine = restored.engine.controls
    assert (engine.click_db, engine.click_muted, engine.click_pan) == (-6.0, True, -1.0)
    again.close()


def test_without_a_grid_the_click_strip_is_disabled(qtbot, cache_dir, data_dir, tmp_path):
    import numpy as np

    from songs import write
    from test_gui_helpers import open_quiet
    from woodshed.separation.importer import import_folder

    folder = tmp_path / "hum"
    write(folder / "drone.wav", np.zeros((2, 44100 * 6), np.float32), 44100)
    window = open_quiet(qtbot, import_folder(folder))
    view = window.song_view
    qtbot.waitUntil(lambda: "no beat grid" in view.transport.bpm.text(), timeout=60000)
    assert not view.click_strip.fader.isEnabled() and not view.click_strip.on.isEnabled()
    qtbot.keyClick(focused(window), Qt.Key.Key_K)
    assert not view.click_strip.on.isChecked()
    assert "no beat grid" in window.banner.message
    window.close()

"""The click's strip: volume, mute and pan in Controls (live, like a stem's), applied by the
renderer to the click it adds after the stretcher."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from test_click import click_onsets
from woodshed.player.engine.click import ACCENT_GAIN
from woodshed.player.engine.controls import Controls
from woodshed.player.engine.export import song_click
from woodshed.player.engine.render import Renderer
from woodshed.separation.beats.analyse import grid_for
from woodshed.separation.errors import UserError
from woodshed.separation.importer import import_folder


@pytest.fixture
def demo(cache_dir):
    song = import_folder(Path(str(files("woodshed.resources") / "demo")))
    return song, grid_for(song.dir).grid


def first_click_levels(song, controls, frames) -> np.ndarray:
    """Per channel, the level of the first (accented) click: clicked render minus plain."""
    plain = Renderer(song, controls).render(frames)
    clicked = Renderer(song, controls, click=song_click(song)).render(frames)
    diff = clicked - plain
    return np.abs(diff[:, :5]).max(axis=1)


def test_click_strip_volume_pan_mute(demo):
    song, grid = demo
    rate = song.manifest.sample_rate
    controls = Controls.for_song(song)
    controls.seek(grid.bar_start_s(2))
    frames = int(0.05 * rate)
    assert first_click_levels(song, controls, frames) == pytest.approx([ACCENT_GAIN] * 2, abs=0.02)
    controls.set_click_db(-6.0206)
    assert first_click_levels(song, controls, frames) == pytest.approx([ACCENT_GAIN / 2] * 2, abs=0.02)
    controls.set_click_pan(-1.0)                      # hard left: the right side silent
    left, right = first_click_levels(song, controls, frames)
    assert left == pytest.approx(ACCENT_GAIN / 2, abs=0.02) and right < 1e-6
    controls.set_click_mute(True)
    assert first_click_levels(song, controls, frames).max() < 1e-6
    assert (controls.click_db, controls.click_pan, controls.click_muted) == (pytest.approx(-6.0206), -1.0, True)
    for bad in (lambda: controls.set_click_db(13), lambda: controls.set_click_pan(1.5),
                lambda: controls.set_click_db(float("nan"))):
        with pytest.raises(UserError):
            bad()


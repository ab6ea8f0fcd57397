"""Count-in: clicks one beat apart at the tempo that will be heard, accent on each bar's 1,
and the song entering exactly one beat after the last click."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from test_click import click_onsets
from woodshed.separation.beats.analyse import grid_for
from woodshed.player.engine.controls import Controls
from woodshed.player.engine.export import song_click
from woodshed.player.engine.render import Renderer
from woodshed.separation.importer import import_folder


@pytest.mark.parametrize("tempo, pitch, bars", [(0.7, 0, 1), (1.25, 2, 2), (1.0, 0, 1)])
def test_count_in_then_the_song_on_the_beat(cache_dir, tempo, pitch, bars):
    song = import_folder(Path(str(files("woodshed.resources") / "demo")))
    grid = grid_for(song.dir).grid
    start_s = grid.bar_start_s(3)
    controls = Controls.for_song(song)
    controls.set_tempo(tempo)
    controls.set_pitch(pitch)
    controls.seek(start_s)
    rate = song.manifest.sample_rate
    beat_s = grid.time_of_beat(grid.beat_position(start_s) + 1) - start_s
    heard_beat_s = beat_s / tempo
    count_beats = bars * grid.beats_per_bar
    frames = int((count_beats + 3) * heard_beat_s * rate)

    def render(click_on: bool) -> np.ndarray:
        click = song_click(song)
        click.muted = not click_on
        renderer = Renderer(song, controls, click=click)
        renderer.count_in(bars)
        return renderer.render(frames)

    plain, clicked = render(False), render(True)
    onsets, levels = click_onsets(clicked.T, plain.T, rate)
    count = onsets[:count_beats]
    np.testing.assert_allclose(np.diff(count), heard_beat_s, atol=1.5 / rate)   # one beat apart
    accented = levels[:count_beats] > 0.8
    assert list(np.flatnonzero(accented)) == list(range(0, count_beats, grid.beats_per_bar))
    # the song's first beat: the next click, one beat after the last count-in click
    assert abs(onsets[count_beats] - count[-1] - heard_beat_s) < 0.005
    song_start = int(round(onsets[count_beats] * rate))
    assert not plain[:, :song_start - int(0.002 * rate)].any()          # silence under the count-in
    assert np.abs(plain[:, song_start:song_start + int(0.02 * rate)]).max() > 0.05   # the downbeat

"""The click: on the song's own beats, synthesised after the stretcher, so it lands where
each beat is heard at any tempo and pitch, loops included."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from woodshed.separation.beats.analyse import grid_for
from woodshed.player.cli.main import main
from woodshed.player.engine.click import ACCENT_GAIN, BEAT_GAIN
from woodshed.player.engine.controls import Controls
from woodshed.player.engine.export import export_mix, song_click
from woodshed.player.engine.render import Renderer
from woodshed.separation.importer import import_folder


@pytest.fixture
def demo(cache_dir):
    song = import_folder(Path(str(files("woodshed.resources") / "demo")))
    return song, grid_for(song.dir).grid


def click_onsets(with_click: np.ndarray, without: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(onset seconds, first-frame level) of each click: the difference of two renders that
    differ only by the click (the render is deterministic)."""
    c = (with_click - without)[:, 0]
    loud = np.abs(c) > 0.05
    starts = np.flatnonzero(loud & ~np.concatenate([[False], loud[:-1]]))
    starts = starts[np.concatenate([[True], np.diff(starts) > 0.05 * rate])]
    return starts / rate, np.abs(c[starts])


@pytest.mark.parametrize("tempo, pitch", [(0.7, 0), (1.25, 2), (1.25, -5),
                                         pytest.param(0.75, 5, marks=pytest.mark.slow)])
def test_export_clicks_land_where_each_beat_is_heard(demo, tmp_path, tempo, pitch):
    from woodshed.separation.beats import features, tracker

    song, grid = demo
    with_click, without = tmp_path / "click.wav", tmp_path / "song.wav"
    export_mix(song, with_click, tempo=tempo, pitch_semitones=pitch, click=True)
    export_mix(song, without, tempo=tempo, pitch_semitones=pitch)
    a, rate = sf.read(with_click, dtype="float32")
    b, _ = sf.read(without, dtype="float32")
    onsets, levels = click_onsets(a, b, rate)
    heard = grid.beats_s / tempo
    heard = heard[heard < len(a) / rate]            # every beat inside the export, the last too
    assert len(onsets) == len(heard)
    assert np.abs(onsets - heard).max() < 0.005
    downbeats = np.array([grid.is_downbeat(i) for i in range(len(heard))])
    assert np.allclose(levels[downbeats], ACCENT_GAIN, atol=0.05)
    assert np.allclose(levels[~downbeats], BEAT_GAIN, atol=0.05)
    # and the song's own beats in the stretched audio are where the clicks are
    found = tracker.track(features.features_of_audio(b.mean(axis=1), rate)).times_s
    nearest = np.abs(found[:, None] - onsets[None, :]).min(axis=1)
    assert np.median(nearest) < 0.005


def test_clicks_follow_a_loop_round(demo):
    song, grid = demo
    controls = Controls.for_song(song)
    start_s, end_s = grid.bar_start_s(2), grid.bar_start_s(4)
    controls.set_loop(start_s, end_s)
    controls.set_loop_enabled(True)
    controls.set_tempo(0.8)
    controls.seek(start_s)
    rate = song.manifest.sample_rate
    passes = 3
    frames = int(passes * (end_s - start_s) / 0.8 * rate)
    plain = Renderer(song, controls).render(frames)
    clicked = Renderer(song, controls, click=song_click(song)).render(frames)
    onsets, levels = click_onsets(clicked.T, plain.T, rate)
    in_loop = grid.beats_s[(grid.beats_s >= start_s - 1e-6) & (grid.beats_s < end_s - 1e-6)]
    one_pass = (in_loop - start_s) / 0.8
    expected = np.concatenate([one_pass + k * (end_s - start_s) / 0.8 for k in range(passes)])
    assert len(onsets) == len(expected)
    assert np.abs(onsets - expected).max() < 0.005
    assert (levels[::4] > 0.8).all()                     # each pass starts on an accented bar


def test_woodshed_export_click(demo, tmp_path, capsys):
    song, _ = demo
    out = tmp_path / "rehearsal.wav"
    assert main(["export", str(song.dir), "-o", str(out), "--click", "--end", "5"]) == 0
    plain = tmp_path / "plain.wav"
    assert main(["export", str(song.dir), "-o", str(plain), "--end", "5"]) == 0
    a, rate = sf.read(out, dtype="float32")
    b, _ = sf.read(plain, dtype="float32")
    assert len(click_onsets(a, b, rate)[0]) == 9          # beats at 0, 0.6 ... 4.8 s

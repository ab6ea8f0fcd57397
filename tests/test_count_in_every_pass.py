"""Count-in before every loop pass (Controls.count_in_every_pass): each pass plays to the
loop's end, a bar of clicks counts in at the speed heard, and the loop's start enters one
beat after the last click. Clicks and song together keep one unbroken beat."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from test_click import click_onsets
from woodshed.player.cli.main import main
from woodshed.player.engine.controls import Controls
from woodshed.player.engine.export import song_click
from woodshed.player.engine.render import Renderer
from woodshed.player.engine.trainer import SpeedTrainer
from woodshed.separation.beats.analyse import grid_for
from woodshed.separation.errors import UserError
from woodshed.separation.importer import import_folder


@pytest.fixture
def demo(cache_dir):
    song = import_folder(Path(str(files("woodshed.resources") / "demo")))
    return song, grid_for(song.dir).grid


def first_sound_s(audio: np.ndarray, from_s: float, rate: int) -> float:
    """Where the song is first heard (above -26 dBFS) from from_s on."""
    start = int(round(from_s * rate))
    loud = np.flatnonzero(np.abs(audio[:, start:]).max(axis=0) > 0.05)
    return (start + loud[0]) / rate


def heard_clicks(grid, start_s: float, end_s: float, tempo: float, passes: int) -> np.ndarray:
    """Where each click should be heard: a bar of count-in at the grid's beat where the loop
    starts (at the tempo heard), then the loop's beats, pass after pass."""
    beat_s = grid.time_of_beat(grid.beat_position(start_s) + 1) - start_s
    in_loop = grid.beats_s[(grid.beats_s >= start_s - 1e-6) & (grid.beats_s < end_s - 1e-6)]
    clicks, t = [], 0.0
    for _ in range(passes):
        clicks += [t + j * beat_s / tempo for j in range(grid.beats_per_bar)]
        enter = t + grid.beats_per_bar * beat_s / tempo
        clicks += list(enter + (in_loop - start_s) / tempo)
        t = enter + (end_s - start_s) / tempo
    return np.array(clicks)


@pytest.mark.parametrize("tempo, pitch", [(0.7, 0), (1.25, 2), (1.0, 0)])
def test_a_count_in_before_every_pass(demo, tempo, pitch):
    song, grid = demo
    rate = song.manifest.sample_rate
    start_s, end_s = grid.bar_start_s(3), grid.bar_start_s(5)          # two bars: 8 beats
    controls = Controls.for_song(song)
    controls.set_tempo(tempo)
    controls.set_pitch(pitch)
    controls.set_loop(start_s, end_s)
    controls.set_loop_enabled(True)
    controls.set_count_in_bars(1)
    controls.set_count_in_every_pass(True)
    controls.seek(start_s)
    passes, per_pass = 3, 4 + 8                                         # count-in + two bars
    expected = heard_clicks(grid, start_s, end_s, tempo, passes)
    frames = int((expected[-1] + 0.5 * (expected[-1] - expected[-2])) * rate)

    def render(click_on: bool) -> np.ndarray:
        click = song_click(song)
        click.muted = not click_on
        renderer = Renderer(song, controls, click=click)
        renderer.count_in(1)                                            # and one at play
        return renderer.render(frames)

    plain, clicked = render(False), render(True)
    onsets, levels = click_onsets(clicked.T, plain.T, rate)
    assert len(onsets) == passes * per_pass
    # one unbroken beat: each count-in click one heard beat after the one before (within
    # 1.5 frames), every click of the song where its beat is heard (within 5 ms)
    heard_beat_s = expected[1] - expected[0]
    counted = np.concatenate([np.arange(k * per_pass, k * per_pass + 4) for k in range(passes)])
    np.testing.assert_allclose(np.diff(onsets[counted].reshape(passes, 4)), heard_beat_s,
                               atol=1.5 / rate)
    assert np.abs(onsets - expected).max() < 0.005, np.abs(onsets - expected).max()
    assert list(np.flatnonzero(levels > 0.8)) == list(range(0, len(onsets), 4))  # accent on 1
    for k in range(passes):
        count_s, enter_s = onsets[k * per_pass], onsets[k * per_pass + 4]
        # silence under each count-in (the pass before faded out at the loop's end) ...
        quiet = plain[:, int((count_s + 0.002) * rate):int((enter_s - 0.002) * rate)]
        assert np.abs(quiet).max() < 1e-4, (k, np.abs(quiet).max())
        # ... and the song's first beat heard within 5 ms of the next click
        assert abs(first_sound_s(plain, enter_s - 0.004, rate) - enter_s) < 0.005


def test_every_pass_count_in_at_the_trainer_speed_of_the_pass_to_come(demo):
    """With the speed trainer, each count-in clicks at the speed of the pass it leads into."""
    song, grid = demo
    rate = song.manifest.sample_rate
    start_s, end_s = grid.bar_start_s(3), grid.bar_start_s(4)          # one bar: 4 beats
    controls = Controls.for_song(song)
    controls.set_loop(start_s, end_s)
    controls.set_loop_enabled(True)
    controls.set_count_in_every_pass(True)                              # 1 bar (none set)
    controls.seek(start_s)
    trainer = SpeedTrainer(0.6, 0.2, 1, 1.0)
    beats = [0.6 / trainer.speed(p) for p in range(3)]
    frames = int((8 * beats[0] + 8 * beats[1] + 2 * beats[2]) * rate)

    def render(click_on: bool):
        click = song_click(song)
        click.muted = not click_on
        renderer = Renderer(song, controls, click=click, trainer=trainer)
        audio = renderer.render(frames)
        return audio, renderer

    plain, _ = render(False)
    clicked, renderer = render(True)
    onsets, _ = click_onsets(clicked.T, plain.T, rate)
    gaps = np.diff(onsets)
    # pass 0 (no count-in at play): 4 beats at 60 %; then count-in + pass 1 at 80 %, ...
    np.testing.assert_allclose(gaps[:4], beats[0], atol=0.005)
    np.testing.assert_allclose(gaps[4:12], beats[1], atol=0.005)
    np.testing.assert_allclose(gaps[12:14], beats[2], atol=0.005)
    # the count-in belongs to the pass it leads into
    count_in_s = onsets[4] + 0.5 * beats[1]
    assert renderer.trainer_pass_at(count_in_s * rate) == (1, pytest.approx(0.8))


def test_count_in_values_in_controls(demo):
    song, _ = demo
    controls = Controls.for_song(song)
    for bad in (-1, 5, 1.5, "2", True):
        with pytest.raises(UserError):
            controls.set_count_in_bars(bad)
    controls.set_count_in_bars(2)
    controls.set_count_in_every_pass(True)
    assert controls.snapshot.count_in_bars == 2 and controls.snapshot.count_in_every_pass


@pytest.mark.parametrize("args", [["--count-in-every-pass"],
                                  ["--count-in-every-pass", "--count-in", "0", "--loop-bars", "1-2"]])
def test_play_count_in_every_pass_needs_a_loop_one_line(demo, capsys, args):
    song, _ = demo
    rc = main(["play", str(song.dir), "--device", "no such device", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("woodshed: error: "), err
    assert "device" not in err[0]


def test_play_count_in_every_pass_reaches_the_engine(demo, monkeypatch):
    from woodshed.player.engine.engine import Engine

    song, _ = demo
    seen = {}

    def fake_start(engine):
        seen.update(snap=engine.controls.snapshot, click=engine.click)
        raise SystemExit(0)

    monkeypatch.setattr(Engine, "start", fake_start)
    with pytest.raises(SystemExit):
        main(["play", str(song.dir), "--loop-bars", "3-4", "--count-in", "2",
              "--count-in-every-pass"])
    assert seen["snap"].count_in_every_pass and seen["snap"].count_in_bars == 2
    assert seen["click"] is not None and not seen["click"].on_beats   # counts in, no click

"""The speed trainer: each loop pass at its own speed, changed at the wrap, up to the target."""
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
from woodshed.player.engine.trainer import SpeedTrainer
from woodshed.separation.errors import UserError
from woodshed.separation.importer import import_folder


def test_melissas_rule():
    t = SpeedTrainer(0.6, 0.05, 2, 0.8)
    assert [t.speed(p) for p in range(10)] == pytest.approx([0.6, 0.6, 0.65, 0.65, 0.7, 0.7, 0.75, 0.75, 0.8, 0.8])
    assert not t.done(7) and t.done(8) and t.speed(50) == 0.8
    slower = SpeedTrainer(1.0, -0.1, 1, 0.7)
    assert [slower.speed(p) for p in range(5)] == pytest.approx([1.0, 0.9, 0.8, 0.7, 0.7])
    for bad in ((0.6, -0.05, 1, 1.0), (0.6, 0.05, 0, 1.0), (0.1, 0.05, 1, 1.0), (0.6, 0, 1, 1.0)):
        with pytest.raises(UserError):
            SpeedTrainer(*bad)


def test_eight_passes_each_at_its_speed(cache_dir):
    song = import_folder(Path(str(files("woodshed.resources") / "demo")))
    grid = grid_for(song.dir).grid
    start_s, end_s = grid.bar_start_s(3), grid.bar_start_s(5)          # two bars, 4.8 s
    controls = Controls.for_song(song)
    controls.set_loop(start_s, end_s)
    controls.set_loop_enabled(True)
    controls.seek(start_s)
    trainer = SpeedTrainer(0.6, 0.1, 1, 1.2)                           # 0.6 .. 1.2, then held
    speeds = [trainer.speed(p) for p in range(9)]
    rate = song.manifest.sample_rate
    length_s = end_s - start_s
    frames = int((sum(length_s / s for s in speeds) + 0.5) * rate)
    plain = Renderer(song, controls, trainer=trainer).render(frames)
    clicked = Renderer(song, controls, trainer=trainer, click=song_click(song)).render(frames)
    onsets, levels = click_onsets(clicked.T, plain.T, rate)
    pass_starts = onsets[levels > 0.8]                                 # the accented bar 3 and bar 4
    pass_starts = pass_starts[::2]                                     # bar 3: where each pass starts
    assert len(pass_starts) >= 9
    durations = np.diff(pass_starts[:9])                               # eight whole passes
    expected = length_s / np.array(speeds[:8])
    assert np.abs(durations / expected - 1).max() < 0.005, (durations, expected)


def test_a_trainer_set_while_playing_starts_at_its_first_pass_and_says_which_is_heard(cache_dir):
    """The window switches the trainer on mid-song (Engine.set_trainer): its passes count from
    then, not from the loop wraps before it; moving the loop starts it again; and
    trainer_pass_at tells which pass (and speed) each output frame plays."""
    song = import_folder(Path(str(files("woodshed.resources") / "demo")))
    rate = song.manifest.sample_rate
    controls = Controls.for_song(song)
    controls.set_loop(0.0, 1.2)
    controls.set_loop_enabled(True)
    controls.seek(0.0)
    renderer = Renderer(song, controls)
    renderer.render(int(3.7 * rate))                    # three wraps without a trainer
    assert renderer.playhead.loop_passes == 3
    assert renderer.trainer_pass_at(renderer.output_index) is None
    trainer = SpeedTrainer(0.5, 0.25, 1, 1.0)
    renderer.trainer = trainer
    passes_seen = []
    for _ in range(int(6 * rate) // 1024):
        renderer.render(1024)
        passes_seen.append(renderer.trainer_pass_at(renderer.output_index - 1024))
    heard = [p for p in passes_seen if p is not None]
    # from pass 0 at 50 %, one pass at each speed up to the target, then held there
    assert heard[0] == (0, 0.5)
    firsts = {}
    for number, speed in heard:
        firsts.setdefault(number, speed)
    assert [firsts[n] for n in sorted(firsts)][:4] == [0.5, 0.75, 1.0, 1.0]
    assert [number for number, _ in heard] == sorted(number for number, _ in heard)
    # heard after it is read: the stretcher's latency keeps the old pass a moment
    read_pass = renderer._trainer_pass(trainer, controls.snapshot)
    assert renderer.trainer_pass_at(renderer.output_index)[0] in (read_pass - 1, read_pass)
    controls.set_loop(2.4, 3.6)                          # moved: the trainer starts again
    controls.seek(2.4)
    renderer.render(int(0.5 * rate))
    assert renderer.trainer_pass_at(renderer.output_index) == (0, 0.5)
    renderer.trainer = None                              # off: the musician's own tempo
    renderer.render(int(0.5 * rate))
    assert renderer.trainer_pass_at(renderer.output_index) is None


def test_switching_the_trainer_on_and_its_wraps_never_click(cache_dir):
    """Switched on mid-song (the plain mix crossfades into the stretcher), then pass after
    pass at new speeds: no step in the output larger than a steady tone's own."""
    from test_render import make_song, max_step, tone

    song = make_song({"bass": tone(220, 8.0)})
    controls = Controls.for_song(song)
    controls.set_loop(0.5, 1.5)
    controls.set_loop_enabled(True)
    controls.seek(0.5)
    renderer = Renderer(song, controls)
    rate = song.manifest.sample_rate
    before = renderer.render(int(1.3 * rate))                          # bypassed, one wrap
    renderer.trainer = SpeedTrainer(0.7, 0.1, 1, 1.0)
    after = renderer.render(int(5.0 * rate))                           # four passes and more
    assert renderer.trainer_pass_at(renderer.output_index)[0] >= 3
    own = max_step(tone(220, 0.1))
    out = np.concatenate([before, after], axis=1)
    assert max_step(out) < 1.5 * own, (max_step(out), own)

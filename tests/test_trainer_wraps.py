"""The speed trainer's wraps, measured offline over 8 passes: where the read log says each
pass is heard, each pass's length, and that a speed change at the wrap adds no step to
the signal (a click would)."""
from __future__ import annotations

import numpy as np
import pytest

import stem_songs
from woodshed.player.engine.controls import Controls
from woodshed.player.engine.render import Renderer
from woodshed.player.engine.trainer import SpeedTrainer

SPLICE_STEP_MAX = 1.5          # see below
SPEED_CHANGE_STEP_MAX = 1.01   # the tone's own, and rounding


def render_passes(song, trainer, start_s, end_s, passes):
    """The audio and the output frame where each pass starts, from the renderer's read log."""
    rate = song.manifest.sample_rate
    controls = Controls.for_song(song)
    controls.set_loop(start_s, end_s)
    controls.set_loop_enabled(True)
    controls.seek(start_s)
    renderer = Renderer(song, controls, trainer=trainer)
    total = int((sum((end_s - start_s) / trainer.speed(p) for p in range(passes)) + 0.3) * rate)
    chunks, starts, seen, last = [], [], 0, 0
    while sum(c.shape[1] for c in chunks) < total:
        chunks.append(renderer.render(4096))
        for entry in renderer.read_log.since(seen):
            assert entry.trainer_pass >= last           # from its first pass on, in order
            if entry.trainer_pass != last:
                starts.append(entry.post_frame)
                last = entry.trainer_pass
        seen = renderer.read_log.written
    return np.concatenate(chunks, axis=1), np.array(starts)


@pytest.mark.parametrize("end_s, step_max", [
    (3.0, SPEED_CHANGE_STEP_MAX),    # 440 whole periods: the wrap itself is seamless
    (3.0037, SPLICE_STEP_MAX),       # not a whole number of periods: the splice's own step
])
def test_eight_passes_no_step_at_the_wraps(cache_dir, end_s, step_max):
    # A pure tone is the hardest case: any step at a wrap stands out from its smooth slope.
    song = stem_songs.tone_song(seconds=4.0, tones_hz={"bass": 220.0})
    rate = song.manifest.sample_rate
    trainer = SpeedTrainer(0.6, 0.1, 1, 1.3)             # 0.6, 0.7 ... 1.3: 8 passes
    start_s = 1.0
    audio, starts = render_passes(song, trainer, start_s, end_s, 9)
    starts = starts[:8]                                   # passes 1..8 (pass 0 from frame 0)
    assert len(starts) == 8
    # Each pass as long as the loop at its speed (the stretcher's latency shrinks as the
    # speed rises, so a pass is heard a few ms shorter: well within 0.5 %)
    heard = np.diff(np.concatenate([[0.0], starts])) / rate
    expected = (end_s - start_s) / np.array([trainer.speed(p) for p in range(8)])
    assert np.abs(heard / expected - 1).max() < 0.005, heard / expected
    # Steps: sample to sample, near each wrap against the tone's own elsewhere. Where the
    # loop holds whole periods the wrap is seamless, so what is left is the speed change:
    # it adds no step (measured: at most 1.000x the tone's own). Where it does not, the
    # loop's splice is a 5 ms linear crossfade between two phases of the tone, which can
    # steepen it by up to 2A / 5 ms over its own slope (measured 1.1-1.25x); a hard cut
    # would jump ~60x. That step is the loop's, with or without the trainer.
    steps = np.abs(np.diff(audio, axis=1)).max(axis=0)
    away = np.ones(len(steps), bool)
    away[:int(0.3 * rate)] = False
    for at in starts.astype(int):
        away[max(0, at - 441):at + 441] = False
    own = steps[away].max()
    near = np.array([steps[at - 441:at + 441].max() for at in starts.astype(int)])
    assert (near / own).max() < step_max, near / own

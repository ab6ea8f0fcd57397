"""The one render path, offline: mixing, muting, ramps, loops, tempo, pitch, bypass, positions."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from stem_songs import cents, frequency_hz
from woodshed.separation import cache
from woodshed.separation.errors import UserError
from woodshed.player.engine.controls import Controls
from woodshed.player.engine.render import Renderer

RATE = 44100


def tone(freq_hz: float, seconds: float, amp: float = 0.3, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.repeat((amp * np.sin(2 * np.pi * freq_hz * t))[None], channels, 0).astype(np.float32)


def noise(seconds: float, seed: int, amp: float = 0.2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (amp * rng.standard_normal((2, int(seconds * RATE)))).astype(np.float32)


def make_song(stems: dict[str, np.ndarray], key: str = "song", mix: np.ndarray | None = None,
              ready_until_frame: int | None = None):
    """A cached song of these stems; optionally only [0, ready_until_frame) separated yet."""
    song = cache.write_song(key, stems, RATE, title=key, original_name=f"{key}.wav",
                            source_hash=key, model="test", mix=mix)
    if ready_until_frame is not None:
        m = song.manifest
        m.block_starts, m.blocks_done = [0, ready_until_frame], [True, False]
        m.save(song.dir)
        song.reload()
    return song


def db(x: float) -> float:
    return 20 * np.log10(max(x, 1e-12))


def max_step(x: np.ndarray) -> float:
    return float(np.abs(np.diff(x, axis=-1)).max())


@pytest.fixture
def band(cache_dir):
    stems = {"drums": noise(3, 1), "bass": tone(110, 3), "other": noise(3, 2, 0.1),
             "vocals": tone(440, 3, 0.2)}
    return make_song(stems), stems


def test_plain_render_is_the_sum_of_stems(band):
    song, stems = band
    out = Renderer(song).render(3 * RATE)
    assert out.shape == (2, 3 * RATE) and out.dtype == np.float32
    np.testing.assert_allclose(out, sum(stems.values()), atol=1e-6)


def test_muting_a_stem_removes_it(band):
    song, stems = band
    renderer = Renderer(song)
    renderer.controls.set_mute("bass", True)
    out = renderer.render(3 * RATE)
    others = stems["drums"] + stems["other"] + stems["vocals"]
    residual = np.sqrt(np.mean((out - others) ** 2)) / np.sqrt(np.mean(others ** 2))
    assert db(residual) < -60
    assert renderer.controls.effective_gains()["bass"] == 0.0


def test_solo_volume_and_pan(band):
    song, stems = band
    c = Controls.for_song(song)
    c.set_solo("vocals", True)
    c.set_gain_db("vocals", -6.0)
    c.set_pan("vocals", 1.0)  # hard right: left side silent
    out = Renderer(song, c).render(RATE)
    gain = 10 ** (-6 / 20)
    assert c.effective_gains() == pytest.approx({"drums": 0, "bass": 0, "other": 0, "vocals": gain})
    np.testing.assert_allclose(out[1, 256:], gain * stems["vocals"][1, 256:RATE], atol=1e-6)
    assert np.abs(out[0, 256:]).max() < 1e-7


def test_gain_change_ramps_without_a_step(cache_dir):
    song = make_song({"drums": np.full((2, RATE), 0.5, np.float32)})
    renderer = Renderer(song)
    before = renderer.render(1000)
    renderer.controls.set_mute("drums", True)
    after = renderer.render(2000)
    out = np.concatenate([before, after], axis=1)[0]
    assert out[999] == pytest.approx(0.5) and out[-1] == 0.0
    # fades over a block: every step is at most one block's share of the change
    assert max_step(out) <= 0.5 / 200
    assert 0 < np.count_nonzero((out > 0.001) & (out < 0.499))


def test_half_tempo_lasts_twice_as_long_and_keeps_pitch(cache_dir):
    song = make_song({"vocals": tone(440, 2.0)})
    renderer = Renderer(song)
    renderer.controls.set_tempo(0.5)
    out = renderer.render(5 * RATE)[0]
    loud = np.flatnonzero(np.abs(out) > 0.3 * 0.1)
    assert loud[-1] / RATE == pytest.approx(4.0, rel=0.005)
    assert abs(cents(frequency_hz(out[RATE:3 * RATE]), 440.0)) < 5


def test_three_semitones_up_keeps_tempo(cache_dir):
    song = make_song({"vocals": tone(440, 3.0)})
    renderer = Renderer(song)
    renderer.controls.set_pitch(3)
    out = renderer.render(4 * RATE)[0]
    assert abs(cents(frequency_hz(out[RATE // 2:5 * RATE // 2]), 523.2511)) < 5
    loud = np.flatnonzero(np.abs(out) > 0.03)
    assert loud[-1] / RATE == pytest.approx(3.0, rel=0.005)


def _loop_song(seed_key="loop"):
    # two partials with no common period inside the loop: a bare wrap would jump
    t = np.arange(2 * RATE) / RATE
    x = 0.3 * np.sin(2 * np.pi * 220.3 * t) + 0.2 * np.sin(2 * np.pi * 331.7 * t + 1)
    return make_song({"other": np.repeat(x[None], 2, 0).astype(np.float32)}, key=seed_key), x


@pytest.mark.parametrize("tempo", [1.0, 0.5])
def test_loop_fifty_times_has_no_discontinuity(cache_dir, tempo):
    song, source = _loop_song()
    start_s, end_s = 0.5, 0.7371
    renderer = Renderer(song)
    renderer.controls.set_tempo(tempo)
    renderer.controls.seek(start_s)
    renderer.controls.set_loop(start_s, end_s)
    renderer.controls.set_loop_enabled(True)
    loop_frames = round(end_s * RATE) - round(start_s * RATE)
    out = renderer.render(int(50 * loop_frames / tempo) + RATE // 2)[0]
    own = max_step(source)
    assert max_step(out[RATE // 4:]) <= 1.2 * own
    assert round(start_s * RATE) <= renderer.position_frame < round(end_s * RATE)
    if tempo == 1.0:  # away from the splice, each pass is the source itself, sample for sample
        a = round(start_s * RATE)
        for k in (1, 25, 49):
            at = k * loop_frames + 1000
            np.testing.assert_allclose(out[at:at + 5000], source[a + 1000:a + 6000], atol=1e-6)
    # a wrap without the splice crossfade would step by this much: the test can see one
    assert abs(source[round(end_s * RATE)] - source[round(start_s * RATE)]) > 5 * own


def test_crossing_normal_tempo_has_no_gap_or_click(cache_dir):
    song = make_song({"vocals": tone(440, 6.0)})
    renderer = Renderer(song)
    parts = [renderer.render(RATE)]
    for tempo, pitch in [(0.9, 0), (1.0, 0), (1.0, 0.5), (1.0, 0), (1.1, 0), (1.0, 0)]:
        renderer.controls.set_tempo(tempo)
        renderer.controls.set_pitch(pitch)
        parts.append(renderer.render(RATE // 2))
    out = np.concatenate(parts, axis=1)[0]
    assert max_step(out) <= 1.25 * 0.3 * 2 * np.pi * 440 / RATE * 1.02
    window = RATE // 200  # 5 ms
    rms = np.sqrt(np.mean(out[: len(out) // window * window].reshape(-1, window) ** 2, axis=1))
    assert rms.min() > 0.75 * 0.3 / np.sqrt(2)


def test_position_is_the_frame_being_output(cache_dir):
    # a click every 0.5 s; where each click comes out, the renderer must say so (within 20 ms)
    clicks = np.zeros((2, 4 * RATE), np.float32)
    click_frames = np.arange(RATE // 4, 4 * RATE - RATE // 4, RATE // 2)
    for f in click_frames:
        clicks[:, f:f + 64] = np.hanning(64)
    song = make_song({"drums": clicks})
    for tempo, pitch in [(1.0, 0.0), (0.5, 0.0), (1.0, 3.0), (1.5, -2.0)]:
        renderer = Renderer(song)
        renderer.controls.set_tempo(tempo)
        renderer.controls.set_pitch(pitch)
        positions, outs = [], []
        for _ in range(int(3.5 * RATE / tempo) // 256):
            positions.append(renderer.position_frame)
            outs.append(renderer.render(256)[0])
        out = np.concatenate(outs)
        env = np.convolve(np.abs(out), np.ones(64), "same")
        loud = env > 0.3 * env.max()
        edges = np.flatnonzero(np.diff(loud.astype(np.int8)))  # runs of loud frames = clicks
        runs = zip(edges[loud[edges + 1]] + 1, edges[~loud[edges + 1]] + 1)
        peaks = [a + int(np.argmax(env[a:b])) for a, b in runs]
        assert len(peaks) >= 4
        for p in peaks:
            heard = np.interp(p, np.arange(len(positions)) * 256, positions) + 32
            nearest = click_frames[np.argmin(np.abs(click_frames - heard))]
            assert abs(heard - nearest) / RATE < 0.020, (tempo, pitch)


def test_unready_regions_play_the_original_mix(cache_dir):
    from woodshed.player.engine.mixer import HANDOVER_FRAMES as fade

    bass = tone(110, 2.0)
    mix = tone(660, 2.0)  # unlike the stems: shows which one plays
    half = 256 * 170      # whole blocks, so nothing rendered ahead outlives the seek below
    song = make_song({"bass": bass, "drums": noise(2, 3)}, mix=mix, ready_until_frame=half)
    renderer = Renderer(song)
    renderer.controls.set_mute("drums", True)
    out = renderer.render(2 * half)
    np.testing.assert_allclose(out[:, 256:half - fade], bass[:, 256:half - fade], atol=1e-6)
    np.testing.assert_allclose(out[:, half:], mix[:, half:2 * half], atol=1e-6)
    # the hand-over happens inside the separated region, as a crossfade, not a step
    own = 2 * np.pi * 0.3 * 660 / RATE
    assert max_step(out[0, half - 2 * fade:half + fade]) <= 1.1 * own
    # once separation finishes the region, the stems play there
    renderer.set_ready_ranges([(0, 2 * RATE)])
    renderer.controls.seek(1.5)
    out = renderer.render(RATE // 4)
    at = round(1.5 * RATE)  # (after the seek's splice and the stems' hand-over: both fades)
    np.testing.assert_allclose(out[:, fade:], bass[:, at + fade:at + RATE // 4], atol=1e-6)


def test_resampled_output_keeps_pitch_and_length(cache_dir):
    song = make_song({"vocals": tone(440, 2.0)})
    renderer = Renderer(song, out_rate=48000)
    out = renderer.render(48000 * 2)[0]
    x = out[12000:84000] * np.hanning(72000)
    spectrum = np.abs(np.fft.rfft(x, 16 * len(x)))
    assert abs(cents(np.argmax(spectrum) * 48000 / (16 * len(x)), 440)) < 5
    assert renderer.position_frame == pytest.approx(2 * RATE, abs=RATE * 0.01)


def test_parameters_hammered_from_another_thread_never_raise(band):
    song, _ = band
    renderer = Renderer(song, meter=True)
    c = renderer.controls
    stop = threading.Event()
    errors = []

    def hammer():
        rng = np.random.default_rng(0)
        try:
            while not stop.is_set():
                stem = c.stems[rng.integers(len(c.stems))]
                c.set_gain_db(stem, float(rng.uniform(-40, 6)))
                c.set_mute(stem, bool(rng.integers(2)))
                c.set_solo(stem, bool(rng.integers(2)))
                c.set_pan(stem, float(rng.uniform(-1, 1)))
                c.set_tempo(float(rng.choice([1.0, rng.uniform(0.25, 2.0)])))
                c.set_pitch(float(rng.choice([0.0, rng.uniform(-12, 12)])))
                a = float(rng.uniform(0, 2.5))
                c.set_loop(a, a + 0.3)
                c.set_loop_enabled(bool(rng.integers(2)))
                if rng.integers(10) == 0:  # a seek while stretching restarts the stretcher
                    c.seek(float(rng.uniform(0, 3)))
                time.sleep(0.0005)  # a very busy musician, still slower than the renderer
        except Exception as exc:  # pragma: no cover - the assertion reports it
            errors.append(exc)

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        blocks = [renderer.render(256) for _ in range(600)]
    finally:
        stop.set()
        thread.join()
    out = np.concatenate(blocks, axis=1)
    assert not errors
    assert np.isfinite(out).all() and np.abs(out).max() < 8


@pytest.mark.parametrize("call", [
    lambda c: c.set_tempo(3.0), lambda c: c.set_tempo(0.1), lambda c: c.set_pitch(12.5),
    lambda c: c.set_gain_db("kazoo", 0), lambda c: c.set_mute("kazoo", True),
    lambda c: c.set_pan("bass", 2), lambda c: c.set_loop(2.0, 1.0),
    lambda c: c.set_loop(0, 99), lambda c: c.set_gain_db("bass", float("nan")),
    lambda c: c.set_loop_enabled(True), lambda c: c.set_tempo("fast"),
])
def test_bad_values_are_user_errors(band, call):
    song, _ = band
    c = Controls.for_song(song)
    before = c.snapshot
    with pytest.raises(UserError) as exc:
        call(c)
    assert "\n" not in str(exc.value)
    assert c.snapshot is before


def test_memory_stays_flat_however_long_the_song_plays(cache_dir):
    """Mapped stems count as the process's memory once read; the mixer lets them go."""
    import stem_songs

    song = stem_songs.noise_song(120, 6)  # 2 minutes, 6 stems: 290 MB of float WAV

    def resident_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 1e6

    if not __import__("os").path.exists("/proc/self/statm"):
        pytest.skip("no /proc to read resident memory from")
    renderer = Renderer(song)
    before = resident_mb()
    for _ in range(120 * RATE // 8192):
        renderer.render(8192)
    assert renderer.position_frame > 115 * RATE
    assert resident_mb() - before < 100  # without releasing pages: ~290 MB


def test_moving_the_loop_end_behind_the_playhead_goes_round(cache_dir):
    song, source = _loop_song("moved")
    renderer = Renderer(song)
    c = renderer.controls
    c.set_loop(0.5, 1.5)
    c.set_loop_enabled(True)
    c.seek(1.2)
    renderer.render(RATE // 10)           # playing at 1.2-1.3 s, inside the loop
    c.set_loop(0.5, 1.0)                  # B dragged left, past the playhead
    renderer.render(RATE // 4)
    assert 0.5 * RATE <= renderer.position_frame < 1.0 * RATE
    c.set_loop(0.2, 0.4)                  # a loop moved wholly behind: it goes there too
    renderer.render(RATE // 4)
    assert 0.2 * RATE <= renderer.position_frame < 0.4 * RATE
    c.set_loop(1.6, 1.9)                  # a loop ahead: play on into it, no jump
    before = renderer.position_frame
    renderer.render(RATE // 10)
    assert renderer.position_frame == pytest.approx(before + RATE // 10, abs=300)


def test_a_96_khz_song_crosses_normal_tempo_too(cache_dir):
    t = np.arange(2 * 96000) / 96000
    x = np.repeat((0.3 * np.sin(2 * np.pi * 440 * t))[None], 2, 0).astype(np.float32)
    song = cache.write_song("hires", {"vocals": x}, 96000, title="h", original_name="h.wav",
                            source_hash="h", model="test")
    renderer = Renderer(song)
    renderer.render(20000)
    renderer.controls.set_pitch(1)
    renderer.render(40000)
    renderer.controls.set_pitch(0)
    out = renderer.render(60000)[0]
    assert max_step(out) <= 1.25 * 0.3 * 2 * np.pi * 440 / 96000 * 1.02


def test_a_seek_while_stretching_is_heard_at_once(cache_dir):
    # 0-2 s: 440 Hz; 2-4 s: 660 Hz. Slowed down, paused in the first half, moved to the second:
    # what plays next is the second half, not the stretcher's memory of the first.
    first, second = tone(440, 2.0), tone(660, 2.0)
    song = make_song({"vocals": np.concatenate([first, second], axis=1)})
    renderer = Renderer(song)
    renderer.controls.set_tempo(0.5)
    renderer.render(RATE)
    renderer.controls.seek(3.0)
    out = renderer.render(RATE // 2)[0]
    assert renderer.position_frame == pytest.approx(3.0 * RATE + RATE // 4, abs=0.01 * RATE)
    after_fade = out[2 * 441:]
    t = np.arange(len(after_fade)) / RATE
    level = lambda f: abs(np.mean(after_fade * np.exp(-2j * np.pi * f * t)))  # noqa: E731
    assert level(660) > 0.1 and level(440) < 0.003
    assert max_step(out) <= 2 * np.pi * 0.3 * 660 / RATE * 1.15  # a crossfade, not a cut


def test_leaving_the_stretcher_inside_a_loop_stays_in_the_loop(cache_dir):
    # Leaving the stretcher searches a few ms around the mapped frame for the in-phase one;
    # with B just after the mapped frame, that search can land past B.
    song, _ = _loop_song("stay")

    def leave(loop_end_s):
        renderer = Renderer(song)
        c = renderer.controls
        c.set_loop(0.3, loop_end_s)
        c.set_loop_enabled(True)
        c.seek(0.3)
        c.set_tempo(0.8)
        renderer.render(RATE // 2)
        c.set_tempo(1.0)
        while renderer.stretching:
            renderer.render(256)
        left_at = renderer.position_frame
        inside = True
        for _ in range(80):
            renderer.render(256)
            inside &= 0.3 * RATE - 1 <= renderer.position_frame <= loop_end_s * RATE + 1
        return left_at, inside

    left_at, _ = leave(1.9)  # where it leaves, the loop being far away
    for after in range(0, 300, 25):  # then B just after that place
        assert leave((left_at + after) / RATE)[1], after


def test_stems_arriving_under_the_playhead_crossfade_from_the_mix(cache_dir):
    """Looping a passage still separating: its stems arrive while it plays. A muted stem
    must fade out over the hand-over, not vanish from one sample to the next (a click)."""
    from woodshed.player.engine.mixer import HANDOVER_FRAMES as fade

    bass, guitar = tone(110, 2.0), tone(440, 2.0, 0.5)
    song = make_song({"bass": bass, "guitar": guitar}, ready_until_frame=RATE // 2)
    renderer = Renderer(song)
    renderer.controls.set_mute("guitar", True)
    renderer.controls.seek(1.0)     # not separated yet: the mix plays, guitar and all
    n = 256 * 40                    # whole blocks: nothing is mixed ahead of what is returned
    before = renderer.render(n)
    renderer.set_ready_ranges([(0, 2 * RATE)])  # separation finished it meanwhile
    after = renderer.render(n)
    out = np.concatenate([before, after], axis=1)[0]
    at = RATE
    np.testing.assert_allclose(before[0, 512:], (bass + guitar)[0, at + 512:at + n], atol=1e-6)
    np.testing.assert_allclose(after[0, fade:], bass[0, at + n + fade:at + 2 * n], atol=1e-6)
    # no step larger than the two tones' own: the guitar faded out over the hand-over
    own = 2 * np.pi * (0.3 * 110 + 0.5 * 440) / RATE
    assert max_step(out[n - 256:n + 2 * fade]) <= 1.05 * own

"""Where the stretched audio is heard against where the read log says it is, at any tempo and
pitch: the playhead, the click, the count-in and the loop timing all read the read log.

Measured on a song of noise whose loudness rises and falls twice a second: no transient for
the stretcher to smear, and the phase of that slow swell in the output's power, against the
phase the read log's source frames give it, is the audio's delay (to a fraction of a ms).
Rubber Band's delay depends on the pitch (its start delay is half its FFT over the pitch
scale): read at 0 st and then shifted, the audio came 5 ms early at +2 st and 16 ms late at
-5 st; a pitch changed while playing moved the audio by the same amounts.
"""
from __future__ import annotations

import numpy as np
import pytest

from stem_songs import RATE, key_for
from woodshed.player.engine.controls import Controls
from woodshed.player.engine.render import Renderer
from woodshed.separation import cache

SWELL_HZ = 2.0       # the song's loudness rises and falls this often (in song time)
DELAY_MAX_MS = 2.0   # measured: within 1.3 ms from 0.5x to 1.5x, -5 to +5 st


def swell_song(seconds: float = 10.0):
    t = np.arange(int(seconds * RATE)) / RATE
    noise = np.random.default_rng(3).standard_normal(len(t))
    mono = (0.2 * noise * (0.5 + 0.5 * np.cos(2 * np.pi * SWELL_HZ * t))).astype(np.float32)
    return cache.write_song(key_for("swell"), {"other": np.stack([mono, mono])}, RATE,
                            title="swell", original_name="swell.wav", source_hash="swell",
                            model="test")


def heard_delay_ms(renderer: Renderer, audio: np.ndarray, first: int, end: int) -> float:
    """How much later than the read log says the song's swell is heard in output frames
    [first, end) (ms of output; negative: sooner). Same tempo throughout that stretch."""
    entries = renderer.read_log.since(0)
    posts = np.array([e.post_frame for e in entries])
    k = np.arange(first, end)
    at = np.searchsorted(posts, k, side="right") - 1
    source = (np.array([e.source_frame for e in entries])[at]
              + (k - posts[at]) * np.array([e.source_per_post for e in entries])[at])
    tempo = entries[at[-1]].source_per_post
    power = audio[0, first:end].astype(np.float64) ** 2
    # the power swells as cos(2 pi SWELL_HZ source_s): its phase against the read log's
    phase = np.angle((power * np.exp(-2j * np.pi * SWELL_HZ * source / RATE)).sum())
    return float(-phase / (2 * np.pi * SWELL_HZ) * 1e3 / tempo)


def whole_swells(first_s: float, seconds: float, tempo: float) -> tuple[int, int]:
    """Output frames spanning a whole number of swells from first_s on."""
    period = RATE / (SWELL_HZ * tempo)
    return int(first_s * RATE), int(first_s * RATE + round(seconds * RATE / period) * period)


def fresh_delay_ms(song, tempo: float, pitch: float) -> float:
    """The audio's delay against the read log when a song starts at this tempo and pitch."""
    controls = Controls.for_song(song)
    controls.set_tempo(tempo)
    controls.set_pitch(pitch)
    renderer = Renderer(song, controls)
    audio = renderer.render(int(5.0 / tempo * RATE))
    return heard_delay_ms(renderer, audio, *whole_swells(1.0, 3.0 / tempo, tempo))


def delays_after_live_pitch_changes_ms(song) -> list[float]:
    """From the bypass (1.0x, 0 st) into the stretcher at 1.25x -5 st, then to +5 st while
    playing: the audio's delay against the read log after each change."""
    controls = Controls.for_song(song)
    renderer = Renderer(song, controls)
    parts = [renderer.render(RATE)]
    controls.set_tempo(1.25)
    controls.set_pitch(-5)
    parts.append(renderer.render(3 * RATE))
    controls.set_pitch(5)
    parts.append(renderer.render(3 * RATE))
    audio = np.concatenate(parts, axis=1)
    return [heard_delay_ms(renderer, audio, *whole_swells(at_s, 1.6, 1.25)) for at_s in (2.0, 5.0)]


@pytest.mark.parametrize("tempo, pitch", [(1.25, 2), (1.25, -5), (0.75, 5), (0.5, -2)])
def test_stretched_audio_is_heard_where_the_read_log_says(cache_dir, tempo, pitch):
    assert abs(fresh_delay_ms(swell_song(), tempo, pitch)) < DELAY_MAX_MS


def test_a_pitch_changed_while_playing_moves_the_read_log_with_the_audio(cache_dir):
    # each change moves Rubber Band's delay (-5 st: +15.6 ms; +5 st: -11.6 ms)
    after_first, after_second = delays_after_live_pitch_changes_ms(swell_song())
    assert abs(after_first) < DELAY_MAX_MS
    assert abs(after_second) < DELAY_MAX_MS


def test_a_seek_while_pitch_shifted_restarts_in_step(cache_dir):
    song = swell_song()
    controls = Controls.for_song(song)
    controls.set_tempo(1.25)
    controls.set_pitch(-5)
    renderer = Renderer(song, controls)
    parts = [renderer.render(RATE)]
    controls.seek(2.0)                      # the stretcher restarts at the new place
    parts.append(renderer.render(3 * RATE))
    audio = np.concatenate(parts, axis=1)
    assert abs(heard_delay_ms(renderer, audio, *whole_swells(2.0, 1.6, 1.25))) < DELAY_MAX_MS


def test_a_pitch_dragged_keeps_the_read_log_moving_forward_and_in_step(cache_dir):
    # a pitch slider dragged: a change every few ms, each moving the delay; the read log
    # never goes back (a beat would click twice) and is in step once the pitch rests
    song = swell_song()
    controls = Controls.for_song(song)
    controls.set_tempo(0.8)
    renderer = Renderer(song, controls)
    parts = [renderer.render(RATE // 2)]
    for semitones in np.linspace(-5, 5, 60):
        controls.set_pitch(float(semitones))
        parts.append(renderer.render(256))
    controls.set_pitch(3)
    parts.append(renderer.render(4 * RATE))
    audio = np.concatenate(parts, axis=1)
    entries = renderer.read_log.since(0)
    assert all(e.source_per_post > 0 for e in entries)
    ends = [e.source_at(n.post_frame) for e, n in zip(entries, entries[1:])]
    assert all(n.source_frame >= end - 1e-6 for end, n in zip(ends, entries[1:]))
    first = len(audio[0]) - int(2.5 * RATE)
    assert abs(heard_delay_ms(renderer, audio, *whole_swells(first / RATE, 2.0, 0.8))) < DELAY_MAX_MS

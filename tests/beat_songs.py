"""Songs made on a known beat grid, for the beat tracker's tests: drums, a bass on the root
and a chord that changes every bar, synthesised at exact beat times."""
from __future__ import annotations

import numpy as np

RATE = 44100
_CHORDS = [(57, 60, 64), (53, 57, 60), (48, 52, 55), (55, 59, 62), (50, 53, 57), (52, 56, 59)]


def beat_times(bpm_by_bar: list[float], beats_per_bar: int, start_s: float = 0.0) -> np.ndarray:
    """Every beat's time for bars at the given tempi (one tempo per bar)."""
    times, t = [], start_s
    for bpm in bpm_by_bar:
        for _ in range(beats_per_bar):
            times.append(t)
            t += 60.0 / bpm
    return np.array(times)


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _add(track: np.ndarray, at_s: float, sound: np.ndarray) -> None:
    i = int(round(at_s * RATE))
    n = min(len(sound), len(track) - i)
    if n > 0 and i >= 0:
        track[i:i + n] += sound[:n]


def song_on_grid(beats_s: np.ndarray, beats_per_bar: int, first_downbeat: int = 0,
                 seed: int = 1) -> np.ndarray:
    """Mono float32 at RATE: beat i is a downbeat when (i - first_downbeat) % beats_per_bar == 0."""
    rng = np.random.default_rng(seed)
    period = float(np.median(np.diff(beats_s)))
    track = np.zeros(int((beats_s[-1] + period + 0.5) * RATE))
    t = np.arange(int(0.4 * RATE)) / RATE
    kick = np.sin(2 * np.pi * np.cumsum(45 + 110 * np.exp(-t / 0.04)) / RATE) * np.exp(-t / 0.15)
    snare = rng.standard_normal(len(t)) * np.exp(-t / 0.07) * 0.35 + np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.05) * 0.3
    hat = np.diff(rng.standard_normal(len(t) + 1)) * np.exp(-t / 0.012) * 0.12
    chord_i = 0
    for i, beat in enumerate(beats_s):
        pos = (i - first_downbeat) % beats_per_bar
        if pos == 0:
            _add(track, beat, kick)
            chord_i = (chord_i + 1 + rng.integers(0, len(_CHORDS) - 1)) % len(_CHORDS)
            notes = _CHORDS[chord_i]
            length = period * beats_per_bar
            tt = np.arange(int(length * RATE)) / RATE
            chord = sum(np.sin(2 * np.pi * _hz(n) * tt) for n in notes) * np.exp(-tt / 1.5) * 0.08
            bass = np.sin(2 * np.pi * _hz(notes[0] - 24) * tt) * np.exp(-tt / 0.8) * 0.3
            _add(track, beat, chord + bass)
        elif beats_per_bar == 4 and pos == 2:
            _add(track, beat, kick * 0.8)
        else:
            _add(track, beat, snare)
        _add(track, beat, hat)
        _add(track, beat + period / 2, hat * 0.6)
    return (track / max(1e-9, np.abs(track).max()) * 0.7).astype(np.float32)

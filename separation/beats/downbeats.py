"""Which beats start a bar, and how many beats a bar has, from what the music does there:
the harmony changes at a bar line far more often than inside a bar, and the low end (kick,
bass) lands on beat 1. Each (beats per bar, phase) hypothesis is scored by how much more of
both falls on its bar lines than between them; 4 wins a near tie (most music is in 4)."""
from __future__ import annotations

import numpy as np

from .features import FRAMES_PER_S, START_S, Features

METERS = (4, 3)
_PREFER_FOUR = 0.03


def per_beat_chroma(features: Features, times_s: np.ndarray) -> np.ndarray:
    """(beats, 12): the mean chroma from each beat to the next."""
    frames = np.clip(np.round((times_s - START_S) * FRAMES_PER_S).astype(int), 0, features.frames)
    ends = np.append(frames[1:], features.frames)
    cum = np.concatenate([np.zeros((1, 12)), np.cumsum(features.chroma.T, axis=0)])
    sums = cum[np.maximum(ends, frames + 1).clip(max=features.frames)] - cum[frames]
    norm = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.maximum(norm, 1e-9)


def harmonic_change(chroma: np.ndarray, half: int = 2) -> np.ndarray:
    """Per beat: how different the `half` beats after it sound from the `half` before it."""
    n = len(chroma)
    change = np.zeros(n)
    for i in range(1, n):
        before = chroma[max(0, i - half):i].mean(axis=0)
        after = chroma[i:i + half].mean(axis=0)
        denom = np.linalg.norm(before) * np.linalg.norm(after)
        change[i] = 1 - float(before @ after) / denom if denom > 0 else 0
    return change


def low_hits(features: Features, times_s: np.ndarray) -> np.ndarray:
    """Per beat: the strongest low-band onset within ±30 ms, scaled to the song's median."""
    frames = np.round((times_s - START_S) * FRAMES_PER_S).astype(int)
    near = np.clip(frames[:, None] + np.arange(-3, 4), 0, max(features.frames - 1, 0))
    hits = features.low_onset[near].max(axis=1) if features.frames else np.zeros(len(frames))
    return hits / max(float(np.median(hits)), 1e-9)


def _contrast(values: np.ndarray, meter: int, phase: int) -> float:
    on = np.zeros(len(values), bool)
    on[phase::meter] = True
    if on.all() or not on.any():
        return 0.0
    spread = values.std() or 1.0
    return float((values[on].mean() - values[~on].mean()) / spread)


def find_bars(features: Features, times_s: np.ndarray) -> tuple[int, int]:
    """(beats per bar, index of the first downbeat among the beats: 0 .. beats per bar - 1)."""
    if len(times_s) < 8:
        return 4, 0
    change = harmonic_change(per_beat_chroma(features, times_s))
    low = low_hits(features, times_s)
    best = None
    for meter in METERS:
        for phase in range(meter):
            score = _contrast(change, meter, phase) + 0.5 * _contrast(low, meter, phase)
            score += _PREFER_FOUR if meter == 4 else 0
            if best is None or score > best[0]:
                best = (score, meter, phase)
    return best[1], best[2]

"""Min/max waveform peaks, small enough to keep in the manifest and draw at any zoom-out.

One peak pair per FRAMES_PER_PEAK frames (about 23 ms at 44.1 kHz), across channels,
quantised to int8 and stored base64: a 3-minute stem costs ~25 KB.
"""
from __future__ import annotations

import base64

import numpy as np

FRAMES_PER_PEAK = 1024


def peak_count(frames: int) -> int:
    return -(-frames // FRAMES_PER_PEAK)


def compute(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mins, maxs) of audio (channels, frames) per FRAMES_PER_PEAK frames; the start must be
    a multiple of FRAMES_PER_PEAK in the song for the bins to line up."""
    channels, frames = audio.shape
    n = peak_count(frames)
    pad = n * FRAMES_PER_PEAK - frames
    a = audio
    if pad:
        a = np.concatenate([audio, np.repeat(audio[:, -1:], pad, axis=1)], axis=1)
    a = a.reshape(channels, n, FRAMES_PER_PEAK)
    return a.min(axis=(0, 2)), a.max(axis=(0, 2))


def encode(mins: np.ndarray, maxs: np.ndarray) -> str:
    pairs = np.empty(2 * len(mins), dtype=np.int8)
    pairs[0::2] = np.clip(np.floor(mins * 127), -127, 127)
    pairs[1::2] = np.clip(np.ceil(maxs * 127), -127, 127)
    return base64.b64encode(pairs.tobytes()).decode("ascii")


def decode(text: str) -> tuple[np.ndarray, np.ndarray]:
    pairs = np.frombuffer(base64.b64decode(text), dtype=np.int8).astype(np.float32) / 127
    return pairs[0::2], pairs[1::2]

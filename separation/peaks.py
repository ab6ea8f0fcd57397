"""Min/max waveform peaks and RMS, small enough to keep in the manifest and draw at any zoom-out.

One peak pair per FRAMES_PER_PEAK frames (about 23 ms at 44.1 kHz), across channels,
quantised to int8 and stored base64: a 3-minute stem costs ~25 KB. Beside them, the RMS of
the same frames (the loudness a musician hears: attacks and sections show in it where the
peaks of a loud, compressed master are one flat block), one byte each on a dB scale from
RMS_FLOOR_DB (0: silence) to 0 dBFS (255): ~0.35 dB steps, +12 KB for 3 minutes.
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


RMS_FLOOR_DB = -90.0


def compute_rms(audio: np.ndarray) -> np.ndarray:
    """RMS of audio (channels, frames) per FRAMES_PER_PEAK frames, across channels (the last
    bin over the frames it has); bins line up as compute()'s do."""
    channels, frames = audio.shape
    n = peak_count(frames)
    power = np.square(audio, dtype=np.float64).sum(axis=0)
    sums = np.add.reduceat(power, np.arange(n) * FRAMES_PER_PEAK) if frames else np.zeros(0)
    counts = np.minimum(FRAMES_PER_PEAK, frames - np.arange(n) * FRAMES_PER_PEAK) * channels
    return np.sqrt(sums / counts).astype(np.float32)


def encode_rms(rms: np.ndarray) -> str:
    db = 20 * np.log10(np.maximum(np.asarray(rms, np.float64), 1e-12))
    codes = np.clip(np.round((db - RMS_FLOOR_DB) / -RMS_FLOOR_DB * 255), 0, 255).astype(np.uint8)
    return base64.b64encode(codes.tobytes()).decode("ascii")


def decode_rms(text: str) -> np.ndarray:
    codes = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    rms = 10 ** ((codes.astype(np.float32) / 255 * -RMS_FLOOR_DB + RMS_FLOOR_DB) / 20)
    rms[codes == 0] = 0.0
    return rms.astype(np.float32)

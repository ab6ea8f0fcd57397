"""Cached songs made of stems we can tell apart by ear and by FFT, for engine and CLI tests."""
from __future__ import annotations

import numpy as np

from woodshed.separation import cache

RATE = 44100
# stem -> frequency of its tone (Hz); each stem is one steady tone, so a stem's presence in
# played or exported sound is its spectral line.
TONES_HZ = {"drums": 150.0, "bass": 220.0, "guitar": 440.0, "vocals": 660.0}


def key_for(name: str) -> str:
    """A cache key shaped like the ones Woodshed makes (24 hex digits): cache commands touch
    only folders named so."""
    import hashlib

    return hashlib.sha256(name.encode()).hexdigest()[:24]


def tone(freq_hz: float, frames: int, amplitude: float = 0.2, rate: int = RATE) -> np.ndarray:
    t = np.arange(frames) / rate
    mono = (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)
    return np.stack([mono, mono])


def tone_song(seconds: float = 3.0, tones_hz: dict[str, float] | None = None, key: str = "tones",
              root=None) -> cache.CachedSong:
    """A cached song whose stems are steady tones (stereo, 44.1 kHz)."""
    tones_hz = tones_hz or TONES_HZ
    frames = int(seconds * RATE)
    stems = {name: tone(freq, frames) for name, freq in tones_hz.items()}
    return cache.write_song(key, stems, RATE, title=key, original_name=f"{key}.wav",
                            source_hash=key, model="test", root=root)


def noise_song(seconds: float, stem_count: int = 6, key: str = "noise", root=None,
               seed: int = 0) -> cache.CachedSong:
    """stem_count stems of quiet noise (stereo, 44.1 kHz), for benchmarks of long songs."""
    rng = np.random.default_rng(seed)
    frames = int(seconds * RATE)
    stems = {f"stem{k + 1}": (0.05 * rng.standard_normal((2, frames))).astype(np.float32)
             for k in range(stem_count)}
    return cache.write_song(key, stems, RATE, title=key, original_name=f"{key}.wav",
                            source_hash=key, model="test", root=root)


def level_db(audio: np.ndarray, freq_hz: float, rate: int = RATE) -> float:
    """Amplitude (dB re full scale sine) of the spectral line at freq_hz, first channel."""
    x = np.asarray(audio, np.float64)
    x = x[0] if x.ndim == 2 else x
    window = np.hanning(len(x))
    spectrum = np.abs(np.fft.rfft(x * window)) / (window.sum() / 2)
    bin_hz = rate / len(x)
    k = int(round(freq_hz / bin_hz))
    peak = spectrum[max(0, k - 2):k + 3].max()
    return 20 * np.log10(max(peak, 1e-12))


def residual_db(actual: np.ndarray, expected: np.ndarray) -> float:
    """Energy of (actual - expected) relative to expected's, in dB."""
    diff = np.asarray(actual, np.float64) - np.asarray(expected, np.float64)
    return 10 * np.log10(max(np.sum(diff ** 2), 1e-30) / max(np.sum(np.asarray(expected, np.float64) ** 2), 1e-30))


def frequency_hz(audio: np.ndarray, rate: int = RATE) -> float:
    """Strongest frequency of a mono signal, to well under a cent (zero-padded FFT + parabola)."""
    x = audio * np.hanning(len(audio))
    spectrum = np.abs(np.fft.rfft(x, 16 * len(x)))
    k = int(np.argmax(spectrum))
    a, b, c = np.log(spectrum[k - 1:k + 2])
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * rate / (16 * len(x))


def cents(f: float, ref: float) -> float:
    return 1200 * np.log2(f / ref)

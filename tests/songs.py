"""Song files for tests, made here rather than committed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def music(seconds: float, sample_rate: int = 44100, channels: int = 2, seed: int = 0) -> np.ndarray:
    """A few tones and a little noise, (channels, frames) float32: enough for a model to chew on."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    tones = sum(0.15 * np.sin(2 * np.pi * f * t + p)
                for f, p in zip((110, 220, 330, 440), rng.uniform(0, 6, 4)))
    beat = (np.sin(2 * np.pi * 2 * t) > 0.95) * rng.normal(0, 0.3, len(t))
    mono = tones + beat + rng.normal(0, 0.02, len(t))
    return np.stack([mono * (1 - 0.2 * c) for c in range(channels)]).astype(np.float32)


def write(path: Path, audio: np.ndarray, sample_rate: int = 44100, subtype: str | None = "FLOAT",
          **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio.T, sample_rate, subtype=subtype, **kwargs)
    return path

"""manifest.json: what a cached song folder holds and which parts of its stems are final.

The manifest is the contract between separation (which writes it) and the player (which
reads only blocks marked done). It is always replaced atomically.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import peaks as peaks_mod
from .atomic import write_text_atomic

MANIFEST_NAME = "manifest.json"
MIX_FILE = "mix.wav"
FORMAT_VERSION = 1


@dataclass
class Manifest:
    title: str
    original_name: str
    source_hash: str
    model: str
    settings: dict
    sample_rate: int
    channels: int
    frames: int
    sources: list[str]
    block_starts: list[int]
    blocks_done: list[bool]
    artist: str | None = None
    created_s: float = field(default_factory=time.time)
    frames_per_peak: int = peaks_mod.FRAMES_PER_PEAK
    peaks: dict[str, str] = field(default_factory=dict)
    # demucs' input normalisation (mean, std of the mono mix), fixed once the song is decoded.
    normalisation: dict | None = None

    # --- where things are -------------------------------------------------
    @staticmethod
    def stem_file(name: str) -> str:
        return f"{name}.wav"

    @property
    def mix_file(self) -> str:
        return MIX_FILE

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    # --- which parts are final --------------------------------------------
    @property
    def complete(self) -> bool:
        return all(self.blocks_done)

    def block_range(self, k: int) -> tuple[int, int]:
        end = self.block_starts[k + 1] if k + 1 < len(self.block_starts) else self.frames
        return self.block_starts[k], end

    def ready_ranges(self) -> list[tuple[int, int]]:
        """Merged [start_frame, end_frame) ranges whose stems are final."""
        ranges: list[tuple[int, int]] = []
        for k, done in enumerate(self.blocks_done):
            if not done:
                continue
            start, end = self.block_range(k)
            if ranges and ranges[-1][1] == start:
                ranges[-1] = (ranges[-1][0], end)
            else:
                ranges.append((start, end))
        return ranges

    def ready_fraction(self) -> float:
        return sum(e - s for s, e in self.ready_ranges()) / max(1, self.frames)

    # --- peaks -------------------------------------------------------------
    def peaks_of(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(mins, maxs) per frames_per_peak frames for a stem or "mix"; zeros where unknown."""
        text = self.peaks.get(name)
        if text is None:
            n = peaks_mod.peak_count(self.frames)
            return np.zeros(n, np.float32), np.zeros(n, np.float32)
        return peaks_mod.decode(text)

    def set_peaks(self, name: str, start_frame: int, audio: np.ndarray) -> None:
        """Update the peaks of ``name`` for audio (channels, frames) starting at start_frame,
        which must be a multiple of frames_per_peak (or the audio must reach the end)."""
        mins, maxs = (m.copy() for m in self.peaks_of(name))
        first = start_frame // self.frames_per_peak
        new_min, new_max = peaks_mod.compute(audio)
        mins[first:first + len(new_min)] = new_min[: len(mins) - first]
        maxs[first:first + len(new_max)] = new_max[: len(maxs) - first]
        self.peaks[name] = peaks_mod.encode(mins, maxs)

    # --- disk --------------------------------------------------------------
    def to_json(self) -> str:
        data = {"format": FORMAT_VERSION, **asdict(self)}
        data["blocks_done"] = "".join("1" if d else "0" for d in self.blocks_done)
        return json.dumps(data, indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        data = json.loads(text)
        if data.pop("format", None) != FORMAT_VERSION:
            raise ValueError("unknown manifest format")
        data["blocks_done"] = [c == "1" for c in data["blocks_done"]]
        return cls(**data)

    def save(self, song_dir: Path) -> None:
        write_text_atomic(Path(song_dir) / MANIFEST_NAME, self.to_json())

    @classmethod
    def load(cls, song_dir: Path) -> "Manifest":
        return cls.from_json((Path(song_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))

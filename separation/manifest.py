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
FORMAT_VERSION = 3

# How to add a field (a beat grid, markers...): add it to Manifest WITH A DEFAULT, bump
# FORMAT_VERSION and add MIGRATIONS[old] (at its simplest, the dict as it is: the default
# fills the field). An older Woodshed then says "written by a newer Woodshed: update" instead
# of "unknown field". When old manifests must be read differently (a field renamed, a meaning
# changed), MIGRATIONS[old] takes the old JSON dict (without "format") and returns it in the
# next format. A newer Woodshed's manifest (a higher format) is refused with a line saying so,
# never misread.
# tests/fixtures/format-1/ holds a folder written by format 1: test_formats.py opens it.
MIGRATIONS: dict[int, "callable"] = {
    1: lambda data: data,  # 2 added source_path: unknown (None) for songs separated before it
    2: lambda data: data,  # 3 added rms: none for songs separated before it (drawn from peaks)
}


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
    # Where the song file (an import: the stem folder) was when it was last separated or
    # imported, absolute; None if not known. Mending and resuming from the Library start here.
    source_path: str | None = None
    # RMS per peak bin (peaks.encode_rms) of each stem and "mix"; a song separated before
    # format 3 has none, and a name is only ever given RMS for the whole song (never half).
    rms: dict[str, str] = field(default_factory=dict)

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
        # A song with no stems yet (its mix decoded, the model still loading) is not.
        return bool(self.sources) and all(self.blocks_done)

    @property
    def mix_only(self) -> bool:
        """Decoded before the model was known: the mix plays; stems come once it loads."""
        return not self.sources

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

    def rms_of(self, name: str) -> np.ndarray | None:
        """RMS per frames_per_peak frames for a stem or "mix"; None when not stored (a song
        separated before format 3: draw from the peaks) or not readable."""
        text = self.rms.get(name)
        if not isinstance(text, str):
            return None
        try:
            rms = peaks_mod.decode_rms(text)
        except ValueError:
            return None
        return rms if len(rms) == peaks_mod.peak_count(self.frames) else None

    def set_peaks(self, name: str, start_frame: int, audio: np.ndarray) -> None:
        """Update the peaks (and RMS) of ``name`` for audio (channels, frames) starting at
        start_frame, which must be a multiple of frames_per_peak (or the audio must reach the
        end). RMS only for a name that has it, or is new: a song that had peaks without RMS
        (written before format 3) keeps drawing from its peaks, never from RMS in places."""
        with_rms = name in self.rms or name not in self.peaks
        mins, maxs = (m.copy() for m in self.peaks_of(name))
        first = start_frame // self.frames_per_peak
        new_min, new_max = peaks_mod.compute(audio)
        mins[first:first + len(new_min)] = new_min[: len(mins) - first]
        maxs[first:first + len(new_max)] = new_max[: len(maxs) - first]
        self.peaks[name] = peaks_mod.encode(mins, maxs)
        if with_rms:
            rms = self.rms_of(name)
            rms = np.zeros(len(mins), np.float32) if rms is None else rms.copy()
            new_rms = peaks_mod.compute_rms(audio)
            rms[first:first + len(new_rms)] = new_rms[: len(rms) - first]
            self.rms[name] = peaks_mod.encode_rms(rms)

    # --- disk --------------------------------------------------------------
    def to_json(self) -> str:
        data = {"format": FORMAT_VERSION, **asdict(self)}
        data["blocks_done"] = "".join("1" if d else "0" for d in self.blocks_done)
        return json.dumps(data, indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        """The manifest in text; ValueError (saying what is wrong) for anything that is not a
        manifest this Woodshed can read, whatever the shape of the JSON."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the manifest is not a JSON object")
        version = data.pop("format", None)
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise ValueError(f"written by a newer Woodshed (manifest format {version}): "
                             "update Woodshed to open it")
        if version not in MIGRATIONS and version != FORMAT_VERSION:
            raise ValueError(f"unknown manifest format {version!r}")
        while version != FORMAT_VERSION:  # an older Woodshed's manifest, brought up to date
            data, version = MIGRATIONS[version](data), version + 1
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown manifest fields {sorted(unknown)}")
        done = data.get("blocks_done")
        if not isinstance(done, str) or set(done) - {"0", "1"}:
            raise ValueError("blocks_done is not a string of 0 and 1")
        data["blocks_done"] = [c == "1" for c in done]
        manifest = cls(**data)
        manifest._check()
        return manifest

    def _check(self) -> None:
        """Impossible values (a hand-edited or damaged file) as a ValueError, not a crash later."""
        def whole(value, low=0):
            return isinstance(value, int) and not isinstance(value, bool) and value >= low

        if not (whole(self.sample_rate, 1) and whole(self.channels, 1) and whole(self.frames)
                and whole(self.frames_per_peak, 1)):
            raise ValueError("impossible sample rate, channels, length or peak size")
        if not (isinstance(self.sources, list) and all(isinstance(n, str) and n and "/" not in n
                                                       and "\\" not in n and n not in (".", "..")
                                                       for n in self.sources)):
            raise ValueError("stem names are not plain names")
        starts = self.block_starts
        if not (isinstance(starts, list) and all(whole(b) for b in starts)
                and starts == sorted(starts) and len(starts) == len(self.blocks_done)
                and (not starts or (starts[0] == 0 and starts[-1] < max(1, self.frames)))):
            raise ValueError("the block map does not fit the song")
        if self.source_path is not None and not isinstance(self.source_path, str):
            raise ValueError("source_path is not a path")
        if not isinstance(self.peaks, dict) or not isinstance(self.title, str) or not isinstance(self.rms, dict):
            raise ValueError("peaks, rms or title of the wrong kind")

    def save(self, song_dir: Path) -> None:
        write_text_atomic(Path(song_dir) / MANIFEST_NAME, self.to_json())

    @classmethod
    def load(cls, song_dir: Path) -> "Manifest":
        return cls.from_json((Path(song_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))

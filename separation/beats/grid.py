"""A song's beat grid: the tracker's answer and the musician's fixes, kept apart.

Two files, each replaced atomically: the tracker's answer in the song's cache folder, the
musician's fixes in the data folder (beat-fixes/<song key>.json, beside the song's session),
where evicting the song from the cache does not take them: separated or imported again
(same song, same model: same key), it gets its fixes back.

    beats.json        what the tracker found (re-analysis rewrites only this one)
                      {"format": 1, "tracker": {"name", "version"}, "duration_s",
                       "beats_s": [...], "beats_per_bar", "first_downbeat", "bpm"}
                      or, when there was nothing to find: {..., "no_beats": "why"}
    beat-fixes.json   the musician's corrections, applied on top of any analysis
                      {"format": 1, "tempo": "half"|"double"|null, "beats_per_bar": n|null,
                       "downbeat_s": t|null, "shift_ms": ms, "tapped_bpm": bpm|null,
                       "tap_anchor_s": t|null}

Beat times are in source seconds (the song as it is, before any speed change). Bars count
from 1 at the first downbeat; beats before it (a pickup) are in bar 0. Beats are numbered
from 1, the downbeat.
"""
from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from woodshed.separation.atomic import set_aside, write_text_atomic

log = logging.getLogger(__name__)

GRID_FILE = "beats.json"
FIXES_FILE = "beat-fixes.json"
FORMAT_VERSION = 1


class GridUnreadable(Exception):
    """A grid file that exists but cannot be used (damaged, or from a newer Woodshed)."""


@dataclass(frozen=True)
class Analysis:
    """What a tracker found in a song (or why it found nothing)."""
    tracker: str
    tracker_version: str
    duration_s: float
    beats_s: tuple[float, ...] = ()
    beats_per_bar: int = 4
    first_downbeat: int = 0          # index into beats_s
    no_beats: str | None = None      # the reason, when the song had no beats to find

    def to_json(self) -> str:
        doc = {"format": FORMAT_VERSION,
               "tracker": {"name": self.tracker, "version": self.tracker_version},
               "duration_s": round(self.duration_s, 6)}
        if self.no_beats:
            doc["no_beats"] = self.no_beats
        else:
            doc.update(beats_s=[round(t, 6) for t in self.beats_s], beats_per_bar=self.beats_per_bar,
                       first_downbeat=self.first_downbeat,
                       bpm=round(_median_bpm(np.array(self.beats_s)), 3))
        return json.dumps(doc, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Analysis":
        try:
            doc = json.loads(text)
            if doc.get("format") != FORMAT_VERSION:
                raise GridUnreadable(f"format {doc.get('format')!r}, this Woodshed reads {FORMAT_VERSION}")
            tracker = doc["tracker"]
            common = dict(tracker=str(tracker["name"]), tracker_version=str(tracker["version"]),
                          duration_s=float(doc["duration_s"]))
            if doc.get("no_beats"):
                return cls(**common, no_beats=str(doc["no_beats"]))
            beats = tuple(float(t) for t in doc["beats_s"])
            bpb = int(doc["beats_per_bar"])
            first = int(doc["first_downbeat"])
            if any(b <= a for a, b in zip(beats, beats[1:])) or bpb < 1 or not 0 <= first < max(bpb, 1):
                raise GridUnreadable("beats out of order or bars that make no sense")
            return cls(**common, beats_s=beats, beats_per_bar=bpb, first_downbeat=first)
        except GridUnreadable:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GridUnreadable(f"damaged ({type(exc).__name__}: {exc})") from None


@dataclass
class Fixes:
    """The musician's corrections to a grid; each one optional, applied in this order:
    tapped tempo (replaces the beats), half/double, shift, beats per bar, downbeat."""
    tapped_bpm: float | None = None
    tap_anchor_s: float | None = None   # a beat of the tapped grid
    tempo: str | None = None            # "half" | "double"
    shift_ms: float = 0.0
    beats_per_bar: int | None = None
    downbeat_s: float | None = None     # the beat nearest to this time is beat 1 of a bar

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT_VERSION, **asdict(self)}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Fixes":
        try:
            doc = json.loads(text)
            if doc.get("format") != FORMAT_VERSION:
                raise GridUnreadable(f"format {doc.get('format')!r}")
            fixes = cls(
                tapped_bpm=_opt(float, doc.get("tapped_bpm")), tap_anchor_s=_opt(float, doc.get("tap_anchor_s")),
                tempo=doc.get("tempo"), shift_ms=float(doc.get("shift_ms") or 0.0),
                beats_per_bar=_opt(int, doc.get("beats_per_bar")), downbeat_s=_opt(float, doc.get("downbeat_s")))
            if fixes.tempo not in (None, "half", "double") or (fixes.tapped_bpm is not None and fixes.tapped_bpm <= 0):
                raise GridUnreadable("values out of range")
            return fixes
        except GridUnreadable:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GridUnreadable(f"damaged ({type(exc).__name__}: {exc})") from None

    @property
    def empty(self) -> bool:
        return self == Fixes()


def _opt(kind, value):
    return None if value is None else kind(value)


def _median_bpm(beats_s: np.ndarray) -> float:
    return float(60 / np.median(np.diff(beats_s))) if len(beats_s) >= 2 else 0.0


@dataclass(frozen=True)
class Grid:
    """The grid a musician uses: beats (source seconds) and bars, fixes applied."""
    beats_s: np.ndarray = field(repr=False)
    beats_per_bar: int
    first_downbeat: int                  # index of the first downbeat in beats_s

    @property
    def bpm(self) -> float:
        return _median_bpm(self.beats_s)

    @property
    def first_downbeat_s(self) -> float:
        return float(self.beats_s[self.first_downbeat])

    def bar_and_beat(self, index: int) -> tuple[int, int]:
        """(bar, beat) of beat `index`: bar 1 starts at the first downbeat, a pickup is bar 0."""
        rel = index - self.first_downbeat
        return rel // self.beats_per_bar + 1, rel % self.beats_per_bar + 1

    def is_downbeat(self, index: int) -> bool:
        return (index - self.first_downbeat) % self.beats_per_bar == 0

    def beat_position(self, time_s: float) -> float:
        """Fractional beat index at time_s (extrapolated at the song's tempo outside the beats)."""
        b = self.beats_s
        if time_s <= b[0]:
            return (time_s - b[0]) / (b[1] - b[0])
        if time_s >= b[-1]:
            return len(b) - 1 + (time_s - b[-1]) / (b[-1] - b[-2])
        i = int(np.searchsorted(b, time_s, side="right") - 1)
        return i + (time_s - b[i]) / (b[i + 1] - b[i])

    def time_of_beat(self, position: float) -> float:
        """Source seconds of a (fractional, possibly outside the song) beat index."""
        b = self.beats_s
        n = len(b)
        if position <= 0:
            return float(b[0] + position * (b[1] - b[0]))
        if position >= n - 1:
            return float(b[-1] + (position - (n - 1)) * (b[-1] - b[-2]))
        i = int(math.floor(position))
        return float(b[i] + (position - i) * (b[i + 1] - b[i]))

    def bar_start_s(self, bar: int) -> float:
        """Where bar `bar` starts (bar 1 = the first downbeat; bars past the end extrapolated)."""
        return self.time_of_beat(self.first_downbeat + (bar - 1) * self.beats_per_bar)

    def bar_at(self, time_s: float) -> int:
        """The bar that time_s falls in."""
        rel = math.floor(self.beat_position(time_s) + 1e-9) - self.first_downbeat
        return rel // self.beats_per_bar + 1

    def rows(self) -> list[tuple[float, int, int]]:
        """(time_s, bar, beat) for every beat."""
        return [(float(t), *self.bar_and_beat(i)) for i, t in enumerate(self.beats_s)]


def apply_fixes(analysis: Analysis, fixes: Fixes) -> Grid | None:
    """The grid with the musician's fixes on top; None when there are no beats and no tap."""
    beats = np.array(analysis.beats_s, float)
    bpb = analysis.beats_per_bar
    first = analysis.first_downbeat
    if fixes.tapped_bpm:
        period = 60.0 / fixes.tapped_bpm
        anchor = fixes.tap_anchor_s if fixes.tap_anchor_s is not None else 0.0
        start = anchor - math.floor(anchor / period) * period
        beats = np.arange(start, max(analysis.duration_s, anchor + period), period)
        first = 0
    if len(beats) < 2:
        return None
    if fixes.tempo == "double":
        mids = (beats[:-1] + beats[1:]) / 2
        doubled = np.empty(len(beats) + len(mids))
        doubled[0::2], doubled[1::2] = beats, mids
        beats, first = doubled, first * 2
    elif fixes.tempo == "half" and len(beats) >= 4:
        keep = (np.arange(len(beats)) - first) % 2 == 0   # the downbeats stay beats
        beats, first = beats[keep], int(np.sum(keep[:first]))
    beats = beats + fixes.shift_ms / 1000.0
    if fixes.beats_per_bar:
        bpb = fixes.beats_per_bar
    if fixes.downbeat_s is not None:
        first = int(np.argmin(np.abs(beats - fixes.downbeat_s)))
    return Grid(beats, bpb, first % bpb)


# --- files -----------------------------------------------------------------------------
def load_analysis(song_dir: Path) -> Analysis | None:
    """The tracker's answer kept for this song; None if there is none yet.
    GridUnreadable when the file is there but damaged (the caller re-analyses)."""
    path = Path(song_dir) / GRID_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise GridUnreadable(f"{path}: {exc}") from None
    return Analysis.from_json(text)


def save_analysis(song_dir: Path, analysis: Analysis) -> None:
    write_text_atomic(Path(song_dir) / GRID_FILE, analysis.to_json())


def fixes_path(song_dir: Path) -> Path:
    """Where the musician's fixes of this cached song are kept: by its key (the folder's
    name), in the data folder."""
    from woodshed.separation.data_folder import data_dir

    return data_dir() / "beat-fixes" / f"{Path(song_dir).name}.json"


def load_fixes(song_dir: Path) -> Fixes:
    """The musician's fixes for this song (none yet: no fixes). A damaged fixes file is
    logged and read as no fixes: the grid still works, the analysis is not touched.
    Fixes an earlier Woodshed kept in the song folder are read until new ones are saved."""
    path = fixes_path(song_dir)
    if not path.exists():
        path = Path(song_dir) / FIXES_FILE
    try:
        return Fixes.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Fixes()
    except OSError as exc:
        log.warning("grid fixes in %s unreadable, ignored: %s", path, exc)
        return Fixes()
    except (UnicodeDecodeError, GridUnreadable) as exc:
        # A newer Woodshed's fixes or a damaged file: kept beside, never written over
        log.warning("grid fixes in %s unreadable, ignored (kept as %s): %s", path,
                    set_aside(path), exc)
        return Fixes()


def save_fixes(song_dir: Path, fixes: Fixes) -> None:
    path = fixes_path(song_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, fixes.to_json())

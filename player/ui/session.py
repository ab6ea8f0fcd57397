"""Per-song session memory: the mix, tempo, pitch, saved loops, markers and position, as JSON.

One file per cached song (named by its cache key) in the per-OS data folder, or in
WOODSHED_DATA_DIR. Written atomically, so a crash leaves the old session or the new one.
Plain data and plain functions: the window reads and writes these off the UI thread.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from woodshed.separation.atomic import write_text_atomic

SESSION_VERSION = 1


def data_dir() -> Path:
    env = os.environ.get("WOODSHED_DATA_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("woodshed", appauthor=False))


@dataclass
class SavedLoop:
    name: str
    start_s: float
    end_s: float
    # Remembered only when the musician asks ("with tempo and mix"): None = leave as is.
    tempo: float | None = None
    pitch_semitones: float | None = None
    mix: dict | None = None  # {"gains_db", "muted", "soloed", "pans"}


@dataclass
class Marker:
    """A named place in the song (verse, chorus, solo…)."""
    name: str
    time_s: float


@dataclass
class Session:
    gains_db: dict[str, float] = field(default_factory=dict)
    muted: list[str] = field(default_factory=list)
    soloed: list[str] = field(default_factory=list)
    pans: dict[str, float] = field(default_factory=dict)
    master_db: float = 0.0
    tempo: float = 1.0
    pitch_semitones: float = 0.0
    loops: list[SavedLoop] = field(default_factory=list)
    loop: tuple[float, float] | None = None  # the current A-B region
    loop_enabled: bool = False
    position_s: float = 0.0
    markers: list[Marker] = field(default_factory=list)  # in time order

    def to_json(self) -> str:
        return json.dumps({"version": SESSION_VERSION, **asdict(self)}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Session":
        data = json.loads(text)
        data.pop("version", None)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        session = cls(**known)
        session.loops = [SavedLoop(**loop) for loop in session.loops]
        session.markers = sorted((Marker(**m) for m in session.markers), key=lambda m: m.time_s)
        session.loop = tuple(session.loop) if session.loop else None
        return session


def session_path(song_key: str) -> Path:
    return data_dir() / "sessions" / f"{song_key}.json"


def load_session(song_key: str) -> Session:
    """The saved session, or a fresh one if there is none or it cannot be read."""
    try:
        return Session.from_json(session_path(song_key).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return Session()


def marker_at(markers: list[Marker], position_s: float) -> Marker | None:
    """The marker the playhead is in the section of (the last one at or before it)."""
    before = [m for m in markers if m.time_s <= position_s + 1e-6]
    return before[-1] if before else None


def save_session(song_key: str, session: Session) -> None:
    path = session_path(song_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, session.to_json())

"""Per-song session memory: the mix, tempo, pitch, saved loops, markers and position, as JSON.

One file per cached song (named by its cache key) in the per-OS data folder, or in
WOODSHED_DATA_DIR. Written atomically, so a crash leaves the old session or the new one.
Plain data and plain functions: the window reads and writes these off the UI thread.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from woodshed.separation.atomic import set_aside, write_text_atomic
from woodshed.separation.data_folder import data_dir  # noqa: F401 (callers import it from here)

log = logging.getLogger(__name__)

SESSION_VERSION = 1




@dataclass
class SavedLoop:
    name: str
    start_s: float
    end_s: float
    # Remembered only when the musician asks ("with tempo and mix"): None = leave as is.
    tempo: float | None = None
    pitch_semitones: float | None = None
    mix: dict | None = None  # {"gains_db", "muted", "soloed", "pans"}
    # The bars it spans, first and last (inclusive: "bars 33-40"), when it was saved on the
    # grid's bar lines; None otherwise. loop_bars.py: what a grid fix does to it, and why.
    bars: tuple[int, int] | None = None


# The speed trainer's settings, as a musician sets them (0.6 = 60 %): Melissa's defaults.
TRAINER_DEFAULTS = {"start": 0.6, "step": 0.05, "every": 2, "target": 1.0}


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
    trainer: dict[str, float] = field(default_factory=lambda: dict(TRAINER_DEFAULTS))
    trainer_on: bool = False
    click_db: float = 0.0        # the click's strip: volume, mute (beats and count-in), pan
    click_muted: bool = False
    click_pan: float = 0.0

    def to_json(self) -> str:
        return json.dumps({"version": SESSION_VERSION, **asdict(self)}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Session":
        """A session from its file. Fields it lacks (an older Woodshed's) take their
        defaults; a value of the wrong kind or out of range is dropped for its default, so
        a hand-edited or damaged file never stops a song from opening. ValueError if the
        file is not a session at all."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a session (a JSON object was expected)")
        version = data.pop("version", 1)
        if not isinstance(version, int) or version > SESSION_VERSION:
            raise ValueError(f"written by a newer Woodshed (session version {version!r})")
        session = cls()
        for name, value in data.items():
            if name in cls.__dataclass_fields__ and _fits(getattr(session, name), value):
                setattr(session, name, value)
        session.loops = [_saved_loop(loop) for loop in session.loops if _is_loop(loop)]
        session.trainer = _trainer_settings(session.trainer)
        loop = session.loop
        session.loop = (float(loop[0]), float(loop[1])) if (
            isinstance(loop, list) and len(loop) == 2 and all(map(_finite, loop))
            and 0 <= loop[0] < loop[1]) else None
        if not 0.25 <= session.tempo <= 2.0:
            session.tempo = 1.0
        if not -12 <= session.pitch_semitones <= 12:
            session.pitch_semitones = 0.0
        session.position_s = max(0.0, session.position_s)
        session.muted = [name for name in session.muted if isinstance(name, str)]
        session.soloed = [name for name in session.soloed if isinstance(name, str)]
        markers = []
        for m in session.markers:
            try:
                markers.append(Marker(**m))
            except TypeError:  # not a marker: dropped, the others kept
                continue
        session.markers = sorted((m for m in markers if _finite(m.time_s)), key=lambda m: m.time_s)
        return session


# How to add a field: give it a default in Session (older files lack it and get the default);
# _fits keeps out values of another kind. Bump SESSION_VERSION only when an old file must be
# read differently, and convert it in from_json.
def _finite(value) -> bool:
    import math

    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fits(default, value) -> bool:
    """Whether value may stand where default stands: same kind, numbers finite."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return _finite(value)
    if isinstance(default, dict):
        return isinstance(value, dict) and all(isinstance(k, str) and _finite(v)
                                               for k, v in value.items())
    if isinstance(default, list):
        return isinstance(value, list)
    if default is None:  # loop: checked by from_json
        return value is None or isinstance(value, list)
    return isinstance(value, type(default))


def _saved_loop(loop: dict) -> SavedLoop:
    """A saved loop from its file: its times, and what it remembers if that reads right."""
    saved = SavedLoop(str(loop["name"]), float(loop["start_s"]), float(loop["end_s"]))
    if _finite(loop.get("tempo")) and 0.25 <= loop["tempo"] <= 2.0:
        saved.tempo = float(loop["tempo"])
    if _finite(loop.get("pitch_semitones")) and -12 <= loop["pitch_semitones"] <= 12:
        saved.pitch_semitones = float(loop["pitch_semitones"])
    if isinstance(loop.get("mix"), dict):
        saved.mix = loop["mix"]
    bars = loop.get("bars")
    if (isinstance(bars, list) and len(bars) == 2 and all(isinstance(b, int) for b in bars)
            and bars[0] <= bars[1]):
        saved.bars = (bars[0], bars[1])
    return saved


def _trainer_settings(value: dict) -> dict[str, float]:
    """The trainer's settings, or the defaults if the file's would make no trainer."""
    from woodshed.player.engine.trainer import SpeedTrainer
    from woodshed.separation.errors import UserError

    settings = {**TRAINER_DEFAULTS, **{k: v for k, v in value.items() if k in TRAINER_DEFAULTS}}
    settings["every"] = int(settings["every"])
    try:
        SpeedTrainer(**settings)
    except (UserError, TypeError):
        return dict(TRAINER_DEFAULTS)
    return settings


def _is_loop(loop) -> bool:
    return (isinstance(loop, dict) and isinstance(loop.get("name"), str)
            and _finite(loop.get("start_s")) and _finite(loop.get("end_s"))
            and 0 <= loop["start_s"] < loop["end_s"])


def session_path(song_key: str) -> Path:
    return data_dir() / "sessions" / f"{song_key}.json"


def load_session(song_key: str) -> Session:
    """The saved session, or a fresh one if there is none or it cannot be read."""
    path = session_path(song_key)
    try:
        return Session.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Session()
    except OSError as exc:
        log.warning("session %s not read (%s): the song opens as new", path, exc)
        return Session()
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        # A newer Woodshed's session or a damaged one: kept beside, never written over
        log.warning("session %s not read (%s): the song opens as new; the file is kept as %s",
                    path, exc, set_aside(path))
        return Session()


def marker_at(markers: list[Marker], position_s: float) -> Marker | None:
    """The marker the playhead is in the section of (the last one at or before it)."""
    before = [m for m in markers if m.time_s <= position_s + 1e-6]
    return before[-1] if before else None


def save_session(song_key: str, session: Session) -> None:
    path = session_path(song_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, session.to_json())

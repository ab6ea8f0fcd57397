"""Opening a song, off the UI thread: find it in the cache, read its session, start the engine.

If the audio device cannot be opened the song still opens (waveforms, loops, export) and
the window says why there is no sound.
"""
from __future__ import annotations

from dataclasses import dataclass
from woodshed.separation.cache import CachedSong
from woodshed.separation.errors import UserError

from .session import Session, load_session


@dataclass
class LoadedSong:
    song: CachedSong
    session: Session
    engine: object | None
    engine_error: str | None
    separation: object | None = None  # a running separation.separate.Separation, if any
    warning: str | None = None  # something the musician should know (a song that did not import)
    paused: object | None = None  # a Separation not started: the song's rest, to resume


def start_engine(song: CachedSong, device=None, blocksize_frames: int | None = None):
    """(engine, None) or (None, why not): a missing sound card is not a reason to crash.
    blocksize_frames: the output's block (Preferences ▸ Audio); None: the engine's default."""
    try:
        from woodshed.player.engine.engine import Engine
    except ImportError as exc:
        return None, f"the audio engine is not available ({exc})"
    try:
        sizes = {} if blocksize_frames is None else {"blocksize": int(blocksize_frames)}
        engine = Engine(song, device=device, **sizes)
        engine.start()
    except UserError as exc:
        return None, f"no sound: {exc.message}"
    except Exception as exc:
        return None, f"no sound: could not open the audio device ({type(exc).__name__}: {exc})"
    return engine, None


def load_cached(song: CachedSong, device=None, with_engine: bool = True,
                open_engine=None) -> LoadedSong:
    """The song held in use, its session, and its engine: open_engine(song) -> (engine,
    error) when given (the window's AudioSlot), else start_engine on ``device``."""
    song.hold()  # in use until the window closes it: never evicted meanwhile
    session = load_session(song.key)
    if not with_engine:
        engine, error = None, None
    elif open_engine is not None:
        engine, error = open_engine(song)
    else:
        engine, error = start_engine(song, device)
    return LoadedSong(song, session, engine, error)

"""Opening a song, off the UI thread: find it in the cache, read its session, start the engine.

If the audio device cannot be opened the song still opens (waveforms, loops, export) and
the window says why there is no sound.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from separation import cache
from separation.cache import CachedSong
from separation.errors import UserError
from separation.manifest import MANIFEST_NAME

from .session import Session, load_session


@dataclass
class LoadedSong:
    song: CachedSong
    session: Session
    engine: object | None
    engine_error: str | None
    separation: object | None = None  # a running separation.separate.Separation, if any


def start_engine(song: CachedSong, device=None):
    """(engine, None) or (None, why not): a missing sound card is not a reason to crash."""
    try:
        from player.engine import Engine
    except ImportError as exc:
        return None, f"the audio engine is not available ({exc})"
    try:
        engine = Engine(song, device=device, blocksize=256)
        engine.start()
    except UserError as exc:
        return None, f"no sound: {exc.message}"
    except Exception as exc:
        return None, f"no sound: could not open the audio device ({type(exc).__name__}: {exc})"
    return engine, None


def load_cached(song: CachedSong, device=None, with_engine: bool = True) -> LoadedSong:
    song.touch()
    session = load_session(song.key)
    engine, error = start_engine(song, device) if with_engine else (None, None)
    return LoadedSong(song, session, engine, error)


def cached_song_at(path: Path) -> CachedSong | None:
    """A Woodshed song folder (or its manifest) given directly; None for anything else."""
    path = Path(path)
    if path.name == MANIFEST_NAME:
        path = path.parent
    if (path / MANIFEST_NAME).is_file():
        return cache.open_song(path)
    return None


def check_readable(path: Path) -> Path:
    path = Path(path).expanduser()
    if not path.exists():
        raise UserError(f"{path} does not exist")
    return path


def imported_folder(path: Path) -> CachedSong:
    """A folder of stems the musician already has (plain, or a rhythm-game song folder):
    imported into the cache as it is, nothing to separate."""
    from separation.importer import import_folder

    return import_folder(path)

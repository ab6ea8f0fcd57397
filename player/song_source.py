"""What a SONG path is, answered once for the terminal and the window alike.

A path names one of four things: a cached song folder (or its manifest), a folder of stems
the musician already has (plain, or a rhythm game's song folder), a folder of such folders
(a library: each one is imported, as `woodshed import` does), or a song file to separate.
The terminal and the window then open each kind their own way (a progress bar and a finished
separation; a window that plays while it separates), but never disagree on which kind it is.
"""
from __future__ import annotations

import contextlib
import enum
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from woodshed.separation import cache
from woodshed.separation.errors import UserError
from woodshed.separation.manifest import MANIFEST_NAME

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total)


class SongKind(enum.Enum):
    CACHED = "a cached song"
    STEMS = "a folder of stems"
    SONG_FOLDERS = "a folder of song folders"
    FILE = "a song file"


@dataclass(frozen=True)
class SongSource:
    kind: SongKind
    path: Path
    folders: tuple[Path, ...] = ()  # SONG_FOLDERS: each song folder under path, in name order


def identify(path) -> SongSource:
    """Which kind of SONG `path` is; a UserError when it does not exist."""
    from woodshed.separation.importer import song_folders

    path = Path(path).expanduser()
    if not path.exists():
        raise UserError(f"{path} does not exist")
    if path.name == MANIFEST_NAME and path.is_file():
        path = path.parent
    if not path.is_dir():
        return SongSource(SongKind.FILE, path)
    if (path / MANIFEST_NAME).is_file():
        return SongSource(SongKind.CACHED, path)
    folders = song_folders(path)
    if folders == [path]:
        return SongSource(SongKind.STEMS, path)
    return SongSource(SongKind.SONG_FOLDERS, path, tuple(folders))


def import_stems(folder: Path, progress: Progress | None = None) -> cache.CachedSong:
    """A folder of stems put into the cache as it is, nothing to separate."""
    from woodshed.separation.importer import import_folder

    return import_folder(folder, progress=progress)


def import_song_folders(source: SongSource) -> tuple[list[cache.CachedSong], list[str]]:
    """Each song folder of a SONG_FOLDERS source imported: (songs, one line per failure).
    A broken song is reported and skipped; the others still get imported."""
    songs, failures = [], []
    for folder in source.folders:
        try:
            songs.append(import_stems(folder))
        except UserError as exc:
            log.warning("not imported: %s", exc.message)
            failures.append(exc.message)
    return songs, failures


# --- the terminal's answer: one cached song, with progress bars -------------------------------
def open_song_argument(path: Path, model: str | None = None, model_repo: Path | None = None,
                       ) -> cache.CachedSong:
    """SONG as `play` and `export` take it: found in the cache, imported, or separated first;
    held in use (never evicted) until the process ends."""
    return _find_or_make(path, model, model_repo).hold()


def cached_by_name(text: str) -> cache.CachedSong | None:
    """A cached song named as `woodshed cache list` shows it: its id (or the start of it, six
    characters or more), its title, or "artist - title" (any case). None if nothing matches;
    a UserError listing them if several do."""
    wanted = text.strip().lower()
    if not wanted:
        return None
    songs = cache.list_songs()
    by_id = [s for s in songs if s.key == text.strip() or (len(wanted) >= 6 and s.key.startswith(wanted))]
    by_title = [s for s in songs if wanted in (
        s.manifest.title.lower(),
        f"{s.manifest.artist} - {s.manifest.title}".lower() if s.manifest.artist else None)]
    matches = by_id or by_title
    if len(matches) > 1:
        names = "; ".join(f"{s.key}  {s.manifest.title} ({s.manifest.model})" for s in matches[:5])
        raise UserError(f"{len(matches)} cached songs are called {text!r}: name one by its id "
                        f"(`woodshed cache list`): {names}")
    return matches[0] if matches else None


def _find_or_make(path: Path, model: str | None, model_repo: Path | None) -> cache.CachedSong:
    if not Path(path).expanduser().exists():
        song = cached_by_name(str(path))
        if song is not None:
            return song
    source = identify(path)
    if source.kind is SongKind.CACHED:
        return cache.open_song(source.path)
    if source.kind is SongKind.STEMS:
        with _bar(f"importing {source.path.name}", "frames") as progress:
            return import_stems(source.path, progress)
    if source.kind is SongKind.SONG_FOLDERS:
        raise UserError(f"{source.path} holds {len(source.folders)} song folders: name one of them "
                        f"(e.g. {source.folders[0]}), or import them all with `woodshed import`")
    return _separate(source.path, model, model_repo)


@contextlib.contextmanager
def _bar(description: str, unit: str):
    """A tqdm bar driven by progress(done, total) callbacks."""
    from tqdm import tqdm

    # disable=None: no bar when not on a terminal (a log gets no frames of it)
    with tqdm(total=1, desc=description, unit=unit, unit_scale=True, dynamic_ncols=True,
              leave=False, disable=None) as bar:
        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        yield progress


def _separate(path: Path, model: str | None, model_repo: Path | None) -> cache.CachedSong:
    """Separated once, then found in the cache by the file's content."""
    from woodshed.separation.commands import say_following
    from woodshed.separation.errors import printable
    from woodshed.separation.separate import SeparationSettings, separate_song

    settings = SeparationSettings(model_repo=model_repo) if model is None else \
        SeparationSettings(model=model, model_repo=model_repo)
    with _bar(f"separating {path.name}", "seg") as progress:
        # a bar that stands still needs a reason: another process has the song
        return separate_song(path, settings, progress=progress,
                             on_waiting=say_following(printable(path.name)))

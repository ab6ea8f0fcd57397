"""Opening a song from its cache folder (the Library, Open recent, a dropped song folder).

The manifest remembers where the song file (an import: its stem folder) was, so a song
opened from the cache is treated as if its file were opened: a damaged one is mended (an
imported song's mix summed from its stems, its stems imported again from their folder; a
separated song's damaged blocks separated again), and one whose separation stopped part way
offers Resume separation. When the song file is gone or has changed, one line says so and
what is in the cache stays as it is.
"""
from __future__ import annotations

from pathlib import Path

from woodshed.separation import cache, damage
from woodshed.separation.errors import UserError

from .loading import LoadedSong, load_cached
from .separating import start_separation, window_settings


def open_cached_folder(path: Path, device=None, with_engine: bool = True, settings=None,
                       on_download=None, open_engine=None) -> LoadedSong:
    """Runs on a background thread, like start_separation."""
    from woodshed.separation.importer import mend_imported
    from woodshed.separation.separate import separation_of

    if not cache.in_cache(path):  # a copy kept elsewhere: opened as it is, never written
        return load_cached(cache.open_song(Path(path)), device, with_engine, open_engine)
    song = cache.open_song(Path(path), check=False)
    damages = damage.check(song)
    manifest = song.manifest
    if manifest.model in damage.IMPORTED_MODELS:
        if damages:
            mend_imported(song)  # UserError (one line) if its stem folder cannot give them
        return load_cached(song, device, with_engine, open_engine)
    if not damages and manifest.complete:
        return load_cached(song, device, with_engine, open_engine)
    try:
        job = separation_of(song, window_settings(settings))
    except UserError as exc:
        if damages:  # playing it would give silence or wrong sound: not opened
            raise UserError(f"{manifest.title} is damaged in the stem cache: "
                            f"{damage.describe(damages)}; {exc.message}: open the song file "
                            "to mend it (the stem cache keeps what it has)") from None
        loaded = load_cached(song, device, with_engine, open_engine)
        loaded.warning = (f"{manifest.title} is separated to {manifest.ready_fraction():.0%} "
                          f"(the original mix plays elsewhere) and {exc.message}: open the "
                          "song file to separate the rest")
        return loaded
    if damages:  # the worker mends it, redoing only what is damaged, and carries on
        return start_separation(job.song_path, device, with_engine, settings, on_download,
                                open_engine, job=job)
    loaded = load_cached(song, device, with_engine, open_engine)
    loaded.paused = job
    return loaded

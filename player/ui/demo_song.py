"""The bundled demo song: four synthesised stems (resources/demo/*.ogg, CC0) put into the stem cache.

The stems ship compressed; importing decodes them once into the cache's float WAVs. The
cache key hashes the stem files' bytes, so a regenerated demo gets a fresh entry.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import soundfile as sf

from woodshed.separation import cache
from woodshed.separation.cache import CachedSong
from woodshed.separation.errors import UserError


def _demo_dir() -> Path:
    """resources/demo: the package woodshed.resources, in a checkout or installed."""
    import woodshed.resources

    return Path(woodshed.resources.__file__).resolve().parent / "demo"


DEMO_DIR = _demo_dir()
DEMO_STEMS = ("drums", "bass", "piano", "lead")
DEMO_TITLE = "Woodshed Groove (demo)"
DEMO_MODEL = "demo"


def demo_files() -> dict[str, Path]:
    files = {name: DEMO_DIR / f"{name}.ogg" for name in DEMO_STEMS}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise UserError(f"the demo song is missing from this installation ({', '.join(missing)});"
                        " reinstall Woodshed or run resources/make_demo.py")
    return files


def demo_key(files: dict[str, Path]) -> tuple[str, str]:
    """(cache key, source hash) from the stem files' bytes."""
    sha = hashlib.sha256()
    for name, path in files.items():
        sha.update(name.encode() + b"\0" + cache.file_hash(path).encode())
    source_hash = sha.hexdigest()
    return cache.song_key(source_hash, DEMO_MODEL, {}), source_hash


def import_demo(root: Path | None = None) -> CachedSong:
    """The demo as a cached song, decoding it into the cache the first time."""
    files = demo_files()
    key, source_hash = demo_key(files)
    song = cache.find(key, root)
    if song is not None:
        _mend(song, files, source_hash)
        return song
    return _write(key, files, source_hash, root)


def _write(key: str, files: dict[str, Path], source_hash: str, root: Path | None) -> CachedSong:
    stems, rate = {}, None
    for name, path in files.items():
        audio, rate = sf.read(path, dtype="float32", always_2d=True)
        stems[name] = np.ascontiguousarray(audio.T)
    return cache.write_song(key, stems, rate, title=DEMO_TITLE, original_name="woodshed-groove.ogg",
                            source_hash=source_hash, model=DEMO_MODEL, root=root)


def _mend(song: CachedSong, files: dict[str, Path], source_hash: str) -> None:
    """A damaged demo (a stem or the mix deleted, cut short...) made whole again: its damaged
    files decoded afresh from the shipped stems, by the song's one writer."""
    import os

    from woodshed.separation import damage, song_lock

    if not damage.check(song):
        return
    with song_lock.write_lock(song.dir.parent, song.key) as writer:
        writer.acquire()
        damages = damage.check(song)  # another process may have mended it meanwhile
        with cache.scratch(song.key, song.dir.parent) as tmp:
            fresh = _write(song.key, files, source_hash, tmp)
            for d in damages:
                os.replace(fresh.dir / d.file, song.dir / d.file)
    song.reload()

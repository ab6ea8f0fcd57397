"""Import stems a musician already has into the stem cache, with no separation.

Every stem file is decoded block by block, converted to 44.1 kHz stereo, padded with
silence to the longest one, and streamed straight into the cached song's WAVs together with
their sum (the mix): memory stays flat however long the songs. The song folder appears in
the cache whole or not at all (cache.building), so a bad file leaves nothing behind.
"""
from __future__ import annotations

import contextlib
import hashlib
import shutil
from pathlib import Path
from typing import Callable

import soundfile as sf

from . import cache, song_lock, wavfile
from .audio_file import AudioInfo, is_audio_file, probe, read_blocks, rechunk
from .cache import CachedSong
from .errors import UserError
from .manifest import MIX_FILE, Manifest
from .peaks import FRAMES_PER_PEAK
from .stem_folder import StemFolder, read_stem_folder

IMPORT_MODEL = "import"
SAMPLE_RATE = 44100
CHANNELS = 2
_BLOCK_FRAMES = FRAMES_PER_PEAK * 256  # ~6 s; a multiple of the peak bins, as set_peaks needs

Progress = Callable[[int, int], None]  # (done_frames, total_frames)


def import_folder(path, progress: Progress | None = None,
                  root: Path | None = None) -> CachedSong:
    """Import one folder of stems (plain or rhythm-game layout); return its cached song.

    Already imported (same stem files, byte for byte) -> the cached song, at once.
    """
    song = read_stem_folder(path)
    # Every file is checked before anything is written: one bad stem, one clear line.
    infos = {p: probe(p) for paths in song.stems.values() for p in paths}
    source_hash = stems_hash(song)
    key = cache.song_key(source_hash, IMPORT_MODEL, {"sample_rate": SAMPLE_RATE})
    # One writer per song: the same stems imported twice at once are written once
    with song_lock.write_lock(root or cache.cache_root(), key) as writer:
        try:
            writer.acquire()
        except OSError:
            pass  # a cache we cannot lock is one we cannot write either: building says so
        existing = cache.find(key, root)
        if existing is not None:
            existing.remember_source(song.folder)
            _mend(existing, song, infos, progress)
            existing.touch()
            return existing
        return _import_new(song, infos, source_hash, key, progress, root)


def mend_imported(cached: CachedSong, progress: Progress | None = None) -> list:
    """A damaged imported song made whole again, from what it came from: mix.wav summed from
    its stems; damaged stems imported again from the stem folder the manifest remembers, if
    it is still there with the same files. Returns what was damaged (empty: nothing to do).
    UserError (one line) when it cannot be done; what is in the cache is kept either way."""
    from . import damage

    damages = damage.check(cached)
    if not damages:
        return damages
    if any(d.file != MIX_FILE for d in damages):  # the stems: only their own files have them
        song = read_stem_folder(_source_folder(cached, damages))
        infos = {p: probe(p) for paths in song.stems.values() for p in paths}
        if cache.song_key(stems_hash(song), IMPORT_MODEL, {"sample_rate": SAMPLE_RATE}) != cached.key:
            raise UserError(damage.damaged_message(cached, damages) + f" (its stem folder "
                            f"{song.folder} holds other files now)")
    else:
        song, infos = None, {}
    with song_lock.write_lock(cached.dir.parent, cached.key) as writer:
        writer.acquire()
        return _mend(cached, song, infos, progress)


def _source_folder(cached: CachedSong, damages) -> Path:
    from . import damage

    where = cached.manifest.source_path
    if where is None or not Path(where).is_dir():
        said = (f"its stem folder {where} is gone (moved or deleted)" if where
                else "Woodshed does not know its stem folder (imported by an earlier Woodshed)")
        raise UserError(f"{damage.damaged_message(cached, damages)} ({said})")
    return Path(where)


def _mend(cached: CachedSong, song: StemFolder | None, infos: dict[Path, AudioInfo],
          progress: Progress | None) -> list:
    """By the song's one writer: the mix from the stems, damaged stems (and the mix with
    them) from the stem folder; the manifest, beat grid and the rest of the folder kept."""
    import os

    from . import damage
    from .errors import describe_os_error

    damages = damage.check(cached)
    try:
        if not any(d.file != MIX_FILE for d in damages):
            damage.mend(cached)  # only the mix, if anything: the sum of the stems
            return damages
        with cache.scratch(cached.key, cached.dir.parent) as tmp:
            _write_stems(tmp, song, infos, _new_manifest(song, infos, cached.manifest.source_hash),
                         progress)
            for d in damages:
                os.replace(tmp / d.file, cached.dir / d.file)
    except (OSError, sf.SoundFileError) as exc:
        raise UserError(f"cannot mend {cached.manifest.title} in the stem cache: "
                        f"{describe_os_error(exc) if isinstance(exc, OSError) else exc}") from None
    cached.reload()
    return damages


def _new_manifest(song: StemFolder, infos: dict[Path, AudioInfo], source_hash: str) -> Manifest:
    frames = max(info.frames_at(SAMPLE_RATE) for info in infos.values())
    return Manifest(
        title=song.title, original_name=song.folder.name, source_hash=source_hash,
        model=IMPORT_MODEL,
        settings={"sample_rate": SAMPLE_RATE, "folder_layout": song.layout,
                  "stem_files": {name: [p.name for p in paths]
                                 for name, paths in song.stems.items()}},
        sample_rate=SAMPLE_RATE, channels=CHANNELS, frames=frames, sources=list(song.stems),
        block_starts=[0], blocks_done=[True], artist=song.artist,
        source_path=cache.source_path_of(song.folder))


def _import_new(song: StemFolder, infos: dict[Path, AudioInfo], source_hash: str, key: str,
                progress: Progress | None, root: Path | None) -> CachedSong:
    manifest = _new_manifest(song, infos, source_hash)
    with cache.building(key, root) as tmp:
        try:
            _write_stems(tmp, song, infos, manifest, progress)
        except sf.SoundFileError as exc:  # libsndfile reports a failed write without errno
            raise UserError(f"cannot write to the stem cache {tmp.parent}: "
                            f"{_why_not(tmp, exc)}") from None
        manifest.save(tmp)
    cache.evict(keep={key}, root=root)  # the size limit holds; never evicts this song
    return cache.open_song((Path(root) if root else cache.cache_root()) / key)


def _why_not(folder: Path, exc: Exception) -> str:
    try:
        if shutil.disk_usage(folder).free < 64 << 20:
            return "the disk is full"
    except OSError:
        pass
    return f"{exc} (is the disk full or the folder read-only?)"


def stems_hash(song: StemFolder) -> str:
    """Content hash of the stems: the same files, renamed or moved, import to the same song."""
    sha = hashlib.sha256()
    for name, paths in song.stems.items():
        for path in paths:
            sha.update(f"{name}\t{cache.file_hash(path)}\n".encode())
    return sha.hexdigest()


def _write_stems(folder: Path, song: StemFolder, infos: dict[Path, AudioInfo],
                 manifest: Manifest, progress: Progress | None) -> None:
    total_frames = manifest.frames
    with contextlib.ExitStack() as stack:
        def open_wav(file_name: str) -> sf.SoundFile:
            return stack.enter_context(sf.SoundFile(
                folder / file_name, "w", samplerate=SAMPLE_RATE, channels=CHANNELS,
                subtype="FLOAT", format=wavfile.wav_format_for(total_frames, CHANNELS)))

        mix_wav = open_wav(MIX_FILE)
        stem_wavs = {name: open_wav(Manifest.stem_file(name)) for name in song.stems}
        # One reader per file, all cut into equal blocks and padded to the longest: read in step.
        readers = {path: rechunk(read_blocks(path, SAMPLE_RATE, CHANNELS, info=info),
                                 CHANNELS, _BLOCK_FRAMES, total_frames)
                   for path, info in infos.items()}
        for start_frame in range(0, total_frames, _BLOCK_FRAMES):
            mix = None
            for name, paths in song.stems.items():
                stem = next(readers[paths[0]]).copy()
                for path in paths[1:]:  # drums_1..4 -> drums
                    stem += next(readers[path])
                stem_wavs[name].write(stem.T)
                manifest.set_peaks(name, start_frame, stem)
                mix = stem.copy() if mix is None else mix + stem
            mix_wav.write(mix.T)
            manifest.set_peaks("mix", start_frame, mix)
            if progress is not None:
                progress(min(start_frame + _BLOCK_FRAMES, total_frames), total_frames)
        for reader in readers.values():  # let each decoder finish: its truncation check
            for _ in reader:
                pass


def song_folders(path) -> list[Path]:
    """The song folders under path: path itself if it holds audio files, else each
    sub-folder that does (a library of rhythm-game songs, an album of stem folders)."""
    path = Path(path)
    if path.is_dir() and not _has_audio(path):
        subfolders = sorted((d for d in path.iterdir()
                             if d.is_dir() and not d.name.startswith(".") and _has_audio(d)),
                            key=lambda d: d.name.lower())
        if subfolders:
            return subfolders
    return [path]


def _has_audio(folder: Path) -> bool:
    try:
        return any(p.is_file() and is_audio_file(p) for p in folder.iterdir())
    except OSError:
        return False

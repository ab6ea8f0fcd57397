"""A damaged song folder, found cheaply and mended by redoing only what is damaged.

A stem or mix.wav can be deleted, emptied, cut short (a full disk, a copy that stopped) or
replaced by another file. Checking costs a stat and a WAV header per file, never a read of
the audio: sizes and headers against the manifest (length, channels, rate, 32-bit float).

Mending (by the one writer of the song, see worker.py):
- a damaged stem is remade at its right length, keeping what is good up to the damage, and
  every block from there on is marked not separated, so separation redoes just those (the
  model writes all stems of a block together: a block is redone whole);
- a damaged mix.wav is decoded again from the song file (an imported song: summed from its
  stems). An imported song's stems come from files only the musician has: they are imported
  again from the stem folder (importer.mend_imported), if it is still there.
"""
from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import wavfile
from .errors import UserError
from .manifest import MIX_FILE, Manifest

log = logging.getLogger(__name__)

IMPORTED_MODELS = ("import", "demo")  # stems that came from files, not from a model


@dataclass(frozen=True)
class Damage:
    file: str  # "bass.wav", "mix.wav"
    what: str  # "is missing", "is cut short at 0:12.0", ...
    good_frames: int  # frames still good from the start (0: the whole file is bad)


def _time(frames: int, rate: int) -> str:
    minutes, seconds = divmod(frames / rate, 60)
    return f"{int(minutes)}:{seconds:04.1f}"


def check_file(path: Path, manifest: Manifest) -> Damage | None:
    """What is wrong with one of the song's WAVs, from its size and header only."""
    import soundfile as sf

    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return Damage(name, "is missing", 0)
    except OSError as exc:
        return Damage(name, f"cannot be read ({exc.strerror})", 0)
    if size == 0:
        return Damage(name, "is empty", 0)
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.SoundFileError, OSError):
        return Damage(name, "is not a readable WAV file", 0)
    if info.subtype != "FLOAT":
        return Damage(name, f"is {info.subtype_info or info.subtype}, not 32-bit float", 0)
    if info.channels != manifest.channels:
        return Damage(name, f"has {info.channels} channels, not {manifest.channels}", 0)
    if info.samplerate != manifest.sample_rate:
        return Damage(name, f"is at {info.samplerate} Hz, not {manifest.sample_rate}", 0)
    if info.frames < manifest.frames:  # libsndfile counts the frames really on disk
        rate = manifest.sample_rate
        return Damage(name, f"is cut short at {_time(info.frames, rate)} of "
                            f"{_time(manifest.frames, rate)}", info.frames)
    if info.frames > manifest.frames:
        return Damage(name, f"is longer than the song ({info.frames} frames, not "
                            f"{manifest.frames})", 0)
    return None


NOT_NUMBERS = "holds samples that are not numbers"


def check(song) -> list[Damage]:
    """Every damaged file of a cached song (empty: it is whole)."""
    manifest = song.manifest
    files = [MIX_FILE] + [Manifest.stem_file(name) for name in manifest.sources]
    damages = [d for d in (check_file(song.dir / f, manifest) for f in files) if d is not None]
    stats = manifest.normalisation or {}
    if not all(isinstance(v, (int, float)) and np.isfinite(v) for v in stats.values()):
        # An earlier Woodshed decoded NaN or infinity into the mix: every separation of it
        # failed. The mix is decoded again (now made finite) and the song separated anew.
        damages.insert(0, Damage(MIX_FILE, NOT_NUMBERS, 0))
    return damages


def describe(damages: list[Damage]) -> str:
    """'bass.wav is cut short at 0:12.0 of 0:30.0 and 1 other file is damaged'"""
    first = f"{damages[0].file} {damages[0].what}"
    more = len(damages) - 1
    return first if not more else f"{first} (and {more} other file{'s' * (more > 1)} damaged)"


def damaged_message(song, damages: list[Damage]) -> str:
    """One line: what is damaged and how the musician mends it."""
    m = song.manifest
    where = _quoted(m.source_path or m.original_name)
    if m.model == "demo":
        how = f"remove it (woodshed cache remove {song.dir}); the window makes it again"
    elif m.model in IMPORTED_MODELS:
        how = f"run `woodshed import {where}` again (or open it in the window) to mend it"
    else:
        how = f"run `woodshed separate {where}` (or open it in the window) to mend it"
    return f"{m.title} is damaged in the stem cache: {describe(damages)}; {how}"


def _quoted(path: str) -> str:
    import shlex

    from .errors import printable

    return shlex.quote(printable(path))


def check_or_fail(song) -> None:
    """UserError (one line) if the song is damaged: playing or exporting it would give
    silence or wrong sound without a word."""
    damages = check(song)
    if damages:
        raise UserError(damaged_message(song, damages))


# --- mending ---------------------------------------------------------------------------
def _remake_stem(path: Path, manifest: Manifest, good_frames: int) -> None:
    """The stem at its right length: the good frames kept, silence after (to be redone)."""
    from .atomic import atomic_path

    with atomic_path(path) as tmp:
        wavfile.create_silent(tmp, manifest.frames, manifest.channels, manifest.sample_rate)
        step = 1 << 20
        for start in range(0, good_frames, step):
            end = min(good_frames, start + step)
            wavfile.write_frames(tmp, start, wavfile.read_frames(path, start, end))


def _sum_of_stems(song_dir: Path, manifest: Manifest) -> None:
    from .atomic import atomic_path

    with atomic_path(song_dir / MIX_FILE) as tmp:
        wavfile.create_silent(tmp, manifest.frames, manifest.channels, manifest.sample_rate)
        step = 1 << 20
        for start in range(0, manifest.frames, step):
            end = min(manifest.frames, start + step)
            mix = sum(wavfile.read_frames(song_dir / Manifest.stem_file(name), start, end)
                      for name in manifest.sources)
            wavfile.write_frames(tmp, start, np.asarray(mix, np.float32))


def mend(song, decode_mix=None) -> list[Damage]:
    """Make a damaged song separable again; returns what was damaged (empty: nothing to do).

    decode_mix(folder) writes the song's mix.wav into folder, decoded from the song file, and
    returns its Manifest (statistics and peaks); it is needed only when mix.wav is damaged. The caller must be the song's one writer.
    Raises UserError for what cannot be redone here (an imported song's stems).
    """
    manifest = song.manifest
    damages = check(song)
    if not damages:
        return damages
    log.warning("mending %s: %s", song.dir, describe(damages))
    stems_bad = [d for d in damages if d.file != MIX_FILE]
    if stems_bad and manifest.model in IMPORTED_MODELS:
        raise UserError(damaged_message(song, damages))
    mix_bad = any(d.file == MIX_FILE for d in damages)
    stats_changed = False
    if mix_bad:
        if manifest.model in IMPORTED_MODELS:
            _sum_of_stems(song.dir, manifest)
        elif decode_mix is None:
            raise UserError(damaged_message(song, damages))
        else:
            work = song.dir / ".mix-again"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            try:
                fresh = decode_mix(work)
                os.replace(work / MIX_FILE, song.dir / MIX_FILE)
                if fresh is not None:  # the statistics the model's input is scaled by
                    stats_changed = fresh.normalisation != manifest.normalisation
                    manifest.normalisation = fresh.normalisation
                    manifest.peaks["mix"] = fresh.peaks["mix"]
                    if "mix" in fresh.rms:  # (the whole mix: RMS may start here)
                        manifest.rms["mix"] = fresh.rms["mix"]
            finally:
                shutil.rmtree(work, ignore_errors=True)
    first_bad = min((d.good_frames for d in stems_bad), default=manifest.frames)
    if stats_changed:  # every block was separated from other numbers: all redone
        first_bad = 0
    for d in stems_bad:
        _remake_stem(song.dir / d.file, manifest, d.good_frames)
    for k in range(len(manifest.blocks_done)):
        _, end = manifest.block_range(k)
        if end > first_bad:
            manifest.blocks_done[k] = False
    manifest.save(song.dir)
    return damages

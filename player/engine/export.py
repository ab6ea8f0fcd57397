"""Backing tracks to files, through the same Renderer as live playback (what you export is
what you heard). Files appear whole or not at all (temporary name, then rename).

An export never writes into the stem cache (it would damage the stems it reads), never over
the song it was made from, and never over an existing file unless told to (force): see
check_safe_to_write.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import soundfile as sf

from woodshed.separation.atomic import atomic_path, remove_stale_parts
from woodshed.separation.errors import UserError, describe_os_error, describe_write_failure

from .controls import Controls
from .render import Renderer

# extension -> (libsndfile format, subtype)
FORMATS = {
    ".wav": ("WAV", "FLOAT"),
    ".flac": ("FLAC", "PCM_24"),
    ".ogg": ("OGG", "VORBIS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
}
CHUNK_FRAMES = 1 << 15

# Told, after writing, when an integer or lossy file had to clip: (path, samples, peak dBFS).
# A float WAV keeps samples above full scale, so it never clips.
ClipReport = Callable[[Path, int, float], None]


def check_output_path(out_path: Path) -> tuple[str, str]:
    """The (format, subtype) for out_path; UserError for an unknown extension or missing folder."""
    out_path = Path(out_path)
    fmt = FORMATS.get(out_path.suffix.lower())
    if fmt is None:
        raise UserError(f"cannot write {out_path.name}: unknown extension "
                        f"{out_path.suffix or '(none)'} (use {', '.join(FORMATS)})")
    folder = out_path.parent
    if not folder.is_dir():
        raise UserError(f"cannot write {out_path}: folder {folder} does not exist")
    if out_path.is_dir():
        raise UserError(f"cannot write {out_path}: it is a folder")
    return fmt


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(Path(folder).resolve())
    except (OSError, RuntimeError):  # a symlink loop: not inside anything we know
        return False


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_safe_to_write(paths: Iterable[Path], song=None, *, force: bool = False,
                        inputs: Iterable[Path] = ()) -> None:
    """UserError unless every path may be written: not inside the stem cache (or the song's
    folder), not one of the inputs (the SONG the musician named, or inside the stem folder it
    came from), and not an existing file unless force. Checked for all paths before any
    is written."""
    from woodshed.separation import cache

    protected = [cache.cache_root()] + ([song.dir] if song is not None else [])
    inputs = [Path(p).expanduser() for p in inputs]
    seen: set[Path] = set()
    for path in map(Path, paths):
        for folder in protected:
            if _inside(path, folder):
                raise UserError(f"will not write {path}: it is inside the stem cache ({folder}), "
                                "whose files Woodshed reads; choose another folder")
        for source in inputs:
            if _same_file(path, source) or (source.is_dir() and _inside(path, source)):
                raise UserError(f"will not write {path}: it is the song you are exporting from "
                                f"({source}); choose another name")
        if path.resolve() in seen:
            raise UserError(f"two exports would go to the same file {path}")
        seen.add(path.resolve())
        if not force and (path.exists() or path.is_symlink()):
            raise UserError(f"{path} already exists (add --force to replace it)")


def _controls(song, without, only, gains_db, tempo, pitch_semitones, start_s, end_s,
              pans=None, master_db=0.0) -> Controls:
    controls = Controls.for_song(song)
    _check_separated(song, *_span(controls, start_s, end_s))
    stems = controls.stems
    pans = dict(pans or {})
    for name in [*without, *(only or ()), *gains_db, *pans]:
        controls.gain_db(name)  # UserError for unknown stems, before any work
    if only is not None and without:
        raise UserError("give either the stems to leave out or the only ones to keep, not both")
    for name in stems:
        muted = name in without or (only is not None and name not in only)
        controls.set_mute(name, muted)
    for name, db in gains_db.items():
        controls.set_gain_db(name, db)
    for name, pan in pans.items():
        controls.set_pan(name, pan)
    controls.set_master_db(master_db)
    controls.set_tempo(tempo)
    controls.set_pitch(pitch_semitones)
    start_s, end_s = _span(controls, start_s, end_s)
    controls.seek(start_s)
    return controls


def _separated(manifest, start_s: float, end_s: float) -> bool:
    start_frame = int(start_s * manifest.sample_rate)
    end_frame = min(manifest.frames, int(round(end_s * manifest.sample_rate)))
    return any(a <= start_frame and end_frame <= b for a, b in manifest.ready_ranges())


def _check_separated(song, start_s: float, end_s: float) -> None:
    """UserError unless the stems of [start_s, end_s) are final. Unseparated regions play the
    original mix: a backing track would have the very instrument left out there. A loop that
    is separated exports while the rest of the song is still separating."""
    if not _separated(song.manifest, start_s, end_s):
        # Separation may have finished since the song was opened (only a playing engine
        # follows the manifest): look again before refusing
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            song.reload()
    m = song.manifest
    if _separated(m, start_s, end_s):
        return
    whole = start_s <= 0 and end_s >= m.duration_s
    what = "the whole song" if whole else "this part"
    raise UserError(f"{m.title}: {what} is not separated yet ({m.ready_fraction():.0%} of the "
                    "song done): export once it is, or choose a part that is")


def _span(controls: Controls, start_s, end_s) -> tuple[float, float]:
    duration_s = controls.duration_s
    start_s = 0.0 if start_s is None else float(start_s)
    end_s = duration_s if end_s is None else float(end_s)
    if not 0.0 <= start_s < duration_s:
        raise UserError(f"start {start_s:g} s is outside the song (0-{duration_s:.3f} s)")
    if end_s <= start_s:
        raise UserError(f"end ({end_s:g} s) must come after start ({start_s:g} s)")
    return start_s, min(end_s, duration_s)


def output_frames(song, tempo: float, start_s: float | None, end_s: float | None) -> int:
    """Length of an export: the source span at the song's rate, stretched by the tempo."""
    rate = song.manifest.sample_rate
    start_s = start_s or 0.0
    end_s = song.manifest.duration_s if end_s is None else min(end_s, song.manifest.duration_s)
    return int(round((round(end_s * rate) - round(start_s * rate)) / tempo))


def _write(renderer: Renderer, out_path: Path, fmt: tuple[str, str], frames: int,
           progress: Callable[[float], None] | None, done_before: int, total: int,
           clipped: ClipReport | None = None) -> None:
    clipped_samples, peak = 0, 0.0
    remove_stale_parts(out_path.parent)  # what killed exports left in this folder, any name
    try:
        with atomic_path(out_path) as tmp:
            with sf.SoundFile(tmp, "w", samplerate=renderer.out_rate, channels=renderer.channels,
                              format=fmt[0], subtype=fmt[1]) as f:
                written = 0
                while written < frames:
                    n = min(CHUNK_FRAMES, frames - written)
                    audio = renderer.render(n)
                    if fmt[1] != "FLOAT":  # integer and lossy formats must not wrap around
                        loud = np.abs(audio)
                        over = np.count_nonzero(loud > 1.0)
                        if over:
                            clipped_samples += over
                            peak = max(peak, float(loud.max()))
                            np.clip(audio, -1.0, 1.0, out=audio)
                    f.write(audio.T)
                    written += n
                    if progress is not None:
                        progress((done_before + written) / total)
    except (OSError, sf.LibsndfileError) as exc:  # "System error." when the disk is full
        raise UserError(f"cannot write {out_path}: "
                        f"{describe_write_failure(out_path.parent, exc)}") from None
    if clipped_samples and clipped is not None:
        clipped(out_path, clipped_samples, 20 * np.log10(peak))


def clip_warning(path: Path, samples: int, peak_db: float) -> str:
    """One line for a musician: what clipped and what to do about it."""
    return (f"{Path(path).name}: the mix peaks at {peak_db:+.1f} dBFS, {samples} samples were "
            f"clipped; lower the gains or the master volume, or write .wav (which keeps them)")


def export_mix(song, out_path, *, without: Iterable[str] = (), only: Iterable[str] | None = None,
               gains_db: dict[str, float] | None = None, tempo: float = 1.0,
               pitch_semitones: float = 0.0, start_s: float | None = None,
               end_s: float | None = None, pans: dict[str, float] | None = None,
               master_db: float = 0.0, progress: Callable[[float], None] | None = None,
               clipped: ClipReport | None = None, force: bool = False,
               inputs: Iterable[Path] = (), click: bool = False) -> Path:
    """Render the song (without some stems, or only some) to out_path (.wav .flac .ogg .mp3).

    click: add the click (the song's own beats, accented downbeats) for a rehearsal track.

    progress, if given, is called with the fraction done (0..1); clipped, if given, once the
    file is written, when it had to clip (see ClipReport). An existing out_path is replaced
    only with force; inputs are the files the song came from (never written over).
    """
    out_path = Path(out_path)
    fmt = check_output_path(out_path)
    check_safe_to_write([out_path], song, force=force, inputs=inputs)
    controls = _controls(song, tuple(without), None if only is None else tuple(only),
                         dict(gains_db or {}), tempo, pitch_semitones, start_s, end_s,
                         pans, master_db)
    frames = output_frames(song, tempo, start_s, end_s)
    renderer = Renderer(song, controls, click=song_click(song) if click else None)
    _write(renderer, out_path, fmt, frames, progress, 0, frames, clipped)
    return out_path


def song_click(song):
    """The click for a song's beat grid (found first if it is not known yet); UserError
    when the song has none."""
    from woodshed.separation.beats.analyse import grid_for

    from .click import Click

    state = grid_for(song.dir)
    if state.grid is None:
        raise UserError(f"{song.manifest.title}: {state.message}: no click without beats")
    return Click(state.grid, song.manifest.sample_rate, song.manifest.channels)


def export_stems(song, out_dir, *, without: Iterable[str] = (), only: Iterable[str] | None = None,
                 gains_db: dict[str, float] | None = None, tempo: float = 1.0,
                 pitch_semitones: float = 0.0, start_s: float | None = None,
                 end_s: float | None = None, progress: Callable[[float], None] | None = None,
                 extension: str = ".wav", clipped: ClipReport | None = None,
                 force: bool = False, inputs: Iterable[Path] = ()) -> list[Path]:
    """Each chosen stem (tempo and pitch applied) as its own file <out_dir>/<stem><extension>.

    out_dir is created if its parent exists. Existing stem files are replaced only with force.
    """
    out_dir = Path(out_dir)
    extension = extension if extension.startswith(".") else f".{extension}"
    fmt = FORMATS.get(extension.lower())
    if fmt is None:
        raise UserError(f"cannot write stems as {extension}: unknown extension "
                        f"(use {', '.join(FORMATS)})")
    without, only = tuple(without), None if only is None else tuple(only)
    base = _controls(song, without, only, dict(gains_db or {}), tempo, pitch_semitones,
                     start_s, end_s)
    chosen = [s for s in base.stems if not base.muted(s)]
    if not chosen:
        raise UserError("no stems left to export")
    check_safe_to_write([out_dir / f"{stem}{extension}" for stem in chosen], song, force=force,
                        inputs=inputs)
    if not out_dir.is_dir():  # only now that the settings are known to be good
        if not out_dir.parent.is_dir():
            raise UserError(f"cannot write stems to {out_dir}: folder {out_dir.parent} does not exist")
        try:
            os.mkdir(out_dir)
        except OSError as exc:
            raise UserError(f"cannot create {out_dir}: {describe_os_error(exc, '')}") from None
    frames = output_frames(song, tempo, start_s, end_s)
    paths = []
    for k, stem in enumerate(chosen):
        controls = _controls(song, (), (stem,), dict(gains_db or {}), tempo, pitch_semitones,
                             start_s, end_s)
        path = out_dir / f"{stem}{extension}"
        _write(Renderer(song, controls), path, fmt, frames, progress, k * frames,
               max(1, len(chosen) * frames), clipped)
        paths.append(path)
    return paths

"""Finding a song's grid, once, off the UI thread and off the audio path.

`analyse_song` does the work (features, tracker, bars) and writes beats.json; `GridJob` runs
it in a process of its own (it holds the GIL for seconds: never in the player's process),
and `grid_for` is what the terminal and the window ask: the grid now if it is known, else
None (and why).
"""
from __future__ import annotations

import logging
import multiprocessing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from woodshed.separation.errors import UserError

from . import grid as grid_file
from .grid import Analysis, Grid, GridUnreadable

log = logging.getLogger(__name__)


def analyse_file(audio_path: Path, beat_model: str | None = None) -> Analysis:
    """The grid of a song file (any format Woodshed reads): by Beat This! when a checkpoint is
    configured (WOODSHED_BEAT_MODEL) and loads, else by the model-free tracker."""
    from . import beat_this

    beat_model = beat_model or beat_this.configured_model()
    if beat_model:
        try:
            return analyse_with_beat_this(audio_path, beat_model)
        except beat_this.ModelUnavailable as exc:
            log.warning("%s; using the model-free tracker", exc)
    return analyse_model_free(audio_path)


def analyse_with_beat_this(audio_path: Path, checkpoint: str) -> Analysis:
    from woodshed.separation.audio_file import probe, read_blocks

    from . import beat_this

    model = beat_this.load_model(checkpoint)
    info = probe(audio_path)
    mono = np.concatenate([b[0] for b in read_blocks(audio_path, beat_this.SAMPLE_RATE, 1, info=info)]
                          or [np.zeros(0, np.float32)])
    duration_s = len(mono) / beat_this.SAMPLE_RATE
    name = f"{beat_this.NAME}:{Path(checkpoint).stem}"
    common = dict(tracker=name, tracker_version=beat_this.MODEL_CODE_VERSION, duration_s=duration_s)
    beats, downbeats = beat_this.track(mono, beat_this.SAMPLE_RATE, model)
    if len(beats) < 2:
        return Analysis(**common, no_beats="the beat model found fewer than two beats")
    per_bar, first = beat_this.bars_from_downbeats(beats, downbeats)
    return Analysis(**common, beats_s=tuple(float(t) for t in beats), beats_per_bar=per_bar,
                    first_downbeat=first)


def analyse_model_free(audio_path: Path) -> Analysis:
    """The model-free tracker's grid of a song file."""
    from . import downbeats, features, tracker

    feats = features.features_of_file(audio_path)
    common = dict(tracker=tracker.NAME, tracker_version=tracker.VERSION, duration_s=feats.duration_s)
    try:
        beats = tracker.track(feats)
    except tracker.NoBeats as why:
        return Analysis(**common, no_beats=str(why))
    if len(beats.times_s) < 2:
        return Analysis(**common, no_beats="fewer than two beats found")
    bpb, first = downbeats.find_bars(feats, beats.times_s)
    return Analysis(**common, beats_s=tuple(float(t) for t in beats.times_s), beats_per_bar=bpb,
                    first_downbeat=first)


def analyse_song(song_dir: Path) -> Analysis:
    """Analyse a cached song's mix and keep the answer in its folder (atomically)."""
    from woodshed.separation.manifest import MIX_FILE

    analysis = analyse_file(Path(song_dir) / MIX_FILE)
    grid_file.save_analysis(song_dir, analysis)
    log.info("beat grid of %s: %s", song_dir, "no beats: " + analysis.no_beats if analysis.no_beats
             else f"{len(analysis.beats_s)} beats")
    return analysis


@dataclass
class GridState:
    """What the player knows about a song's grid right now."""
    grid: Grid | None
    message: str | None = None       # for the musician when there is no grid (or a problem)


def known_grid(song_dir: Path) -> tuple[GridState, bool]:
    """(the grid as the files have it, whether an analysis still has to run)."""
    fixes = grid_file.load_fixes(song_dir)
    try:
        analysis = grid_file.load_analysis(song_dir)
    except GridUnreadable as exc:
        log.warning("beat grid of %s unreadable, analysing again: %s", song_dir, exc)
        return GridState(None, "the beat grid file was damaged: finding the beats again"), True
    if analysis is None:
        return GridState(None, "finding the beats…"), True
    grid = grid_file.apply_fixes(analysis, fixes)
    if grid is None:
        return GridState(None, f"no beat grid: {analysis.no_beats or 'no beats found'}; tap the tempo"), False
    return GridState(grid), outdated(analysis)


def outdated(analysis: Analysis) -> bool:
    """Whether an older version of the model-free tracker made this grid: it is analysed again
    (the old grid serves meanwhile; the musician's fixes are kept apart and survive)."""
    from . import tracker

    return analysis.tracker == tracker.NAME and analysis.tracker_version != tracker.VERSION


def grid_for(song_dir: Path) -> GridState:
    """The song's grid, analysing it first (in a process of its own) when it is not known.
    For the terminal, which has no audio running while it waits."""
    state, needed = known_grid(song_dir)
    if needed:
        job = GridJob(song_dir)
        job.wait()
        state, still_needed = known_grid(song_dir)
        if still_needed and state.grid is None:
            return GridState(None, "the beats could not be found (the log says why); tap the tempo")
    return state


def analyse_once(song_dir: Path) -> bool:
    """The song's grid made unless it is known already, by one analysis at a time: whoever
    started it (separation, import, the window), a second one waits for the first and then
    finds the grid there. The song is held in use meanwhile (eviction and `cache remove`
    leave it alone); not the writer's lock: a song still separating gets its grid meanwhile.
    False if it could not be made (why is in the log)."""
    from woodshed.separation.song_lock import beats_lock, use_lock

    folder = Path(song_dir)
    in_use = use_lock(folder.parent, folder.name)
    if not in_use.try_acquire(shared=True):
        log.warning("beat grid of %s not made: the song is being removed", song_dir)
        return False
    try:
        with beats_lock(folder.parent, folder.name) as one_at_a_time:
            one_at_a_time.acquire()
            if known_grid(folder)[1]:
                analyse_song(folder)
        return True
    except (UserError, OSError) as exc:
        log.warning("beat grid of %s not made: %s", song_dir, getattr(exc, "message", exc))
        return False
    finally:
        in_use.release()


def _run(*song_dirs: str) -> None:
    from woodshed.separation.worker import be_kind_to_the_audio_path

    be_kind_to_the_audio_path()
    made = [analyse_once(Path(song_dir)) for song_dir in song_dirs]
    if not all(made):
        raise SystemExit(2)


class GridJob:
    """analyse_once in a process of its own (spawned: no copy of the caller's threads or Qt),
    for one song or several in turn (a folder of songs imported: one process, not one each)."""

    def __init__(self, song_dir: Path, *more_song_dirs: Path):
        ctx = multiprocessing.get_context("spawn")
        dirs = [str(d) for d in (song_dir, *more_song_dirs)]
        self.process = ctx.Process(target=_run, args=dirs, daemon=True, name="woodshed-beats")
        self.process.start()

    @property
    def done(self) -> bool:
        return not self.process.is_alive()

    @property
    def failed(self) -> bool:
        return self.done and self.process.exitcode != 0

    def wait(self, timeout_s: float | None = None) -> None:
        self.process.join(timeout_s)

    def cancel(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)

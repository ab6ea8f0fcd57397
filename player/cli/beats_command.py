"""`woodshed beats SONG [--csv]`: the song's tempo, bars and beats, as the player uses them."""
from __future__ import annotations

import sys
from pathlib import Path

from woodshed.separation.errors import UserError


def add_parser(sub) -> None:
    p = sub.add_parser("beats", help="print a song's tempo, beats per bar and first downbeat",
                       description="Find a song's beats once (kept with its stems) and print its "
                                   "tempo, beats per bar and first downbeat; with --csv, every "
                                   "beat as time_s,bar,beat (bar 1 starts at the first downbeat, "
                                   "a pickup before it is bar 0, beat 1 is the downbeat).")
    p.add_argument("song", type=Path, metavar="SONG",
                   help="a cached song folder, a folder of stems, or a song file")
    p.add_argument("--csv", action="store_true", help="every beat, one a line: time_s,bar,beat")
    p.set_defaults(func=run_beats)


def run_beats(args) -> int:
    state = grid_of_song(args.song)
    if state.grid is None:
        raise UserError(f"{args.song}: {state.message}")
    grid = state.grid
    if args.csv:
        out = ["time_s,bar,beat"] + [f"{t:.3f},{bar},{beat}" for t, bar, beat in grid.rows()]
        sys.stdout.write("\n".join(out) + "\n")
    else:
        print(f"tempo: {grid.bpm:.1f} BPM")
        print(f"beats per bar: {grid.beats_per_bar}")
        print(f"first downbeat: {grid.first_downbeat_s:.3f} s")
    return 0


def grid_of_song(path: Path):
    """The grid of SONG: from its cache folder (analysed once, kept), or of a song file that is
    not separated, straight from the file (nothing is written)."""
    from woodshed.separation.beats.analyse import GridState, grid_for, analyse_file
    from woodshed.separation.beats.grid import Fixes, apply_fixes
    from woodshed.player.song_source import SongKind, identify, import_stems

    source = identify(path)
    if source.kind is SongKind.CACHED:
        return grid_for(source.path)
    if source.kind is SongKind.STEMS:
        return grid_for(import_stems(source.path).dir)
    if source.kind is SongKind.SONG_FOLDERS:
        raise UserError(f"{source.path} holds {len(source.folders)} song folders: name one of them")
    analysis = analyse_file(source.path)
    grid = apply_fixes(analysis, Fixes())
    return GridState(grid, None if grid else f"no beat grid: {analysis.no_beats}")

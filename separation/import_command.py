"""`woodshed import PATH...`: register stems a musician already has, with no separation."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import UserError
from .importer import import_folder, song_folders

_DESCRIPTION = """\
Put stems you already have into the stem cache, so Woodshed plays them like separated songs.
PATH is a folder of audio files, one stem each (the file name becomes the instrument name),
or a rhythm-game song folder (Frets on Fire, Clone Hero, Rock Band exports: song.ogg,
guitar.ogg, bass.ogg, drums_1..4.ogg, ... with song.ini giving title and artist).
A folder of such folders imports each one. Stems are aligned to the longest and converted
to 44.1 kHz stereo. Prints each song's cache folder."""


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "import", help="import stems you already have (no separation)",
        description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help="folder of stems, rhythm-game song folder, or a folder of those")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    folders = [folder for path in args.paths for folder in song_folders(path)]
    if len(folders) == 1:
        song = _import_one(folders[0], args.quiet)
        print(song.dir, flush=True)
        find_beats([song.dir], args.quiet)
        return 0
    # Many songs: a broken one is reported and skipped, the others still get imported.
    failed, imported = 0, []
    for folder in folders:
        try:
            imported.append(_import_one(folder, args.quiet).dir)
            print(imported[-1], flush=True)
        except UserError as exc:
            print(f"woodshed: error: {exc.message}", file=sys.stderr)
            failed += 1
    find_beats(imported, args.quiet)
    return UserError.exit_status if failed else 0


def find_beats(song_dirs: list[Path], quiet: bool) -> None:
    """Each imported song's beat grid, once, now (in a process of its own, all songs in
    turn): playing with a click, a count-in or bars later costs nothing. A song whose beats
    cannot be found is still imported (`woodshed beats` says why)."""
    from .beats.analyse import GridJob, known_grid

    needed = [d for d in song_dirs if known_grid(d)[1]]
    if not needed:
        return
    if not quiet:
        print(f"finding the beats of {len(needed)} song{'s' if len(needed) > 1 else ''}…",
              file=sys.stderr, flush=True)
    GridJob(*needed).wait()


def _import_one(folder: Path, quiet: bool):
    if quiet:
        return import_folder(folder)
    from tqdm import tqdm

    bars = []  # made at the first progress report: none for bad input or a cached song

    def progress(done_frames: int, total_frames: int) -> None:
        if not bars:
            bars.append(tqdm(desc=folder.name, total=total_frames, leave=False, file=sys.stderr,
                             bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}"))
        bars[0].update(done_frames - bars[0].n)

    try:
        return import_folder(folder, progress=progress)
    finally:
        for bar in bars:
            bar.close()

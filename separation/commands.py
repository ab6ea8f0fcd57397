"""`woodshed separate` and `woodshed cache`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import cache
from .errors import UserError, printable
from .model import DEFAULT_MODEL


MODELS_HELP = ("htdemucs_6s (drums, bass, other, vocals, guitar, piano), htdemucs, htdemucs_ft, "
               "or any name demucs accepts")


def add_model_arguments(parser: argparse.ArgumentParser, defaults_from: str | None = None) -> None:
    """--model and --model-repo. defaults_from: where the defaults come from when not typed
    (the window's Preferences), instead of DEFAULT_MODEL and WOODSHED_MODEL_REPO."""
    if defaults_from is None:
        parser.add_argument("--model", default=DEFAULT_MODEL,
                            help=f"demucs model (default: {DEFAULT_MODEL}): {MODELS_HELP}")
        repo_default = "or WOODSHED_MODEL_REPO"
    else:
        parser.add_argument("--model", default=None,
                            help=f"demucs model (default: the one {defaults_from}, {DEFAULT_MODEL} "
                                 f"until changed there): {MODELS_HELP}")
        repo_default = f"default: the one {defaults_from}, or WOODSHED_MODEL_REPO"
    parser.add_argument("--model-repo", type=Path, metavar="DIR",
                        help=f"folder of model weights, for offline use ({repo_default}). "
                             "Its .th files are unpickled: only use folders you trust")


def add_parser(sub) -> None:
    p = sub.add_parser("separate", help="separate songs into cached instrument stems",
                       description="Separate each song (or every audio file in a folder) into "
                                   "instrument stems, once; prints each song's cache folder.")
    p.add_argument("songs", nargs="+", type=Path, metavar="SONG")
    add_model_arguments(p)
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda or mps")
    p.add_argument("--shifts", type=int, default=0,
                   help="random-shift passes averaged (better, N times slower; default 0)")
    p.add_argument("--overlap", type=float, default=0.25, help="segment overlap (default 0.25)")
    p.set_defaults(func=run_separate)

    c = sub.add_parser("cache", help="list, locate or remove cached stems",
                       description="The stem cache (WOODSHED_CACHE_DIR overrides its folder).")
    csub = c.add_subparsers(metavar="ACTION", parser_class=type(p))
    csub.add_parser("list", help="cached songs").set_defaults(func=run_cache_list)
    cp = csub.add_parser("path", help="the cache folder of a song")
    cp.add_argument("song", type=Path, metavar="SONG")
    cp.add_argument("--model", default=DEFAULT_MODEL)
    cp.set_defaults(func=run_cache_path)
    cr = csub.add_parser("remove", help="remove a song's stems (a song file or a cache folder)")
    cr.add_argument("song", type=Path, metavar="SONG")
    cr.add_argument("--model", default=None, help="only the stems of this model")
    cr.set_defaults(func=run_cache_remove)
    csub.add_parser("clear", help="remove every cached song (only folders Woodshed made)"
                    ).set_defaults(func=run_cache_clear)
    cl = csub.add_parser("limit", help="show or set the size limit (least recently used go first)")
    cl.add_argument("size", nargs="?", help="with its unit: 20GB, 500MB")
    cl.add_argument("-y", "--yes", action="store_true",
                    help="remove the songs a lower limit leaves no room for without asking")
    cl.set_defaults(func=run_cache_limit)
    c.set_defaults(func=run_cache_list)


def song_files(paths: list[Path]) -> list[Path]:
    """Songs named on the command line; a folder stands for every audio file in it, and a
    song folder of the stem cache (or its manifest) for that song."""
    from . import audio_file
    from .manifest import MANIFEST_NAME

    files: list[Path] = []
    for path in paths:
        if path.name == MANIFEST_NAME and path.is_file():
            path = path.parent
        if path.is_dir() and not (path / MANIFEST_NAME).is_file():
            files.extend(audio_file.find_audio_files(path))
        else:
            files.append(path)
    return files


def _cached_song_job(song_dir: Path, settings):
    """`separate` of a song folder in the cache: the song's own separation from the song file
    its manifest remembers (mending what is damaged, finishing what is not separated), or the
    song itself when there is nothing to do (an imported song: mended from its stems and stem
    folder). Never the folder's WAVs taken for songs. UserError (one line) when it cannot."""
    from . import damage
    from .importer import mend_imported
    from .separate import separation_of

    if not cache.in_cache(song_dir):
        raise UserError(f"{song_dir}: a Woodshed song folder outside the stem cache "
                        f"({cache.cache_root()}); name the song file to separate it")
    song = cache.open_song(song_dir, check=False)
    if song.manifest.model in damage.IMPORTED_MODELS:
        mend_imported(song)
        return song
    damages = damage.check(song)
    if not damages and song.manifest.complete:
        return song
    try:
        return separation_of(song, settings)
    except UserError as exc:
        what = (f"is damaged in the stem cache: {damage.describe(damages)}" if damages
                else f"is separated to {song.manifest.ready_fraction():.0%}")
        raise UserError(f"{printable(song.manifest.title)} {what}; {exc.message}: separate the "
                        "song file itself (the stem cache keeps what it has)") from None


def run_separate(args) -> int:
    from .separate import Separation, SeparationSettings

    settings = SeparationSettings(model=args.model, model_repo=args.model_repo,
                                  device=args.device, shifts=args.shifts, overlap=args.overlap)
    jobs = [_cached_song_job(path, settings) if path.is_dir() else Separation(path, settings)
            for path in song_files(args.songs)]  # all checked first
    for job in jobs:
        if isinstance(job, cache.CachedSong):  # nothing to separate
            print(job.dir)
            continue
        song = job.cached()
        if song is None:
            job.start()
            bar = _progress_bar(printable(job.song_path.name))
            try:
                song = job.wait(bar, _download_bar(),
                                say_following(printable(job.song_path.name)))
            except KeyboardInterrupt:
                job.cancel()
                raise
            finally:
                bar.close()  # an error then starts a line of its own, not glued to the bar
        print(song.dir)
    return 0


def say_following(name: str):
    """on_waiting(following): one line when another Woodshed separates the same song, and one
    when it stopped and this one carries on."""
    def say(following: bool) -> None:
        line = ("another Woodshed is separating it: following that one" if following
                else "the other Woodshed stopped: carrying on from where it was")
        print(f"{name}: {line}", file=sys.stderr, flush=True)
    return say


def _progress_bar(name: str):
    """on_progress(done, total) that shows a tqdm bar from the first segment on (so an
    early error is a single line, with no empty bar before it)."""
    from tqdm import tqdm

    bar = None

    def close() -> None:
        if bar is not None:
            bar.close()

    def on_progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, initial=done, desc=name, unit="seg", dynamic_ncols=True,
                       bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                                  "[{elapsed}<{remaining}]")
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    on_progress.close = close
    return on_progress


def _download_bar():
    """on_download(Downloading): the model's first download as a bar of MB, speed and time
    left on stderr; what went wrong on the way (a broken connection, a damaged file) as a line."""
    from tqdm import tqdm

    bar = None

    def on_download(event) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=event.total_bytes, initial=event.done_bytes, unit="B", unit_scale=True,
                       unit_divisor=1000, dynamic_ncols=True,
                       desc=f"Downloading model {event.model} (first use only)")
        if event.note:
            bar.write(f"woodshed: {event.note}", file=sys.stderr)
        bar.n = event.done_bytes
        bar.refresh()
        if event.total_bytes and event.done_bytes >= event.total_bytes:
            bar.close()

    return on_download


def _describe(song: cache.CachedSong) -> str:
    m = song.manifest
    minutes, seconds = divmod(m.duration_s, 60)
    from . import damage

    damages = damage.check(song)
    state = "" if m.complete else f"  ({m.ready_fraction():.0%} separated)"
    if damages:
        state += f"  DAMAGED: {damage.describe(damages)}"
    who = f"{m.artist} - " if m.artist else ""
    return printable(f"{song.key}  {who}{m.title}  {int(minutes)}:{seconds:04.1f}  {m.model}  "
                     f"{','.join(m.sources)}  {cache.format_size(song.size_bytes())}{state}")


def run_cache_list(args) -> int:
    root = cache.cache_root()
    cache.clean_leftovers(root)
    import sys

    songs = cache.list_songs()
    for song in sorted(songs, key=lambda s: s.last_used_s(), reverse=True):
        print(_describe(song))
    for folder, why in cache.unreadable_songs(root):  # the others are still listed
        print(f"warning: skipped {folder}: {why}", file=sys.stderr)
    total = sum(s.size_bytes() for s in songs)
    building = cache.builds_in_progress_bytes(root)  # separations and imports running now
    extra = f" (of which {cache.format_size(building)} being built)" if building else ""
    print(f"{len(songs)} songs, {cache.format_size(total + building)}{extra} of "
          f"{cache.format_size(cache.size_limit_bytes())} in {root}")
    return 0


def _songs_for(path: Path, model: str | None) -> list[cache.CachedSong]:
    if path.is_dir() and (path / "manifest.json").is_file():
        return [cache.open_song(path, check=False)]  # a damaged song can be removed
    if not path.exists():
        raise UserError(f"{path} does not exist")
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a song file or a cache folder")
    digest = cache.file_hash(path)
    return [s for s in cache.list_songs()
            if s.manifest.source_hash == digest and (model is None or s.manifest.model == model)]


def run_cache_path(args) -> int:
    songs = _songs_for(args.song, args.model)
    if not songs:
        raise UserError(f"{args.song} is not in the cache with model {args.model} "
                        f"(run: woodshed separate {args.song})")
    print(songs[0].dir)
    return 0


def run_cache_remove(args) -> int:
    songs = _songs_for(args.song, args.model)
    if not songs:
        raise UserError(f"{args.song} is not in the cache")
    for song in songs:
        cache.remove(song)
        print(f"removed {song.dir}")
    return 0


def run_cache_clear(args) -> int:
    removed, kept = cache.clear()
    in_use = f" ({len(kept)} in use kept: close them first)" if kept else ""
    print(f"removed {len(removed)} songs from {cache.cache_root()}{in_use}")
    return 0


def _confirm(question: str) -> bool:
    """Ask on the terminal; False when nobody can answer (stdin is not a terminal)."""
    import sys

    if not sys.stdin.isatty():
        return False
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def run_cache_limit(args) -> int:
    if args.size is not None:
        import sys

        limit = cache.parse_size(args.size)
        going = cache.over_limit(limit)
        if going and not args.yes:
            freed = cache.format_size(sum(size for _, size in going))
            what = (f"a limit of {cache.format_size(limit)} would remove {len(going)} songs "
                    f"({freed})")
            if not sys.stdin.isatty():
                raise UserError(f"{what}: run again with --yes to remove them")
            if not _confirm(f"{what[0].upper()}{what[1:]}. Remove them?"):
                print("nothing removed; the limit is unchanged")
                return 1
        cache.set_size_limit(limit)
        removed = cache.evict(limit_bytes=limit)
        for song in removed:
            print(f"removed {song.dir}")
        if len(removed) < len(going):
            raise UserError(f"removed {len(removed)} of {len(going)} songs: the others could "
                            f"not be removed from {cache.cache_root()}")
    print(f"cache size limit: {cache.format_size(cache.size_limit_bytes())}")
    return 0

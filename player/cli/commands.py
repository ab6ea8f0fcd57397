"""`woodshed play`, `woodshed export` and `woodshed devices`."""
from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from pathlib import Path

from woodshed.separation.errors import UserError

from . import arguments as a
from woodshed.player.engine.controls import TEMPO_MAX, TEMPO_MIN

log = logging.getLogger(__name__)

SEEK_STEP_S = 5.0
TEMPO_STEP = 0.05
STATUS_INTERVAL_S = 0.1


def add_parser(sub) -> None:
    from woodshed.separation.commands import add_model_arguments

    p = sub.add_parser("play", help="play a song in the terminal with live controls",
                       description="Play a song: a song file (separated first if not cached), a "
                                   "cached song folder or a folder of stems. Keys: space play/pause, "
                                   "←/→ seek 5 s, [ and ] set loop A and B, l loop on/off, -/+ tempo "
                                   "5 %, 1-9 mute stem N, q quit.")
    p.add_argument("song", type=Path, metavar="SONG")
    p.add_argument("--mute", type=_parsed(a.parse_stem_list), default=[], metavar="A,B",
                   help="stems to mute")
    p.add_argument("--solo", type=_parsed(a.parse_stem_list), default=[], metavar="A",
                   help="hear only these stems")
    _add_sound_arguments(p)
    p.add_argument("--loop", type=_parsed(a.parse_loop_s), metavar="START-END",
                   help="loop a passage, like 1:23.5-1:41")
    p.add_argument("--start", type=_parsed(a.parse_time_s), default=0.0, metavar="T",
                   help="start here (seconds or m:ss.s)")
    p.add_argument("--loop-bars", type=_parsed(a.parse_bar_range), metavar="A-B",
                   help="loop bars A to B (inclusive) of the song's beat grid, like 33-40")
    p.add_argument("--click", action="store_true", help="a click on the song's own beats")
    p.add_argument("--count-in", type=_parsed(a.parse_count_in), metavar="BARS",
                   help="bars of count-in before the song plays (0-4)")
    p.add_argument("--count-in-every-pass", action="store_true",
                   help="a count-in before every pass of the loop too (--count-in bars, 1 if "
                        "not given)")
    p.add_argument("--trainer", type=_parsed(a.parse_trainer), metavar="START:STEP:EVERY:TARGET",
                   help="speed trainer for the loop, like 0.6:0.05:2:1.0 (from 60 %%, +5 %% every "
                        "2 passes, up to 100 %%)")
    p.add_argument("--device", help="output device: number or name (see `woodshed devices`)")
    p.add_argument("--midi", action="store_true",
                   help="also take commands from MIDI pedals and controllers (every input, "
                        "bindings as set in the window; see `woodshed midi`)")
    add_model_arguments(p)
    p.set_defaults(func=run_play)

    e = sub.add_parser("export", help="write a backing track (the song without some stems)",
                       description="Write the mix to a file (.wav, .flac, .ogg or .mp3) through the "
                                   "same mixing and stretching as playback.")
    e.add_argument("song", type=Path, metavar="SONG")
    # -o (or --stems) is required: a group of its own says so in --help, not "options".
    out = e.add_argument_group("output (required: -o, --stems, or both)")
    out.add_argument("-o", "--output", type=Path, metavar="OUT",
                     help="the file to write (.wav, .flac, .ogg or .mp3)")
    which = e.add_mutually_exclusive_group()
    which.add_argument("--without", type=_parsed(a.parse_stem_list), default=[], metavar="A,B",
                       help="leave these stems out (the ones you will play)")
    which.add_argument("--only", type=_parsed(a.parse_stem_list), metavar="A,B",
                       help="keep only these stems")
    _add_sound_arguments(e)
    e.add_argument("--start", type=_parsed(a.parse_time_s), metavar="T", help="begin here")
    e.add_argument("--end", type=_parsed(a.parse_time_s), metavar="T", help="end here")
    e.add_argument("--click", action="store_true",
                   help="add a click on the song's own beats (accented downbeats) to the mix")
    out.add_argument("--stems", type=Path, metavar="DIR",
                   help="also write each stem as its own file into DIR (for a DAW)")
    e.add_argument("-f", "--force", action="store_true",
                   help="replace files that already exist (never the song itself, never the "
                        "stem cache)")
    add_model_arguments(e)
    e.set_defaults(func=run_export)

    d = sub.add_parser("devices", help="list audio output devices",
                       description="List the audio output devices `--device` can name.")
    d.set_defaults(func=run_devices)


def _add_sound_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gain", type=_parsed(a.parse_gain), action="append", default=[], metavar="STEM=DB",
                   help="a stem's volume in dB, like bass=-6 (repeatable)")
    p.add_argument("--tempo", type=_tempo, default=1.0, metavar="F",
                   help="speed, pitch kept: 0.25 to 2.0, or 25%% to 200%% (default 1.0)")
    p.add_argument("--pitch", type=_number("pitch"), default=0.0, metavar="N",
                   help="transpose by N semitones, -12 to 12, tempo kept")


def _tempo(text: str) -> float:
    """A speed as a ratio (0.7) or a percentage (70%); a bare 70 says what it means."""
    percent = text.strip().endswith("%")
    value = _number("tempo")(text.strip().rstrip("%").strip()) / (100 if percent else 1)
    if not TEMPO_MIN <= value <= TEMPO_MAX:
        if not percent and TEMPO_MIN <= value / 100 <= TEMPO_MAX:
            raise argparse.ArgumentTypeError(
                f"tempo {text.strip()} is out of range ({TEMPO_MIN:g} to {TEMPO_MAX:g}): did you "
                f"mean {value / 100:g} (or {value:g}%)?")
        raise argparse.ArgumentTypeError(
            f"tempo {text.strip()} is out of range: give {TEMPO_MIN:g} to {TEMPO_MAX:g}, "
            "like 0.7 (or 70%)")
    return value


def _number(what: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{what} must be a number, not {text!r}")
        return value
    return parse


def _parsed(parse):
    """argparse reports a type's ArgumentTypeError as one line with exit status 2."""
    def wrapper(text: str):
        try:
            return parse(text)
        except UserError as exc:
            raise argparse.ArgumentTypeError(exc.message) from None
    wrapper.__name__ = parse.__name__
    return wrapper


def _open_song(args):
    from woodshed.player.song_source import open_song_argument

    return open_song_argument(args.song, args.model, args.model_repo)


def _apply_sound(controls, args, stems: list[str]) -> None:
    """Set gains, tempo and pitch on anything with the Controls setters (validates them)."""
    a.check_stems([stem for stem, _ in args.gain], stems, "--gain")
    for stem, db in args.gain:
        controls.set_gain_db(stem, db)
    controls.set_tempo(args.tempo)
    controls.set_pitch(args.pitch)


def _check_start(start_s: float, duration_s: float) -> None:
    if not 0 <= start_s < duration_s:
        raise UserError(f"--start {a.format_time(start_s)} is not inside the song "
                        f"(0:00.0 to {a.format_time(duration_s)})")


# --- export ----------------------------------------------------------------
def run_export(args) -> int:
    from woodshed.player.engine.export import (check_output_path, check_safe_to_write,
                                               clip_warning, export_mix, export_stems)

    if args.output is None and args.stems is None:
        raise UserError("name the file to write with -o OUT.wav (or a folder with --stems DIR)")
    inputs = [args.song]
    # Before a long separation, not after: the format, the folder, and what must not be hit.
    if args.output is not None:
        check_output_path(args.output)
        check_safe_to_write([args.output], force=args.force, inputs=inputs)
    if args.stems is not None:
        if not args.stems.parent.is_dir():
            raise UserError(f"cannot write stems to {args.stems}: "
                            f"folder {args.stems.parent} does not exist")
        check_safe_to_write([args.stems], force=True, inputs=inputs)  # not in the cache
    song = _open_song(args)
    if song.manifest.source_path:  # a cache folder named: its song file is an input all the same
        inputs.append(Path(song.manifest.source_path))
        check_safe_to_write([p for p in (args.output, args.stems) if p is not None],
                            force=True, inputs=inputs)  # an existing file: checked below
    if args.stems is not None:  # every file checked before the first is written
        chosen = [stem for stem in song.manifest.sources if stem not in args.without
                  and (args.only is None or stem in args.only)]
        outputs = [args.stems / f"{stem}.wav" for stem in chosen]
        check_safe_to_write(outputs + ([args.output] if args.output else []), song,
                            force=args.force, inputs=inputs)
    options = dict(without=args.without, only=args.only, gains_db=dict(args.gain),
                   tempo=args.tempo, pitch_semitones=args.pitch, start_s=args.start,
                   end_s=args.end, clipped=lambda *told: clipping.append(clip_warning(*told)),
                   force=args.force, inputs=inputs)
    clipping: list[str] = []  # said after the progress bar, not through it
    jobs = []
    if args.output is not None:
        jobs.append(("mix", lambda progress: [export_mix(song, args.output, progress=progress,
                                                         click=args.click, **options)]))
    if args.stems is not None:
        jobs.append(("stems", lambda progress: export_stems(song, args.stems, progress=progress,
                                                            **options)))
    for label, job in jobs:
        with _LazyBar(f"export {label}") as progress:
            paths = job(progress)
        for line in clipping:
            print(f"warning: {line}", file=sys.stderr)
        clipping.clear()
        for path in paths:
            print(path)
    return 0


class _LazyBar:
    """A tqdm bar that appears with the first progress report: a rejected option shows none."""

    def __init__(self, description: str):
        self.description = description
        self.bar = None

    def __enter__(self):
        return self

    def __call__(self, fraction: float) -> None:
        if self.bar is None:
            from tqdm import tqdm

            # disable=None: no bar when not on a terminal (a log gets no frames of it)
            self.bar = tqdm(total=100, desc=self.description, dynamic_ncols=True, disable=None,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]")
        self.bar.n = round(100 * fraction, 1)
        self.bar.refresh()

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()


# --- devices ---------------------------------------------------------------
def run_devices(args) -> int:
    from woodshed.player.engine.output import _sd

    sd = _sd()  # UserError, not a traceback, when PortAudio is missing
    apis = sd.query_hostapis()
    outputs = [d for d in sd.query_devices() if d["max_output_channels"] > 0]
    if not outputs:
        raise UserError("no audio output device found (is a sound card or JACK server there?)")
    default = sd.default.device[1]
    for d in outputs:
        mark = "*" if d["index"] == default else " "
        print(f"{mark}{d['index']:3d}  {d['name']}  ({apis[d['hostapi']]['name']}, "
              f"{d['max_output_channels']} out, {d['default_samplerate']:.0f} Hz)")
    return 0


# --- play ------------------------------------------------------------------
def _device(text: str | None):
    if text is None:
        return None
    return int(text) if text.strip().isdigit() else text


def run_play(args) -> int:
    from woodshed.player.engine.engine import Engine

    from .terminal import interactive

    song = _open_song(args)
    stems = song.manifest.sources
    a.check_stems(args.mute, stems, "--mute")
    a.check_stems(args.solo, stems, "--solo")
    _check_start(args.start, song.manifest.duration_s)
    engine = Engine(song, device=_device(args.device))
    midi = None
    try:
        _apply_sound(engine, args, stems)
        for stem in args.mute:
            engine.set_mute(stem, True)
        for stem in args.solo:
            engine.set_solo(stem, True)
        start_s = _musical_time(engine, song, args)
        engine.start()
        engine.seek(start_s)
        if args.count_in or args.count_in_every_pass:   # every pass: the first one too
            engine.count_in(args.count_in or 1)
        engine.play()
        from woodshed.player.ui.session import load_session

        session = TerminalSession(engine, stems, markers=load_session(song.key).markers)
        if args.midi:
            midi = session.listen_to_midi(quiet=interactive())
        session.run_keys() if interactive() else session.run_to_end()
    finally:
        if midi is not None:
            midi.stop()
        engine.close()
    if engine.error:
        raise UserError(engine.error)
    if engine.xruns and not interactive():
        # a terminal shows them in the status line; a script or a log would never know
        say_underflows(engine.xruns)
    return 0


def say_underflows(count: int) -> None:
    message = (f"playback had {count} underflow{'s' if count != 1 else ''} (short gaps in the "
               "sound): the computer was too busy; a larger buffer helps")
    log.warning(message)
    print(f"warning: {message}", file=sys.stderr)  # as export says its warnings


def _musical_time(engine, song, args) -> float:
    """Loop, click, count-in and trainer from the options; where to start playing."""
    from woodshed.player.engine.trainer import SpeedTrainer

    if args.loop is not None and args.loop_bars is not None:
        raise UserError("give the loop either in time (--loop) or in bars (--loop-bars), not both")
    if args.trainer is not None and args.loop is None and args.loop_bars is None:
        raise UserError("the speed trainer needs a loop: add --loop-bars A-B or --loop START-END")
    if args.count_in_every_pass and args.loop is None and args.loop_bars is None:
        raise UserError("a count-in before every pass needs a loop: add --loop-bars A-B or "
                        "--loop START-END")
    if args.count_in_every_pass and args.count_in == 0:
        raise UserError("--count-in 0 is no count-in: give 1 to 4 bars with "
                        "--count-in-every-pass")
    click = None
    if args.click or args.count_in or args.count_in_every_pass or args.loop_bars is not None:
        from woodshed.player.engine.export import song_click

        click = song_click(song)
        click.on_beats = args.click
        engine.click = click
    loop = args.loop
    if args.loop_bars is not None:
        loop = bar_loop_s(click.grid, args.loop_bars, song.manifest.duration_s)
    start_s = args.start
    if loop is not None:
        engine.set_loop(*loop)
        engine.set_loop_enabled(True)
        if not loop[0] <= start_s < loop[1]:
            start_s = loop[0]          # play from the loop: never past an enabled loop
    if args.trainer is not None:
        engine.trainer = SpeedTrainer(*args.trainer)
    if args.count_in_every_pass:
        engine.controls.set_count_in_bars(args.count_in or 1)
        engine.controls.set_count_in_every_pass(True)
    return start_s


def bar_loop_s(grid, bars: tuple[int, int], duration_s: float) -> tuple[float, float]:
    """Bars A to B inclusive, in seconds: from A's downbeat to the downbeat after B."""
    first, last = bars
    start_s, end_s = grid.bar_start_s(first), grid.bar_start_s(last + 1)
    if start_s < 0 or end_s > duration_s + 0.05:
        last_bar = grid.bar_at(duration_s - 1e-3)
        raise UserError(f"--loop-bars {first}-{last} is outside the song (bars 1 to {last_bar})")
    return start_s, min(end_s, duration_s)


class TerminalSession:
    """Keys → engine, and one status line (time, tempo, loop, muted stems, xruns)."""

    def __init__(self, engine, stems: list[str], markers=()):
        self.engine = engine
        self.stems = stems
        self.markers = list(markers)  # the window's markers for this song (its session)
        self.mark_a_s: float | None = None
        self.message = ""
        self.midi = None

    def listen_to_midi(self, quiet: bool):
        """Pedals and controllers act on the engine from the MIDI thread; what they do shows
        in the status line (``quiet``), or one line each on stdout without a terminal."""
        from woodshed.player.midi.actions import name_of
        from woodshed.player.midi.controller import MidiController

        def tell(line: str) -> None:
            if quiet:
                self.message = line
            else:
                print(line, flush=True)

        self.midi = MidiController(self.engine, on_status=tell,
                                   on_action=lambda action, value: tell(f"MIDI: {name_of(action)}"))
        if self.midi.warning:
            tell(self.midi.warning)
        return self.midi.listen()

    def run_to_end(self) -> None:
        """No terminal: play to the end (or forever round a loop) until Ctrl-C; with MIDI
        listening, a pause is the pedal's, not the end.

        The engine says when the song has ended: it stops once the song's last frame has
        left the ring and the device. Leaving when the playhead was 20 ms from the end instead
        (then closing, which drops what the ring still holds) cut off the song's last 0-30 ms
        at random, abruptly: heard as a click, and measured as a test that failed 1 run in 10."""
        e = self.engine
        while e.error is None and (e.playing or (self.midi and e.position_s < e.duration_s - 0.02)):
            time.sleep(STATUS_INTERVAL_S)

    def run_keys(self) -> None:
        from .terminal import Keys

        with Keys() as keys:
            while self.engine.error is None:
                self.show_status()
                for key in keys.read(STATUS_INTERVAL_S):
                    if key == "q":
                        sys.stdout.write("\n")
                        return
                    try:
                        self.press(key)
                    except UserError as exc:
                        self.message = exc.message

    def press(self, key: str) -> None:
        e = self.engine
        self.message = ""
        if key == "space":
            e.pause() if e.playing else e.play()
        elif key in ("left", "right"):
            step_s = SEEK_STEP_S if key == "right" else -SEEK_STEP_S
            e.seek(min(max(0.0, e.position_s + step_s), e.duration_s))
        elif key == "[":
            self.mark_a_s = e.position_s
            self.message = f"loop A at {a.format_time(self.mark_a_s)}"
        elif key == "]":
            if self.mark_a_s is None:
                raise UserError("press [ first to set where the loop starts")
            end_s = e.position_s
            start_s, end_s = sorted((self.mark_a_s, end_s))
            e.set_loop(start_s, end_s)
            e.set_loop_enabled(True)
        elif key == "l":
            if e.loop is None:
                raise UserError("no loop yet: press [ at its start and ] at its end")
            e.set_loop_enabled(not e.loop[2])
        elif key in ("-", "+", "="):
            step = TEMPO_STEP if key in ("+", "=") else -TEMPO_STEP
            e.set_tempo(round(min(max(e.tempo + step, TEMPO_MIN), TEMPO_MAX), 2))
        elif key.isdigit() and key != "0" and int(key) <= len(self.stems):
            stem = self.stems[int(key) - 1]
            e.set_mute(stem, not e.controls.muted(stem))  # a MIDI pedal may have muted it

    def status_line(self) -> str:
        e = self.engine
        state = "playing" if e.playing else "paused "
        loop = e.loop
        loop_text = (f"loop {a.format_time(loop[0])}-{a.format_time(loop[1])} "
                     f"{'on' if loop[2] else 'off'}") if loop else "no loop"
        muted = ",".join(s for s in self.stems if e.controls.muted(s)) or "none"
        pitch = f"  pitch {e.pitch_semitones:+g}" if e.pitch_semitones else ""
        from woodshed.player.ui.session import marker_at

        marker = marker_at(self.markers, e.position_s)
        where = f"  [{marker.name}]" if marker else ""
        line = (f"{state} {a.format_time(e.position_s)} / {a.format_time(e.duration_s)}{where}  "
                f"tempo {e.tempo:.2f}x{pitch}  {loop_text}  muted: {muted}  xruns {e.xruns}")
        return f"{line}  {self.message}" if self.message else line

    def show_status(self) -> None:
        sys.stdout.write("\r" + self.status_line() + "\x1b[K")
        sys.stdout.flush()

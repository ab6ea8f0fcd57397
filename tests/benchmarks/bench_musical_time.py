"""Musical time, measured offline on the demo song (100 BPM, 4/4: its script knows the truth)
through the same Renderer and export as playback:

    python tests/benchmarks/bench_musical_time.py

1. the click in an export at 0.7x and at 1.25x + 2 st: each click's onset against where its
   grid beat is heard (beat time / tempo);
2. a one-bar count-in (at play, and before every loop pass) at the same settings: the
   count-in clicks' spacing against one heard beat, the song's first beat against the
   click after the count-in;
3. the speed trainer over 8 passes of a two-bar loop (60 % -> 130 %, +10 % a pass): each
   pass's length (from its accented click) against loop length / speed, and on a pure tone
   the largest sample step within 10 ms of each wrap against the tone's own;
4. the stretched audio against the read log (which the playhead, click, count-in and loops
   follow), tempos 0.5-1.5x by pitches -5..+5 st, on a song whose loudness swells twice a
   second (tests/test_stretch_delay.py): how much later the audio is heard than the read
   log says; and, as test_click checks, the beat tracker run on an export against its
   clicks at 1.25x with +2, -5 and +5 st.
Prints a table, then one JSON line.

    python tests/benchmarks/bench_musical_time.py --splices

tries other loop splices on the trainer's wraps instead (README: linear, raised-cosine,
5-20 ms; the step measured over the whole fade), printing one line each.
"""
from __future__ import annotations

import json
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

import numpy as np
import soundfile as sf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SETTINGS = ((0.7, 0.0), (1.25, 2.0))


def measure_export_click(song, grid, workdir: Path, tempo: float, pitch: float) -> dict:
    from test_click import click_onsets
    from woodshed.player.engine.export import export_mix

    a_path, b_path = workdir / f"click-{tempo}.wav", workdir / f"plain-{tempo}.wav"
    export_mix(song, a_path, tempo=tempo, pitch_semitones=pitch, click=True, force=True)
    export_mix(song, b_path, tempo=tempo, pitch_semitones=pitch, force=True)
    a, rate = sf.read(a_path, dtype="float32")
    b, _ = sf.read(b_path, dtype="float32")
    onsets, _ = click_onsets(a, b, rate)
    heard = grid.beats_s[grid.beats_s < song.manifest.duration_s - 0.01] / tempo
    error_ms = 1e3 * np.abs(onsets - heard)
    return {"clicks": len(onsets), "beats": len(heard), "max_ms": float(error_ms.max()),
            "median_ms": float(np.median(error_ms))}


def measure_count_in(song, grid, tempo: float, pitch: float, every_pass: bool) -> dict:
    from test_click import click_onsets
    from test_count_in_every_pass import first_sound_s, heard_clicks
    from woodshed.player.engine.controls import Controls
    from woodshed.player.engine.export import song_click
    from woodshed.player.engine.render import Renderer

    rate = song.manifest.sample_rate
    start_s, end_s = grid.bar_start_s(3), grid.bar_start_s(5)
    controls = Controls.for_song(song)
    controls.set_tempo(tempo)
    controls.set_pitch(pitch)
    passes = 3 if every_pass else 1
    if every_pass:
        controls.set_loop(start_s, end_s)
        controls.set_loop_enabled(True)
        controls.set_count_in_bars(1)
        controls.set_count_in_every_pass(True)
    controls.seek(start_s)
    expected = heard_clicks(grid, start_s, end_s, tempo, passes)
    frames = int((expected[-1] + 0.3) * rate)

    def render(on: bool) -> np.ndarray:
        click = song_click(song)
        click.muted = not on
        renderer = Renderer(song, controls, click=click)
        renderer.count_in(1)
        return renderer.render(frames)

    plain, clicked = render(False), render(True)
    onsets, _ = click_onsets(clicked.T, plain.T, rate)
    onsets = onsets[:len(expected)]
    beat_s = expected[1] - expected[0]
    per_pass = 4 + 8
    spacing, entry = [], []
    for k in range(passes):
        count = onsets[k * per_pass:k * per_pass + 4]
        spacing += list(np.abs(np.diff(count) - beat_s) * rate)
        enter = onsets[k * per_pass + 4]
        entry.append(1e3 * abs(first_sound_s(plain, enter - 0.004, rate) - enter))
    return {"spacing_error_max_frames": float(max(spacing)),
            "song_entry_max_ms": float(max(entry)),
            "clicks_vs_grid_max_ms": float(1e3 * np.abs(onsets - expected).max())}


def measure_trainer(song, grid) -> dict:
    from test_click import click_onsets
    from test_trainer_wraps import render_passes
    from woodshed.player.engine.controls import Controls
    from woodshed.player.engine.export import song_click
    from woodshed.player.engine.render import Renderer
    from woodshed.player.engine.trainer import SpeedTrainer
    import stem_songs

    rate = song.manifest.sample_rate
    start_s, end_s = grid.bar_start_s(3), grid.bar_start_s(5)
    trainer = SpeedTrainer(0.6, 0.1, 1, 1.3)
    speeds = [trainer.speed(p) for p in range(9)]
    controls = Controls.for_song(song)
    controls.set_loop(start_s, end_s)
    controls.set_loop_enabled(True)
    controls.seek(start_s)
    frames = int((sum((end_s - start_s) / s for s in speeds) + 0.5) * rate)
    plain = Renderer(song, controls, trainer=trainer).render(frames)
    clicked = Renderer(song, controls, trainer=trainer, click=song_click(song)).render(frames)
    onsets, levels = click_onsets(clicked.T, plain.T, rate)
    pass_starts = onsets[levels > 0.8][::2][:9]
    durations = np.diff(pass_starts)
    expected = (end_s - start_s) / np.array(speeds[:8])
    tone = stem_songs.tone_song(seconds=4.0, tones_hz={"bass": 220.0})
    audio, starts = render_passes(tone, trainer, 1.0, 3.0037, 9)
    steps = np.abs(np.diff(audio, axis=1)).max(axis=0)
    away = np.ones(len(steps), bool)
    away[:int(0.3 * rate)] = False
    for at in starts.astype(int):
        away[max(0, at - 441):at + 441] = False
    near = [steps[at - 441:at + 441].max() / steps[away].max() for at in starts.astype(int)]
    return {"pass_length_error_max_pct": float(100 * np.abs(durations / expected - 1).max()),
            "pass_length_errors_pct": [round(float(100 * (d / e - 1)), 3)
                                       for d, e in zip(durations, expected)],
            "wrap_step_vs_own_max": float(max(near)),
            "wrap_step_vs_own": [round(float(x), 3) for x in near]}


DELAY_TEMPOS = (0.5, 0.75, 1.0, 1.25, 1.5)
DELAY_PITCHES = (-5, -2, 0, 2, 5)


def measure_stretch_delay() -> dict:
    from test_stretch_delay import delays_after_live_pitch_changes_ms, fresh_delay_ms, swell_song

    song = swell_song()
    grid = {f"{tempo}x{pitch:+d}st": round(fresh_delay_ms(song, tempo, pitch), 2)
            for tempo in DELAY_TEMPOS for pitch in DELAY_PITCHES}
    live = [round(ms, 2) for ms in delays_after_live_pitch_changes_ms(song)]
    return {"fresh": grid, "fresh_max_abs_ms": max(abs(v) for v in grid.values()),
            "changed_while_playing_ms": live}


def measure_tracker_vs_clicks(song, workdir: Path, tempo: float, pitch: float) -> float:
    """Median ms between the beats the tracker finds in an export and its clicks."""
    from test_click import click_onsets
    from woodshed.player.engine.export import export_mix
    from woodshed.separation.beats import features, tracker

    a_path, b_path = workdir / "t-click.wav", workdir / "t-plain.wav"
    export_mix(song, a_path, tempo=tempo, pitch_semitones=pitch, click=True, force=True)
    export_mix(song, b_path, tempo=tempo, pitch_semitones=pitch, force=True)
    a, rate = sf.read(a_path, dtype="float32")
    b, _ = sf.read(b_path, dtype="float32")
    onsets, _ = click_onsets(a, b, rate)
    found = tracker.track(features.features_of_audio(b.mean(axis=1), rate)).times_s
    return float(1e3 * np.median(np.abs(found[:, None] - onsets[None, :]).min(axis=1)))


def wrap_steps(splice_s: float, shape: str) -> tuple[float, float]:
    """(worst, median) of the trainer wraps' largest step against the tone's own, with the
    playhead's splice made ``splice_s`` long and ``shape`` ("linear", "raised-cosine")."""
    from test_trainer_wraps import render_passes
    from woodshed.player.engine import playhead
    from woodshed.player.engine.trainer import SpeedTrainer
    import stem_songs

    made = playhead.Playhead.__init__

    def with_splice(self, sample_rate, frame=0):
        made(self, sample_rate, frame)
        n = max(1, int(round(splice_s * sample_rate)))
        x = np.arange(1, n + 1, dtype=np.float32) / (n + 1)
        self.splice_frames = n
        self._fade_out = (1 - x if shape == "linear" else 0.5 + 0.5 * np.cos(np.pi * x))
        self._fade_out = self._fade_out.astype(np.float32)

    playhead.Playhead.__init__ = with_splice
    try:
        tone = stem_songs.tone_song(seconds=4.0, tones_hz={"bass": 220.0},
                                    key=f"tone-{shape}-{splice_s}")
        trainer = SpeedTrainer(0.6, 0.1, 1, 1.3)
        audio, starts = render_passes(tone, trainer, 1.0, 3.0037, 9)
    finally:
        playhead.Playhead.__init__ = made
    rate = tone.manifest.sample_rate
    steps = np.abs(np.diff(audio, axis=1)).max(axis=0)
    half = int((splice_s / trainer.speed(0) + 0.010) * rate)   # the whole fade, at the slowest
    away = np.ones(len(steps), bool)
    away[:int(0.3 * rate)] = False
    for at in starts.astype(int):
        away[max(0, at - half):at + half] = False
    near = [steps[at - half:at + half].max() / steps[away].max() for at in starts.astype(int)]
    return float(max(near)), float(np.median(near))


def splices() -> None:
    import os

    os.environ.setdefault("WOODSHED_CACHE_DIR", tempfile.mkdtemp(prefix="bench-splices-"))
    results = {}
    for splice_s, shape in ((0.005, "linear"), (0.005, "raised-cosine"), (0.010, "linear"),
                            (0.010, "raised-cosine"), (0.020, "raised-cosine")):
        worst, median = wrap_steps(splice_s, shape)
        label = f"{1e3 * splice_s:.0f} ms {shape}"
        results[label] = {"worst": round(worst, 3), "median": round(median, 3)}
        print(f"{label:<22} wraps' step vs the tone's own: worst {worst:.2f} x, median {median:.2f} x")
    print(json.dumps(results))


def main() -> None:
    import os

    workdir = Path(tempfile.mkdtemp(prefix="bench-musical-"))
    os.environ.setdefault("WOODSHED_CACHE_DIR", str(workdir / "cache"))
    from woodshed.separation.beats.analyse import grid_for
    from woodshed.separation.importer import import_folder

    song = import_folder(Path(str(files("woodshed.resources") / "demo")))
    grid = grid_for(song.dir).grid
    results, rows = {}, []
    for tempo, pitch in SETTINGS:
        label = f"{tempo}x{pitch:+g}st"
        click = measure_export_click(song, grid, workdir, tempo, pitch)
        start = measure_count_in(song, grid, tempo, pitch, every_pass=False)
        every = measure_count_in(song, grid, tempo, pitch, every_pass=True)
        results[label] = {"export_click": click, "count_in": start, "count_in_every_pass": every}
        rows += [(f"export click onset vs heard beat, {label} ({click['clicks']} clicks)",
                  f"max {click['max_ms']:.2f} ms, median {click['median_ms']:.2f}", "<= 5 ms",
                  click["max_ms"] <= 5 and click["clicks"] == click["beats"]),
                 (f"count-in spacing vs one heard beat, {label} (at play / every pass)",
                  f"{start['spacing_error_max_frames']:.2f} / "
                  f"{every['spacing_error_max_frames']:.2f} frames", "exact (< 1.5)",
                  max(start["spacing_error_max_frames"], every["spacing_error_max_frames"]) < 1.5),
                 (f"song's first beat vs next click, {label} (at play / every pass)",
                  f"{start['song_entry_max_ms']:.2f} / {every['song_entry_max_ms']:.2f} ms",
                  "<= 5 ms", max(start["song_entry_max_ms"], every["song_entry_max_ms"]) <= 5)]
    delay = measure_stretch_delay()
    results["stretch_delay"] = delay
    tracked = {f"1.25x{p:+d}st": round(measure_tracker_vs_clicks(song, workdir, 1.25, p), 2)
               for p in (2, -5, 5)}
    results["tracker_vs_clicks_median_ms"] = tracked
    rows += [("stretched audio vs read log, 0.5-1.5x by -5..+5 st (25 settings)",
              f"max {delay['fresh_max_abs_ms']:.2f} ms", "<= 2 ms",
              delay["fresh_max_abs_ms"] <= 2),
             ("the same, pitch changed while playing (-> -5 st, -> +5 st)",
              " / ".join(f"{v:+.2f}" for v in delay["changed_while_playing_ms"]) + " ms",
              "<= 2 ms", max(abs(v) for v in delay["changed_while_playing_ms"]) <= 2),
             ("beat tracker on the export vs its clicks, 1.25x +2 / -5 / +5 st (median)",
              " / ".join(f"{v:.2f}" for v in tracked.values()) + " ms", "< 5 ms",
              max(tracked.values()) < 5)]
    trainer = measure_trainer(song, grid)
    results["trainer"] = trainer
    rows += [("trainer, 8 passes 60 -> 130 %: pass length vs loop / speed",
              f"max {trainer['pass_length_error_max_pct']:.3f} %", "<= 0.5 %",
              trainer["pass_length_error_max_pct"] <= 0.5),
             ("trainer wraps on a 220 Hz tone: largest step vs the tone's own",
              f"{trainer['wrap_step_vs_own_max']:.2f} x", "<= 1 x",
              trainer["wrap_step_vs_own_max"] <= 1.0)]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'result':<30}  {'goal':<14}  met")
    for name, value, goal, met in rows:
        print(f"{name:<{width}}  {value:<30}  {goal:<14}  {'yes' if met else 'NO'}")
    print(json.dumps(results))


if __name__ == "__main__":
    splices() if "--splices" in sys.argv[1:] else main()

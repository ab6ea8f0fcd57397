"""The real-time engine, measured on real parts: a JACK dummy server (real-time paced,
256-frame periods) and ALSA's file plugin (what left the program, for latency).

    python tests/benchmarks/bench_engine.py [--minutes 5] [--cpu-seconds 20] [--trials 10]
                                            [--workdir DIR] [--skip-long] [--soak-only]
                                            [--hog-nice N] [--no-hog] [--click]
    python tests/benchmarks/bench_engine.py --builds NAME=LIBRARY ... [--rounds 7]

0. the stretcher's own latency at 0.5x, 0.75x and 1.25x (a sound entering it -> leaving it;
   bench_stretchers.py compares the candidates);
1. audio-path CPU per second of audio, 6 stems, at 1.0x and at 0.5x + 3 semitones:
   offline (Renderer alone, process CPU time) and live (a fresh process while the engine
   plays on JACK: producer, C callback, JACK client thread);
2. control latency: set_gain_db(-inf -> 0 dB) to the first output sample that has the
   sound, located in the ALSA capture and timed by the capture's real-time pace;
3. underflows in --minutes of playback at 0.5x + 3 st, 10 parameter changes a second, a loop,
   while a CPU hog (torch matmuls on every core, normal priority) runs in another process;
4. opening a cached 1-, 10- and 60-minute song to its first output block (fresh process);
5. peak memory above the interpreter's baseline while playing (and seeking through) a
   60-minute song (fresh process).

With --builds, only 1.'s rendering alone at 0.5x + 3 st, on each Rubber Band build named
(a library file, loaded through WOODSHED_RUBBERBAND_LIBRARY; "pylibrb=pylibrb" adds the
stretcher before, pylibrb, when it is installed), fresh processes taking turns: which build
the app ships is picked with it (README "The stretcher").

With --click, every render and playback above also adds the click (on a steady 120 BPM
grid: the generated songs have no beats to find), to see what it costs and whether it
brings underflows (issue 9).

Goals (issue 3): CPU <= 3 % / <= 25 % of a core; latency <= 50 ms / <= 100 ms; 0 underflows;
first block <= 200 ms and independent of length; <= 300 MB. The machine is shared and noisy:
medians of several runs. Prints a table, then one JSON line.
"""
from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(ROOT)]

import stem_songs  # noqa: E402
from audio_devices import AlsaCapture, JackServer, find_output_device  # noqa: E402

RATE = 44100
STEMS = 6
STRETCH = (0.5, 3.0)   # tempo, semitones: the heavy case
_CHUNK_FRAMES = 1024 * 2048  # ~47 s, a multiple of the peak bins
ENGINE_OPTIONS: dict = {}     # --ring-blocks: the engine's default unless asked


# --- songs -----------------------------------------------------------------------------
def long_song(minutes: float, root: Path):
    """A cached 6-stem song of quiet noise, written a chunk at a time (flat memory)."""
    from woodshed.separation import cache, wavfile
    from woodshed.separation.manifest import MIX_FILE, Manifest

    key = f"bench-{minutes:g}min"
    found = cache.find(key, root)
    if found is not None:
        return found
    frames = int(minutes * 60 * RATE)
    names = [f"stem{k + 1}" for k in range(STEMS)]
    manifest = Manifest(title=key, original_name=f"{key}.wav", source_hash=key, model="bench",
                        settings={}, sample_rate=RATE, channels=2, frames=frames, sources=names,
                        block_starts=[0], blocks_done=[True])
    rng = np.random.default_rng(0)
    with cache.building(key, root) as tmp:
        for name in [*names, "mix"]:
            path = tmp / (MIX_FILE if name == "mix" else Manifest.stem_file(name))
            wavfile.create_silent(path, frames, 2, RATE)
        for start in range(0, frames, _CHUNK_FRAMES):
            n = min(_CHUNK_FRAMES, frames - start)
            mix = np.zeros((2, n), np.float32)
            for name in names:
                audio = (0.05 * rng.standard_normal((2, n))).astype(np.float32)
                mix += audio
                wavfile.write_frames(tmp / Manifest.stem_file(name), start, audio)
                manifest.set_peaks(name, start, audio)
            wavfile.write_frames(tmp / MIX_FILE, start, mix)
            manifest.set_peaks("mix", start, mix)
        manifest.save(tmp)
    return cache.find(key, root)


def jack_device() -> int:
    index = find_output_device("system", "JACK")
    if index is None:
        raise SystemExit("PortAudio does not list the JACK server")
    return index


CLICK = False   # --click: a click on every render and playback


def bench_click(song):
    """A click on a steady 120 BPM 4/4 grid over the whole song (None without --click)."""
    if not CLICK:
        return None
    from woodshed.player.engine.click import Click
    from woodshed.separation.beats.grid import Grid

    m = song.manifest
    return Click(Grid(np.arange(0.0, m.duration_s, 0.5), 4, 0), m.sample_rate, m.channels)


# --- 1. CPU ----------------------------------------------------------------------------
def cpu_offline(song, tempo: float, pitch: float, seconds: float) -> float:
    """Renderer's CPU per second of output, % of one core (256-frame blocks, as live)."""
    from woodshed.player.engine.controls import Controls
    from woodshed.player.engine.render import Renderer

    controls = Controls.for_song(song)
    controls.set_tempo(tempo)
    controls.set_pitch(pitch)
    renderer = Renderer(song, controls, click=bench_click(song))
    renderer.render(RATE)  # warm up: stretcher start-up, first page faults
    blocks = int(seconds * RATE / 256)
    t0 = time.process_time()
    for _ in range(blocks):
        renderer.render(256)
    return 100 * (time.process_time() - t0) / (blocks * 256 / RATE)


def cpu_live(song, tempo: float, pitch: float, seconds: float, device) -> tuple[float, int]:
    """Whole-process CPU while the engine plays on JACK, % of one core; and underflows."""
    from woodshed.player.engine.engine import Engine

    engine = Engine(song, device=device, **ENGINE_OPTIONS)
    engine.click = bench_click(song)
    engine.start()
    engine.set_tempo(tempo)
    engine.set_pitch(pitch)
    engine.play()
    time.sleep(1.0)
    t0, c0 = time.monotonic(), time.process_time()
    time.sleep(seconds)
    cpu = 100 * (time.process_time() - c0) / (time.monotonic() - t0)
    xruns = engine.xruns
    engine.close()
    return cpu, xruns


def stretcher_latency() -> dict:
    """The stretcher alone: a sound starting at its input -> first output sample with it
    (bench_stretchers.py's measure, on the stretcher the engine uses)."""
    import bench_stretchers

    candidate = bench_stretchers.RubberBandCandidate()
    return {label: bench_stretchers.latency_ms(candidate, tempo, 0.0)
            for label, tempo in (("0.5x", 0.5), ("0.75x", 0.75), ("1.25x", 1.25))}


# --- 2. control latency -----------------------------------------------------------------
def control_latency(tempo: float, pitch: float, trials: int, capture: AlsaCapture,
                    root: Path) -> dict:
    """set_mute(False) on a silent song's only sounding stem -> first sample with sound."""
    from woodshed.player.engine.engine import Engine

    song = latency_song(root)
    device_latency_s = output_latency_s(capture)
    engine = Engine(song, device=capture.portaudio_device, **ENGINE_OPTIONS)
    engine.set_mute("tone", True)
    engine.start()
    engine.set_tempo(tempo)
    engine.set_pitch(pitch)
    engine.play()
    changes = []
    with capture_pace(capture) as pace:
        time.sleep(1.0)
        for _ in range(trials):
            time.sleep(random.uniform(0.25, 0.35))
            changes.append(time.monotonic())
            engine.set_mute("tone", False)
            time.sleep(0.3)
            engine.set_mute("tone", True)
        time.sleep(0.5)
    engine.close()
    played, _ = capture.read()
    return heard_after(changes, pace, played, device_latency_s)


def latency_song(root: Path):
    """60 s of a loud 440 Hz stem beside a silent one: a stem's sound is easy to find."""
    from woodshed.separation import cache

    frames = 60 * RATE
    return cache.find("bench-latency", root) or cache.write_song(
        "bench-latency", {"tone": stem_songs.tone(440.0, frames, 0.5),
                          "quiet": np.zeros((2, frames), np.float32)},
        RATE, title="latency", original_name="latency.wav", source_hash="latency",
        model="bench", root=root)


@contextlib.contextmanager
def capture_pace(capture: AlsaCapture):
    """(time, frames handed to the device) every millisecond while inside: the capture's
    real-time clock, for heard_after()."""
    pace, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            pace.append((time.monotonic(), capture.frames_written()))
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield pace
    finally:
        stop.set()
        watcher.join()


def output_latency_s(capture: AlsaCapture) -> float:
    """What PortAudio says the capture device adds after the engine hands a block over."""
    import sounddevice as sd

    with sd.OutputStream(device=capture.portaudio_device, samplerate=RATE, blocksize=256,
                         channels=2, latency="low") as probe:
        return float(probe.latency)


def heard_after(changes: list[float], pace: list[tuple[float, int]], played: np.ndarray,
                device_latency_s: float) -> dict:
    """For each change (time.monotonic()), when its sound was heard: the first loud sample
    after it in the capture, timed by the capture's real-time pace (time, frames written),
    plus the device's own latency."""
    at = np.array(pace)
    steady = (at[:, 1] > at[-1, 1] * 0.05) & (at[:, 1] < at[-1, 1] * 0.98)
    per_s, intercept = np.polyfit(at[steady, 0], at[steady, 1], 1)
    loud = np.abs(played[0]) > 1e-3
    to_device_ms = []
    for changed_at in changes:
        # The device's clock drifts from ours, and a late block shifts it: fit the pace
        # around each change (0.2 s either side) rather than over the whole run.
        near = steady & (np.abs(at[:, 0] - changed_at) < 0.2)
        if np.count_nonzero(near) > 20:
            per_s, intercept = np.polyfit(at[near, 0], at[near, 1], 1)
        # Frames handed over before the change cannot reflect it (less fit jitter).
        first = max(0, int(changed_at * per_s + intercept) - 256)
        onsets = np.flatnonzero(loud[first:])
        if onsets.size == 0:
            continue
        k = first + onsets[0]
        to_device_ms.append(1e3 * ((k - intercept) / per_s - changed_at))
    heard_ms = [ms + 1e3 * device_latency_s for ms in to_device_ms]
    return {"median_ms": statistics.median(heard_ms), "max_ms": max(heard_ms),
            "to_device_median_ms": statistics.median(to_device_ms),
            "device_latency_ms": 1e3 * device_latency_s, "trials": len(heard_ms),
            "pace_frames_per_s": per_s, "each_ms": [round(ms, 1) for ms in heard_ms]}


# --- 3. underflows under load -------------------------------------------------------------
HOG = ("import torch, os\n"
       "torch.set_num_threads(os.cpu_count())\n"
       "a = torch.randn(1024, 1024)\n"
       "while True:\n    a = torch.tanh(a @ a)\n")


def soak(song, minutes: float, device, hog_nice: int | None = 0) -> dict:
    """hog_nice None: no hog (a control run: what the machine alone does)."""
    from woodshed.player.engine.engine import Engine

    hog = subprocess.Popen([sys.executable, "-c", HOG if hog_nice is not None else
                            "import time; time.sleep(1e6)"],
                           preexec_fn=(lambda: os.nice(hog_nice)) if hog_nice else None)
    engine = Engine(song, device=device, **ENGINE_OPTIONS)
    engine.click = bench_click(song)
    try:
        time.sleep(2.0)  # the hog is up to speed
        engine.start()
        engine.set_tempo(STRETCH[0])
        engine.set_pitch(STRETCH[1])
        engine.set_loop(60.0, 68.0)
        engine.set_loop_enabled(True)
        engine.seek(50.0)
        engine.play()
        rng = random.Random(0)
        changes, started = 0, time.monotonic()
        stems = engine.stems
        c0 = time.process_time()
        _device_underflows(engine)  # reset the count: start-up is not the soak
        while time.monotonic() - started < minutes * 60 and engine.error is None:
            time.sleep(0.1)
            if changes % 20 == 19:  # every 2 s: tempo and pitch too
                engine.set_tempo(rng.choice([0.5, 0.55, 0.6]))
                engine.set_pitch(rng.choice([2.0, 3.0, 4.0]))
            else:
                engine.set_gain_db(rng.choice(stems), rng.uniform(-20, 0))
            changes += 1
        elapsed = time.monotonic() - started
        cpu = 100 * (time.process_time() - c0) / elapsed
        hog_cpu = _process_cpu_s(hog.pid)
        device_underflows = _device_underflows(engine)
        result = {"xruns": engine.xruns, "seconds": elapsed, "changes": changes,
                  "error": engine.error, "engine_cpu_pct": cpu,
                  "hog_cores": hog_cpu / elapsed if hog_cpu else None,
                  "device_underflows": device_underflows, "producer_realtime": engine.realtime}
    finally:
        engine.close()
        hog.terminate()
        hog.wait()
    return result


def _device_underflows(engine) -> int | None:
    """Blocks PortAudio flagged as output underflows (the device found no block in time),
    from rtmixer's stream-wide stats, read through the engine's private stream (a benchmark
    may look inside). engine.xruns counts these too, plus the times the ring ran dry."""
    mixer = engine._output._stream if engine._output is not None else None
    if mixer is None or not hasattr(mixer, "fetch_and_reset_stats"):
        return None
    action = mixer.fetch_and_reset_stats()
    mixer.wait(action)
    return int(action.stats.output_underflows)


def _process_cpu_s(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


# --- 4 and 5: fresh processes ---------------------------------------------------------------
def child_first_block(song_dir: str) -> dict:
    """In a fresh process, modules imported: open the song, start, play, first block out."""
    from woodshed.player.engine.engine import Engine
    from woodshed.player.engine.render import Renderer
    from woodshed.separation import cache

    device = jack_device()
    t0 = time.perf_counter()
    song = cache.open_song(Path(song_dir))
    Renderer(song).render(256)
    offline_ms = 1e3 * (time.perf_counter() - t0)
    t0 = time.perf_counter()
    song = cache.open_song(Path(song_dir))
    engine = Engine(song, device=device)
    engine.start()
    engine.play()
    while engine._renderer is None or engine._renderer.output_index < 256:
        time.sleep(0.0002)
    live_ms = 1e3 * (time.perf_counter() - t0)
    engine.close()
    return {"offline_ms": offline_ms, "live_ms": live_ms}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_memory(song_dir: str, seconds: float) -> dict:
    """Peak resident memory above the baseline (interpreter + modules) while playing, with
    seeks all through the song, stretched."""
    from woodshed.player.engine.engine import Engine
    from woodshed.separation import cache

    device = jack_device()
    baseline_mb = _rss_mb()
    song = cache.open_song(Path(song_dir))
    engine = Engine(song, device=device)
    engine.start()
    engine.set_tempo(STRETCH[0])
    engine.set_pitch(STRETCH[1])
    engine.play()
    steps = 20
    for k in range(steps):
        engine.seek(song.manifest.duration_s * k / steps)
        time.sleep(seconds / steps)
    engine.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"baseline_mb": baseline_mb, "peak_mb": peak_mb, "above_mb": peak_mb - baseline_mb,
            "xruns": engine.xruns}


def in_child(*args: str, env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, __file__, *(["--click"] if CLICK else []),
                          "--child", *args], capture_output=True,
                         text=True, timeout=600, env=env)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the stretcher's cost on each Rubber Band build ----------------------------------------
PYLIBRB = "pylibrb"   # --builds name for the stretcher before (pylibrb), if it is installed
PYLIBRB_COMMIT = "e9d500d"   # stretch.py as it was on pylibrb


def use_pylibrb_stretcher() -> None:
    """Makes the renderer's stretcher the pylibrb one (its module as it was): the peer the
    issue compares the cost with. pylibrb is never a dependency; it is used if installed."""
    from woodshed.player.engine import stretch

    code = subprocess.run(["git", "show", f"{PYLIBRB_COMMIT}:player/engine/stretch.py"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    module = type(sys)("pylibrb_stretch")
    exec(compile(code, "pylibrb_stretch.py", "exec"), module.__dict__)
    stretch.Stretcher = module.Stretcher   # make_later() looks it up when called


def compare_builds(song, builds: dict[str, str], rounds: int, seconds: float) -> dict:
    """Rendering alone at 0.5x + 3 st, % of a core, on each Rubber Band build (NAME=LIBRARY,
    loaded through WOODSHED_RUBBERBAND_LIBRARY; "pylibrb" for the stretcher before), each in
    a fresh process, the builds taking turns round after round (the machine's noise falls on
    all of them alike). Medians over the rounds, and each build's ratio to the first."""
    runs: dict[str, list[float]] = {name: [] for name in builds}
    for _ in range(rounds):
        for name, library in builds.items():
            env = {k: v for k, v in os.environ.items() if k != "WOODSHED_RUBBERBAND_LIBRARY"}
            if library != PYLIBRB:
                env["WOODSHED_RUBBERBAND_LIBRARY"] = library
            runs[name].append(in_child("build_cpu", str(song.dir), library, str(seconds),
                                       env=env)["offline_pct"])
    first = statistics.median(runs[next(iter(builds))])
    return {name: {"median_pct": statistics.median(r), "runs_pct": r,
                   "ratio_to_first": statistics.median(r) / first} for name, r in runs.items()}


def print_builds(compared: dict, builds: dict[str, str], rounds: int) -> None:
    width = max(len(n) for n in compared)
    print(f"rendering alone, 6 stems, 0.5x + 3 st, % of a core (median of {rounds} fresh "
          "processes each, taking turns)")
    print(f"{'build':<{width}}  {'median':>7}  {'x first':>7}  runs")
    for name, r in compared.items():
        print(f"{name:<{width}}  {r['median_pct']:>7.1f}  {r['ratio_to_first']:>7.2f}  "
              + " ".join(f"{v:.1f}" for v in r["runs_pct"]) + f"   ({builds[name]})")
    print(json.dumps({"builds": compared}))


# --- main --------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="soak length (default 5)")
    parser.add_argument("--cpu-seconds", type=float, default=20.0)
    parser.add_argument("--trials", type=int, default=10, help="latency trials per setting")
    parser.add_argument("--repeats", type=int, default=5, help="first-block runs per length")
    parser.add_argument("--workdir", type=Path, help="keep the generated songs here")
    parser.add_argument("--skip-long", action="store_true", help="no 60-minute song")
    parser.add_argument("--hog-nice", type=int, default=0,
                        help="niceness of the CPU hog (the separation worker runs at 15)")
    parser.add_argument("--no-hog", action="store_true", help="soak without the CPU hog")
    parser.add_argument("--soak-only", action="store_true", help="only the underflow soak")
    parser.add_argument("--latency-only", action="store_true", help="only control latency")
    parser.add_argument("--ring-blocks", type=int, help="output ring while stretching")
    parser.add_argument("--plain-ring-blocks", type=int, help="output ring at 1.0x, 0 st")
    parser.add_argument("--click", action="store_true",
                        help="add the click (120 BPM grid) to every render and playback")
    parser.add_argument("--builds", nargs="+", metavar="NAME=LIBRARY",
                        help="only compare rendering's cost at 0.5x + 3 st on these Rubber Band "
                        f"builds (a library path each; {PYLIBRB}=pylibrb for the stretcher "
                        "before, if installed); no JACK needed")
    parser.add_argument("--rounds", type=int, default=7, help="--builds: runs per build")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global CLICK
    CLICK = args.click
    if args.child:
        kind, *rest = args.child
        if kind == "cpu":  # a fresh process: what ran before in this one costs (measured
            from woodshed.separation import cache  # 2.8 % fresh against 3.6 % after the offline runs)

            song = cache.open_song(Path(rest[0]))
            result = {"live_pct": cpu_live(song, *map(float, rest[1:4]), jack_device())[0]}
        elif kind == "build_cpu":  # one Rubber Band build (WOODSHED_RUBBERBAND_LIBRARY) or pylibrb
            from woodshed.separation import cache

            if rest[1] == PYLIBRB:
                use_pylibrb_stretcher()
            else:  # the library the renderer uses is the one asked for, or the run is void
                from woodshed.player.engine import rubberband

                assert rubberband.library()._name == rest[1], rubberband.library()._name
            song = cache.open_song(Path(rest[0]))
            result = {"offline_pct": cpu_offline(song, *STRETCH, float(rest[2]))}
        else:
            result = (child_first_block(*rest) if kind == "first" else
                      child_memory(rest[0], float(rest[1])))
        print(json.dumps(result))
        return

    for option in ("ring_blocks", "plain_ring_blocks"):
        if getattr(args, option):
            ENGINE_OPTIONS[option] = getattr(args, option)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-engine-"))
    root = workdir / "cache"
    if args.builds:
        builds = dict(b.split("=", 1) for b in args.builds)
        compared = compare_builds(long_song(1, root), builds, args.rounds, args.cpu_seconds / 2)
        print_builds(compared, builds, args.rounds)
        return
    lengths = [1, 10] + ([] if args.skip_long or args.soak_only or args.latency_only else [60])
    t0 = time.monotonic()
    songs = {m: long_song(m, root) for m in lengths}
    print(f"songs ready in {time.monotonic() - t0:.0f} s ({workdir})", file=sys.stderr)
    jack = JackServer().start()
    capture = AlsaCapture(workdir / "alsa", jack).start()
    from woodshed.player.engine.engine import Engine

    defaults = inspect.signature(Engine).parameters
    results: dict = {"realtime_jack": jack.realtime, "period_frames": jack.period_frames,
                     "click": CLICK}
    for option in ("ring_blocks", "plain_ring_blocks"):
        results[option] = ENGINE_OPTIONS.get(option, defaults[option].default)
    rows = []
    if not args.soak_only:  # the stretcher's own share of the latency while stretching
        own = stretcher_latency()
        results["stretcher_latency_ms"] = own
        rows.append(("stretcher's own latency (sound in -> out) at 0.5x / 0.75x / 1.25x",
                     " / ".join(f"{own[k]:.0f}" for k in ("0.5x", "0.75x", "1.25x")) + " ms",
                     "", True))
    try:
        device = jack_device()
        song10 = songs[10]
        some = args.soak_only or args.latency_only
        for label, (tempo, pitch) in () if some else (("1.0x", (1.0, 0.0)), ("0.5x+3st", STRETCH)):
            offline = statistics.median(cpu_offline(song10, tempo, pitch, args.cpu_seconds / 2)
                                        for _ in range(3))
            live = statistics.median(
                in_child("cpu", str(song10.dir), str(tempo), str(pitch), str(args.cpu_seconds / 2))
                ["live_pct"] for _ in range(3))
            goal = 3 if tempo == 1.0 else 25
            results[f"cpu_{label}"] = {"offline_pct": offline, "live_pct": live}
            rows.append((f"CPU per s of audio, 6 stems, {label} (render only)",
                         f"{offline:.1f} % of a core", f"<= {goal} %", offline <= goal))
            rows.append((f"CPU, whole process playing on JACK, {label} (median of 3 processes)",
                         f"{live:.1f} % of a core",
                         f"<= {goal} %", live <= goal))
        for label, (tempo, pitch) in () if args.soak_only else (("1.0x", (1.0, 0.0)),
                                                                   ("0.5x+3st", STRETCH)):
            lat = control_latency(tempo, pitch, args.trials, capture, root)
            goal = 50 if tempo == 1.0 else 100
            results[f"latency_{label}"] = lat
            rows.append((f"gain change -> heard, {label} (median / max of {lat['trials']})",
                         f"{lat['median_ms']:.0f} / {lat['max_ms']:.0f} ms", f"<= {goal} ms",
                         lat["max_ms"] <= goal))
        for minutes in [] if some else lengths:
            runs = [in_child("first", str(songs[minutes].dir)) for _ in range(args.repeats)]
            first = {k: statistics.median(r[k] for r in runs) for k in ("offline_ms", "live_ms")}
            results[f"first_block_{minutes}min"] = first
            rows.append((f"open cached {minutes}-min song -> first block (median of "
                         f"{args.repeats})", f"{first['offline_ms']:.0f} ms render, "
                         f"{first['live_ms']:.0f} ms on JACK", "<= 200 ms",
                         first["live_ms"] <= 200))
        if not (args.skip_long or some):
            memory = in_child("memory", str(songs[60].dir), "20")
            results["memory_60min"] = memory
            rows.append(("peak memory playing a 60-min song (above baseline)",
                         f"{memory['above_mb']:.0f} MB", "<= 300 MB", memory["above_mb"] <= 300))
        if args.latency_only:
            return
        soaked = soak(song10, args.minutes, device, None if args.no_hog else args.hog_nice)
        results["soak"] = soaked
        rows.append((f"underflows, {soaked['seconds'] / 60:.1f} min at 0.5x+3st, 10 changes/s, "
                     + ("no CPU hog" if args.no_hog else
                      f"CPU hog ({soaked['hog_cores'] or 0:.1f} cores, nice {args.hog_nice})"),
                     f"{soaked['xruns']} (of which {soaked['device_underflows']} late blocks)", "0",
                     soaked["xruns"] == 0 and not soaked["device_underflows"]))
    finally:
        capture.stop()
        jack.stop()
        print_table(rows, results)


def print_table(rows, results) -> None:
    if not rows:
        return
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'result':<28}  {'goal':<10}  met")
    for name, value, goal, met in rows:
        print(f"{name:<{width}}  {value:<28}  {goal:<10}  {'yes' if met else 'NO'}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()

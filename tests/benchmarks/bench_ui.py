"""The practice window's responsiveness: UI-thread lag while separating and playing, and the
waveform redraw at full zoom-out of a 60-minute song.

    python tests/benchmarks/bench_ui.py [--seconds 60] [--size full|tiny] [--song-minutes 3]
    python tests/benchmarks/bench_ui.py --turns

1. Redraw: six stem lanes plus the mix overview of a 60-minute song, zoomed all the way out,
   recomputed and repainted (synchronously) 50 times. Peers: the same lanes stroked as two
   paths each (the drawing before the lanes were pictures), one min/max line each (before
   the dB-scaled lanes), and every stored peak (no level of detail). Goal: <= 16 ms (one
   frame at 60 Hz).
2. Lag: the window opens a song that is not separated yet; separation (a random-weight model
   with htdemucs_6s' architecture, `--size full`, on every core) runs in its child process
   while the engine plays to a JACK dummy device (real-time paced) and a script drags loops,
   zooms, scrolls and moves faders 10 times a second. A 5 ms precise timer on the UI thread
   records how late each tick fires. Goal: never more than 50 ms late; 0 audio underflows.
3. Open to sound (--open-to-sound [--repeats 5] [--download-mb-s 10]): File > Open of a
   4-minute mp3 with nothing cached, to the song shown, to its sound after Play, and to its
   stems joining the playing mix, with the htdemucs_6s-sized model loading from a folder and
   downloading from a local server on 127.0.0.1. Goal: sound within 2 s; the UI timer's
   lateness and the engine's underflows meanwhile.
4. Turns (--turns): what one turn of a musician's hand costs the UI thread, apart from any
   load: 6 stem lanes + the mix of a 3-minute song with a bar grid, 1400x800; 100 each of a
   zoom, a scroll, a loop drawn and a playhead move, each followed by the paint it causes.
   UI-thread CPU time, median / p90 / max.
Offscreen Qt (the paint work is the same raster work as on screen). Prints a table, then
one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(ROOT)]

TICK_MS = 5
STALL_MS = 30  # ticks later than this are explained in the report
WINDOW_SIZE = (1400, 800)


def percentile(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, float), q)) if len(values) else float("nan")


# --- 1. redraw at full zoom-out ------------------------------------------------------------
def long_song(minutes: float, folder: Path):
    """A cached-song stand-in with a real manifest (six stems' peaks) and no audio files:
    drawing reads only peaks, so an hour of WAVs on disk would measure nothing more."""
    from woodshed.separation import peaks
    from woodshed.separation.cache import CachedSong
    from woodshed.separation.manifest import Manifest

    rate = 44100
    frames = int(minutes * 60 * rate)
    stems = ["drums", "bass", "other", "vocals", "guitar", "piano"]
    manifest = Manifest(title="an hour", original_name="hour.wav", source_hash="0", model="x",
                        settings={}, sample_rate=rate, channels=2, frames=frames, sources=stems,
                        block_starts=[0], blocks_done=[True])
    rng = np.random.default_rng(0)
    n = peaks.peak_count(frames)
    for name in ["mix", *stems]:
        envelope = np.abs(np.sin(np.arange(n) / 300.0)) * 0.8 + 0.05
        maxs = envelope * rng.uniform(0.5, 1.0, n)
        manifest.peaks[name] = peaks.encode(-maxs, maxs)
        manifest.rms[name] = peaks.encode_rms(maxs * rng.uniform(0.2, 0.5, n))  # as separation stores
    song_dir = folder / "hour"
    song_dir.mkdir(parents=True, exist_ok=True)
    return CachedSong(song_dir, manifest)


def hour_grid(minutes: float):
    """A beat grid for the long song: 4/4 near 123 BPM with a slow drift (a live drummer),
    so the bar ruler and the lanes' bar lines are drawn as for a real song."""
    from woodshed.separation.beats.grid import Grid

    beat_s = 60.0 / 123.0
    n = int(minutes * 60 / beat_s)
    drift = 0.01 * np.sin(np.arange(n) / 500.0) * beat_s
    return Grid(np.cumsum(np.full(n, beat_s) + drift) - beat_s + 0.25, 4, 0)


def lanes_window(song):
    from PyQt6.QtWidgets import QGridLayout, QWidget

    from woodshed.player.ui.waveform import Waveforms

    widget = QWidget()
    grid = QGridLayout(widget)
    waveforms = Waveforms(song, widget)
    grid.addWidget(waveforms.overview, 0, 0)
    for row, lane in enumerate(waveforms.lanes.values(), start=1):
        grid.addWidget(lane, row, 0)
    widget.resize(*WINDOW_SIZE)
    widget.show()
    return widget, waveforms


def mirrored(x: np.ndarray, heights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(The lanes' loudness before they were pictures) x doubled, heights -h, +h, -h…."""
    y = np.empty(2 * len(heights), np.float32)
    y[0::2], y[1::2] = -heights, heights
    return np.repeat(x, 2), y


def outlined(x: np.ndarray, heights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Their peaks) +h left to right, then -h right to left: one line."""
    return (np.concatenate([x, x[::-1]]),
            np.concatenate([heights, -heights[::-1]]).astype(np.float32))


class PeerCurves:
    """Two pyqtgraph curves in each lane, in place of its picture, to draw the peers with."""

    def __init__(self, lanes):
        import pyqtgraph as pg

        self.lanes = lanes
        self.curves = []
        for lane in lanes:
            lane.waveform.picture.hide()
            pair = (pg.PlotCurveItem(pen=pg.mkPen(lane.colour if hasattr(lane, "colour") else "w"),
                                     skipFiniteCheck=True),
                    pg.PlotCurveItem(pen=pg.mkPen((255, 255, 255, 90)), skipFiniteCheck=True))
            for curve in pair:
                lane.view.addItem(curve)
            self.curves.append(pair)

    def remove(self) -> None:
        for lane, pair in zip(self.lanes, self.curves):
            for curve in pair:
                lane.view.removeItem(curve)
            lane.waveform.picture.show()


def repaint_all(waveforms) -> None:
    for lane in (*waveforms.lanes.values(), waveforms.overview):
        lane.viewport().repaint()


def bench_redraw(app, folder: Path, minutes: float = 60.0, repeats: int = 50) -> dict:
    from woodshed.player.ui.waveform import to_display

    song = long_song(minutes, folder)
    widget, waveforms = lanes_window(song)
    waveforms.set_grid(hour_grid(minutes))  # bar numbers and bar lines drawn too
    app.processEvents()
    waveforms.zoom_out_full()
    app.processEvents()
    ours, ours_cpu = [], []  # wall time, and the UI thread's own CPU time (immune to a busy machine)
    for _ in range(repeats):
        t, c = time.perf_counter(), time.thread_time()
        waveforms.redraw_all()
        repaint_all(waveforms)
        ours.append((time.perf_counter() - t) * 1000)
        ours_cpu.append((time.thread_time() - c) * 1000)
    columns = sum(lane.waveform.picture.columns for lane in waveforms.lanes.values())
    bar_lines = len(waveforms.first.bar_lines.bar_times_s())
    # Peer 0: the same without a grid (no bar ruler, no bar lines): what the bars cost.
    waveforms.set_grid(None)
    app.processEvents()
    no_grid = []
    for _ in range(repeats):
        c = time.thread_time()
        waveforms.redraw_all()
        repaint_all(waveforms)
        no_grid.append((time.thread_time() - c) * 1000)
    lanes = (*waveforms.lanes.values(), waveforms.overview)
    peers = PeerCurves(lanes)
    # Peer 1: the same lanes stroked as two paths each, as drawn before the lanes were
    # pictures (the loudness a connected zigzag, the peaks an outline).
    paths = []
    for _ in range(repeats):
        c = time.thread_time()
        for lane, (loudness, outline) in zip(lanes, peers.curves):
            (x0, x1), _ = lane.view.viewRange()
            x, peak, loud = lane.peaks.envelope(x0, x1, int(lane.view.width()))
            top, floor_db = lane.peaks.loudest, lane.peaks.floor_db
            loudness.setData(*mirrored(x, to_display(loud, top, floor_db)), connect="all")
            outline.setData(*outlined(x, to_display(peak, top, floor_db)), connect="all")
        repaint_all(waveforms)
        paths.append((time.thread_time() - c) * 1000)
    # Peer 2: the drawing before dB-scaled lanes (one min/max line a lane, no peak outline),
    # in the same process and conditions: what reading the lanes costs.
    lines = []
    for _ in range(repeats):
        c = time.thread_time()
        for lane, (line, outline) in zip(lanes, peers.curves):
            outline.hide()
            (x0, x1), _ = lane.view.viewRange()
            line.setData(*lane.peaks.zigzag(x0, x1, int(lane.view.width())), connect="all")
        repaint_all(waveforms)
        lines.append((time.thread_time() - c) * 1000)
    # Peer 3: every stored peak handed to pyqtgraph (what drawing without levels of detail costs).
    peer = []
    for _ in range(max(3, repeats // 10)):
        t = time.perf_counter()
        for lane, (line, _) in zip(lanes, peers.curves):
            lo, hi = lane.peaks.levels[0]
            x = np.repeat(np.arange(len(lo)) * lane.peaks.seconds_per_peak, 2)
            y = np.empty(2 * len(lo), np.float32)
            y[0::2], y[1::2] = lo, hi
            line.setData(x, y)
        repaint_all(waveforms)
        peer.append((time.perf_counter() - t) * 1000)
    peers.remove()
    widget.close()
    return {"song_minutes": minutes, "lanes": len(waveforms.lanes) + 1,
            "redraw_ms_median": statistics.median(ours), "redraw_ms_p95": percentile(ours, 95),
            "redraw_ms_max": max(ours), "redraw_cpu_ms_median": statistics.median(ours_cpu),
            "redraw_cpu_ms_max": max(ours_cpu), "all_peaks_ms_median": statistics.median(peer),
            "min_max_line_cpu_ms_median": statistics.median(lines),
            "no_grid_cpu_ms_median": statistics.median(no_grid), "bar_lines_per_lane": bar_lines,
            "two_paths_cpu_ms_median": statistics.median(paths),
            "peaks_per_lane": len(waveforms.first.peaks.levels[0][0]),
            "columns_drawn_per_redraw": columns}


# --- 4. one turn of a musician's hand ----------------------------------------------------
def bench_turns(app, folder: Path, steps: int = 400) -> dict:
    song_s = 180.0
    widget, waveforms = lanes_window(long_song(song_s / 60, folder))
    waveforms.set_grid(hour_grid(song_s / 60))
    waveforms.set_view(0, 30)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.005)
    cpu_ms = {"zoom": [], "scroll": [], "loop": [], "playhead": []}
    start_s, width_s = 0.0, 30.0
    for step in range(steps):
        kind = list(cpu_ms)[step % 4]
        c = time.thread_time()
        if kind == "zoom":  # in by halves from a minute to 15 s, then out again
            width_s = 60.0 if width_s <= 15.0 else width_s / 2
            start_s = min(start_s, song_s - width_s)
            waveforms.set_view(start_s, start_s + width_s)
        elif kind == "scroll":
            start_s = (start_s + width_s * 0.25) % (song_s - width_s)
            waveforms.set_view(start_s, start_s + width_s)
        elif kind == "loop":  # dragged, then let go
            loop_s = start_s + width_s * 0.3
            waveforms._loop_drawn(loop_s, loop_s + width_s * 0.1, False)
            waveforms._loop_drawn(loop_s, loop_s + width_s * 0.2, True)
        else:
            waveforms.set_playhead(start_s + width_s * (0.2 + 0.6 * (step % 8) / 8), False)
        app.processEvents()  # the paint it causes
        cpu_ms[kind].append((time.thread_time() - c) * 1000)
    widget.close()
    return {kind: {"median": statistics.median(v), "p90": percentile(v, 90), "max": max(v)}
            for kind, v in cpu_ms.items()}


def turns_report(app, folder: Path) -> None:
    turns = bench_turns(app, folder)
    print(f"{'one turn: UI-thread CPU':30} {'median':>8} {'p90':>8} {'max':>8}")
    for kind, ms in turns.items():
        print(f"{kind:30} {ms['median']:7.2f}ms {ms['p90']:7.2f}ms {ms['max']:7.2f}ms")
    print(json.dumps({"benchmark": "ui-turns", "turns_cpu_ms": turns}))


# --- 2. lag while separating and playing ---------------------------------------------------
class LagProbe:
    """A precise 5 ms timer on the UI thread; lateness of each tick is the UI's stall."""

    def __init__(self):
        from PyQt6.QtCore import Qt, QTimer

        self.late_ms: list[float] = []
        self.tick_s: list[float] = []  # when each tick fired (perf_counter)
        self.late_at: list[tuple[float, float, float]] = []  # (when, ms, UI CPU ms) over STALL_MS
        self.last = None
        self.last_cpu = None
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)

    def start(self):
        self.last, self.last_cpu = time.perf_counter(), time.thread_time()
        self.timer.start()

    def tick(self):
        now, cpu = time.perf_counter(), time.thread_time()
        late = max(0.0, (now - self.last) * 1000 - TICK_MS)
        self.late_ms.append(late)
        self.tick_s.append(now)
        if late > STALL_MS:  # the UI thread's own CPU time meanwhile: its work, or waiting
            self.late_at.append((now, late, (cpu - self.last_cpu) * 1000))
        self.last, self.last_cpu = now, cpu

    def stop(self):
        self.timer.stop()


class Watchdog:
    """A plain Python thread ticking every 5 ms. Late together with the UI: the whole process
    waited (the GIL held elsewhere, or the OS ran something else); on time while the UI was
    late: the UI thread itself was busy."""

    def __init__(self):
        import threading

        self.late_at: list[tuple[float, float]] = []
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        last = time.perf_counter()
        while not self.stop_event.wait(TICK_MS / 1000):
            now = time.perf_counter()
            late = (now - last) * 1000 - TICK_MS
            if late > STALL_MS / 2:
                self.late_at.append((now, late))
            last = now

    def late_during(self, end: float, ms: float) -> float:
        start = end - ms / 1000 - 0.01
        return max([late for when, late in self.late_at if start <= when <= end + 0.01], default=0.0)


class HandlerTimes:
    """Wall time of the window's own UI-thread handlers, to say where a stall came from."""

    def __init__(self):
        self.ms: dict[str, list[float]] = {}
        self.cpu_ms: dict[str, list[float]] = {}  # the UI thread's own CPU time (immune to load)
        self.spans: list[tuple[float, float, str]] = []  # (start, end, name)

    def add(self, name: str, start: float, end: float) -> None:
        self.ms.setdefault(name, []).append((end - start) * 1000)
        self.spans.append((start, end, name))

    def wrap(self, name: str, fn):
        def timed(*args):
            t, c = time.perf_counter(), time.thread_time()
            try:
                return fn(*args)
            finally:
                self.add(name, t, time.perf_counter())
                self.cpu_ms.setdefault(name, []).append((time.thread_time() - c) * 1000)
        return timed

    def time_painting(self) -> None:
        """pyqtgraph's views paint in Python: time every lane's paint."""
        import pyqtgraph as pg

        original = pg.GraphicsView.paintEvent
        times = self

        def paint(view, ev):
            t = time.perf_counter()
            try:
                return original(view, ev)
            finally:
                times.add("painting a lane", t, time.perf_counter())
        pg.GraphicsView.paintEvent = paint

    def during(self, end: float, ms: float) -> list[str]:
        start = end - ms / 1000 - 0.005
        return sorted({f"{name} {1000 * (b - a):.0f} ms" for a, b, name in self.spans
                       if a <= end and b >= start and (b - a) > 0.002})

    def worst(self) -> dict[str, float]:
        return {name: max(v) for name, v in self.ms.items()}

    def time_garbage_collection(self) -> None:
        import gc

        started = {}

        def callback(phase, info):
            if phase == "start":
                started["t"] = time.perf_counter()
            elif "t" in started:
                self.add(f"garbage collection, generation {info['generation']}", started.pop("t"),
                         time.perf_counter())
        gc.callbacks.append(callback)


def musician_script(window, step: int) -> None:
    """One tenth of a second of a busy musician: faders always, loops, zoom and scroll often."""
    view = window.song_view
    if view is None:
        return
    names = list(view.strips)  # none yet while the song opens as its mix (before the model)
    if names:
        view.strips[names[step % len(names)]].fader.set_db(-12 + (step * 1.5) % 12)
    else:
        view.master.set_db(-12 + (step * 1.5) % 12)
    wf = view.waveforms
    if step % 5 == 0:  # drag a loop, as the mouse would
        start = (step * 0.7) % max(1.0, view.duration_s - 8)
        wf._loop_drawn(start, start + 2.0, False)
        wf._loop_drawn(start, start + 4.0, True)
    if step % 10 == 3:  # zoom in or out
        x0, x1 = wf.view_range_s()
        width = (x1 - x0) * (0.5 if step % 20 == 3 else 2.0)
        width = min(max(width, 2.0), view.duration_s)
        wf.set_view(max(0.0, x0), max(0.0, x0) + width)
    if step % 10 == 7:  # scroll
        x0, x1 = wf.view_range_s()
        shift = (x1 - x0) * 0.25
        start = min(max(0.0, x0 + shift), max(0.0, view.duration_s - (x1 - x0)))
        wf.set_view(start, start + (x1 - x0))
    if step % 30 == 15:
        view.transport.nudge_tempo(5 if step % 60 == 15 else -5)


def bench_lag(app, folder: Path, seconds: float, size: str, song_minutes: float,
              separate: bool = True) -> dict:
    from PyQt6.QtCore import QTimer

    from audio_devices import JackServer
    from bench_separation import write_song
    from woodshed.separation.separate import SeparationSettings

    from woodshed.player.ui.main_window import MainWindow

    os.environ["WOODSHED_CACHE_DIR"] = str(folder / "cache")
    os.environ["WOODSHED_DATA_DIR"] = str(folder / "data")
    repo = folder / "models"
    if separate:
        # In a child process: torch's objects in this one would slow every garbage collection
        # of the UI process (the app itself never imports torch; its separation is a child).
        subprocess.run([sys.executable, "-c", "import sys; sys.path[:0] = sys.argv[2:]; "
                        "from bench_separation import build_models; from pathlib import Path; "
                        "build_models(Path(sys.argv[1]))", str(repo), str(HERE), str(HERE.parent)],
                       check=True)
        song_file = write_song(folder / "song.wav", song_minutes * 60)
    jack = JackServer().start()
    try:
        window = MainWindow(device=jack.portaudio_device,
                            separation_settings=SeparationSettings(model=f"{size}6s", model_repo=repo))
        window.resize(*WINDOW_SIZE)
        window.show()
        if separate:
            window.open_path(song_file)
        else:  # the control run: the same script on a song already separated
            window.open_demo()
        deadline = time.monotonic() + 300
        while window.song_view is None and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        view = window.song_view
        if view is None:
            raise RuntimeError(f"the song did not open: {window.banner.message}")
        if view.engine is None:
            raise RuntimeError(f"no engine: {window.banner.message}")
        progress = []
        if window.monitor is not None:
            window.monitor.progressed.connect(lambda done, total: progress.append((done, total)))
        assert "torch" not in sys.modules, "torch in the UI process would skew its pauses"
        handlers = HandlerTimes()
        handlers.time_garbage_collection()
        handlers.time_painting()
        watchdog = Watchdog()
        watchdog.thread.start()
        view.timer.timeout.disconnect()
        view.timer.timeout.connect(handlers.wrap("display refresh (30/s)", view.refresh))
        view.update_peaks = handlers.wrap("new stems: peaks reload", view.update_peaks)
        try:  # the stems joining the view, a turn each (older code: the view built again)
            from woodshed.player.ui import stems_join
            for step, what in (("_make_lane", "making a lane"), ("_place", "placing a lane"),
                               ("_show", "showing them")):
                setattr(stems_join.StemsJoining, step, handlers.wrap(
                    f"stems joining: {what}", getattr(stems_join.StemsJoining, step)))
            window._stems_shown = handlers.wrap("stems joined: settling", window._stems_shown)
        except ImportError:
            pass
        window._replace_view = handlers.wrap("stems joining: a new view built", window._replace_view)
        script_step = handlers.wrap("musician script step", musician_script)
        if window.monitor is not None:
            window.monitor.timer.timeout.disconnect()
            window.monitor.timer.timeout.connect(handlers.wrap("separation poll", window.monitor.poll))
        view.play()
        probe = LagProbe()
        steps = [0]
        script = QTimer()
        script.setInterval(100)
        script.timeout.connect(lambda: (script_step(window, steps[0]), steps.__setitem__(0, steps[0] + 1)))
        # The engine, not the view: a song whose mix was decoded again for its model gets a new
        # view and engine when its stems join (any other keeps both, and the engine plays on).
        engine = view.engine
        xruns_before = engine.xruns
        output = engine._output  # a benchmark may look inside: which kind of underflow
        late_before = output.late_blocks
        probe.start()
        script.start()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.0005)  # the event loop's own idle wait, as app.exec() would
        script.stop()
        probe.stop()
        watchdog.stop_event.set()
        if engine.error is not None or window.song_view is None or window.song_view.engine is not engine:
            window.close()
            raise RuntimeError(f"the engine stopped during the run: {engine.error or window.banner.message}")
        xruns = engine.xruns - xruns_before
        late_blocks = output.late_blocks - late_before
        separating = window.monitor is not None and not window.monitor.job.finished
        window.close()
    finally:
        jack.stop()
    late = probe.late_ms
    # The stems joining the view (a new song opens with its mix alone): the lateness of the
    # ticks from its first turn until a third of a second after its last (layout, painting).
    joining = [(a, b) for a, b, name in handlers.spans if name.startswith("stems join")]
    join_lag = None
    if joining:
        first_s, last_s = joining[0][0], joining[-1][1] + 0.33
        join_lag = max((ms for when, ms in zip(probe.tick_s, late) if first_s <= when <= last_s),
                       default=0.0)
    return {"seconds": seconds, "model": f"{size}6s" if separate else None, "song_minutes": song_minutes,
            "ticks": len(late), "lag_ms_max": max(late), "lag_ms_p99": percentile(late, 99),
            "lag_ms_median": statistics.median(late), "lag_ms_max_while_stems_join": join_lag,
            "stems_join_turns": len(joining), "xruns": xruns,
            "late_blocks": late_blocks,
            "segments_done": progress[-1][0] if progress else 0,
            "segments_total": progress[-1][1] if progress else 0,
            "still_separating_at_end": separating, "script_steps": steps[0],
            "handler_ms_max": handlers.worst(),
            "handler_cpu_ms_max": {name: max(v) for name, v in handlers.cpu_ms.items()},
            "stalls": [{"ms": round(ms, 1), "ui_thread_cpu_ms": round(cpu_ms, 1),
                        "python_thread_late_ms": round(watchdog.late_during(when, ms), 1),
                        "ui_work_meanwhile": handlers.during(when, ms)}
                       for when, ms, cpu_ms in sorted(probe.late_at, key=lambda x: -x[1])[:5]], "late_ticks_over_50ms": sum(v > 50 for v in late),
            "jack_realtime": jack.realtime}


# --- 3. open to sound ----------------------------------------------------------------------
def bench_open_to_sound(app, folder: Path, jack, download_mb_s: float | None) -> dict:
    """Seconds from File > Open of a 4-minute mp3 (not separated yet, nothing cached) until
    the song is shown, until its sound leaves the engine after Play, and until its stems
    join (the model loaded), with the htdemucs_6s-sized model loading from a folder, or
    (download_mb_s) downloading from a local server at that rate. Meanwhile a 5 ms timer
    on the UI thread measures how late it fires (the window's responsiveness), and the
    engine counts underflows (the stems joining the playing mix must not glitch)."""
    import soundfile as sf

    import songs
    from bench_separation import build_models
    from model_server import ModelServer
    from woodshed.player.ui.main_window import MainWindow
    from woodshed.separation.separate import SeparationSettings

    song = folder / "four-minutes.mp3"
    if not song.exists():
        sf.write(song, np.clip(songs.music(240.0), -1, 1).T, 44100)
    repo = folder / "models"
    if not (repo / "full6s.th").exists():
        build_models(repo)
    run = folder / f"run-{time.monotonic_ns()}"
    os.environ["WOODSHED_CACHE_DIR"] = str(run / "cache")
    server = None
    if download_mb_s:
        server = ModelServer(run / "server", payload=(repo / "full6s.th").read_bytes()).start()
        server.bytes_per_s = download_mb_s * 1e6
        os.environ.update(server.env(run / "downloaded"))  # the separation process inherits it
        settings = SeparationSettings(model=server.name)
    else:
        settings = SeparationSettings(model="full6s", model_repo=repo)
    window = MainWindow(device=jack.portaudio_device, separation_settings=settings)
    window.resize(*WINDOW_SIZE)
    window.show()
    app.processEvents()
    probe = LagProbe()
    probe.start()
    started = time.perf_counter()
    window.open_path(song)
    deadline = started + 900
    while window.song_view is None and time.perf_counter() < deadline and window.banner.message == "":
        app.processEvents()
        time.sleep(0.002)
    shown_s = time.perf_counter() - started
    view = window.song_view
    if view is None or view.engine is None:
        raise RuntimeError(f"the song did not open: {window.banner.message}")
    engine = view.engine
    view.play()
    while engine.position_s <= 0 and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.002)
    sound_s = time.perf_counter() - started
    lag_to_sound = list(probe.late_ms)
    while not window.song_view.stems and time.perf_counter() < deadline and not window.banner.message:
        app.processEvents()
        time.sleep(0.002)
    stems_s = time.perf_counter() - started
    end = stems_s + 2.0  # and the first seconds of the stems in the mix
    while time.perf_counter() - started < end:
        app.processEvents()
        time.sleep(0.002)
    probe.stop()
    still_playing = engine.playing and window.song_view.engine is engine
    xruns = engine.xruns
    window.close()
    app.processEvents()
    if server is not None:
        server.stop()
        for key in ("WOODSHED_MODEL_URL", "WOODSHED_MODEL_CATALOGUE", "WOODSHED_MODELS_DIR"):
            os.environ.pop(key, None)
    return {"shown_s": shown_s, "sound_s": sound_s, "stems_s": stems_s,
            "ui_late_ms_max_to_sound": max(lag_to_sound, default=0.0),
            "ui_late_ms_max": max(probe.late_ms, default=0.0),
            "ui_late_ms_p99": percentile(probe.late_ms, 99), "xruns": xruns,
            "played_on_with_stems": still_playing, "banner": window.banner.message,
            "model_mb": (repo / "full6s.th").stat().st_size / 1e6}


def open_to_sound_report(app, folder: Path, download_mb_s: float, repeats: int = 5) -> None:
    from audio_devices import JackServer

    os.environ.setdefault("WOODSHED_DATA_DIR", str(folder / "data"))
    jack = JackServer().start()
    try:
        loading = [bench_open_to_sound(app, folder, jack, None) for _ in range(repeats)]
        downloading = [bench_open_to_sound(app, folder, jack, download_mb_s) for _ in range(repeats)]
    finally:
        jack.stop()
    rows = {"model loading": loading, f"model downloading at {download_mb_s:g} MB/s": downloading}
    print(f"{'4-minute mp3, not separated':42} {'shown':>7} {'sound':>7} {'stems':>7} "
          f"{'UI late max':>12} {'xruns':>6}  goal: sound <= 2 s")
    result = {}
    for what, runs in rows.items():
        med = {k: statistics.median(r[k] for r in runs)
               for k in ("shown_s", "sound_s", "stems_s", "ui_late_ms_max", "ui_late_ms_p99",
                         "ui_late_ms_max_to_sound")}
        result[what] = {**{f"{k}_median": v for k, v in med.items()},
                        "sound_s_all": [round(r["sound_s"], 3) for r in runs],
                        "stems_s_all": [round(r["stems_s"], 2) for r in runs],
                        "ui_late_ms_max_all": [round(r["ui_late_ms_max"], 1) for r in runs],
                        "xruns_all": [r["xruns"] for r in runs],
                        "played_on_with_stems": [r["played_on_with_stems"] for r in runs],
                        "banners": sorted({r["banner"] for r in runs if r["banner"]})}
        print(f"{what + ' (median of ' + str(len(runs)) + ')':42} {med['shown_s']:6.2f}s "
              f"{med['sound_s']:6.2f}s {med['stems_s']:6.1f}s {med['ui_late_ms_max']:10.0f}ms "
              f"{max(r['xruns'] for r in runs):6d}")
    print(json.dumps({"benchmark": "ui-open-to-sound", "model_mb": loading[0]["model_mb"], **result}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the lag run")
    parser.add_argument("--size", choices=["full", "tiny"], default="full",
                        help="separation model size (full: htdemucs_6s' architecture)")
    parser.add_argument("--song-minutes", type=float, default=3.0)
    parser.add_argument("--skip-lag", action="store_true", help="only the redraw figure")
    parser.add_argument("--open-to-sound", action="store_true",
                        help="only: open a 4-minute mp3 to its sound, model loading and downloading")
    parser.add_argument("--download-mb-s", type=float, default=10.0,
                        help="download rate of the model for --open-to-sound (default 10 MB/s)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each --open-to-sound case")
    parser.add_argument("--switch-interval-ms", type=float,
                        help="override the app's GIL switch interval (Python's default: 5)")
    parser.add_argument("--turns", action="store_true",
                        help="only: the UI-thread CPU of one zoom, scroll, loop or playhead turn")
    parser.add_argument("--no-separation", action="store_true",
                        help="control run: play the demo (already separated) under the same script")
    args = parser.parse_args()

    from woodshed.player.ui.app import make_application

    app = make_application()
    if args.switch_interval_ms is not None:  # compare with the app's own setting
        sys.setswitchinterval(args.switch_interval_ms / 1000)
    folder = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    if args.open_to_sound:
        return open_to_sound_report(app, folder, args.download_mb_s, args.repeats)
    if args.turns:
        return turns_report(app, folder)
    redraw = bench_redraw(app, folder)
    lag = None if args.skip_lag else bench_lag(app, folder, args.seconds, args.size, args.song_minutes,
                                               separate=not args.no_separation)

    print(f"{'measure':46} {'value':>10}  goal")
    print(f"{'redraw, 60-min song, full zoom-out, median':46} {redraw['redraw_ms_median']:8.1f}ms  <= 16 ms")
    print(f"{'redraw, p95':46} {redraw['redraw_ms_p95']:8.1f}ms")
    print(f"{'redraw, max':46} {redraw['redraw_ms_max']:8.1f}ms")
    print(f"{'redraw, UI thread CPU time, median / max':46} {redraw['redraw_cpu_ms_median']:5.1f} / "
          f"{redraw['redraw_cpu_ms_max']:.1f} ms")
    print(f"{'peer: the same without bars (no grid), CPU':46} {redraw['no_grid_cpu_ms_median']:8.1f}ms")
    print(f"{'bar lines per lane at full zoom-out':46} {redraw['bar_lines_per_lane']:10d}")
    print(f"{'peer: the lanes as two paths (before pictures), CPU':46} {redraw['two_paths_cpu_ms_median']:8.1f}ms")
    print(f"{'peer: every stored peak, median':46} {redraw['all_peaks_ms_median']:8.1f}ms")
    print(f"{'peer: min/max line (before dB lanes), CPU':46} {redraw['min_max_line_cpu_ms_median']:8.1f}ms")
    if lag:
        what = "separating + playing" if lag["model"] else "playing (control)"
        print(f"{'UI lag while ' + what + ', max':46} {lag['lag_ms_max']:8.1f}ms  <= 50 ms")
        print(f"{'UI lag, p99':46} {lag['lag_ms_p99']:8.1f}ms")
        print(f"{'UI lag, median':46} {lag['lag_ms_median']:8.1f}ms")
        if lag["lag_ms_max_while_stems_join"] is not None:
            print(f"{'UI lag while the stems join the view, max':46} "
                  f"{lag['lag_ms_max_while_stems_join']:8.1f}ms  <= 50 ms ({lag['stems_join_turns']} turns)")
        print(f"{'audio underflows (xruns) during the run':46} {lag['xruns']:10d}  0")
        print(f"{'  of which late blocks (ring not dry)':46} {lag['late_blocks']:10d}")
        print(f"{'ticks more than 50 ms late':46} {lag['late_ticks_over_50ms']:10d}  0")
        print(f"{'segments separated during the run':46} {lag['segments_done']:>5}/{lag['segments_total']:<4}")
        for name, ms in lag["handler_ms_max"].items():
            cpu = lag["handler_cpu_ms_max"].get(name)
            print(f"{'  slowest ' + name:46} {ms:8.1f}ms" + (f"  (CPU {cpu:.1f} ms)" if cpu else ""))
        for stall in lag["stalls"]:
            print(f"  stall {stall['ms']:.0f} ms: UI thread's CPU {stall['ui_thread_cpu_ms']:.0f} ms, a Python "
                  f"thread was {stall['python_thread_late_ms']:.0f} ms late meanwhile; UI work: {', '.join(stall['ui_work_meanwhile']) or 'none timed'}")
    print(json.dumps({"benchmark": "ui", "gil_switch_interval_ms": sys.getswitchinterval() * 1000,
                      "redraw": redraw, "lag": lag}))


if __name__ == "__main__":
    main()

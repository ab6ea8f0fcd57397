"""The real-time engine: a Renderer feeding an output device through a ring buffer.

    UI thread --setters--> Controls.snapshot <--reads-- producer thread: Renderer.render(block)
                                                           -> RingOutput ring -> C callback -> device

The producer keeps the ring full; the callback (rtmixer, C) only copies out. The ring's fill
is the control latency: 5 blocks of 256 (29 ms) while the mix plays as it is, 8 (46 ms) while
Rubber Band stretches it, whose work comes in bursts (a block can take 20 ms) and whose own
latency (~110 ms at 0.5x) dwarfs the ring's anyway.
While paused the producer writes silence, so the device never starves and play() answers
within the ring's length. Play and pause fade over one written chunk (click-free).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque

import numpy as np

from woodshed.separation.errors import UserError
from woodshed.separation.manifest import MANIFEST_NAME

from .controls import Controls
from .output import CallbackOutput, RingOutput, choose_rate, open_output
from .priority import make_current_thread_realtime
from .render import Renderer

log = logging.getLogger(__name__)

MANIFEST_POLL_S = 0.5
STALL_S = 1.5          # a device that takes nothing for this long has gone
# Blocks rendered per wake-up at 1.0x: each costs little, and waking costs more than mixing
# (measured: the whole process at 3.2 % of a core with one block a wake-up, mixing 0.6 %)
PLAIN_CHUNK_BLOCKS = 2


class Engine:
    """Plays a cached song on an output device.

    Threads (the Mixxx habit: each method says who calls it):
    - the caller's thread (the UI thread, or the terminal's): every public method and property.
      Setters only write Controls' snapshot and flags; none waits on the producer.
    - the producer thread (``_produce``): renders into the ring; it alone calls the Renderer.
    - the manifest watcher (``_watch_manifest``): while separation runs, tells the Renderer
      which regions are done.
    - the device's callback (rtmixer, C): copies the ring out; no Python at all.
    """

    def __init__(self, song, device: int | str | None = None, blocksize: int = 256,
                 ring_blocks: int = 8, plain_ring_blocks: int = 5, backend: str = "auto"):
        self.song = song
        self.backend = backend  # "auto": rtmixer if installed, else a sounddevice callback
        self.device = device
        self.blocksize = int(blocksize)
        self.ring_blocks = int(ring_blocks)  # control latency vs. safety from underflows
        self.plain_ring_blocks = min(self.ring_blocks, int(plain_ring_blocks))  # at 1.0x, 0 st
        self.controls = Controls.for_song(song)
        self.sample_rate = song.manifest.sample_rate
        self._stems_lock = threading.Lock()  # take_stems: the window's thread or the watcher
        self._playing = False
        self._output: RingOutput | CallbackOutput | None = None
        self._renderer: Renderer | None = None
        self._producer: threading.Thread | None = None
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()
        self._error: str | None = None
        self._xruns_before = 0   # underflows on devices closed by switch_device
        # (ring frame index, renderer output index, renderer advancing?) per producer block
        self._history: deque = deque(maxlen=1024)
        # A seek shows at once, until it is heard: (target_s, seek serial)
        self._seek_shown: tuple[float, int] | None = None
        self._parked_s = 0.0     # the position while no device is open
        self.realtime = False    # whether the OS gave the producer real-time scheduling
        self.producer_thread_id: int | None = None  # the OS's id of the producer thread
        # Musical time (set before start()): the click on the song's beats (click.py) and the
        # speed trainer (trainer.py), both applied by the renderer on the producer thread.
        self.click = None
        self.trainer = None

    # --- lifetime (caller's thread) --------------------------------------------------
    def start(self) -> None:
        """Open the output stream; playback starts paused at the current position."""
        if self._output is not None:
            return
        self._open(self.device)

    def _open(self, device) -> None:
        channels = self.song.manifest.channels
        rate = choose_rate(device, channels, self.sample_rate)
        self.controls.add_stems(self.song.manifest.sources)  # any that joined meanwhile
        # The renderer first: if the song cannot be read, no device has been opened to leak
        renderer = Renderer(self.song, self.controls, out_rate=rate, meter=True, click=self.click,
                            trainer=self.trainer)
        renderer.set_ready_ranges(self.song.manifest.ready_ranges())
        output = open_output(device, channels, rate, self.blocksize, self.ring_blocks,
                             self.backend)
        self._renderer = renderer
        self._history.clear()
        self._history.append((0, 0, False))
        try:
            output.start()
        except Exception as exc:  # PortAudio refused at the last moment
            output.close()
            raise UserError(f"cannot start output device {output.device_name!r}: {exc}") from None
        self._output = output
        self._error = None
        self._stop.clear()
        self._producer = threading.Thread(target=self._produce, name="woodshed-producer",
                                          daemon=True)
        self._producer.start()
        if not self.song.manifest.complete:
            self._watcher = threading.Thread(target=self._watch_manifest,
                                             name="woodshed-manifest", daemon=True)
            self._watcher.start()

    def _shut(self) -> None:
        self._parked_s = self.position_s
        self._stop.set()
        for thread in (self._producer, self._watcher):
            if thread is not None and thread is not threading.current_thread():
                thread.join()
        self._producer = self._watcher = None
        if self._output is not None:
            self._xruns_before += self._output.underflows
            try:
                self._output.close()
            except Exception:  # a vanished device may fail to close; it is gone either way
                pass
            self._output = None

    def close(self) -> None:
        self._playing = False
        self._shut()

    def switch_device(self, device) -> None:
        """Restart on another device, keeping position, settings and play state."""
        playing = self._playing
        self._playing = False
        self._shut()
        self.device = device
        self.controls.seek(self._parked_s)
        self._open(device)
        self._playing = playing

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def take_stems(self) -> None:
        """The song's stems joined its mix (it opened before the model was loaded): mix them
        in from here on, playing on without a gap. Called by the manifest watcher when it
        sees them, and by the window before it shows their strips (whichever comes first).
        A UserError if the song changed more than that (its mix decoded again at another
        rate for an unusual model): the caller then opens the song afresh."""
        with self._stems_lock:
            m = self.song.manifest
            if (m.sample_rate, m.frames, m.channels) != (self.sample_rate, self.controls.frames,
                                                         self.controls.channels):
                raise UserError(f"{m.title}: its mix was decoded again for the model: reopen it")
            if all(s in self.controls.stems for s in m.sources):
                return
            renderer = self._renderer
            if renderer is not None:
                renderer.offer_stems(self.song)  # before the gains: see Renderer._gains
            self.controls.add_stems(m.sources)

    # --- transport and sound (caller's thread) ----------------------------------------
    def play(self) -> None:
        if self._output is None or self._error is not None:
            raise UserError(self._error or "the engine is not started")
        self._playing = True

    def pause(self) -> None:
        self._playing = False

    def set_click(self, click) -> None:
        """The click from now on (None: none); the producer picks it up at its next block."""
        self.click = click
        renderer = self._renderer
        if renderer is not None:
            renderer.click = click

    def set_trainer(self, trainer) -> None:
        """The speed trainer from now on (None: none, the musician's tempo again). A new
        trainer starts at its first pass; the producer picks it up at its next block."""
        self.trainer = trainer
        renderer = self._renderer
        if renderer is not None:
            renderer.trainer = trainer

    @property
    def trainer_pass(self) -> tuple[int, float] | None:
        """(pass, speed) of the speed trainer as heard now (pass 0 is the first), or None
        without a trainer or before its first pass is heard. Reads the producer's record;
        never waits on it."""
        output, renderer = self._output, self._renderer
        if output is None or renderer is None or self.trainer is None:
            return None
        return renderer.trainer_pass_at(self._heard_index(output))

    def count_in(self, bars: int) -> None:
        """Give the next play() ``bars`` bars of count-in (needs self.click)."""
        if self._renderer is not None:
            self._renderer.count_in(bars)

    @property
    def playing(self) -> bool:
        return self._playing

    def seek(self, position_s: float) -> None:
        self.controls.seek(position_s)
        snap = self.controls.snapshot
        self._seek_shown = (snap.seek_frame / self.sample_rate, snap.seek_serial)
        self._parked_s = self._seek_shown[0]

    @property
    def position_s(self) -> float:
        """The frame being heard now, in source seconds (ring, device and stretcher latency
        compensated)."""
        output, renderer = self._output, self._renderer
        shown = self._seek_shown
        if output is None or renderer is None:
            return self._parked_s
        index = self._heard_index(output)
        if shown is not None:
            if not renderer.seek_heard(shown[1], index):
                return shown[0]
            self._seek_shown = None
        return min(self.duration_s, max(0.0, renderer.source_frame_at(index) / self.sample_rate))

    def _heard_index(self, output) -> float:
        """The renderer's output frame being heard now (ring and device latency)."""
        heard = output.written_frames - output.buffered() - output.latency_s * output.sample_rate
        for ring_index, render_index, advancing in reversed(list(self._history)):
            if ring_index <= heard:
                return render_index + (heard - ring_index if advancing else 0)
        return 0.0

    @property
    def duration_s(self) -> float:
        return self.song.manifest.duration_s

    @property
    def stems(self) -> list[str]:
        return list(self.controls.stems)

    @property
    def xruns(self) -> int:
        output = self._output
        return self._xruns_before + (output.underflows if output is not None else 0)

    @property
    def error(self) -> str | None:
        return self._error

    def levels(self) -> dict[str, float]:
        renderer = self._renderer
        if renderer is None:
            return {s: 0.0 for s in self.stems}
        return renderer.levels()

    def ready_ranges_s(self) -> list[tuple[float, float]]:
        renderer = self._renderer
        ranges = (renderer.mixer.ready_ranges if renderer is not None
                  else self.song.manifest.ready_ranges())
        return [(a / self.sample_rate, b / self.sample_rate) for a, b in ranges]

    # --- controls (forwarded; see Controls) ---------------------------------------
    def set_gain_db(self, stem: str, db: float) -> None:
        self.controls.set_gain_db(stem, db)

    def set_mute(self, stem: str, muted: bool) -> None:
        self.controls.set_mute(stem, muted)

    def set_solo(self, stem: str, soloed: bool) -> None:
        self.controls.set_solo(stem, soloed)

    def set_pan(self, stem: str, pan: float) -> None:
        self.controls.set_pan(stem, pan)

    def set_master_db(self, db: float) -> None:
        self.controls.set_master_db(db)

    def effective_gains(self) -> dict[str, float]:
        return self.controls.effective_gains()

    def set_click_db(self, db: float) -> None:
        self.controls.set_click_db(db)

    def set_click_mute(self, muted: bool) -> None:
        self.controls.set_click_mute(muted)

    def set_click_pan(self, pan: float) -> None:
        self.controls.set_click_pan(pan)

    def set_count_in_bars(self, bars: int) -> None:
        self.controls.set_count_in_bars(bars)

    def set_count_in_every_pass(self, every_pass: bool) -> None:
        self.controls.set_count_in_every_pass(every_pass)

    def set_tempo(self, ratio: float) -> None:
        self.controls.set_tempo(ratio)

    @property
    def tempo(self) -> float:
        return self.controls.tempo

    def set_pitch(self, semitones: float) -> None:
        self.controls.set_pitch(semitones)

    @property
    def pitch_semitones(self) -> float:
        return self.controls.pitch_semitones

    def set_loop(self, start_s: float, end_s: float) -> None:
        self.controls.set_loop(start_s, end_s)

    def set_loop_enabled(self, enabled: bool) -> None:
        self.controls.set_loop_enabled(enabled)

    def clear_loop(self) -> None:
        self.controls.clear_loop()

    @property
    def loop(self) -> tuple[float, float, bool] | None:
        return self.controls.loop

    # --- threads ------------------------------------------------------------------------
    def _produce(self) -> None:
        """Producer thread: keeps the ring filled, fades play/pause, notices the song's end."""
        self.producer_thread_id = threading.get_native_id()
        self.realtime = make_current_thread_realtime()
        output, renderer, block = self._output, self._renderer, self.blocksize
        chunks = (block, block * PLAIN_CHUNK_BLOCKS)
        silence = np.zeros((output.channels, max(chunks)), np.float32)
        ramps_up = {n: np.arange(1, n + 1, dtype=np.float32) / n for n in chunks}
        gain = 0.0                       # output fade for play/pause
        end_frame = self.song.manifest.frames
        last_taken_s, last_buffered = time.monotonic(), -1
        try:
            while not self._stop.is_set():
                output.check()
                stretching = renderer.stretching or self.controls.snapshot.stretching
                output.fill_frames = block * (self.ring_blocks if stretching
                                              else self.plain_ring_blocks)
                frames = chunks[0] if stretching else chunks[1]
                buffered = output.buffered()
                if buffered != last_buffered:
                    last_taken_s, last_buffered = time.monotonic(), buffered
                elif time.monotonic() - last_taken_s > STALL_S or not output.active:
                    raise RuntimeError("the audio device stopped taking sound")
                space = output.space()
                if space < frames:  # wake when about a chunk is free: polling costs CPU
                    time.sleep(max(0.0005, (frames - space) / output.sample_rate))
                    continue
                target = 1.0 if self._playing else 0.0
                ring_index = output.written_frames
                if target == 0.0 and gain == 0.0:
                    renderer.mixer.peaks *= 0.9 ** (frames // block)  # meters fall while paused
                    if self._history[-1][2]:
                        self._history.append((ring_index, renderer.output_index, False))
                    output.write(silence[:, :frames])
                    continue
                self._history.append((ring_index, renderer.output_index, True))
                audio = renderer.render(frames)
                loop = self.controls.snapshot.loop_frames
                read_frame = renderer.playhead.frame  # cheap; the heard frame is behind it
                if (target and read_frame >= end_frame and (loop is None or read_frame > loop[1])
                        and renderer.position_frame >= end_frame + output.latency_s * self.sample_rate
                        + output.buffered() * self.sample_rate / output.sample_rate):
                    self._playing = False  # the song has ended (its last frame is heard now)
                if target != gain:  # fade over this chunk
                    ramp_up = ramps_up[frames]
                    audio *= ramp_up if target > gain else ramp_up[::-1] - 1.0 / frames
                    gain = target
                output.write(audio)
        except Exception as exc:  # the device vanished or the stream died: stop cleanly
            # (or a bug: either way the traceback goes to the log, not lost with the thread)
            log.exception("the producer thread stopped")
            self._error = _stopped_line(exc)
            self._playing = False

    def _watch_manifest(self) -> None:
        """Watcher thread, off the audio path: pick up regions separation has finished meanwhile.

        The manifest is re-read only when it was replaced (it carries the waveform peaks:
        megabytes for an hour-long song), which separation does every few segments."""
        seen = None
        while not self._stop.wait(MANIFEST_POLL_S):
            try:
                stat = (self.song.dir / MANIFEST_NAME).stat()
                if (stat.st_mtime_ns, stat.st_size, stat.st_ino) == seen:
                    continue
                self.song.reload()
                seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            except (OSError, ValueError):
                continue  # being replaced right now: next time
            try:
                self.take_stems()
            except UserError:
                return  # the window opens the song afresh (see take_stems)
            renderer = self._renderer
            if renderer is not None:
                renderer.set_ready_ranges(self.song.manifest.ready_ranges())
            if self.song.manifest.complete:
                return


def _stopped_line(exc: Exception) -> str:
    """One line for the musician when playback stopped: the device's own words for a device
    that went away, and for anything else (a bug) where its traceback was written."""
    from woodshed.player.log_file import where_details_are

    if type(exc) is RuntimeError or isinstance(exc, OSError) or type(exc).__module__ == "sounddevice":
        return f"playback stopped: {exc}"
    text = " ".join(f"playback stopped by a bug in Woodshed: {type(exc).__name__}: {exc}".split())
    details = where_details_are()
    return f"{text}; {details}" if details else text

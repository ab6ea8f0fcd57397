"""The one render path: stems -> mix -> stretcher -> resampler, for live playback and export.

    playhead (loops, seeks) -> StemMixer (gains, ramps) -> Stretcher (tempo, pitch) -> soxr
    source frames              "mix stream"                 "post" frames at song rate    out rate

At 1.0x and 0 semitones the stretcher is bypassed (no latency, no cost). Entering or leaving
the bypass crossfades between the plain mix and the stretched mix, aligned so the playhead
stays continuous: on entry the stretcher restarts at the frame the bypass would play next;
on exit the bypass resumes at the frame the stretcher was outputting.

Positions: one read log (read_log.py) says where each output frame came from (source
frame, loop pass, trainer pass, speed, seek), stretcher latency included. The playhead
shown, the click (added after the stretcher at the output frames where the grid's beats
are heard), the count-in and the speed trainer's state all read it. To write it, the
renderer keeps the pieces it fed the stretcher (mix-stream frame -> source frame, passes)
until their output comes out: a handful, dropped as they are heard.

Count-in: before the song's next frame (count_in), and with Controls' count_in_every_pass
before every pass of an enabled loop: the pass plays to the loop's end (its last few ms
fade out), the clicks count in at the speed of the pass to come, and the loop's start
enters one beat after the last click (the stretcher restarts there, as at play).
"""
from __future__ import annotations

import threading
from collections import deque

import numpy as np
import soxr

from woodshed.separation.errors import UserError

from .controls import Controls
from .mixer import StemMixer
from .playhead import Playhead
from .read_log import ReadLog
from .stretch import MAX_FEED_FRAMES, Stretcher, make_later

BLOCK_FRAMES = 256           # mixing block while bypassed
BYPASS_FADE_S = 0.010        # crossfade entering / leaving the stretcher
# Before leaving, the stretcher runs at 1.0x, 0 st this long, so what it outputs at the
# crossfade is in step with the plain mix (its output lags its ratio changes).
SETTLE_S = 0.15
SPLICE_SEARCH_S = 0.006     # leaving the stretcher: how far to look for the in-phase frame
_FED_PIECES = 256            # bound on pieces fed but not yet heard (a handful in practice)


class Renderer:
    def __init__(self, song, controls: Controls | None = None, out_rate: int | None = None,
                 meter: bool = False, click=None, trainer=None):
        m = song.manifest
        self.song = song
        self.controls = controls if controls is not None else Controls.for_song(song)
        self.sample_rate = m.sample_rate
        self.out_rate = int(out_rate or m.sample_rate)
        self.channels = m.channels
        self.meter = meter
        self.click = click                  # a Click (click.py), added after the stretcher
        self.trainer = trainer              # a SpeedTrainer (trainer.py): speed per loop pass
        # The trainer's passes count from when it (or its loop) was set: (trainer, loop,
        # playhead.loop_passes then). Producer thread only.
        self._trainer_from: tuple | None = None
        # (beats, period, frames, source frame the song enters at, tempo heard)
        self._count_in: tuple[int, float, int, float, float] | None = None
        self._count_in_done = 0
        self._pre_roll_frames = 0           # output (post) frames of count-in before the song
        self.mixer = StemMixer(song)
        self._offered = None                # (mixer, stack, fade stack) with stems that joined
        self.playhead = Playhead(self.sample_rate)
        self._fade_frames = max(1, int(round(BYPASS_FADE_S * self.sample_rate)))
        self._fade_in = (np.arange(1, self._fade_frames + 1, dtype=np.float32)
                         / (self._fade_frames + 1))
        splice_frames = 2 * int(SPLICE_SEARCH_S * self.sample_rate) + self._fade_frames
        self._stack_frames = max(MAX_FEED_FRAMES, BLOCK_FRAMES, splice_frames)
        self._stack = self._new_stack(self.mixer)
        self._fade_stack = np.zeros_like(self._stack)
        self._seek_serial = None            # None: the first block starts at the seek target
        self._loop: tuple[int, int] | None = None  # the loop of the last block
        # Started now, on a helper thread, so it is ready before the first tempo change
        # reaches the producer; None until then, and for good if Rubber Band cannot be loaded
        # (the song plays at 1.0x without it: stretch_unavailable says why).
        self._stretcher_coming = make_later(self.sample_rate, self.channels)
        self._stretcher: Stretcher | None = None
        self.stretch_unavailable: str | None = None
        self._stretching = False
        self._settle_left: int | None = None  # output frames at 1.0x still to run before bypass
        # where output came from (see module doc)
        self.read_log = ReadLog()
        self._mix_index = 0                  # mix-stream frames read so far
        # (mix_index, source frame, loop pass, trainer pass, seek serial) of each piece read,
        # until it is heard
        self._fed: deque = deque(maxlen=_FED_PIECES)
        self._post_index = 0                 # post-stretch (song-rate) frames emitted so far
        self._stretch_mix_pos = 0.0          # mix-stream frame of the stretcher's next output
        # A new ratio reaches the stretcher's output only after its delay (measured: at 0.5x
        # a position off by 1024 frames otherwise): (post index from which, tempo) to come.
        self._tempo_out = 1.0                # tempo of the output frames coming out now
        self._tempo_asked = 1.0
        self._tempo_changes: deque = deque()
        # A pitch change moves the stretcher's delay (stretch.py, delay_frames): from then on
        # its output comes that many frames later (or sooner). Measured, the move spreads
        # over about the old delay's length of output after the change; the read log follows
        # by slowing (or hurrying) the source frames over such a span rather than jumping,
        # so no beat is clicked twice or skipped: (first post frame, end post frame, mix
        # frames per output frame added to the tempo's); one at most (see _shift_delay).
        self._delay_shifts: deque = deque()
        self._resampler = None
        if self.out_rate != self.sample_rate:
            self._resampler = soxr.ResampleStream(self.sample_rate, self.out_rate, self.channels,
                                                  dtype="float32", quality="HQ")
        self._out_chunks: deque = deque()
        self._out_offset = 0                 # frames of _out_chunks[0] already returned
        self._out_buffered = 0
        self._out_index = 0                  # frames returned by render() so far
        self._lock = threading.Lock()        # render() is for one thread at a time

    # --- public -----------------------------------------------------------------
    def render(self, frames: int) -> np.ndarray:
        """The next ``frames`` output frames, (channels, frames) float32 at out_rate."""
        with self._lock:
            while self._out_buffered < frames:
                self._produce()
            out = np.empty((self.channels, frames), np.float32)
            filled = 0
            while filled < frames:
                chunk = self._out_chunks[0]
                take = min(frames - filled, chunk.shape[1] - self._out_offset)
                out[:, filled:filled + take] = chunk[:, self._out_offset:self._out_offset + take]
                filled += take
                self._out_offset += take
                if self._out_offset == chunk.shape[1]:
                    self._out_chunks.popleft()
                    self._out_offset = 0
            self._out_buffered -= frames
            self._out_index += frames
            return out

    @property
    def output_index(self) -> int:
        """Output frames returned by render() so far."""
        return self._out_index

    @property
    def position_frame(self) -> float:
        """Source frame in the next output frame render() returns (stretcher latency included)."""
        return self.source_frame_at(self._out_index)

    def source_frame_at(self, output_index: float) -> float:
        """Source frame heard in output frame ``output_index`` (recent frames only); any
        thread."""
        post = self._post_of(output_index)
        entry = self.read_log.entry_at(post)
        if entry is None:
            snap = self.controls.snapshot
            return float(snap.seek_frame if self._seek_serial is None else self.playhead.frame)
        return entry.source_at(post)

    def seek_heard(self, serial: int, output_index: float) -> bool:
        """Whether output frame ``output_index`` already plays after seek request ``serial``
        (a stretcher still outputs audio from before a seek for its latency); any thread."""
        entry = self.read_log.entry_at(self._post_of(output_index))
        return entry is not None and entry.seek_serial >= serial

    def trainer_pass_at(self, output_index: float) -> tuple[int, float] | None:
        """(pass, speed) of the speed trainer heard in output frame ``output_index``, passes
        counted from 0 (a count-in belongs to the pass after it); None without a trainer or
        before its first pass is heard. Any thread."""
        trainer = self.trainer
        entry = self.read_log.entry_at(self._post_of(output_index))
        if trainer is None or entry is None or entry.trainer_pass < 0:
            return None
        return entry.trainer_pass, trainer.speed(entry.trainer_pass)

    def _post_of(self, output_index: float) -> float:
        return output_index * self.sample_rate / self.out_rate

    @property
    def seek_serial(self) -> int | None:
        """The last seek request (Controls' serial) this renderer has carried out."""
        return self._seek_serial

    @property
    def stretching(self) -> bool:
        return self._stretching

    def levels(self) -> dict[str, float]:
        return dict(zip(self.mixer.stems, self.mixer.peaks.tolist()))

    def offer_stems(self, song) -> None:
        """The song's stems joined its mix (separation began after it opened): a mixer that
        reads them, made here on the caller's thread; the producer takes it at the first
        block whose controls have the stems' gains (Controls.add_stems, called after this),
        so the sound goes on without a gap. Where they are not separated, the mix plays."""
        mixer = StemMixer(song)
        stack = self._new_stack(mixer)
        self._offered = (mixer, stack, np.zeros_like(stack))

    def _new_stack(self, mixer: StemMixer) -> np.ndarray:
        return np.zeros((mixer.source_count, self._stack_frames, self.channels), np.float32)

    def _gains(self, snap) -> np.ndarray:
        """The snapshot's gains for the mixer in use; takes the offered mixer once the gains
        have its stems. Until then (one block, at most) the mix alone, at its own gain."""
        gains = snap.stem_gains
        if len(gains) == self.mixer.source_count:
            return gains
        offered = self._offered
        if offered is not None and offered[0].source_count == len(gains):
            self.mixer, self._stack, self._fade_stack = offered
            self._offered = None
            return gains
        mix_only = np.zeros((self.mixer.source_count, self.channels), np.float32)
        mix_only[-1] = gains[-1]
        return mix_only

    def set_ready_ranges(self, ranges) -> None:
        """Frames where stems are final (from a reloaded manifest); elsewhere the mix plays."""
        self.mixer.ready_ranges = tuple((int(a), int(b)) for a, b in ranges)

    # --- producing -------------------------------------------------------------
    def count_in(self, bars: int) -> None:
        """Before the song's next frame, ``bars`` bars of clicks at the tempo that will be heard;
        the song then enters one beat after the last click, as the next bar's 1 would.
        Needs a click (self.click): the count-in is the click's."""
        if bars <= 0 or self.click is None:
            return
        with self._lock:
            self._arm_count_in(bars)

    def _arm_count_in(self, bars: int) -> None:
        snap = self.controls.snapshot
        frame = snap.seek_frame if snap.seek_serial != self._seek_serial else self.playhead.frame
        beats = bars * self.click.beats_per_bar
        tempo = self._tempo(snap)
        period = self.click.beat_period_frames(frame) / tempo
        self._count_in = (beats, period, int(round(beats * period)), float(frame), tempo)
        self._count_in_done = 0

    def _produce(self) -> None:
        if self._count_in is not None:
            self._produce_count_in()
            return
        snap = self.controls.snapshot
        self._follow_trainer(snap)   # before any read: the read log marks each piece's pass
        if self._stretching and snap.seek_serial != self._seek_serial:
            self._restart_stretch_at_seek(snap)
        elif self._wants_stretch(snap) and not self._stretching and self._stretcher_ready():
            self._enter_stretch(snap)
        elif self._stretching and not self._wants_stretch(snap):
            if self._settle_left is None:
                self._settle_left = int(SETTLE_S * self.sample_rate)
            self._settle_left -= self._stretch_step(snap)
            if self._settle_left <= 0:
                self._leave_stretch()
        elif self._stretching:
            self._settle_left = None
            self._stretch_step(snap)
        else:
            n = BLOCK_FRAMES
            bars = self._count_in_bars_at_wrap(snap)
            to_wrap = self.playhead.frames_to_wrap(snap.loop_frames) if bars else None
            if to_wrap is not None and to_wrap <= BLOCK_FRAMES + self._fade_frames:
                n = to_wrap   # end the block at the wrap, with room for the fade-out
            start, passes = self._mix_index, self.playhead.loop_passes
            block = self._mix(n)
            wrapped = bars and self.playhead.loop_passes != passes
            if wrapped:
                _fade_out_end(block, self._fade_frames)
            self._emit(block, start, 1.0)
            if wrapped:
                self._count_in_at_wrap(bars)

    def _count_in_bars_at_wrap(self, snap) -> int:
        """Bars of count-in to play at the loop's next wrap (0: none)."""
        if not snap.count_in_every_pass or snap.loop_frames is None or self.click is None:
            return 0
        return snap.count_in_bars or 1

    def _count_in_at_wrap(self, bars: int) -> None:
        """The pass just read ended at the loop's end: count in before the next one, which
        starts afresh at the loop's start (no splice from past the loop's end)."""
        self.playhead.cancel_splice()
        if self._stretching:
            self._stretching = False    # restarts after the count-in (see _enter_stretch)
            self._settle_left = None
        self._arm_count_in(bars)

    def _produce_count_in(self) -> None:
        """A block of the count-in: clicks on silence, the playhead held where the song starts
        (its read log entry says: these output frames play no source frames)."""
        beats, period, total, frame, tempo = self._count_in
        n = min(BLOCK_FRAMES, total - self._count_in_done)
        block = np.zeros((self.channels, n), np.float32)
        snap = self.controls.snapshot
        self.click.add_count_in(block, self._count_in_done, period, beats, snap.click_gains)
        serial = snap.seek_serial if self._seek_serial is None else self._seek_serial
        self.read_log.append(self._post_index, frame, 0.0, self.playhead.loop_passes,
                             self._trainer_pass_of(self.playhead.loop_passes, snap), tempo,
                             serial)
        self._post_index += n
        self._pre_roll_frames = self._post_index
        self._count_in_done += n
        if self._count_in_done >= total:
            self._count_in = None
        self._queue_out(block)

    def _mix(self, n: int) -> np.ndarray:
        """The next n frames of the mix stream (n <= MAX_FEED_FRAMES)."""
        snap = self.controls.snapshot
        gains = self._gains(snap)  # first: it may bring in the stems' mixer and stacks
        if snap.seek_serial != self._seek_serial:
            self.playhead.jump(snap.seek_frame, splice=self._seek_serial is not None)
            self._seek_serial = snap.seek_serial
        self._follow_loop(snap.loop_frames)
        pieces, fades = self.playhead.advance(n, snap.loop_frames)
        stack = self._stack[:, :n]
        for piece in pieces:
            self.mixer.read_stream(stack, piece.at, piece.start_frame, piece.length)
            self._fed.append((self._mix_index + piece.at, piece.start_frame, piece.loop_pass,
                              self._trainer_pass_of(piece.loop_pass, snap), self._seek_serial))
        for fade in fades:
            old = self._fade_stack[:, :fade.length]
            self.mixer.read(old, 0, fade.start_frame, fade.length)
            new = stack[:, fade.at:fade.at + fade.length]
            w = fade.weights[None, :, None]
            new *= 1.0 - w
            new += old * w
        self._mix_index += n
        return self.mixer.mix(stack, gains, self.meter)

    def _follow_loop(self, loop) -> None:
        """A loop moved so that its end is now behind a playhead that was looping inside the
        old one (B dragged left past the playhead): go round to its start, as a loop does."""
        old, self._loop = self._loop, loop
        frame = self.playhead.frame
        if (loop is not None and old is not None and loop != old and old[0] <= frame <= old[1]
                and frame >= loop[1]):
            self.playhead.jump(loop[0])

    def _emit(self, chunk: np.ndarray, mix_start: float, mix_per_post: float) -> None:
        """Queue post-stretch frames (song rate) for output, writing in the read log where
        they came from: mix-stream frames [mix_start, + n * mix_per_post), through the
        pieces fed (loop wraps and seeks split them). The click reads the new entries."""
        n = chunk.shape[1]
        if n == 0:
            return
        first = self.read_log.written
        fed = self._fed
        while len(fed) > 1 and fed[1][0] <= mix_start:   # wholly heard: drop
            fed.popleft()
        mix_end = mix_start + n * mix_per_post
        for k, (mix0, source0, loop_pass, trainer_pass, serial) in enumerate(fed):
            if k and mix0 >= mix_end:
                break
            lo = max(mix0, mix_start)
            self.read_log.append(self._post_index + (lo - mix_start) / mix_per_post,
                                 source0 + (lo - mix0), mix_per_post, loop_pass, trainer_pass,
                                 mix_per_post, serial)
        if self.click is not None:
            self.click.add(chunk, self._post_index, self.read_log.since(first),
                           self.controls.snapshot.click_gains)
        self._post_index += n
        self._queue_out(chunk)

    def _queue_out(self, chunk: np.ndarray) -> None:
        """Post-stretch frames (song rate) to the output queue, resampled to the output rate."""
        if self._resampler is not None:
            chunk = self._resampler.resample_chunk(np.ascontiguousarray(chunk.T)).T
            if chunk.shape[1] == 0:
                return
        self._out_chunks.append(chunk)
        self._out_buffered += chunk.shape[1]

    # --- stretching ------------------------------------------------------------
    def _stretcher_ready(self) -> bool:
        """Whether there is a stretcher (waits for the helper thread the first time: it was
        started when the song opened, so it is long done by a musician's first change)."""
        if self._stretcher is None and self.stretch_unavailable is None:
            try:
                self._stretcher = self._stretcher_coming.result()
            except UserError as exc:  # RubberBandMissing: the bypass plays on
                self.stretch_unavailable = exc.message
        return self._stretcher is not None

    def _wants_stretch(self, snap) -> bool:
        # The trainer keeps the stretcher in even at 1.0x: its steps never cross the bypass.
        return snap.stretching or self.trainer is not None

    def _trainer_pass_of(self, loop_pass: int, snap) -> int:
        """The trainer's pass for the playhead's loop pass ``loop_pass`` (-1: no trainer)."""
        trainer, since = self.trainer, self._trainer_from
        if trainer is None or since is None or since[0] is not trainer or since[1] != snap.loop_frames:
            return -1
        return loop_pass - since[2]

    def _trainer_pass(self, trainer, snap) -> int:
        """This pass's number for ``trainer``: wraps since it was set on this loop (a new
        trainer, or a moved loop, starts again from its first pass). Reads only: any thread."""
        since = self._trainer_from
        if since is None or since[0] is not trainer or since[1] != snap.loop_frames:
            return 0
        return self.playhead.loop_passes - since[2]

    def _tempo(self, snap) -> float:
        """The speed to play now: the trainer's for this loop pass, else the musician's."""
        trainer = self.trainer  # once: the window may take it away meanwhile
        if trainer is not None:
            return trainer.speed(self._trainer_pass(trainer, snap))
        return snap.tempo

    def _follow_trainer(self, snap) -> None:
        """Producer thread, before each feed: start counting a new trainer's (or a moved
        loop's) passes."""
        trainer = self.trainer
        if trainer is None:
            self._trainer_from = None
            return
        since = self._trainer_from
        if since is None or since[0] is not trainer or since[1] != snap.loop_frames:
            self._trainer_from = (trainer, snap.loop_frames, self.playhead.loop_passes)

    def _stretch_step(self, snap) -> int:
        """Feed the stretcher once; returns the output frames it gave."""
        self._follow_trainer(snap)
        tempo = self._tempo(snap)
        self._ask_tempo(tempo)
        delay = self._stretcher.delay_frames
        self._stretcher.set(tempo, snap.pitch_semitones)
        if self._stretcher.delay_frames != delay:
            self._shift_delay(delay, self._stretcher.delay_frames)
        wanted = max(self._stretcher.frames_wanted(), 128)
        bars = self._count_in_bars_at_wrap(snap)
        if self.trainer is not None or bars:
            # End the feed at the loop's wrap, so the next pass's speed (or a count-in)
            # starts exactly there.
            to_wrap = self.playhead.frames_to_wrap(snap.loop_frames)
            if to_wrap is not None:
                wanted = min(wanted, to_wrap)
        passes = self.playhead.loop_passes
        self._stretcher.feed(self._mix(wanted))
        if bars and self.playhead.loop_passes != passes:
            given = self._drain_to(self._mix_index)
            self._count_in_at_wrap(bars)
            return given
        out = self._stretcher.take()
        if out is None:
            return 0
        self._emit_stretched(out)
        return out.shape[1]

    def _drain_to(self, mix_end: int) -> int:
        """Emit what the stretcher still owes up to mix-stream frame mix_end (feeding it
        silence for its latency), the last few ms faded out; returns the frames emitted."""
        st = self._stretcher
        chunks, frames = [], 0
        needed = self._post_frames_until(mix_end)
        while frames < needed:
            out = st.take()
            if out is not None:
                chunks.append(out)
                frames += out.shape[1]
            if frames < needed:
                st.feed(np.zeros((self.channels, max(st.frames_wanted(), 128)), np.float32))
        if not chunks:
            return 0
        out = np.concatenate(chunks, axis=1)[:, :needed]
        _fade_out_end(out, self._fade_frames)
        self._emit_stretched(out)
        return out.shape[1]

    def _post_frames_until(self, mix_end: float) -> int:
        """Output frames until the stretcher's output reaches mix-stream frame mix_end,
        through the tempo changes and delay shifts still to reach its output."""
        pos = self._stretch_mix_pos
        for first, end, rate in self._segments():
            if end is None or pos + (end - first) * rate >= mix_end:
                return max(0, first - self._post_index
                           + int(np.ceil((mix_end - pos) / max(rate, 1e-9) - 1e-6)))
            pos += (end - first) * rate
        return 0

    def _segments(self) -> list[tuple[int, int | None, float]]:
        """The output to come, from the next frame on, as (first post frame, end post frame
        or None for the last, mix-stream frames per output frame): the tempo heard, changed
        where a tempo change reaches the output, slowed or hurried where a pitch change
        moves the stretcher's delay. A handful of entries (one per change in flight)."""
        post, tempo = self._post_index, self._tempo_out
        changes, shifts = self._tempo_changes, self._delay_shifts
        bounds = sorted({at for at, _ in changes if at > post}
                        | {q for first, end, _ in shifts for q in (first, end) if q > post})
        segments, k = [], 0
        for end in bounds + [None]:
            while k < len(changes) and changes[k][0] <= post:
                tempo = changes[k][1]
                k += 1
            shift = sum(rate for first, last, rate in shifts if first <= post < last)
            # never held nor backwards (a big tempo drop during a move): a quarter at least
            segments.append((post, end, max(0.25 * tempo, tempo + shift)))
            post = end
        return segments

    def _ask_tempo(self, tempo: float) -> None:
        if tempo != self._tempo_asked:
            self._tempo_asked = tempo
            self._tempo_changes.append((self._post_index + self._stretcher.delay_frames, tempo))

    def _shift_delay(self, old_frames: int, new_frames: int) -> None:
        """The pitch just changed the stretcher's delay from old_frames to new_frames: the
        output's source frames fall behind (or catch up) by the difference, spread over the
        old delay's length of output from now (as measured), or over twice the difference
        if that is longer (the source frames run at least at half the tempo, at most at
        1.5x it). Frames of delay at the tempo asked: a tempo changed with the pitch reaches
        the output within the span. What is left of a move still under way joins this one,
        so there is one span at most however fast the pitch changes."""
        post, tempo = self._post_index, self._tempo_asked
        owed = -(new_frames - old_frames) * tempo     # mix frames to fall behind (< 0) or gain
        for first, end, rate in self._delay_shifts:   # a move still under way joins this one
            owed += rate * max(0, end - max(first, post))
        span = max(old_frames, int(np.ceil(2 * abs(owed) / tempo)))
        self._delay_shifts.clear()     # one span at most: a pitch being dragged stays cheap
        self._delay_shifts.append((post, post + span, owed / span))

    def _emit_stretched(self, out: np.ndarray) -> None:
        """Queue stretcher output, split where a tempo change reaches the output or a delay
        shift begins or ends."""
        while self._tempo_changes and self._tempo_changes[0][0] <= self._post_index:
            self._tempo_out = self._tempo_changes.popleft()[1]
        while self._delay_shifts and self._delay_shifts[0][1] <= self._post_index:
            self._delay_shifts.popleft()
        start, n = self._post_index, out.shape[1]
        for first, end, rate in self._segments():
            lo, hi = first - start, n if end is None else min(n, end - start)
            if hi > lo:
                self._emit(out[:, lo:hi], self._stretch_mix_pos, rate)
                self._stretch_mix_pos += (hi - lo) * rate
            if hi >= n:
                break

    def _enter_stretch(self, snap) -> None:
        st = self._stretcher
        fresh_start = self._post_index == self._pre_roll_frames  # no song played yet
        # Set before the restart: the start delay it drops is the pitch's. With song played,
        # in step with the plain mix for the crossfade (ratio 1); the real values follow.
        tempo, pitch = (self._tempo(snap), snap.pitch_semitones) if fresh_start else (1.0, 0.0)
        st.set(tempo, pitch)
        st.restart()
        self._tempo_changes.clear()
        self._delay_shifts.clear()
        self._stretching = True
        self._settle_left = None
        self._stretch_mix_pos = float(self._mix_index)
        self._tempo_out = self._tempo_asked = tempo
        if fresh_start:   # nothing to fade from
            return
        plain, stretched = [], []
        plain_frames = stretched_frames = 0
        while stretched_frames < self._fade_frames:
            block = self._mix(max(st.frames_wanted(), 128))
            if plain_frames < self._fade_frames:
                plain.append(block)
                plain_frames += block.shape[1]
            st.feed(block)
            out = st.take()
            if out is not None:
                stretched.append(out)
                stretched_frames += out.shape[1]
        out = np.concatenate(stretched, axis=1)
        was = np.concatenate(plain, axis=1)[:, :self._fade_frames]
        _crossfade(out[:, :self._fade_frames], was, self._fade_in)
        self._emit_stretched(out)

    def _owed(self) -> np.ndarray:
        """The next fade's worth of what the stretcher still owes: its latency holds older
        audio, which it gives out while fed silence. The fade-out side of a crossfade."""
        st = self._stretcher
        owed, owed_frames = [], 0
        while owed_frames < self._fade_frames:
            st.feed(np.zeros((self.channels, max(st.frames_wanted(), 128)), np.float32))
            out = st.take()
            if out is not None:
                owed.append(out)
                owed_frames += out.shape[1]
        return np.concatenate(owed, axis=1)[:, :self._fade_frames]

    def _restart_stretch_at_seek(self, snap) -> None:
        """A seek while stretching: restart the stretcher at the new place and crossfade,
        rather than let its latency play on from the old place (heard after a paused seek)."""
        was = self._owed()
        st = self._stretcher
        st.set(self._tempo(snap), snap.pitch_semitones)   # first: the restart's delay is the pitch's
        st.restart()
        self._tempo_changes.clear()
        self._delay_shifts.clear()
        self._tempo_out = self._tempo_asked = self._tempo(snap)
        self._settle_left = None
        self.playhead.jump(snap.seek_frame, splice=False)
        self._seek_serial = snap.seek_serial
        self._stretch_mix_pos = float(self._mix_index)
        fresh, fresh_frames = [], 0
        while fresh_frames < self._fade_frames:
            st.feed(self._mix(max(st.frames_wanted(), 128)))
            out = st.take()
            if out is not None:
                fresh.append(out)
                fresh_frames += out.shape[1]
        out = np.concatenate(fresh, axis=1)
        _crossfade(out[:, :self._fade_frames], was, self._fade_in)
        self._emit_stretched(out)

    def _leave_stretch(self) -> None:
        was = self._owed()
        mapped = int(round(self._source_at_mix(self._stretch_mix_pos)))
        resume_frame = self._best_splice(mapped, was)
        loop = self.controls.snapshot.loop_frames
        if loop is not None and loop[0] <= mapped < loop[1] <= resume_frame:
            resume_frame += loop[0] - loop[1]  # the search crossed B: stay inside the loop
        self.playhead.jump(resume_frame, splice=False)
        self._stretching = False
        start = self._mix_index
        block = self._mix(max(BLOCK_FRAMES, self._fade_frames))
        _crossfade(block[:, :self._fade_frames], was, self._fade_in)
        self._emit(block, start, 1.0)

    def _best_splice(self, frame: int, was: np.ndarray) -> int:
        """The source frame near ``frame`` where the plain mix best continues ``was``.

        The stretcher keeps time within a few frames but not the phase of each partial
        (a phase vocoder), so a crossfade at the mapped frame alone can cancel a steady tone;
        a few milliseconds of search find the frame in phase (as WSOLA does).
        """
        search = int(SPLICE_SEARCH_S * self.sample_rate)
        lo = max(0, frame - search)
        n = frame + search - lo + was.shape[1]
        gains = self._gains(self.controls.snapshot)  # before the stack: it may bring a new one
        stack = self._stack[:, :n]
        self.mixer.read(stack, 0, lo, n)
        candidate = self.mixer.mix(stack, gains).sum(axis=0)
        target = was.sum(axis=0)
        match = np.correlate(candidate, target, "valid")
        energy = np.convolve(candidate * candidate, np.ones(len(target), np.float32), "valid")
        if not np.any(energy > 1e-12):
            return frame
        return lo + int(np.argmax(match / np.sqrt(energy + 1e-12)))

    def _source_at_mix(self, mix_index: float) -> float:
        """Source frame of mix-stream frame mix_index, among the pieces fed and not heard."""
        for mix0, source0, *_ in reversed(self._fed):
            if mix0 <= mix_index:
                return source0 + (mix_index - mix0)
        return float(self._fed[0][1]) if self._fed else float(self.playhead.frame)


def _fade_out_end(block: np.ndarray, fade_frames: int) -> None:
    """In place: the last fade_frames of block fade to silence (a pass ending for a count-in)."""
    n = min(fade_frames, block.shape[1])
    if n:
        block[:, -n:] *= np.linspace(1.0, 0.0, n + 1, dtype=np.float32)[1:]


def _crossfade(new: np.ndarray, old: np.ndarray, fade_in: np.ndarray) -> None:
    """In place: new fades in while old fades out (linear: never louder than either)."""
    n = min(new.shape[1], old.shape[1])
    new[:, :n] *= fade_in[:n]
    new[:, :n] += old[:, :n] * (1.0 - fade_in[:n])

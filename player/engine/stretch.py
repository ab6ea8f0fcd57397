"""Tempo without pitch change and pitch without tempo change: Rubber Band in real-time mode.

The renderer's one stretcher, behind the small interface it uses (set, restart, feed, take,
frames_wanted, delay_frames). Rubber Band comes through our own binding of its C API
(rubberband.py; DESIGN.md "Licence": the pylibrb binding it replaced is GPLv2-only).
R3 (the finer engine) with its standard window: R2 lands 16 cents sharp at half speed, and
R3's short window puts 41-110 Hz bass notes 30-50 cents off (measured, README "Stretcher").
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from .rubberband import (CHANNELS_TOGETHER, ENGINE_FINER, PITCH_HIGH_CONSISTENCY,
                         PROCESS_REALTIME, RubberBand)

MAX_FEED_FRAMES = 1024  # input per process() call; also bounds one mixing block
# Output one take() can give: a feed of MAX_FEED_FRAMES at the slowest tempo the binding
# accepts (1/16), with room for what a restart's padding leaves behind.
MAX_TAKE_FRAMES = 20 * MAX_FEED_FRAMES

MAX_SEMITONES = 48.0     # beyond the binding's clamp anyway; keeps 2 ** x from overflowing
# PitchHighConsistency: pitch changes crossing 1.0 otherwise jump (measured: a 0.5 step)
OPTIONS = PROCESS_REALTIME | ENGINE_FINER | CHANNELS_TOGETHER | PITCH_HIGH_CONSISTENCY


# Makes spare stretchers and frees used ones, off the producer thread (a new R3 stretcher
# takes 3-11 ms and ~3 MB here).
_maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="woodshed-stretcher")


def _release(_used: RubberBand) -> None:
    """Runs on the maker thread, which then drops the last reference (and the memory)."""


def make_later(sample_rate: int, channels: int) -> Future:
    """A Stretcher made on the helper thread: opening a song never waits for Rubber Band
    (its library's loading, 3-11 ms a stretcher), and a song plays at 1.0x on a machine
    without the library. The future holds RubberBandMissing then."""
    return _maker.submit(Stretcher, sample_rate, channels)


class Stretcher:
    """One stretcher for the whole mix. Audio in and out is (channels, frames) float32."""

    def __init__(self, sample_rate: int, channels: int):
        self.sample_rate = sample_rate
        self.channels = channels
        self._rb = self._make()
        self._fresh = True  # never fed: restarts as it is (deterministic: an export's start)
        self._spare = _maker.submit(self._make)
        self._to_drop = 0
        self._tempo, self._pitch_semitones = 1.0, 0.0   # as last set: a spare takes them on
        self.delay_frames = self._rb.start_delay

    def _make(self) -> RubberBand:
        return RubberBand(self.sample_rate, self.channels, OPTIONS, MAX_FEED_FRAMES,
                          MAX_TAKE_FRAMES)

    def set(self, tempo: float, pitch_semitones: float) -> None:
        """Change from the thread that calls feed(): Rubber Band smooths the change.
        A tempo of 0 or a NaN is ignored (the last good value stays); the binding clamps the rest."""
        if tempo > 0.0:  # False for NaN too
            self._tempo = tempo
            self._rb.set_time_ratio(1.0 / tempo)
        if (-MAX_SEMITONES <= pitch_semitones <= MAX_SEMITONES
                and pitch_semitones != self._pitch_semitones):
            self._pitch_semitones = pitch_semitones
            self._rb.set_pitch_scale(2.0 ** (pitch_semitones / 12.0))
            self.delay_frames = self._rb.start_delay   # the pitch's own (see delay_frames)

    def restart(self) -> None:
        """Forget all audio; the next output frame aligns with the next input frame, at the
        tempo and pitch last set (set them first: the start delay depends on the pitch).

        A fresh stretcher made beforehand on a helper thread takes over: Rubber Band before
        3.2 (Debian 12 has 3.1.2) does not forget everything on reset(), so its output after
        a reset differs from a fresh one's, by a lag of a few ms once the pitch was shifted
        (measured: a crossfade at the bypass then lost a third of a steady tone). The spare
        is made right after the last restart (3-11 ms here); only two restarts closer than
        that (an export's start and its seek, seeks in quick succession) wait for it, as
        reset() instead would make the same export give other samples depending on timing.
        One never fed is used as it is.
        """
        if not self._fresh:
            try:
                fresh = self._spare.result()
            except Exception:  # could not make one (memory): the old one, reset, plays on
                self._rb.reset()
            else:
                used, self._rb = self._rb, fresh
                _maker.submit(_release, used)
                # the spare was made at 1.0x, 0 st: it takes on the settings before its
                # start delay is read (that delay is the pitch's; read at 0 st and then
                # shifted, the output came 5 ms early at +2 st, 16 ms late at -5: README)
                fresh.set_time_ratio(1.0 / self._tempo)
                fresh.set_pitch_scale(2.0 ** (self._pitch_semitones / 12.0))
            self._spare = _maker.submit(self._make)
        self._fresh = False
        pad = self._rb.preferred_start_pad
        if pad:
            self._rb.process(np.zeros((self.channels, pad), np.float32))
        self.delay_frames = self._to_drop = self._rb.start_delay

    # delay_frames: output frames between audio (or a change) reaching the stretcher and
    # reaching its output. Measured (README "The stretcher", tests/test_stretch_delay.py):
    # the output lags the input by exactly the start delay Rubber Band reports for the pitch
    # in force, at any tempo (within 1.3 ms from 0.5x to 1.5x, -5 to +5 st); it depends on
    # the pitch alone (2048 frames at 0 st, 1825 at +2, 2734 at -5: half the FFT size over
    # the pitch scale), so a pitch change moves the output by the difference (the renderer
    # follows: render.py, _shift_delay).

    def frames_wanted(self) -> int:
        """Input frames Rubber Band needs before it can give more output (0..MAX_FEED_FRAMES)."""
        return min(MAX_FEED_FRAMES, max(0, self._rb.samples_required))

    def feed(self, audio: np.ndarray) -> None:
        self._fresh = False
        self._rb.process(audio)

    def take(self) -> np.ndarray | None:
        """All output available now (up to MAX_TAKE_FRAMES), start delay already dropped;
        None if nothing yet. A new array: the renderer keeps what it is given."""
        n = self._rb.retrieve_into_buffer()
        drop = min(self._to_drop, n)
        self._to_drop -= drop
        if n - drop <= 0:
            return None
        return self._rb.buffer[:, drop:n].copy()

"""Tempo without pitch change and pitch without tempo change: Rubber Band in real-time mode.

The only module that touches pylibrb (GPLv2 metadata, see DESIGN.md "Licence"): keep it so.
R3 (ENGINE_FINER) because R2 lands 16 cents sharp at half speed (measured, DESIGN.md).
"""
from __future__ import annotations

import numpy as np
import pylibrb
from pylibrb import Option, RubberBandStretcher

MAX_FEED_FRAMES = 1024  # input per process() call; also bounds one mixing block

pylibrb.set_default_logging_level(0)


class Stretcher:
    """One stretcher for the whole mix. Audio in and out is (channels, frames) float32."""

    def __init__(self, sample_rate: int, channels: int):
        # PitchHighConsistency: pitch changes crossing 1.0 otherwise jump (measured: a 0.5 step)
        options = (Option.PROCESS_REALTIME | Option.ENGINE_FINER | Option.CHANNELS_TOGETHER
                   | Option.PitchHighConsistency)
        self._rb = RubberBandStretcher(sample_rate, channels, options, 1.0, 1.0)
        self._rb.set_max_process_size(MAX_FEED_FRAMES)
        self.channels = channels
        self._to_drop = 0

    def set(self, tempo: float, pitch_semitones: float) -> None:
        """Change from the thread that calls feed(): Rubber Band smooths the change."""
        time_ratio = 1.0 / tempo
        pitch_scale = 2.0 ** (pitch_semitones / 12.0)
        if self._rb.time_ratio != time_ratio:
            self._rb.time_ratio = time_ratio
        if self._rb.pitch_scale != pitch_scale:
            self._rb.pitch_scale = pitch_scale

    def restart(self) -> None:
        """Forget all audio; the next output frame aligns with the next input frame."""
        self._rb.reset()
        pad = self._rb.get_preferred_start_pad()
        if pad:
            self._rb.process(np.zeros((self.channels, pad), np.float32))
        self._to_drop = self._rb.get_start_delay()

    @property
    def delay_frames(self) -> int:
        """Output frames between a change reaching the stretcher and reaching its output."""
        return self._rb.get_start_delay()

    def frames_wanted(self) -> int:
        """Input frames Rubber Band needs before it can give more output (0..MAX_FEED_FRAMES)."""
        return min(MAX_FEED_FRAMES, max(0, self._rb.get_samples_required()))

    def feed(self, audio: np.ndarray) -> None:
        self._rb.process(np.ascontiguousarray(audio, dtype=np.float32))

    def take(self) -> np.ndarray | None:
        """All output available now, start delay already dropped; None if nothing yet."""
        available = self._rb.available()
        if available <= 0:
            return None
        out = self._rb.retrieve(available)
        if self._to_drop:
            drop = min(self._to_drop, out.shape[1])
            self._to_drop -= drop
            out = out[:, drop:]
            if out.shape[1] == 0:
                return None
        return out

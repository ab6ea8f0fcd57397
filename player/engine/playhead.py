"""Where the renderer reads next, in source frames: loops wrap and seeks jump here, on the
input side of the stretcher, so a loop stays seamless and sample-accurate at any tempo.

Every jump (loop wrap, seek) keeps reading the old place for a few milliseconds, fading it
out while the new place fades in: the splice never clicks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPLICE_S = 0.005


@dataclass
class Piece:
    """``length`` source frames from ``start_frame``, landing at block offset ``at``, in
    loop pass ``loop_pass`` (wraps before it)."""
    at: int
    start_frame: int
    length: int
    loop_pass: int = 0


@dataclass
class Fade:
    """The old place, fading out over block offsets [at, at+length) from ``start_frame``;
    ``weights`` are its gains there (the new place gets 1 - weights)."""
    at: int
    start_frame: int
    length: int
    weights: np.ndarray


class Playhead:
    def __init__(self, sample_rate: int, frame: int = 0):
        self.frame = frame                      # next source frame to read
        self.splice_frames = max(1, int(round(SPLICE_S * sample_rate)))
        # Fade-out weights 1 -> 0 over the splice (linear: never louder than either side).
        self._fade_out = 1.0 - np.arange(1, self.splice_frames + 1, dtype=np.float32) / (
            self.splice_frames + 1)
        self._fading_from: int | None = None    # source frame the old place has reached
        self._fade_done = 0
        self.loop_passes = 0                    # loop wraps so far (the speed trainer counts)

    def jump(self, frame: int, splice: bool = True) -> None:
        if splice and frame != self.frame:
            self._fading_from, self._fade_done = self.frame, 0
        self.frame = int(frame)

    def cancel_splice(self) -> None:
        """No fade from the old place after the last jump (the song stopped there anyway:
        a count-in comes between the loop's end and its start)."""
        self._fading_from = None

    def advance(self, n: int, loop: tuple[int, int] | None) -> tuple[list[Piece], list[Fade]]:
        """The source pieces making the next n frames, and the fades over them."""
        pieces: list[Piece] = []
        fades: list[Fade] = []
        at = 0
        while at < n:
            fade = self._take_fade(at, n)
            if fade is not None:
                fades.append(fade)
            length = n - at
            if loop is not None and self.frame < loop[1] < self.frame + length:
                length = loop[1] - self.frame
            pieces.append(Piece(at, self.frame, length, self.loop_passes))
            self.frame += length
            at += length
            if loop is not None and self.frame == loop[1]:
                self.jump(loop[0])
                self.loop_passes += 1
        return pieces, fades

    def _take_fade(self, at: int, n: int) -> Fade | None:
        if self._fading_from is None:
            return None
        length = min(n - at, self.splice_frames - self._fade_done)
        fade = Fade(at, self._fading_from, length,
                    self._fade_out[self._fade_done:self._fade_done + length])
        self._fading_from += length
        self._fade_done += length
        if self._fade_done >= self.splice_frames:
            self._fading_from = None
        return fade

    def frames_to_wrap(self, loop: tuple[int, int] | None) -> int | None:
        """Source frames left before the loop wraps (None: no wrap ahead)."""
        if loop is None or not loop[0] <= self.frame < loop[1]:
            return None
        return loop[1] - self.frame

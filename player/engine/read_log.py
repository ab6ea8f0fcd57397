"""Where each output frame came from: the renderer's read log (Mixxx's ReadAheadManager keeps
one for the same reason).

One entry per stretch of output frames read from one place at one speed: from output
(post-stretch, song-rate) frame ``post_frame`` on, source frame ``source_frame`` is heard,
advancing ``source_per_post`` source frames per output frame (the speed; 0 while a count-in
holds the song), in loop pass ``loop_pass`` (the speed trainer's pass ``trainer_pass``,
-1 without one) at speed ``speed``, after seek request ``seek_serial``. The playhead, the click, the count-in and the speed trainer all read it.

The producer thread appends; the UI thread reads at the same time. The entries live in one
preallocated array used as a ring, so appending never allocates; an entry is written before
the count that publishes it, and a reader checks afterwards that what it read was not
overwritten meanwhile (it keeps well away from the oldest entries anyway).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

CAPACITY = 4096      # entries: ~12 s of output at one entry per 128 frames, far more than in flight
_MARGIN = 256        # entries a reader leaves alone at the old end: the producer may be there


class ReadEntry(NamedTuple):
    post_frame: float        # first output (post-stretch, song-rate) frame of this entry
    source_frame: float      # source frame heard there
    source_per_post: float   # source frames per output frame (0: the song is held)
    loop_pass: int           # the playhead's loop wraps before this read
    trainer_pass: int        # the speed trainer's pass, from 0 (-1: no trainer playing)
    speed: float             # the speed heard (a count-in's tempo while it clicks)
    seek_serial: int         # the seek request in effect

    def source_at(self, post_frame: float) -> float:
        return self.source_frame + (post_frame - self.post_frame) * self.source_per_post


class ReadLog:
    def __init__(self, capacity: int = CAPACITY):
        self._rows = np.zeros((capacity, len(ReadEntry._fields)), np.float64)
        self._capacity = capacity
        self.written = 0     # entries appended so far; those below it are complete

    # --- producer thread ---------------------------------------------------------
    def append(self, post_frame: float, source_frame: float, source_per_post: float,
               loop_pass: int, trainer_pass: int, speed: float, seek_serial: int) -> None:
        row = self._rows[self.written % self._capacity]
        row[0] = post_frame
        row[1] = source_frame
        row[2] = source_per_post
        row[3] = loop_pass
        row[4] = trainer_pass
        row[5] = speed
        row[6] = seek_serial
        self.written += 1    # publishes the row (one attribute store)

    def since(self, index: int) -> list[ReadEntry]:
        """Entries appended from ``index`` on (the producer's own recent ones)."""
        return [self._entry(k) for k in range(max(index, self.written - self._capacity),
                                               self.written)]

    # --- any thread ---------------------------------------------------------------
    def entry_at(self, post_frame: float) -> ReadEntry | None:
        """The entry in force at output frame ``post_frame``: the newest that starts at or
        before it (the oldest kept, for frames older than the log). None while empty."""
        for _ in range(3):   # a reader overtaken by the producer tries again
            written = self.written
            oldest = max(0, written - (self._capacity - _MARGIN))
            if written == 0:
                return None
            lo, hi = oldest, written - 1      # binary search: post frames only grow
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if self._rows[mid % self._capacity, 0] <= post_frame:
                    lo = mid
                else:
                    hi = mid - 1
            entry = self._entry(lo)
            if self.written - lo < self._capacity:   # not overwritten while we read
                return entry
        return None

    def newest(self) -> ReadEntry | None:
        written = self.written
        return None if written == 0 else self._entry(written - 1)

    def _entry(self, k: int) -> ReadEntry:
        r = self._rows[k % self._capacity].tolist()
        return ReadEntry(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5], int(r[6]))

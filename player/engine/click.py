"""The click: a metronome that follows the song's own beats, synthesised AFTER the
stretcher, so no tempo or pitch change smears it.

The renderer keeps one record of where its output comes from, its read log (read_log.py:
output frame -> source frame, speed, loop pass). For each block it hands out, the click
reads the block's entries, which say which source frames the block plays, and puts a click
at each output frame where a grid beat is heard; a downbeat gets the accented click.
Everything here is computed once (the click sounds, the beat frames) or is a few small
slices per block: nothing on the producer path allocates more than a click's length or
waits on anything.
"""
from __future__ import annotations

import numpy as np

CLICK_S = 0.030
ACCENT_HZ, BEAT_HZ = 1760.0, 1320.0
ACCENT_GAIN, BEAT_GAIN = 0.9, 0.6


def click_sound(sample_rate: int, hz: float, gain: float) -> np.ndarray:
    """A short sine burst that starts at full level on its first frame (a sharp onset),
    decays fast and ends at zero."""
    t = np.arange(int(CLICK_S * sample_rate)) / sample_rate
    env = np.exp(-t / 0.006) * np.linspace(1.0, 0.0, len(t))
    return (gain * np.sin(2 * np.pi * hz * t + np.pi / 2) * env).astype(np.float32)


class Click:
    """Clicks for a song's grid, added into post-stretch blocks (song rate, (channels, n))."""

    def __init__(self, grid, sample_rate: int, channels: int):
        self.sample_rate = sample_rate
        self.channels = channels
        self.beat_frames = np.round(np.asarray(grid.beats_s) * sample_rate).astype(np.int64)
        self.downbeat = np.array([grid.is_downbeat(i) for i in range(len(self.beat_frames))])
        self._sounds = (click_sound(sample_rate, BEAT_HZ, BEAT_GAIN),
                        click_sound(sample_rate, ACCENT_HZ, ACCENT_GAIN))
        self.beats_per_bar = grid.beats_per_bar
        self.grid = grid
        # Volume, mute and pan are the click's strip in Controls (snapshot.click_gains);
        # muted here silences this click object (the window's K), strip or not.
        self.muted = False
        self.on_beats = True     # False: only count-ins click (a count-in without the click)
        self._ringing: list[list] = []   # [sound, frames of it already played]

    def _gains(self, strip_gains) -> np.ndarray | None:
        """(channels, 1) gains from the strip (None: unity), or None when silent."""
        if self.muted:
            return None
        if strip_gains is None:
            return np.ones((self.channels, 1), np.float32)
        if not np.any(strip_gains):
            return None
        return np.asarray(strip_gains, np.float32)[:, None]

    def add(self, block: np.ndarray, block_post: float, entries, strip_gains=None) -> None:
        """Add the clicks heard in ``block`` in place.

        block_post: the output (post-stretch) frame of the block's first frame. entries:
        the renderer's read log entries for the block (read_log.ReadEntry), oldest first:
        each plays source frames from its source_frame at source_per_post per output
        frame until the next one starts. A grid beat is clicked at the output frame where
        it is heard. strip_gains: the click strip's gain per channel (Snapshot.click_gains).
        """
        n = block.shape[1]
        gains = self._gains(strip_gains)
        self._ring_on(block, 0, gains)
        if not self.on_beats:
            return
        for j, entry in enumerate(entries):
            speed = entry.source_per_post
            if speed <= 0:
                continue
            post_from = max(entry.post_frame, block_post)
            post_to = entries[j + 1].post_frame if j + 1 < len(entries) else block_post + n
            source_from = entry.source_at(post_from)
            # Beats in [source_from, source_to): entries tile the output, so each beat is
            # found once, by the entry whose stretch of source holds it.
            source_to = source_from + (post_to - post_from) * speed
            lo = int(np.searchsorted(self.beat_frames, source_from, side="left"))
            hi = int(np.searchsorted(self.beat_frames, source_to, side="left"))
            for i in range(lo, hi):
                heard = post_from + (self.beat_frames[i] - source_from) / speed - block_post
                at = min(n - 1, max(0, int(heard + 0.5)))
                self._ringing.append([self._sounds[int(self.downbeat[i])], 0])
                self._ring_on(block, at, gains, only_last=True)

    def beat_period_frames(self, source_frame: float) -> float:
        """The grid's beat length (source frames) around source_frame."""
        pos = self.grid.beat_position(source_frame / self.sample_rate)
        return (self.grid.time_of_beat(pos + 1) - self.grid.time_of_beat(pos)) * self.sample_rate

    def add_count_in(self, block: np.ndarray, done: int, period: float, beats: int,
                     strip_gains=None) -> None:
        """Count-in clicks into ``block``, which holds count-in frames [done, done + n):
        ``beats`` clicks ``period`` output frames apart from frame 0, accent on each bar's 1."""
        gains = self._gains(strip_gains)
        self._ring_on(block, 0, gains)
        for k in range(beats):
            at = int(round(k * period)) - done
            if 0 <= at < block.shape[1]:
                self._ringing.append([self._sounds[int(k % self.beats_per_bar == 0)], 0])
                self._ring_on(block, at, gains, only_last=True)

    def _ring_on(self, block: np.ndarray, at: int, gains, only_last: bool = False) -> None:
        """Play the clicks still sounding (or only the one just started) from block offset at."""
        ringing = self._ringing[-1:] if only_last else self._ringing
        for item in ringing:
            sound, done = item
            take = min(len(sound) - done, block.shape[1] - at)
            if gains is not None and take > 0:
                block[:, at:at + take] += gains * sound[done:done + take]
            item[1] = done + max(take, 0)
        self._ringing = [item for item in self._ringing if item[1] < len(item[0])]

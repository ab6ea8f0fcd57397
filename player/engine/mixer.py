"""Stems to one mix: read source frames from memory-mapped stems, apply per-stem gains ramped
over the block (click-free), sum.

Where separation has not finished a region yet, the stems there are not final: the original
mix plays instead. The mix is one more "source" row with the master gain, so a region
switches between stems and mix inside the same sum.
"""
from __future__ import annotations

import mmap

import numpy as np

from woodshed.separation import wavfile


RELEASE_EVERY_FRAMES = 20 * 44100
HANDOVER_FRAMES = 441  # mix <-> stems crossfade at the edge of a separated region (10 ms)


class StemMixer:
    def __init__(self, song):
        m = song.manifest
        self.stems = list(m.sources)
        self.channels = m.channels
        self.frames = m.frames
        # (frames, channels) read-only maps: opening costs nothing that grows with the song.
        self.sources = [wavfile.open_memmap(song.stem_path(s)) for s in self.stems]
        self.sources.append(wavfile.open_memmap(song.mix_path))
        # Never read past a file, whatever the manifest says (a file cut short plays silence).
        self.frames = min([self.frames] + [len(source) for source in self.sources])
        self.ready_ranges: tuple[tuple[int, int], ...] = tuple(m.ready_ranges())
        # The ranges the played stream last used, and while a change of them fades in, the
        # ranges it fades from and how far the fade has gone (see read_stream)
        self._stream_ranges = self.ready_ranges
        self._switch_from: tuple[tuple[int, int], ...] | None = None
        self._switch_done = 0
        self._switch_stack = np.zeros((len(self.sources), HANDOVER_FRAMES, self.channels),
                                      np.float32)
        self._gains = None  # gains applied at the end of the last block: ramps start there
        self._frames_since_release = 0
        self.peaks = np.zeros(len(self.stems), np.float32)  # post-fader, for meters

    @property
    def source_count(self) -> int:
        return len(self.sources)

    def read_stream(self, stack: np.ndarray, at: int, start_frame: int, length: int) -> None:
        """read() for the frames played one after another. When separation has finished
        more of the song since the last call (ready_ranges changed, maybe right under the
        playhead), the change fades in over HANDOVER_FRAMES instead of in one sample: a muted
        stem fades out where the stems take over from the mix, without a click."""
        ranges = self.ready_ranges  # one read: the manifest watcher may replace it meanwhile
        if ranges != self._stream_ranges:
            self._switch_from, self._switch_done = self._stream_ranges, 0
            self._stream_ranges = ranges
        self.read(stack, at, start_frame, length, ranges)
        if self._switch_from is None:
            return
        n = min(length, HANDOVER_FRAMES - self._switch_done)
        was = self._switch_stack[:, :n]
        self.read(was, 0, start_frame, n, self._switch_from)
        new_weight = (np.arange(self._switch_done + 1, self._switch_done + n + 1,
                                dtype=np.float32) / (HANDOVER_FRAMES + 1))[None, :, None]
        now = stack[:, at:at + n]
        now *= new_weight
        now += was * (1.0 - new_weight)
        self._switch_done += n
        if self._switch_done >= HANDOVER_FRAMES:
            self._switch_from = None

    def read(self, stack: np.ndarray, at: int, start_frame: int, length: int,
             ready_ranges=None) -> None:
        """Copy source frames [start_frame, start_frame+length) into stack[:, at:at+length].

        stack is (sources, frames, channels). Stems only where ready (ready_ranges, by
        default the latest), the mix elsewhere; zeros beyond the song's end.
        """
        ranges = self.ready_ranges if ready_ranges is None else ready_ranges
        stack[:, at:at + length] = 0.0
        self._frames_since_release += length
        if self._frames_since_release > RELEASE_EVERY_FRAMES:
            self.release_pages()
        end_frame = min(start_frame + length, self.frames)
        if end_frame <= start_frame:
            return
        stems_end = len(self.stems)
        cursor = start_frame
        for ready_start, ready_end in ranges:
            if ready_end <= cursor:
                continue
            if ready_start >= end_frame:
                break
            if ready_start > cursor:
                self._copy(stack, stems_end, stems_end + 1, at, cursor, start_frame, ready_start)
            lo, hi = max(cursor, ready_start), min(end_frame, ready_end)
            self._copy(stack, 0, stems_end, at, lo, start_frame, hi)
            cursor = hi
        if cursor < end_frame:
            self._copy(stack, stems_end, stems_end + 1, at, cursor, start_frame, end_frame)
        self._hand_over(stack, at, start_frame, end_frame, ranges)

    def _hand_over(self, stack: np.ndarray, at: int, start_frame: int, end_frame: int,
                   ranges) -> None:
        """Crossfade between the mix and the stems just inside each separated region's edges:
        a muted stem fades out where its region begins instead of vanishing in one step.
        Inside the region both are final, so the fade never plays unfinished stems."""
        fade = HANDOVER_FRAMES
        stems_end = len(self.stems)
        for ready_start, ready_end in ranges:
            if ready_end - ready_start < 2 * fade:
                continue
            edges = []
            if ready_start > 0:
                edges.append((ready_start, 1))          # mix -> stems over [start, start+fade)
            if ready_end < self.frames:
                edges.append((ready_end - fade, -1))    # stems -> mix over [end-fade, end)
            for edge, direction in edges:
                lo, hi = max(edge, start_frame), min(edge + fade, end_frame)
                if lo >= hi:
                    continue
                k = np.arange(lo - edge, hi - edge, dtype=np.float32)
                stems_weight = (k + 1 if direction > 0 else fade - k) / (fade + 1)
                dst = slice(at + lo - start_frame, at + hi - start_frame)
                stack[:stems_end, dst] *= stems_weight[None, :, None]
                stack[stems_end, dst] = self.sources[stems_end][lo:hi] * (1 - stems_weight)[:, None]

    def release_pages(self) -> None:
        """Let go of the pages already read: a mapped file's pages count as the process's
        memory once touched (measured: +380 MB after 3 minutes of 6 stems) though the OS
        keeps them cached; dropping them keeps memory flat whatever the song's length."""
        self._frames_since_release = 0
        if not hasattr(mmap, "MADV_DONTNEED"):
            return  # Windows: the working set is trimmed by the OS
        for source in self.sources:
            mapping = getattr(source, "_mmap", None)
            if mapping is not None:
                mapping.madvise(mmap.MADV_DONTNEED)

    def _copy(self, stack, first, last, at, lo, start_frame, hi):
        dst = at + lo - start_frame
        for k in range(first, last):
            stack[k, dst:dst + hi - lo] = self.sources[k][lo:hi]

    def mix(self, stack: np.ndarray, target_gains: np.ndarray, meter: bool = False) -> np.ndarray:
        """Sum stack (sources, frames, channels) with gains ramping linearly from the last
        block's gains to target_gains (sources, channels) over this block -> (channels, frames)."""
        n = stack.shape[1]
        start = self._gains if self._gains is not None else target_gains
        steady = np.einsum("snc,sc->cn", stack, start, dtype=np.float32)
        if not np.array_equal(start, target_gains):
            ramp = np.arange(1, n + 1, dtype=np.float32) / n
            change = np.einsum("snc,sc->cn", stack, target_gains - start, dtype=np.float32)
            steady += change * ramp
        self._gains = target_gains
        if meter:
            level = np.abs(stack[:-1]).max(axis=(1, 2)) * np.abs(target_gains[:-1]).max(axis=1)
            np.maximum(self.peaks * 0.9, level, out=self.peaks)
        return steady

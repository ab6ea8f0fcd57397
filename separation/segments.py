"""The segment grid demucs uses (apply_model with split=True), and blocks of final output.

Segment j covers [j*stride, j*stride + segment_frames); neighbours overlap and are blended with
triangular weights. Block k is [k*stride, (k+1)*stride): it is final once every segment that
overlaps it is done, whatever order segments ran in (the weighted sum does not care).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SegmentGrid:
    frames: int
    segment_frames: int
    stride_frames: int

    @classmethod
    def for_model(cls, frames: int, sample_rate: int, segment_s: float, overlap: float):
        # Same integer arithmetic as demucs.apply.apply_model.
        segment_frames = int(sample_rate * segment_s)
        return cls(frames, segment_frames, int((1 - overlap) * segment_frames))

    @property
    def count(self) -> int:
        return len(range(0, self.frames, self.stride_frames))

    def segment_range(self, j: int) -> tuple[int, int]:
        start = j * self.stride_frames
        return start, min(start + self.segment_frames, self.frames)

    def block_range(self, k: int) -> tuple[int, int]:
        return k * self.stride_frames, min((k + 1) * self.stride_frames, self.frames)

    @property
    def block_starts(self) -> list[int]:
        return list(range(0, self.frames, self.stride_frames))

    def segments_of_block(self, k: int) -> range:
        start, _ = self.block_range(k)
        first = 0
        while self.segment_range(first)[1] <= start:
            first += 1
        return range(first, k + 1)

    def blocks_of_segment(self, j: int) -> range:
        _, end = self.segment_range(j)
        last = j
        while last + 1 < self.count and self.block_range(last + 1)[0] < end:
            last += 1
        return range(j, last + 1)

    def order(self, pending: set[int], first_frames: tuple[int, int] | None) -> list[int]:
        """Pending segments: first those that make [start, end) final, then onward from
        there (where the musician is heading), then the rest from the top."""
        if first_frames is None:
            return sorted(pending)
        start, end = first_frames
        wanted = {j for k in range(self.count)
                  if self.block_range(k)[0] < end and self.block_range(k)[1] > start
                  for j in self.segments_of_block(k)}

        def rank(j):
            seg_start = self.segment_range(j)[0]
            if j in wanted:
                return (0, seg_start)
            return (1, seg_start) if seg_start >= start else (2, seg_start)

        return sorted(pending, key=rank)

"""Level of detail for waveform drawing: the manifest's min/max peaks, reduced 4x per level.

Drawing never touches samples, and never draws more than about two points per pixel, so a
60-minute song redraws as fast as a 3-minute one.
"""
from __future__ import annotations

import numpy as np

REDUCTION = 4


class PeakLevels:
    def __init__(self, mins: np.ndarray, maxs: np.ndarray, seconds_per_peak: float):
        self.seconds_per_peak = seconds_per_peak
        self.levels = [(np.asarray(mins, np.float32), np.asarray(maxs, np.float32))]
        while len(self.levels[-1][0]) > 2048:
            lo, hi = self.levels[-1]
            n = -(-len(lo) // REDUCTION) * REDUCTION
            lo = np.pad(lo, (0, n - len(lo)), mode="edge").reshape(-1, REDUCTION).min(axis=1)
            hi = np.pad(hi, (0, n - len(hi)), mode="edge").reshape(-1, REDUCTION).max(axis=1)
            self.levels.append((lo, hi))

    def zigzag(self, start_s: float, end_s: float, width_px: int) -> tuple[np.ndarray, np.ndarray]:
        """(x seconds, y) alternating min and max of each bin in view: drawn as one line it
        fills the envelope. At most one bin per pixel: the coarsest stored level that still has
        a bin per pixel, then merged down to the pixel count (painting cost follows points)."""
        width_px = max(16, int(width_px))
        level = 0
        span_bins = (end_s - start_s) / self.seconds_per_peak
        while level + 1 < len(self.levels) and span_bins / REDUCTION ** (level + 1) >= width_px:
            level += 1
        lo, hi = self.levels[level]
        bin_s = self.seconds_per_peak * REDUCTION ** level
        first = max(0, int(start_s / bin_s) - 1)
        last = min(len(lo), int(end_s / bin_s) + 2)
        if last <= first:
            return np.zeros(0), np.zeros(0)
        lo, hi = lo[first:last], hi[first:last]
        first_s = first * bin_s
        group = -(-len(lo) // width_px)
        if group > 1:  # merge neighbours: min of mins, max of maxs
            n = -(-len(lo) // group) * group
            lo = np.pad(lo, (0, n - len(lo)), mode="edge").reshape(-1, group).min(axis=1)
            hi = np.pad(hi, (0, n - len(hi)), mode="edge").reshape(-1, group).max(axis=1)
            bin_s *= group
        x = np.repeat(first_s + np.arange(len(lo), dtype=np.float64) * bin_s + bin_s / 2, 2)
        y = np.empty(2 * len(lo), np.float32)
        y[0::2] = lo
        y[1::2] = hi
        return x, y

"""Level of detail for waveform drawing: the manifest's min/max peaks, reduced 4x per level.

Drawing never touches samples, and never draws more than about two points per pixel, so a
60-minute song redraws as fast as a 3-minute one. Each level keeps, beside the min and max,
the song's loudness, which shows sections and attacks where the peaks of a loud, compressed
master are one flat block: the RMS the manifest stores (merged as power: the RMS of the
merged frames), or for a song separated before RMS was stored, the mean of the stored
peaks' amplitudes (about 23 ms each).
"""
from __future__ import annotations

import numpy as np

REDUCTION = 4
FLOOR_MAX_DB = 42.0  # the quietest a lane ever shows: this far below its loudest peak
FLOOR_MIN_DB = 6.0  # the least range a lane shows (a flat-out stem still gets 6 dB)
FLOOR_MARGIN_DB = 3.0  # below the song's quiet parts (their 5th percentile)


class PeakLevels:
    def __init__(self, mins: np.ndarray, maxs: np.ndarray, seconds_per_peak: float,
                 rms: np.ndarray | None = None):
        self.seconds_per_peak = seconds_per_peak
        lo, hi = np.asarray(mins, np.float32), np.asarray(maxs, np.float32)
        self.levels = [(lo, hi)]
        self.has_rms = rms is not None and len(rms) == len(lo)
        # Loudness per bin, per level, in the unit that merges by a mean: power (RMS²) when
        # the RMS is stored, else the peaks' amplitude.
        first = (np.square(np.asarray(rms, np.float32)) if self.has_rms
                 else np.maximum(np.abs(lo), np.abs(hi)))
        self.means = [first]
        while len(self.levels[-1][0]) > 2048:
            lo, hi = self.levels[-1]
            n = -(-len(lo) // REDUCTION) * REDUCTION
            lo = np.pad(lo, (0, n - len(lo)), mode="edge").reshape(-1, REDUCTION).min(axis=1)
            hi = np.pad(hi, (0, n - len(hi)), mode="edge").reshape(-1, REDUCTION).max(axis=1)
            mean = self.means[-1]
            mean = np.pad(mean, (0, n - len(mean)), mode="edge").reshape(-1, REDUCTION).mean(axis=1)
            self.levels.append((lo, hi))
            self.means.append(mean.astype(np.float32))

        lo, hi = self.levels[-1]
        self.loudest = float(max(np.abs(lo).max(initial=0), np.abs(hi).max(initial=0)))
        self.floor_db = self._floor_db()

    def _amplitude(self, mean: np.ndarray) -> np.ndarray:
        """A level's loudness as an amplitude (RMS from power)."""
        return np.sqrt(mean) if self.has_rms else mean

    def _floor_db(self) -> float:
        """The level (dB below the loudest peak) drawn as the lane's centre line: a little
        under the song's quiet parts, so a loud, compressed stem (its peaks all within a few
        dB) spreads over the lane's height instead of filling it; never below -FLOOR_MAX_DB."""
        mean = self._amplitude(self.means[-1])
        db = 20 * np.log10(np.maximum(mean, 1e-9) / max(self.loudest, 1e-9))
        sounding = db[db > -FLOOR_MAX_DB]
        if len(sounding) == 0:
            return -FLOOR_MAX_DB
        return float(max(-FLOOR_MAX_DB, min(-FLOOR_MIN_DB, np.percentile(sounding, 5) - FLOOR_MARGIN_DB)))

    def envelope(self, start_s: float, end_s: float, width_px: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x seconds, peak, loudness) per drawn bin in view, at most one bin per pixel: the
        loudest peak in the bin and its RMS (or, without stored RMS, the mean amplitude of the
        stored peaks it covers)."""
        level, first, last, bin_s, group = self._bins(start_s, end_s, width_px)
        if last <= first:
            return np.zeros(0), np.zeros(0, np.float32), np.zeros(0, np.float32)
        lo, hi = self.levels[level]
        peak = np.maximum(np.abs(lo[first:last]), np.abs(hi[first:last]))
        mean = self.means[level][first:last]
        if group > 1:
            n = -(-len(peak) // group) * group
            peak = np.pad(peak, (0, n - len(peak)), mode="edge").reshape(-1, group).max(axis=1)
            mean = np.pad(mean, (0, n - len(mean)), mode="edge").reshape(-1, group).mean(axis=1)
        x = first * self.seconds_per_peak * REDUCTION ** level + (
            np.arange(len(peak), dtype=np.float64) + 0.5) * bin_s * group
        return x, peak, self._amplitude(mean)

    def _bins(self, start_s: float, end_s: float, width_px: int):
        """(level, first bin, end bin, bin seconds, bins merged per drawn bin) for a view."""
        width_px = max(16, int(width_px))
        level = 0
        span_bins = (end_s - start_s) / self.seconds_per_peak
        while level + 1 < len(self.levels) and span_bins / REDUCTION ** (level + 1) >= width_px:
            level += 1
        bin_s = self.seconds_per_peak * REDUCTION ** level
        first = max(0, int(start_s / bin_s) - 1)
        last = min(len(self.levels[level][0]), int(end_s / bin_s) + 2)
        return level, first, last, bin_s, max(1, -(-(last - first) // width_px))

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

"""Waveform level of detail: never more than a bin per pixel, and no peak lost on the way."""
import numpy as np
import pytest

from woodshed.player.ui.peaks_view import PeakLevels

SECONDS_PER_PEAK = 1024 / 44100


@pytest.fixture
def hour():
    rng = np.random.default_rng(1)
    n = int(3600 / SECONDS_PER_PEAK)
    maxs = rng.uniform(0, 0.5, n).astype(np.float32)
    maxs[123_456] = 0.99  # one loud hit somewhere in the hour
    return PeakLevels(-maxs, maxs, SECONDS_PER_PEAK), maxs


@pytest.mark.parametrize("start_s,end_s", [(0, 3600), (1000, 3000), (2860, 2900), (2880, 2881)])
def test_at_most_one_bin_per_pixel_and_the_loudest_peak_survives(hour, start_s, end_s):
    levels, maxs = hour
    x, y = levels.zigzag(start_s, end_s, 1200)
    assert len(x) <= 2 * 1200
    assert x[0] <= start_s + 2 * (end_s - start_s) / 1200 and x[-1] >= end_s - 2 * (end_s - start_s) / 1200
    first, last = int(start_s / SECONDS_PER_PEAK), int(end_s / SECONDS_PER_PEAK)
    assert y.max() == pytest.approx(maxs[first:last + 1].max(), abs=1e-6)


def test_the_hit_is_drawn_where_it_happened(hour):
    levels, _ = hour
    x, y = levels.zigzag(0, 3600, 1200)
    hit_s = 123_456 * SECONDS_PER_PEAK
    assert abs(x[np.argmax(y)] - hit_s) < 3600 / 1200 * 2

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


# --- lanes a musician can read --------------------------------------------------------------
def sections(rng, n_bins: int, ranges) -> np.ndarray:
    """Per-bin peaks, each section's bins uniform in its (low, high) range."""
    parts = [rng.uniform(lo, hi, n_bins) for lo, hi in ranges]
    return np.concatenate(parts).astype(np.float32)


def test_a_loud_compressed_stem_shows_its_sections_not_one_block():
    from woodshed.player.ui.waveform import to_display

    rng = np.random.default_rng(2)
    n = 20_000  # about 8 minutes of peaks a section
    maxs = sections(rng, n, [(0.70, 0.80), (0.94, 1.0)])  # verse, chorus: within 3 dB
    levels = PeakLevels(-maxs, maxs, SECONDS_PER_PEAK)
    x, peak, mean = levels.envelope(0, len(maxs) * SECONDS_PER_PEAK, 1200)
    heights = to_display(mean, levels.loudest, levels.floor_db)
    verse, chorus = np.median(heights[x < n * SECONDS_PER_PEAK]), np.median(heights[x > n * SECONDS_PER_PEAK])
    assert chorus - verse > 0.3, (verse, chorus)  # a third of the lane apart
    # Drawn linearly by their peaks (as before) the two sections were nearly one block.
    _, y = levels.zigzag(0, len(maxs) * SECONDS_PER_PEAK, 1200)
    linear = y[1::2]
    linear_gap = np.median(linear[linear.size // 2:]) - np.median(linear[:linear.size // 2])
    assert chorus - verse > 1.5 * linear_gap, (chorus - verse, linear_gap)


def test_attacks_show_inside_a_loud_stem_and_silence_stays_flat():
    from woodshed.player.ui.waveform import to_display

    maxs = np.full(4000, 0.35, np.float32)
    maxs[::8] = 1.0  # a hit every 8 peaks (~190 ms), decaying between
    maxs[3000:] = 0.0  # then silence
    levels = PeakLevels(-maxs, maxs, SECONDS_PER_PEAK)
    x, peak, mean = levels.envelope(0, 1000 * SECONDS_PER_PEAK, 1000)  # a bin a pixel
    heights = to_display(mean, levels.loudest, levels.floor_db)
    assert heights.max() - np.median(heights) > 0.3  # hits stand out from the ring between
    assert -42.0 <= levels.floor_db <= -6.0
    x, peak, mean = levels.envelope(3100 * SECONDS_PER_PEAK, 3900 * SECONDS_PER_PEAK, 800)
    assert to_display(peak, levels.loudest, levels.floor_db).max() == 0.0


@pytest.mark.parametrize("span_s", [3600.0, 600.0, 180.0, 30.0, 10.0, 1.0, 0.25])
def test_ruler_labels_are_readable_at_every_zoom(qapp, span_s):
    from woodshed.player.ui.waveform import RULER_LABEL_PX, TimeAxis

    axis = TimeAxis("bottom")
    width_px = 1100
    start_s = 1234.5 if span_s < 3600 else 0.0
    (major, _), (minor, _) = axis.tickSpacing(start_s, start_s + span_s, width_px)
    labels = np.arange(np.ceil(start_s / major) * major, start_s + span_s, major)
    assert 5 <= len(labels) <= width_px / RULER_LABEL_PX + 1, (span_s, major)
    assert major * width_px / span_s >= RULER_LABEL_PX  # labels do not crowd
    assert minor <= major
    texts = axis.tickStrings(labels, 1.0, major)
    assert len(set(texts)) == len(texts), texts  # enough decimals to tell them apart


def test_the_loop_is_drawn_over_every_lane_in_a_colour_no_stem_has(qapp):
    import colorsys

    from woodshed.player.ui.colours import _BY_NAME, _SPARE
    from woodshed.player.ui.waveform import LOOP_RGB

    loop_hue = colorsys.rgb_to_hls(*(c / 255 for c in LOOP_RGB))[0] * 360
    for colour in [*_BY_NAME.values(), *_SPARE]:
        r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
        hue, _, saturation = colorsys.rgb_to_hls(r, g, b)
        distance = abs((hue * 360 - loop_hue + 180) % 360 - 180)
        assert distance >= 20 or saturation < 0.2, colour

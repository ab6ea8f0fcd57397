"""Waveform level of detail: never more than a bin per pixel, and no peak lost on the way; the
lanes' loudness from the RMS the manifest stores (or, for a song separated before it was
stored, from the peaks)."""
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


# --- RMS: stored by separation and import, drawn; older songs draw from their peaks -------
def test_the_loudness_drawn_is_the_stored_rms_merged_as_power():
    n = 8192
    maxs = np.full(n, 0.9, np.float32)  # a loud, compressed stem: the peaks say little
    rms = np.where(np.arange(n) % 2 == 0, 0.4, 0.1).astype(np.float32)
    rms[n // 2:] *= 0.25  # the second half 12 dB quieter: only the RMS shows it
    levels = PeakLevels(-maxs, maxs, SECONDS_PER_PEAK, rms)
    assert levels.has_rms
    x, peak, loudness = levels.envelope(0, n * SECONDS_PER_PEAK, 256)  # 32 bins a pixel
    first, second = loudness[x < n / 2 * SECONDS_PER_PEAK], loudness[x > n / 2 * SECONDS_PER_PEAK]
    # RMS of the merged frames: sqrt(mean(rms^2)), not the mean of the RMS values
    assert np.allclose(first, np.sqrt((0.4 ** 2 + 0.1 ** 2) / 2), rtol=1e-4)
    assert np.allclose(second, 0.25 * np.sqrt((0.4 ** 2 + 0.1 ** 2) / 2), rtol=1e-4)
    assert np.allclose(peak, 0.9)
    without = PeakLevels(-maxs, maxs, SECONDS_PER_PEAK)  # drawn from the peaks: one block
    assert not without.has_rms and np.ptp(without.envelope(0, n * SECONDS_PER_PEAK, 256)[2]) < 1e-6


def test_rms_is_kept_for_the_whole_song_or_not_at_all():
    """A song whose manifest has peaks but no RMS (separated before format 3) and carries on
    separating never gets RMS for part of a lane."""
    from woodshed.separation.manifest import Manifest

    frames = 44100 * 4
    m = Manifest(title="t", original_name="t.wav", source_hash="0", model="x", settings={},
                 sample_rate=44100, channels=2, frames=frames, sources=["bass"],
                 block_starts=[0], blocks_done=[True])
    tone = (0.5 * np.sin(np.arange(frames) / 10.0)).astype(np.float32)[None].repeat(2, 0)
    m.set_peaks("bass", 0, tone)  # new: peaks and RMS
    assert m.rms_of("bass") == pytest.approx(np.full(len(m.rms_of("bass")), 0.5 / np.sqrt(2)), rel=0.05)
    del m.rms["bass"]  # as a format-2 manifest has it
    m.set_peaks("bass", 0, tone[:, :1024 * 40])
    assert m.rms_of("bass") is None and "bass" not in m.rms
    again = Manifest.from_json(m.to_json())
    assert again.rms_of("bass") is None and again.peaks_of("bass")[1].max() > 0.4


def test_a_song_cached_before_rms_draws_from_its_peaks(qapp, tmp_path, monkeypatch):
    """The committed format-1 folder (no RMS) opens in the lanes with no traceback."""
    import shutil
    from pathlib import Path

    from woodshed.player.ui.waveform import Waveforms
    from woodshed.separation import cache

    shutil.copytree(Path(__file__).parent / "fixtures" / "format-1", tmp_path / "old")
    monkeypatch.setenv("WOODSHED_CACHE_DIR", str(tmp_path / "old" / "cache"))
    song = cache.list_songs()[0]
    assert song.manifest.rms == {}
    waveforms = Waveforms(song)
    for lane in waveforms.lanes.values():
        assert not lane.peaks.has_rms
        lane.resize(800, 60)
        lane.redraw()
        assert lane.waveform.picture.columns > 0  # drawn, from the peaks
    assert not waveforms.overview.peaks.has_rms


def test_an_imported_song_stores_rms_and_its_lanes_draw_it(qapp, cache_dir, tmp_path):
    import soundfile as sf

    from woodshed.player.ui.waveform import Waveforms
    from woodshed.separation.importer import import_folder

    folder = tmp_path / "band"
    folder.mkdir()
    t = np.arange(44100 * 3) / 44100
    loud = np.where(t < 1.5, 0.5, 0.05) * np.sin(2 * np.pi * 110 * t)  # 20 dB quieter after 1.5 s
    sf.write(folder / "bass.wav", loud.astype(np.float32), 44100)
    sf.write(folder / "drums.wav", (0.3 * np.sin(2 * np.pi * 60 * t)).astype(np.float32), 44100)
    song = import_folder(folder)
    for name in ("bass", "drums", "mix"):
        assert song.manifest.rms_of(name) is not None, name
    rms = song.manifest.rms_of("bass")
    early, late = np.median(rms[:50]), np.median(rms[-50:])
    assert 20 * np.log10(early / late) == pytest.approx(20, abs=0.5)
    waveforms = Waveforms(song)
    assert waveforms.lanes["bass"].peaks.has_rms and waveforms.overview.peaks.has_rms


# --- lanes drawn as pictures of their view --------------------------------------------------
def test_each_column_shows_its_loudness_solid_inside_its_peaks_faint():
    from woodshed.player.ui.waveform import rasterise

    solid, faint = np.uint32(0xFF00FF00), np.uint32(0x40004000)
    peak = np.array([1.0, 0.5, 0.0, np.nan], np.float32)  # loud, half, silent, past the song
    loud = np.array([0.5, 0.25, 0.0, np.nan], np.float32)
    pixels = rasterise(peak, loud, 42, solid, faint)  # half-height 20 px (the view spans ±1.05)
    assert pixels.shape == (42, 4)
    assert np.array_equal(pixels, pixels[::-1])  # mirrored around the middle
    column = pixels[:, 0]
    assert np.count_nonzero(column == solid) == 20 and np.count_nonzero(column == faint) == 20
    assert np.count_nonzero(pixels[:, 1] == solid) == 10 and np.count_nonzero(pixels[:, 1] == faint) == 10
    assert np.count_nonzero(pixels[:, 2]) == 2 and (pixels[20:22, 2] == solid).all()  # the centre line
    assert not pixels[:, 3].any()  # nothing drawn past the song's end


def test_no_peak_is_lost_between_bins_and_pixel_columns(hour):
    from woodshed.player.ui.waveform import column_heights

    levels, maxs = hour
    hit_s = (123_456 + 0.5) * SECONDS_PER_PEAK  # the hit's bin, by its centre
    for start_s, end_s, width_px in [(0, 3600, 1200), (2860, 2900, 1377), (2866, 2867.5, 900)]:
        x, peak, _ = levels.envelope(start_s, end_s, width_px)
        heights = column_heights(x, peak, start_s, end_s, width_px, 3600.0)
        assert len(heights) == width_px
        column = int((hit_s - start_s) / (end_s - start_s) * width_px)
        near = heights[max(0, column - 1):column + 2]  # (a merged bin's centre: within a pixel)
        assert near.max() == pytest.approx(0.99, abs=1e-6), (start_s, end_s)
        assert np.nanmax(heights) == pytest.approx(0.99, abs=1e-6)


def test_a_lane_paints_its_picture_pixel_for_pixel_and_once_a_zoom(qapp):
    from PyQt6.QtGui import QColor

    from woodshed.player.ui.waveform import Lane

    n = int(60 / SECONDS_PER_PEAK)
    maxs = np.full(n, 0.001, np.float32)
    maxs[n // 2:] = 0.9  # quiet first half, loud second half
    levels = PeakLevels(-maxs, maxs, SECONDS_PER_PEAK, maxs * 0.7)
    lane = Lane("bass", "#8c7bff", levels, 60.0)
    lane.resize(600, 101)
    lane.show()
    lane.view.setXRange(0, 60, padding=0)
    qapp.processEvents()
    painted = []
    original = lane.paintEvent
    lane.paintEvent = lambda ev: (painted.append(1), original(ev))[1]
    lane.view.setXRange(10, 50, padding=0)  # a zoom
    qapp.processEvents()
    qapp.processEvents()
    assert len(painted) == 1  # not once more when pyqtgraph moves its items at paint time
    image = lane.grab().toImage()
    middle = image.height() // 2
    loud = QColor(image.pixel(int(image.width() * 0.9), middle))
    quiet = QColor(image.pixel(int(image.width() * 0.1), middle + 20))
    assert abs(loud.red() - 0x8c) < 3 and abs(loud.green() - 0x7b) < 3 and abs(loud.blue() - 0xff) < 3
    assert quiet.blue() < 0x80  # the background: a quiet part is a thin line, not a block
    lane.close()


@pytest.mark.parametrize("span_s", [180.0, 30.0, 2.0])
def test_the_time_ruler_draws_a_label_at_every_labelled_tick(qapp, span_s):
    from woodshed.player.ui.waveform import Lane

    n = int(200 / SECONDS_PER_PEAK)
    maxs = np.full(n, 0.5, np.float32)
    lane = Lane("mix", "#cccccc", PeakLevels(-maxs, maxs, SECONDS_PER_PEAK), 200.0, show_axis=True)
    lane.resize(1100, 150)
    lane.show()
    lane.view.setXRange(5.0, 5.0 + span_s, padding=0)
    qapp.processEvents()
    axis = lane.getPlotItem().getAxis("bottom")
    from PyQt6.QtGui import QImage, QPainter

    painter = QPainter(QImage(10, 10, QImage.Format.Format_ARGB32))
    axis_spec, tick_specs, text_specs = axis.generateDrawSpecs(painter)
    painter.end()
    width_px = axis.geometry().width()
    (major, labelled), (_, minor) = axis.tickValues(5.0, 5.0 + span_s, width_px)
    shown = [v for v in labelled if 5.0 <= v <= 5.0 + span_s]
    expected = dict(zip(axis.tickStrings(shown, 1.0, major), shown))
    drawn = {text: rect.center().x() for rect, _, text in text_specs}
    # Every labelled tick's label, centred on it; one at an edge only if it fits (pyqtgraph's rule).
    assert set(list(expected)[1:-1]) <= set(drawn) <= set(expected) and len(drawn) >= 3
    for text, x_px in drawn.items():
        assert x_px == pytest.approx((expected[text] - 5.0) * width_px / span_s, abs=0.5)
    assert len(tick_specs[0][1]) == len(shown) and len(tick_specs[1][1]) == len(
        [v for v in minor if 5.0 <= v <= 5.0 + span_s])
    lane.close()


def test_a_lane_on_a_retina_screen_is_drawn_at_the_screen_s_own_pixels(qapp):
    from woodshed.player.ui.waveform import Lane

    n = int(60 / SECONDS_PER_PEAK)
    maxs = np.full(n, 0.5, np.float32)
    lane = Lane("bass", "#8c7bff", PeakLevels(-maxs, maxs, SECONDS_PER_PEAK), 60.0)
    lane.waveform.draw(lane.peaks, 0.0, 60.0, 600, 100, pixel_ratio=2.0)
    image = lane.waveform.picture.image
    assert (image.width(), image.height()) == (1200, 200) and image.devicePixelRatio() == 2.0
    size = image.deviceIndependentSize()  # what it covers on screen: the view, not twice it
    assert (size.width(), size.height()) == (600, 100)
    lane.close()

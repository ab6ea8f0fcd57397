"""Our binding of Rubber Band's C API and the stretcher behind it, on their own: exact pitch
streamed in the engine's 256-frame blocks (bass notes too), duration, a clean restart, bad
input, no allocation per block, the GIL released while it computes."""
from __future__ import annotations

import ctypes
import re
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from stem_songs import cents, frequency_hz
from woodshed.player.engine import rubberband
from woodshed.player.engine.stretch import MAX_FEED_FRAMES, OPTIONS, Stretcher
from woodshed.separation.errors import UserError

RATE = 44100
BLOCK = 256
HEADER = Path("/usr/include/rubberband/rubberband-c.h")


def tone(freq_hz: float, seconds: float, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.repeat((amp * np.sin(2 * np.pi * freq_hz * t))[None], 2, 0).astype(np.float32)


def stream(stretcher: Stretcher, audio: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """Feed ``audio`` in fixed blocks, as the engine's producer does; all output, in order."""
    out = []
    for at in range(0, audio.shape[1], block):
        stretcher.feed(audio[:, at:at + block])
        taken = stretcher.take()
        if taken is not None:
            out.append(taken)
    return np.concatenate(out, axis=1)


def started(tempo: float, semitones: float) -> Stretcher:
    stretcher = Stretcher(RATE, 2)
    stretcher.restart()
    stretcher.set(tempo, semitones)
    return stretcher


@pytest.mark.parametrize("freq_hz", [41.2, 55.0, 82.41, 110.0, 440.0])
@pytest.mark.parametrize("tempo, semitones", [(0.5, 0.0), (1.0, 3.0)])
def test_pitch_is_exact_streamed_in_256_frame_blocks(freq_hz, tempo, semitones):
    # 41.2 Hz is a bass guitar's low E; python-stretch was 70 cents sharp here at +3 st
    out = stream(started(tempo, semitones), tone(freq_hz, 2.0))[0]
    steady = out[len(out) // 4: 3 * len(out) // 4]
    assert abs(cents(frequency_hz(steady), freq_hz * 2 ** (semitones / 12))) < 2


@pytest.mark.parametrize("tempo", [0.5, 0.75, 1.25])
def test_output_lasts_input_over_tempo(tempo):
    stretcher = started(tempo, 0.0)
    stream(stretcher, tone(220.0, 1.0))  # past the start: the rate is what counts
    out = stream(stretcher, tone(220.0, 3.0))
    assert out.shape[1] == pytest.approx(3.0 * RATE / tempo, rel=0.01)


def test_a_restart_after_a_pitch_shift_lines_output_up_with_input():
    # Rubber Band 3.1's reset() left the output a few ms off after a pitch shift, so the
    # renderer's crossfade into the stretcher cancelled part of a steady tone.
    audio = tone(440.0, 3.0)
    stretcher = started(1.0, 3.0)
    stream(stretcher, audio[:, :RATE])
    stretcher.set(1.0, 0.0)
    stream(stretcher, audio[:, RATE:2 * RATE])
    stretcher.restart()
    stretcher.set(1.0, 0.0)
    out = stream(stretcher, audio[:, 2 * RATE:])[0, :4096]
    wanted = audio[0, 2 * RATE:2 * RATE + 4096]
    assert np.dot(out, wanted) / np.dot(wanted, wanted) > 0.95


def test_restarts_give_the_same_samples_however_busy_the_helper_thread_is():
    # Two exports of one song must match (the click track is found by their difference):
    # an export restarts the stretcher twice at once (its start, then its seek), and the
    # second restart must not depend on whether the spare stretcher is made yet.
    from woodshed.player.engine import stretch

    audio = tone(220.0, 1.0)

    def export_like(stretcher, helper_idle: bool):
        stretcher.restart()
        stretcher.set(0.7, 0.0)
        stretcher.feed(audio[:, :BLOCK])
        stretcher.take()
        if helper_idle:
            stretcher._spare.result()  # the next spare is ready
        stretcher.restart()  # the seek
        stretcher.set(0.7, 0.0)
        return stream(stretcher, audio)

    expected = export_like(Stretcher(RATE, 2), helper_idle=True)
    stretch._maker.submit(time.sleep, 0.3)  # the helper thread is busy: no spare yet
    busy = Stretcher(RATE, 2)
    assert not busy._spare.done()
    np.testing.assert_array_equal(export_like(busy, helper_idle=False), expected)


@pytest.mark.parametrize("tempo, semitones", [(0.0, 0.0), (float("nan"), 0.0),
                                              (float("inf"), 0.0), (-1.0, 0.0),
                                              (1.0, float("nan")), (1.0, float("inf")),
                                              (1.0, 1e300), (1e-300, -1e300)])
def test_a_meaningless_ratio_is_ignored(tempo, semitones):
    stretcher = started(0.5, 3.0)
    stream(stretcher, tone(220.0, 0.5))
    stretcher.set(tempo, semitones)
    out = stream(stretcher, tone(220.0, 1.5 if tempo > 0.1 else 0.3))
    assert np.isfinite(out).all()
    late = out[0, -RATE // 2:]
    expected = 220.0 * 2 ** (3 / 12) if not np.isfinite(semitones) else None
    if expected is not None:  # the pitch stayed as it was
        assert abs(cents(frequency_hz(late), expected)) < 2


def test_a_block_of_nan_samples_plays_as_silence_and_leaves_no_trace():
    stretcher = started(0.5, 3.0)
    stream(stretcher, tone(220.0, 0.5))
    bad = np.full((2, BLOCK), np.nan, np.float32)
    bad[1, ::2] = np.inf
    stretcher.feed(bad)
    out = stream(stretcher, tone(220.0, 2.0))
    assert np.isfinite(out).all() and np.abs(out).max() < 1.0
    late = out[0, -RATE:]
    assert abs(cents(frequency_hz(late), 220.0 * 2 ** (3 / 12))) < 2


def test_a_block_of_the_wrong_shape_is_refused_not_read_out_of_bounds():
    stretcher = started(1.0, 3.0)
    with pytest.raises(ValueError):
        stretcher.feed(np.zeros((3, BLOCK), np.float32))
    with pytest.raises(ValueError):
        stretcher.feed(np.zeros(BLOCK, np.float32))
    stretcher.feed(np.zeros((2, 5 * MAX_FEED_FRAMES), np.float64))  # long, other dtype: fine


def test_feeding_allocates_nothing_block_sized():
    stretcher = started(0.5, 3.0)
    audio = tone(220.0, 1.0)
    stream(stretcher, audio)  # warm up
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for at in range(0, 100 * BLOCK, BLOCK):
            stretcher.feed(audio[:, at:at + BLOCK])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # a copy of a block would be 2 KB (2 x 256 float32): only small Python objects (views,
    # numbers) may come and go
    assert peak - before < 2 * BLOCK * 4


def test_the_library_is_called_without_the_gil():
    # ctypes.CDLL releases the GIL around every foreign call; PyDLL would hold it
    lib = rubberband.library()
    assert isinstance(lib, ctypes.CDLL) and not isinstance(lib, ctypes.PyDLL)
    assert lib.rubberband_process.argtypes is not None  # declared, so no guessing of types


@pytest.mark.skipif(not HEADER.exists(), reason="Rubber Band's header is not installed "
                    "(Debian: librubberband-dev)")
def test_the_binding_agrees_with_rubberband_c_h():
    header = HEADER.read_text()
    options = dict(re.findall(r"RubberBandOption(\w+)\s*=\s*(0x[0-9a-fA-F]+)", header))
    assert int(options["ProcessRealTime"], 16) == rubberband.PROCESS_REALTIME
    assert int(options["WindowShort"], 16) == rubberband.WINDOW_SHORT
    assert int(options["PitchHighConsistency"], 16) == rubberband.PITCH_HIGH_CONSISTENCY
    assert int(options["ChannelsTogether"], 16) == rubberband.CHANNELS_TOGETHER
    assert int(options["EngineFiner"], 16) == rubberband.ENGINE_FINER
    declared = set(re.findall(r"RB_EXTERN [\w ]+?\*?\s*(rubberband_\w+)\(", header))
    lib = rubberband.library()
    used = {name for name in declared if getattr(lib, name).argtypes is not None}
    assert used >= {"rubberband_new", "rubberband_process", "rubberband_retrieve"}
    for name in used:  # argument counts match the header's prototypes
        proto = re.search(rf"{name}\(([^;]*)\);", header).group(1)
        assert len(getattr(lib, name).argtypes) == len(proto.split(",")), name


def test_the_stretcher_runs_rubber_band_r3_in_real_time_mode():
    stretcher = Stretcher(RATE, 2)
    assert stretcher._rb.engine_version == 3
    assert OPTIONS & rubberband.PROCESS_REALTIME and OPTIONS & rubberband.ENGINE_FINER
    assert not OPTIONS & rubberband.WINDOW_SHORT  # bass notes off pitch (README)


def test_a_missing_library_is_one_clear_error(monkeypatch, tmp_path):
    not_a_library = tmp_path / "librubberband.so.2"
    not_a_library.write_text("not a library")
    monkeypatch.setattr(rubberband, "_candidates", lambda: [str(not_a_library)])
    # as when no library is named (these tests also run on a build named by the variable)
    monkeypatch.delenv(rubberband.LIBRARY_ENV, raising=False)
    with pytest.raises(UserError, match="Rubber Band library .* was not found"):
        rubberband._load()

"""The engine through the real stack: sounddevice → PortAudio → ALSA file plugin → JACK dummy.

What a test checks is the sound that actually left the program (the ALSA file plugin's
copy), paced in real time by the JACK dummy driver.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import stem_songs
from audio_devices import without_underflow
from woodshed.separation import cache

RATE = stem_songs.RATE
REPO = Path(__file__).resolve().parents[1]


def _engine(song, device):
    from woodshed.player.engine.engine import Engine

    return Engine(song, device=device)


def _sound(captured: np.ndarray, threshold: float = 1e-4) -> np.ndarray:
    """The captured frames from the first to the last that is not silence."""
    loud = np.flatnonzero(np.abs(captured[0]) > threshold)
    return captured[:, loud[0]:loud[-1] + 1] if loud.size else captured[:, :0]


def _align(captured: np.ndarray, expected: np.ndarray) -> int:
    """Offset of expected within captured (cross-correlation of the first channel)."""
    n = len(captured[0]) + len(expected[0])
    size = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(captured[0], size) * np.conj(np.fft.rfft(expected[0], size)), size)
    return int(np.argmax(corr[:len(captured[0])]))


def _played_without_underflow(song, device, run):
    """engine = Engine(song, device); run(engine) -> result, again while a run had an
    underflow (audio_devices.without_underflow). The capture holds the last try."""
    def play():
        engine = _engine(song, device)
        return engine, run(engine)

    return without_underflow(play)


def _play(engine, seconds: float) -> None:
    engine.start()
    engine.play()
    time.sleep(seconds)
    engine.close()


def test_muting_a_stem_removes_it_from_what_was_played(alsa_capture, cache_dir):
    song = stem_songs.tone_song(seconds=2.0)

    def run(engine):
        engine.set_mute("guitar", True)
        _play(engine, 1.5)

    engine, _ = _played_without_underflow(song, alsa_capture.portaudio_device, run)
    assert engine.error is None and engine.xruns == 0
    captured, _ = alsa_capture.read()
    frames = song.manifest.frames
    others = sum(stem_songs.tone(f, frames) for s, f in stem_songs.TONES_HZ.items() if s != "guitar")
    offset = _align(captured, others[:, :RATE])
    # Skip the play fade-in; compare one steady second sample by sample.
    start = 2048
    played = captured[:, offset + start: offset + start + RATE]
    assert played.shape[1] == RATE, "less than a second reached the device"
    assert stem_songs.residual_db(played, others[:, start:start + RATE]) < -60
    assert stem_songs.level_db(played, 440.0) < -80
    assert stem_songs.level_db(played, 660.0) == pytest.approx(20 * np.log10(0.2), abs=0.5)


def _click_song(click_s: float, seconds: float):
    frames = int(seconds * RATE)
    clicks = np.zeros((2, frames), np.float32)
    clicks[:, int(click_s * RATE)] = 0.9
    silence = np.zeros_like(clicks)
    return cache.write_song("click", {"click": clicks, "bass": silence}, RATE, title="click",
                            original_name="click.wav", source_hash="click", model="test")


def _output_latency_s(device) -> float:
    """What PortAudio says the device adds, as the engine's stream is opened (low latency)."""
    import sounddevice as sd

    with sd.OutputStream(device=device, samplerate=RATE, blocksize=256, channels=2,
                         latency="low") as stream:
        return float(stream.latency)


@pytest.mark.parametrize("tempo", [1.0, 0.5])
def test_playhead_is_the_audible_position_within_20_ms(tempo, alsa_capture, cache_dir):
    """A click at 1.5 s: when it reaches the listener, engine.position_s must say 1.5 s.

    When it reaches the listener: its index in the captured output gives when it was handed
    to the device (the device takes frames at a steady real-time rate, fitted from the
    capture file's growth), plus the device's own latency.
    """
    click_s = 1.5
    song = _click_song(click_s, seconds=3.0)
    latency_s = _output_latency_s(alsa_capture.portaudio_device)

    def run(engine):
        engine.start()
        engine.set_tempo(tempo)
        engine.seek(0.5)  # also proves the playhead follows a seek
        time.sleep(0.2)
        engine.play()
        samples = []  # (time, frames handed to the device, engine.position_s)
        t0 = time.monotonic()
        while time.monotonic() - t0 < (click_s - 0.5) / tempo + 0.6:
            samples.append((time.monotonic(), alsa_capture.frames_written(), engine.position_s))
            time.sleep(0.002)
        engine.close()
        return samples

    engine, samples = _played_without_underflow(song, alsa_capture.portaudio_device, run)
    assert engine.error is None
    captured, _ = alsa_capture.read()
    click_index = int(np.argmax(np.abs(captured[0])))
    assert np.abs(captured[0, click_index]) > 0.3, "the click never reached the device"
    at = np.array(samples)
    steady = (at[:, 1] > 0.2 * at[-1, 1]) & (at[:, 1] < 0.95 * at[-1, 1])
    frames_per_s, intercept = np.polyfit(at[steady, 0], at[steady, 1], 1)
    assert frames_per_s == pytest.approx(RATE, rel=0.02)  # real-time paced device
    heard_at = (click_index - intercept) / frames_per_s + latency_s
    position_then_s = float(np.interp(heard_at, at[:, 0], at[:, 2]))
    assert abs(position_then_s - click_s) <= 0.020, f"{(position_then_s - click_s) * 1e3:.1f} ms"


def _hammer_while_playing(engine, change, pause_s: float, seconds: float = 2.5):
    """Play while another thread calls change(rng) over and over; returns (exceptions, calls)."""
    failures, calls = [], [0]
    stop = threading.Event()

    def hammer():
        rng = random.Random(1)
        while not stop.is_set():
            try:
                change(rng)
                calls[0] += 1
            except Exception as exc:  # noqa: BLE001 - any exception is the failure
                failures.append(repr(exc))
            time.sleep(pause_s)

    worker = threading.Thread(target=hammer)
    engine.start()
    engine.play()
    worker.start()
    time.sleep(seconds)
    stop.set()
    worker.join()
    engine.close()
    return failures, calls[0]


def test_gains_hammered_from_another_thread_never_raise_or_click(alsa_capture, cache_dir):
    song = stem_songs.tone_song(seconds=4.0)
    stems = list(stem_songs.TONES_HZ)

    def run(engine):
        def change(rng):
            engine.set_gain_db(rng.choice(stems), rng.uniform(-30, 0))
            engine.set_mute(rng.choice(stems), rng.random() < 0.3)
            engine.set_pan(rng.choice(stems), rng.uniform(-1, 1))
            engine.set_master_db(rng.uniform(-6, 0))

        return _hammer_while_playing(engine, change, pause_s=0.0005)

    engine, (failures, calls) = _played_without_underflow(song, alsa_capture.portaudio_device, run)
    assert failures == [] and engine.error is None
    assert calls > 250
    played = _sound(alsa_capture.read()[0])[:, 2048:-2048]  # leave out play fade and end
    assert played.shape[1] > 1.5 * RATE
    # Gains ramp over a block: no step larger than the loudest mix's own sample-to-sample
    # step (four tones at 0.2, panned at most +3 dB, ≤ 0 dB gains).
    full = sum(stem_songs.tone(f, RATE) for f in stem_songs.TONES_HZ.values())
    own_step = np.abs(np.diff(full[0])).max() * np.sqrt(2)
    assert np.abs(np.diff(played, axis=1)).max() <= own_step * 1.05
    assert engine.xruns == 0


def test_tempo_pitch_loop_and_seek_hammered_never_raise(alsa_capture, cache_dir):
    song = stem_songs.tone_song(seconds=6.0)
    engine = _engine(song, alsa_capture.portaudio_device)

    def change(rng):
        engine.set_tempo(rng.choice([1.0, rng.uniform(0.25, 2.0)]))
        engine.set_pitch(rng.choice([0.0, rng.uniform(-12, 12)]))
        start_s = rng.uniform(0, 4)
        engine.set_loop(start_s, start_s + rng.uniform(0.2, 1.5))
        engine.set_loop_enabled(rng.random() < 0.5)
        if rng.random() < 0.2:
            engine.seek(rng.uniform(0, 5.5))
        engine.position_s, engine.levels(), engine.effective_gains()

    failures, calls = _hammer_while_playing(engine, change, pause_s=0.005)
    assert failures == [] and engine.error is None
    assert calls > 100
    played = alsa_capture.read()[0]
    assert np.isfinite(played).all() and np.abs(played).max() < 1.5
    assert _sound(played).shape[1] > RATE  # it kept playing throughout


def test_no_such_device_is_a_clear_error(cache_dir):
    from woodshed.separation.errors import UserError

    song = stem_songs.tone_song(seconds=1.0)
    engine = _engine(song, "no such device")
    with pytest.raises(UserError, match="no such device"):
        engine.start()
    engine.close()


def test_no_device_at_all_is_one_line_from_the_command_line(cache_dir):
    """No sound card and no JACK server: one line, exit 2 (skipped where a card exists)."""
    song = stem_songs.tone_song(seconds=1.0)
    env = {k: v for k, v in os.environ.items() if k != "ALSA_CONFIG_PATH"}
    env.update(JACK_DEFAULT_SERVER="woodshed-none", JACK_NO_START_SERVER="1")
    count = subprocess.run(
        [sys.executable, "-c", "import sounddevice as sd; "
         "print(sum(d['max_output_channels'] > 0 for d in sd.query_devices()))"],
        env=env, capture_output=True, text=True, timeout=60)
    if count.stdout.strip() != "0":
        pytest.skip(f"this machine has output devices ({count.stdout.strip() or count.stderr[-200:]})")
    result = subprocess.run([sys.executable, "-m", "woodshed.player", "play", str(song.dir)], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("woodshed: error: ") and "device" in lines[0]


# The device vanishing runs in a child process: PortAudio's JACK host API cannot be shut
# down once its server has died (it asserts), so the child leaves with os._exit.
_VANISH_SCRIPT = r"""
import json, os, sys, tempfile, time
from pathlib import Path
sys.path[:0] = [{tests!r}, {repo!r}]
from audio_devices import AlsaCapture, JackServer
import stem_songs
from woodshed.separation import cache

kept = JackServer().start()
capture = AlsaCapture(Path({folder!r}), kept).start()
doomed = JackServer().start()   # PortAudio's JACK host API now talks to this one
song = stem_songs.tone_song(seconds=20.0, root=Path({folder!r}) / "cache")
from woodshed.player.engine.engine import Engine
engine = Engine(song, device=doomed.portaudio_device)
engine.start(); engine.play(); time.sleep(0.8)
report = {{"before_s": engine.position_s}}
doomed.kill()
t = time.monotonic()
while engine.error is None and time.monotonic() - t < 5:
    time.sleep(0.01)
report.update(error=engine.error, playing=engine.playing, noticed_s=time.monotonic() - t)
os.environ["JACK_DEFAULT_SERVER"] = kept.name  # ALSA's jack plugin joins the kept server
engine.switch_device(capture.portaudio_device)
report["resumed_at_s"] = engine.position_s
engine.play(); time.sleep(1.0)
report.update(after_s=engine.position_s, error_after=engine.error)
engine.pause(); time.sleep(0.1)
report["captured_peak"] = float(abs(capture.read()[0]).max())
print(json.dumps(report), flush=True)
kept.process.terminate()
os._exit(0)
"""


def test_device_vanishing_stops_cleanly_and_playback_restarts_elsewhere(tmp_path):
    from audio_devices import skip_unless_jack_and_alsa

    skip_unless_jack_and_alsa()
    script = _VANISH_SCRIPT.format(tests=str(Path(__file__).parent), repo=str(REPO),
                                   folder=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=90, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["error"] and "device" in report["error"]
    assert report["playing"] is False
    assert report["noticed_s"] < 2.0
    # Restarted on the other device where it stopped, and played on from there.
    assert report["resumed_at_s"] == pytest.approx(report["before_s"], abs=0.3)
    assert report["error_after"] is None
    assert report["after_s"] - report["resumed_at_s"] == pytest.approx(1.0, abs=0.25)
    assert report["captured_peak"] > 0.3

"""The Engine on real devices (JACK dummy server, ALSA file-plugin capture): resampling,
pause and resume, loops, regions separated while playing, underflow counting, meters.

(tests/test_playback_device.py covers muting, the playhead's accuracy, hammered controls,
missing and vanishing devices.)
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

import stem_songs
from audio_devices import without_underflow
from woodshed.separation import cache
from woodshed.player.engine.engine import Engine
from test_render import cents, frequency_hz, max_step

RATE = stem_songs.RATE
BACKENDS = ["rtmixer", "sounddevice"]  # C callback; the numpy-copy fallback


def _sound(captured: np.ndarray, threshold: float = 1e-4) -> np.ndarray:
    loud = np.flatnonzero(np.abs(captured[0]) > threshold)
    return captured[:, loud[0]:loud[-1] + 1] if loud.size else captured[:, :0]


def _wait_until(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_song_rate_the_device_refuses_is_resampled(alsa_capture, cache_dir):
    rate = 32000  # the JACK-backed capture runs at 44.1 kHz only
    t = np.arange(int(1.5 * rate)) / rate
    a440 = np.repeat((0.3 * np.sin(2 * np.pi * 440 * t))[None], 2, 0).astype(np.float32)
    song = cache.write_song("slow-rate", {"vocals": a440}, rate, title="r", original_name="r.wav",
                            source_hash="r", model="test")
    with Engine(song, device=alsa_capture.portaudio_device) as engine:
        assert engine.sample_rate == rate
        engine.play()
        assert _wait_until(lambda: not engine.playing, 5.0), "never reached the song's end"
        assert engine.error is None
        assert engine.position_s == pytest.approx(1.5, abs=0.02)
    played, played_rate = alsa_capture.read()
    sound = _sound(played, 0.01)
    assert played_rate == RATE
    # frames with sound (an underflow on a busy machine would add a gap, not sound)
    envelope = np.lib.stride_tricks.sliding_window_view(np.abs(played[0]), 64).max(axis=1)
    assert np.count_nonzero(envelope > 0.01) / RATE == pytest.approx(1.5, abs=0.02)
    assert abs(cents(frequency_hz(sound[0, RATE // 4:RATE]), 440.0)) < 5


@pytest.mark.parametrize("backend", BACKENDS)
def test_pause_holds_the_playhead_and_resumes_without_a_click(alsa_capture, cache_dir, backend):
    song = stem_songs.tone_song(seconds=4.0, tones_hz={"bass": 220.0})

    def play():
        with Engine(song, device=alsa_capture.portaudio_device, backend=backend) as engine:
            engine.play()
            time.sleep(0.6)
            engine.pause()
            time.sleep(0.2)
            held_s = engine.position_s
            time.sleep(0.3)
            assert engine.position_s == pytest.approx(held_s, abs=1e-3)
            assert 0.4 < held_s < 0.8
            engine.seek(2.0)
            assert engine.position_s == pytest.approx(2.0, abs=1e-3)  # shown at once
            engine.play()
            time.sleep(0.5)
            assert 2.3 < engine.position_s < 2.6
            assert engine.error is None
            engine.pause()
            time.sleep(0.1)
            last_s = engine.position_s
        assert engine.position_s == pytest.approx(last_s, abs=1e-3)  # closed: the place is kept
        return engine, None

    without_underflow(play)  # (an underflow is a gap of silence, counted: play again)
    played, _ = alsa_capture.read()
    sound = _sound(played)
    own = 0.2 * 2 * np.pi * 220 / RATE
    assert max_step(sound[0]) <= 1.2 * own  # fades at pause, seek and play: no step
    quiet = np.flatnonzero(np.abs(sound[0]) < 1e-4)
    assert quiet.size > 0.3 * RATE  # the pause really was silent


def test_loop_on_a_device_keeps_the_playhead_inside(alsa_capture, cache_dir):
    song = stem_songs.tone_song(seconds=4.0, tones_hz={"bass": 220.3, "guitar": 331.7})

    def play():
        with Engine(song, device=alsa_capture.portaudio_device) as engine:
            engine.set_loop(1.0, 1.37)
            engine.set_loop_enabled(True)
            engine.seek(1.0)
            engine.set_tempo(0.8)
            engine.play()
            time.sleep(0.3)
            positions = []
            for _ in range(150):
                positions.append(engine.position_s)
                time.sleep(0.01)
            assert engine.error is None and engine.loop == (1.0, 1.37, True)
        return engine, positions

    # On a machine loaded far beyond its cores, PortAudio can miss a period (a gap of
    # silence, counted in engine.xruns): then play again, for the loop must be seamless.
    _, positions = without_underflow(play)
    assert min(positions) >= 1.0 - 0.005 and max(positions) <= 1.37 + 0.005
    assert np.any(np.diff(positions) < -0.2)  # it wrapped while we watched
    played, _ = alsa_capture.read()
    sound = _sound(played)[:, 2048:-2048]
    own = 2 * np.pi * (0.2 * 220.3 + 0.2 * 331.7) / RATE
    assert max_step(sound[0]) <= 1.2 * own


def test_regions_separated_while_playing_switch_from_mix_to_stems(alsa_capture, cache_dir):
    frames = 3 * RATE
    bass = stem_songs.tone(220.0, frames)
    mix = stem_songs.tone(660.0, frames)  # unlike the stems: tells which one plays
    song = cache.write_song("growing", {"bass": bass}, RATE, title="g", original_name="g.wav",
                            source_hash="g", model="test", mix=mix)
    manifest = song.manifest
    manifest.block_starts, manifest.blocks_done = [0, RATE], [True, False]
    manifest.save(song.dir)
    song.reload()
    with Engine(song, device=alsa_capture.portaudio_device) as engine:
        assert engine.ready_ranges_s() == [(0.0, 1.0)]
        engine.seek(1.5)
        engine.play()
        time.sleep(0.4)   # 1.5 s .. 1.9 s: separation has not reached it, the mix plays
        manifest.blocks_done = [True, True]
        manifest.save(song.dir)  # as the separation worker does when a block is final
        assert _wait_until(lambda: engine.ready_ranges_s() == [(0.0, 3.0)], 2.0)
        time.sleep(0.3)
        assert engine.error is None
    played = _sound(alsa_capture.read()[0])
    early, late = played[:, 2048:2048 + RATE // 4], played[:, -RATE // 4 - 2048:-2048]
    assert stem_songs.level_db(early, 660.0) > -20 > stem_songs.level_db(early, 220.0)
    assert stem_songs.level_db(late, 220.0) > -20 > stem_songs.level_db(late, 660.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_underflows_are_counted_and_playback_goes_on(alsa_capture, cache_dir, backend):
    song = stem_songs.tone_song(seconds=4.0)
    with Engine(song, device=alsa_capture.portaudio_device, backend=backend) as engine:
        engine.play()
        time.sleep(0.3)
        xruns_before = engine.xruns  # (not always 0 on a machine loaded beyond its cores)
        renderer = engine._renderer
        render = renderer.render

        def late_once(frames):  # one block 100 ms late: the ring (46 ms) runs dry
            renderer.render = render
            time.sleep(0.1)
            return render(frames)
        renderer.render = late_once
        time.sleep(0.5)
        assert engine.xruns >= xruns_before + 1
        before = engine.position_s
        time.sleep(0.3)
        assert engine.error is None and engine.playing
        assert engine.position_s - before == pytest.approx(0.3, abs=0.06)


def test_meters_follow_the_mix(alsa_capture, cache_dir):
    song = stem_songs.tone_song(seconds=3.0)
    with Engine(song, device=alsa_capture.portaudio_device) as engine:
        engine.set_mute("drums", True)
        engine.set_gain_db("bass", -6)
        engine.play()
        time.sleep(0.5)
        levels = engine.levels()
    assert levels["drums"] == 0.0
    assert levels["guitar"] == pytest.approx(0.2, rel=0.05)
    assert levels["bass"] == pytest.approx(0.2 * 10 ** (-6 / 20), rel=0.05)
    assert engine.effective_gains()["drums"] == 0.0


def test_a_seek_while_stretching_never_shows_the_old_place_again(alsa_capture, cache_dir):
    # The stretcher still outputs ~50 ms from before the seek: the playhead must not bounce.
    song = stem_songs.tone_song(seconds=6.0, tones_hz={"bass": 220.0})
    with Engine(song, device=alsa_capture.portaudio_device) as engine:
        engine.set_tempo(0.5)
        engine.set_pitch(2)
        engine.play()
        time.sleep(0.5)
        engine.seek(4.0)
        positions = []
        for _ in range(60):
            positions.append(engine.position_s)
            time.sleep(0.005)
        assert engine.error is None
    assert min(positions) >= 4.0 - 1e-6
    assert np.all(np.diff(positions) >= -0.002)
    assert positions[-1] > 4.05  # and it moves on from there


def test_switching_device_keeps_position_settings_and_play_state(alsa_capture, cache_dir):
    song = stem_songs.tone_song(seconds=6.0)
    with Engine(song, device=alsa_capture.jack.portaudio_device) as engine:  # JACK directly
        engine.set_mute("guitar", True)
        engine.set_tempo(0.8)
        engine.play()
        time.sleep(0.8)
        before_s = engine.position_s
        engine.switch_device(alsa_capture.portaudio_device)  # to the capturing ALSA device
        after_s = engine.position_s
        assert engine.playing and engine.tempo == 0.8
        time.sleep(0.6)
        assert engine.error is None
        moved_s = engine.position_s - after_s
    assert after_s == pytest.approx(before_s, abs=0.05)
    assert moved_s == pytest.approx(0.6 * 0.8, abs=0.08)
    played = _sound(alsa_capture.read()[0])
    assert played.shape[1] > 0.4 * RATE
    steady = played[:, 4096:4096 + RATE // 4]
    assert stem_songs.level_db(steady, 440.0) < -50  # still muted after the switch
    assert stem_songs.level_db(steady, 660.0) > -20


def test_no_output_device_at_all_is_a_user_error(cache_dir, tmp_path):
    """In a fresh process that sees no JACK server (and, on CI, no sound card)."""
    import os
    import subprocess
    import sys

    song = stem_songs.tone_song(seconds=1.0)
    script = f"""
import sounddevice as sd
from woodshed.separation.cache import open_song
from woodshed.separation.errors import UserError
from woodshed.player.engine.engine import Engine
if any(d["max_output_channels"] > 0 for d in sd.query_devices()):
    print("SKIP")
else:
    engine = Engine(open_song({str(song.dir)!r}))
    try:
        engine.start()
        print("STARTED")
    except UserError as exc:
        print("USERERROR", exc.message)
"""
    repo = Path(__file__).resolve().parents[1]
    env = dict(os.environ, JACK_DEFAULT_SERVER="woodshed-none", JACK_NO_START_SERVER="1")
    env.pop("ALSA_CONFIG_PATH", None)  # not the test capture device: the system's own setup
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=60, cwd=repo)
    out = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
    if out == "SKIP":
        pytest.skip("this machine has a sound card")
    assert out.startswith("USERERROR no audio output device found"), out


def _may_take_realtime() -> bool:
    """Whether this process may give a thread real-time scheduling (root, RLIMIT_RTPRIO)."""
    import os
    import threading

    allowed = []

    def probe():
        try:
            os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(1))
            allowed.append(True)
        except (OSError, AttributeError):
            allowed.append(False)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return allowed[0]


def test_the_producer_runs_real_time_where_allowed_and_its_ring_follows_the_stretcher(
        alsa_capture, cache_dir):
    import os

    song = stem_songs.tone_song(seconds=6.0, tones_hz={"bass": 220.0})
    with Engine(song, device=alsa_capture.portaudio_device) as engine:
        engine.play()
        assert _wait_until(lambda: engine.producer_thread_id is not None, 2.0)
        if _may_take_realtime():
            assert engine.realtime
            assert os.sched_getscheduler(engine.producer_thread_id) == os.SCHED_RR
        else:
            assert not engine.realtime
        output, block = engine._output, engine.blocksize
        # At 1.0x the ring holds few blocks (the fader answers sooner) ...
        assert _wait_until(lambda: output.fill_frames == engine.plain_ring_blocks * block, 1.0)
        assert _wait_until(lambda: output.buffered() <= engine.plain_ring_blocks * block, 1.0)
        # ... while stretching, more (Rubber Band's work comes in bursts) ...
        engine.set_tempo(0.5)
        assert _wait_until(lambda: output.fill_frames == engine.ring_blocks * block, 1.0)
        assert _wait_until(lambda: output.buffered() > engine.plain_ring_blocks * block, 1.0)
        # ... and few again once the stretcher is left behind.
        engine.set_tempo(1.0)
        assert _wait_until(lambda: output.fill_frames == engine.plain_ring_blocks * block, 2.0)
        assert engine.plain_ring_blocks < engine.ring_blocks
        assert engine.error is None


def _portaudio_ports(server) -> list[str]:
    import subprocess

    listed = subprocess.run(["jack_lsp", "-s", server.name], capture_output=True, text=True)
    return [port for port in listed.stdout.split() if port.startswith("PortAudio")]


def test_a_song_that_cannot_be_read_leaves_no_device_open(jack_server, cache_dir):
    song = stem_songs.tone_song(seconds=2.0, key="unreadable")
    (song.dir / "bass.wav").unlink()  # the renderer cannot map it
    engine = Engine(song, device=jack_server.portaudio_device)
    with pytest.raises(Exception):
        engine.start()
    assert _portaudio_ports(jack_server) == []  # no stream left open on the device
    assert engine._output is None


def test_the_manifest_is_read_again_only_when_separation_replaced_it(jack_server, cache_dir,
                                                                    monkeypatch):
    from woodshed.separation.manifest import Manifest

    song = stem_songs.tone_song(seconds=3.0, key="separating")
    manifest = song.manifest
    manifest.block_starts, manifest.blocks_done = [0, RATE], [True, False]
    manifest.save(song.dir)
    song.reload()
    loads = []
    real_load = Manifest.load.__func__
    monkeypatch.setattr(Manifest, "load", classmethod(
        lambda cls, song_dir: loads.append(song_dir) or real_load(cls, song_dir)))
    with Engine(song, device=jack_server.portaudio_device) as engine:
        time.sleep(2.2)  # four of the watcher's looks, the manifest unchanged
        assert len(loads) <= 1
        manifest.blocks_done = [True, True]
        manifest.save(song.dir)
        assert _wait_until(lambda: engine.ready_ranges_s() == [(0.0, 3.0)], 2.0)

"""An audio system that never answers costs one line, not a frozen program.

PortAudio starts by opening every host API and probing every device, and one of them can
wait forever: a JACK client that crashed while holding JACK's metadata lock leaves every
later JACK client waiting (it froze a CI run), and an ALSA device can block in its open.
The stuck device here is real: an ALSA ``file`` PCM whose input is a FIFO nobody writes to,
so ALSA's open of it (and PortAudio's start, which probes it) blocks, as a stuck JACK does.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import stem_songs
from audio_devices import ALSA_MAIN_CONFIG, unavailable

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 2
NOT_ANSWERING = f"the audio system did not answer within {START_TIMEOUT_S} s"


@pytest.fixture
def stuck_audio(tmp_path) -> dict[str, str]:
    """The environment of a machine whose audio system hangs when PortAudio starts."""
    if not ALSA_MAIN_CONFIG.is_file():
        unavailable(f"ALSA configuration {ALSA_MAIN_CONFIG} missing (apt-get install libasound2)")
    fifo = tmp_path / "never-written"
    os.mkfifo(fifo)
    config = tmp_path / "asoundrc"
    config.write_text(f"""\
pcm.woodshed_stuck {{
    type file
    file "{tmp_path / 'out.raw'}"
    infile "{fifo}"
    format "raw"
    slave.pcm "null"
    hint {{ show on description "a device that never answers" }}
}}
""")
    return {**os.environ, "ALSA_CONFIG_PATH": f"{ALSA_MAIN_CONFIG}:{config}",
            "WOODSHED_AUDIO_START_TIMEOUT_S": str(START_TIMEOUT_S)}


def woodshed(env, *argv: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "woodshed.player", *argv], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    return done, time.monotonic() - started


def one_error_line(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("woodshed: error: "), done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def test_devices_and_play_say_in_one_line_that_the_audio_system_does_not_answer(stuck_audio, cache_dir):
    done, took_s = woodshed(stuck_audio, "devices")
    assert done.returncode == 2
    assert NOT_ANSWERING in one_error_line(done)
    assert took_s < 60  # it ended: it did not wait for the stuck device

    song = stem_songs.tone_song(seconds=2.0)
    done, _ = woodshed(stuck_audio, "play", str(song.dir))
    assert done.returncode == 2
    assert NOT_ANSWERING in one_error_line(done)


def test_export_needs_no_audio_system(stuck_audio, cache_dir, tmp_path):
    song = stem_songs.tone_song(seconds=2.0)
    backing = tmp_path / "backing.wav"
    done, _ = woodshed(stuck_audio, "export", str(song.dir), "-o", str(backing), "--without", "bass")
    assert done.returncode == 0, done.stderr
    audio, _ = sf.read(backing, dtype="float32")
    assert audio.shape[0] == 2 * stem_songs.RATE and np.abs(audio).max() > 0.01


def test_selftest_fails_the_devices_check_only(stuck_audio):
    done, _ = woodshed(stuck_audio, "selftest")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = {line.split()[1]: line for line in done.stdout.splitlines()
             if not line.startswith("selftest:")}
    assert lines.pop("devices").startswith("FAIL") and NOT_ANSWERING in done.stdout
    assert all(line.startswith("ok") for line in lines.values()), done.stdout
    assert "Traceback" not in done.stderr

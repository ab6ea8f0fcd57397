"""`woodshed play`, `woodshed export` and `woodshed devices` from the command line."""
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
from audio_devices import UNDERFLOW_TRIES
from woodshed.player.cli import arguments
from woodshed.player.cli.main import main
from woodshed.separation.errors import UserError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def song(cache_dir):
    return stem_songs.tone_song(seconds=3.0)


def woodshed(*argv: str) -> int:
    """The CLI in this process; argparse's own errors end in SystemExit(2)."""
    try:
        return main(list(argv))
    except SystemExit as exc:
        return exc.code


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


# --- bad input: one line, exit 2, nothing written ------------------------------------
BAD_EXPORTS = {
    "unknown stem in --gain": ["--gain", "kazoo=-3"],
    "unknown stem in --without": ["--without", "bass,kazoo"],
    "unknown stem in --only": ["--only", "kazoo"],
    "malformed --gain": ["--gain", "bass=loud"],
    "tempo too high": ["--tempo", "2.5"],
    "tempo too low": ["--tempo", "0.1"],
    "tempo not a number": ["--tempo", "fast"],
    "pitch too high": ["--pitch", "13"],
    "pitch too low": ["--pitch", "-12.5"],
    "malformed start": ["--start", "1:2x"],
    "seconds past 59": ["--start", "0:75"],
    "start after the song": ["--start", "9:00"],
    "end before start": ["--start", "2", "--end", "1"],
}
BAD_PLAYS = {
    "unknown stem in --mute": ["--mute", "bass,kazoo"],
    "unknown stem in --solo": ["--solo", "kazoo"],
    "unknown stem in --gain": ["--gain", "kazoo=-3"],
    "tempo too high": ["--tempo", "3"],
    "pitch too low": ["--pitch", "-13"],
    "malformed loop": ["--loop", "1:00"],
    "malformed loop time": ["--loop", "0:01-zz"],
    "loop end before start": ["--loop", "0:02-0:01"],
    "loop outside the song": ["--loop", "0:01-5:00"],
    "malformed start": ["--start", "abc"],
}


def _assert_one_line_error(capsys, rc: int) -> str:
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("woodshed: error: "), err
    return lines[0]


@pytest.mark.parametrize("case", list(BAD_EXPORTS))
def test_bad_export_options_give_one_line_and_write_nothing(case, song, tmp_path, capsys):
    out = tmp_path / "out" / "backing.wav"
    out.parent.mkdir()
    rc = woodshed(*["export", str(song.dir), "-o", str(out), *BAD_EXPORTS[case]])
    _assert_one_line_error(capsys, rc)
    assert _files(out.parent) == set()


@pytest.mark.parametrize("case", list(BAD_PLAYS))
def test_bad_play_options_give_one_line(case, song, capsys):
    # Rejected before any device is opened: no audio hardware needed.
    rc = woodshed(*["play", str(song.dir), "--device", "no such device", *BAD_PLAYS[case]])
    line = _assert_one_line_error(capsys, rc)
    assert "device" not in line  # the option is blamed, not the (missing) device


def test_unknown_stem_message_names_the_song_stems(song, tmp_path, capsys):
    rc = woodshed(*["export", str(song.dir), "-o", str(tmp_path / "x.wav"), "--gain", "kazoo=-3"])
    line = _assert_one_line_error(capsys, rc)
    assert "kazoo" in line and "bass" in line


@pytest.mark.parametrize("name", ["missing/out.wav", "out.aiffx", "out"])
def test_bad_output_path_gives_one_line_and_writes_nothing(name, song, tmp_path, capsys):
    before = _files(tmp_path)
    rc = woodshed(*["export", str(song.dir), "-o", str(tmp_path / name), "--without", "guitar"])
    _assert_one_line_error(capsys, rc)
    assert _files(tmp_path) == before


def test_missing_song_gives_one_line(tmp_path, capsys):
    rc = woodshed(*["export", str(tmp_path / "nope.mp3"), "-o", str(tmp_path / "x.wav")])
    assert "does not exist" in _assert_one_line_error(capsys, rc)


def test_time_and_loop_notation():
    assert arguments.parse_time_s("83.5") == 83.5
    assert arguments.parse_time_s("1:23.5") == 83.5
    assert arguments.parse_time_s("1:02:03") == 3723.0
    assert arguments.parse_loop_s("1:23.5-1:41") == (83.5, 101.0)
    assert arguments.parse_gain("vocals=-inf") == ("vocals", float("-inf"))
    assert arguments.parse_gain("bass=+3") == ("bass", 3.0)
    for bad in ("", "1:", ":5", "1:2:3:4", "-1", "1:60", "1e3"):
        with pytest.raises(UserError):
            arguments.parse_time_s(bad)


# --- export end to end ------------------------------------------------------------------
def test_export_without_a_stem_is_the_mix_of_the_others(song, tmp_path, capsys):
    out = tmp_path / "backing.flac"
    rc = woodshed(*["export", str(song.dir), "-o", str(out), "--without", "guitar,vocals",
               "--gain", "bass=-6"])
    assert rc == 0, capsys.readouterr().err
    got, rate = sf.read(out, dtype="float32", always_2d=True)
    frames = song.manifest.frames
    expected = stem_songs.tone(150.0, frames) + 10 ** (-6 / 20) * stem_songs.tone(220.0, frames)
    assert rate == 44100 and got.shape == (frames, 2)
    assert stem_songs.residual_db(got.T, expected) < -60  # 24-bit FLAC: ~-140 dB if exact
    assert stem_songs.level_db(got.T, 440.0) < -80        # the guitar is gone
    assert str(out) in capsys.readouterr().out


def test_export_that_clips_warns_in_one_line(song, tmp_path, capsys):
    out = tmp_path / "loud.mp3"
    loud = [arg for stem in stem_songs.TONES_HZ for arg in ("--gain", f"{stem}=+12")]
    rc = woodshed("export", str(song.dir), "-o", str(out), *loud)
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "loud.mp3" in warnings[0] and "clipped" in warnings[0]
    assert str(out) in captured.out and out.is_file()
    rc = woodshed("export", str(song.dir), "-o", str(tmp_path / "quiet.mp3"))
    assert rc == 0 and "warning:" not in capsys.readouterr().err


def test_export_at_half_tempo_lasts_twice_as_long_and_writes_stems(song, tmp_path, capsys):
    out = tmp_path / "slow.wav"
    rc = woodshed(*["export", str(song.dir), "-o", str(out), "--only", "guitar", "--tempo", "0.5",
               "--start", "0:01", "--end", "0:02.5", "--stems", str(tmp_path / "stems")])
    assert rc == 0, capsys.readouterr().err
    info = sf.info(out)
    assert info.frames == pytest.approx(2 * 1.5 * 44100, rel=0.005)
    got, _ = sf.read(out, dtype="float32", always_2d=True)
    middle = got[len(got) // 4: 3 * len(got) // 4].T
    assert stem_songs.level_db(middle, 440.0) > -20 > stem_songs.level_db(middle, 220.0) + 40
    assert sorted(p.name for p in (tmp_path / "stems").iterdir()) == ["guitar.wav"]


def test_export_of_a_song_file_separates_it_once(cache_dir, model_repo, tmp_path, capsys):
    """SONG may be an audio file: separated first (tiny test model), then found in the cache."""
    import songs

    song_file = songs.write(tmp_path / "tune.flac", songs.music(4.0), subtype="PCM_24")
    model = ["--model", "test6s", "--model-repo", str(model_repo)]
    first, second = tmp_path / "first.wav", tmp_path / "second.wav"
    assert woodshed("export", str(song_file), "-o", str(first), "--without", "guitar,piano",
                    *model) == 0, capsys.readouterr().err
    cached = list(cache_dir.iterdir())
    assert len([d for d in cached if not d.name.startswith(".")]) == 1
    assert woodshed("export", str(song_file), "-o", str(second), "--without", "guitar,piano",
                    *model) == 0
    a, rate = sf.read(first, dtype="float32")
    b, _ = sf.read(second, dtype="float32")
    assert rate == 44100 and len(a) == 4 * 44100
    np.testing.assert_array_equal(a, b)  # the second came from the same cached stems
    assert sorted(cache_dir.iterdir()) == sorted(cached)


# --- devices and playing through a real device (subprocesses: PortAudio scans at start) --
def _woodshed(*args, timeout_s=60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "woodshed.player", *args], cwd=REPO, env=dict(os.environ),
                          capture_output=True, text=True, timeout=timeout_s,
                          stdin=subprocess.DEVNULL, **kwargs)


def test_devices_lists_the_jack_server_and_the_alsa_capture(alsa_capture):
    result = _woodshed("devices")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("system" in line and "JACK" in line for line in lines), result.stdout
    assert any("woodshed_capture" in line and "ALSA" in line for line in lines), result.stdout


def _gap_frames(sound: np.ndarray, shortest: int = 64) -> int:
    """Frames of silence inside a sound that never falls silent (steady tones): an underflow
    (a block that reached the device late or not at all) leaves such a gap."""
    silent = np.concatenate([[False], np.all(sound == 0.0, axis=0), [False]])
    edges = np.flatnonzero(np.diff(silent.astype(np.int8)))
    runs = edges[1::2] - edges[::2]
    return int(runs[runs >= shortest].sum())


def test_play_without_a_terminal_plays_to_the_end_through_the_device(alsa_capture, cache_dir):
    """The whole song, to its last frame (the command used to stop 20 ms before the end and
    cut what the ring still held: the song lost 0-30 ms, and its levels read 1.2 dB low)."""
    song = stem_songs.tone_song(seconds=1.5)

    def play():
        result = _woodshed("play", str(song.dir), "--device", "woodshed_capture", "--mute",
                           "guitar", "--gain", "bass=-6")
        assert result.returncode == 0, result.stderr
        played, _ = alsa_capture.read()
        loud = np.flatnonzero(np.abs(played[0]) > 1e-3)
        return played[:, loud[0]:loud[-1] + 1]

    for _ in range(UNDERFLOW_TRIES):  # (a separate process: its underflows show as gaps)
        sound = play()
        if _gap_frames(sound) == 0:
            break
    else:
        pytest.fail("every run had an underflow: the machine is too busy to check the sound")
    # every frame of the song, but the few the fade-in and the last zero crossing keep quiet
    assert sound.shape[1] == pytest.approx(song.manifest.frames, abs=16)
    assert stem_songs.level_db(sound, 440.0) < -70            # muted
    assert stem_songs.level_db(sound, 220.0) == pytest.approx(20 * np.log10(0.2) - 6, abs=1.0)
    assert stem_songs.level_db(sound, 660.0) == pytest.approx(20 * np.log10(0.2), abs=1.0)


def test_play_on_a_missing_device_is_one_line(song):
    result = _woodshed("play", str(song.dir), "--device", "no such device")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("woodshed: error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


# --- a real multitrack, straight from its folder -----------------------------------------


def test_export_of_a_stem_folder_without_guitar_is_the_band(cache_dir, sectoid_songs, tmp_path,
                                                             capsys):
    """SONG may be a folder of stems: imported on the fly, then exported without the lead
    guitar, it equals the band's own track (song.ogg) within -60 dB."""
    folder = sectoid_songs / "War of freedom"
    out = tmp_path / "backing.wav"
    rc = woodshed("export", str(folder), "-o", str(out), "--without", "guitar",
                  "--start", "0:20", "--end", "0:40")
    assert rc == 0, capsys.readouterr().err
    backing, rate = sf.read(out, dtype="float32", always_2d=True)
    band, band_rate = sf.read(folder / "song.ogg", start=20 * rate, stop=40 * rate,
                              dtype="float32", always_2d=True)
    assert rate == band_rate == 44100 and backing.shape == band.shape
    assert stem_songs.residual_db(backing.T, band.T) < -60
    with_guitar = tmp_path / "all.wav"
    assert woodshed("export", str(folder), "-o", str(with_guitar), "--start", "0:20",
                    "--end", "0:40") == 0
    everything, _ = sf.read(with_guitar, dtype="float32", always_2d=True)
    assert stem_songs.residual_db(everything.T, band.T) > -30  # the test can tell the guitar


def test_terminal_keys_mute_change_tempo_and_quit(alsa_capture, cache_dir):
    """A person at a terminal (a real pseudo-terminal): 2 mutes the second stem, + speeds up
    5 %, l without a loop says so, q quits; the status line shows each."""
    import pty
    import select

    song = stem_songs.tone_song(seconds=30.0)
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "woodshed.player", "play", str(song.dir),
                                "--device", "woodshed_capture"], cwd=REPO, env=dict(os.environ),
                               stdin=terminal, stdout=terminal, stderr=subprocess.PIPE)
    os.close(terminal)
    screen = b""

    def wait_for(text: bytes, timeout_s: float = 20.0) -> bool:
        nonlocal screen
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if select.select([controller], [], [], 0.1)[0]:
                try:
                    screen += os.read(controller, 4096)
                except OSError:
                    break
            if text in screen.rsplit(b"\r", 1)[-1] or text in screen[-400:]:
                return True
        return False

    try:
        assert wait_for(b"playing"), screen[-300:]
        os.write(controller, b"2")
        assert wait_for(b"muted: bass"), screen[-300:]
        os.write(controller, b"+")
        assert wait_for(b"tempo 1.05x"), screen[-300:]
        os.write(controller, b"l")
        assert wait_for(b"no loop yet"), screen[-300:]
        os.write(controller, b" ")
        assert wait_for(b"paused"), screen[-300:]
        os.write(controller, b"q")
        assert process.wait(timeout=20) == 0, process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)


def test_play_without_a_terminal_says_it_had_underflows(alsa_capture, song, monkeypatch, capsys):
    """A script or a log never sees the status line's xruns: a run with a gap says so at the
    end (the device tests play again when it does)."""
    from woodshed.player.engine.render import Renderer

    render = Renderer.render
    calls = {"n": 0}

    def one_block_late(self, frames):  # the 20th block 100 ms late: the ring runs dry
        calls["n"] += 1
        if calls["n"] == 20:
            time.sleep(0.1)
        return render(self, frames)

    monkeypatch.setattr(Renderer, "render", one_block_late)
    monkeypatch.setattr(sys, "stdin", open(os.devnull))
    assert woodshed("play", str(song.dir), "--device", "woodshed_capture") == 0
    err = capsys.readouterr().err  # (a busy machine may add underflows of its own)
    assert "warning: playback had " in err and " underflow" in err, err

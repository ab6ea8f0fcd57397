"""One song, one writer; a song in use is never evicted: real OS locks between real processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import soundfile as sf

import songs
import stem_songs
from test_separate_cli import assert_one_line_error, woodshed
from test_separation import reference_stems, sdr_db, stems_of
from woodshed.separation import cache, song_lock
from woodshed.separation.manifest import Manifest
from woodshed.separation.separate import Done, Progress, Ready, Separation, SeparationSettings, Waiting

ROOT = Path(__file__).resolve().parent.parent


def python_child(code: str, *args) -> subprocess.Popen:
    """A Python process running code; it prints 'ready' once it holds what it should."""
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ})


def wait_for_line(process: subprocess.Popen, line: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = process.stdout.readline()
        if got.strip() == line:
            return
        if not got and process.poll() is not None:
            raise AssertionError(f"child ended: {process.stderr.read()}")
    raise AssertionError(f"child never said {line!r}")


HOLD_A_LOCK = """
    import sys, time
    from woodshed.separation import song_lock
    lock = song_lock.Lock(sys.argv[1])
    assert lock.try_acquire(shared=sys.argv[2] == "shared")
    print("ready", flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("mode", ["exclusive", "shared"])
def test_a_lock_is_released_when_its_process_is_killed(tmp_path, mode):
    path = tmp_path / "locks" / "song.write"
    holder = python_child(HOLD_A_LOCK, path, mode)
    try:
        wait_for_line(holder, "ready")
        exclusive = song_lock.Lock(path)
        assert not exclusive.try_acquire()  # held by the other process
        shared = song_lock.Lock(path)
        assert shared.try_acquire(shared=True) == (mode == "shared")  # readers share
        shared.release()
        holder.send_signal(signal.SIGKILL)  # a crash: no clean-up code runs
        holder.wait()
        assert exclusive.acquire(timeout_s=5)  # the OS let go of it
        exclusive.release()
    finally:
        holder.kill()
        holder.wait()


def test_two_holders_in_one_process_exclude_each_other_too(tmp_path):
    """The window's library and its playing song are one process: still two holders."""
    first, second = song_lock.Lock(tmp_path / "x"), song_lock.Lock(tmp_path / "x")
    assert first.try_acquire(shared=True)
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


def follow(job, until, timeout_s=180):
    """Poll a started job; returns the events seen once until(events) is true."""
    events, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        events += job.poll(0.2)
        if until(events):
            return events
        assert not job.finished or until(events), events
    raise AssertionError(f"timed out; events: {events}")


def test_a_second_separation_of_the_same_song_follows_the_first_and_takes_over(
        model_repo, cache_dir, tmp_path, monkeypatch):
    """Two separations at once (two terminals, the window and the terminal, an export while
    the window separates): the second waits, follows, and carries on when the first is killed;
    the stems equal an uninterrupted run."""
    audio = songs.music(20.0)
    path = songs.write(tmp_path / "song.wav", audio)
    settings = SeparationSettings(model="test6s", model_repo=model_repo)
    first = Separation(path, settings)
    first.start()
    follow(first, lambda ev: sum(isinstance(e, Progress) for e in ev) >= 3)
    second = Separation(path, settings)
    second.start()
    seen = follow(second, lambda ev: any(isinstance(e, Ready) for e in ev))
    assert Waiting(following=True) in seen  # it did not start a writer of its own
    # The window steers with every seek, on its UI thread: that never reads the manifest
    # (peaks included, megabytes for an hour-long song): the song is found once, off it
    assert second.partial() is not None
    loads = []
    real_load = Manifest.load.__func__
    monkeypatch.setattr(Manifest, "load", classmethod(
        lambda cls, song_dir: loads.append(song_dir) or real_load(cls, song_dir)))
    for k in range(20):
        second.prioritise(k * 0.5, k * 0.5 + 2.0)
    assert loads == []
    os.kill(first._process.pid, signal.SIGKILL)  # the first writer dies mid-song
    first._process.join()
    seen += follow(second, lambda ev: any(isinstance(e, Done) for e in ev))
    assert Waiting(following=False) in seen  # it said it carried on
    done_counts = [e.done for e in seen if isinstance(e, Progress)]
    assert done_counts == sorted(done_counts)  # progress never went backwards
    song = second.cached()
    assert song is not None and not (song.dir / ".work").exists()
    expected = reference_stems(model_repo, "test6s", audio)
    ours = stems_of(song)
    for name in expected:
        assert sdr_db(expected[name], ours[name]) >= 40, name


@pytest.mark.parametrize("second", ["separate", "export"])
def test_two_terminals_separating_one_song_both_succeed_with_one_result(
        model_repo, cache_dir, tmp_path, second):
    """Two `separate` of one song at once, or `export SONGFILE` while `separate` runs."""
    audio = songs.music(20.0, seed=3)
    path = songs.write(tmp_path / "song.wav", audio)
    model = ["--model", "test6s", "--model-repo", model_repo]
    commands = [["separate", path, *model],
                ["separate", path, *model] if second == "separate"
                else ["export", path, "-o", tmp_path / "backing.wav", "--without", "drums", *model]]
    runs = []
    for args in commands:
        runs.append(subprocess.Popen([sys.executable, "-m", "woodshed.player", *map(str, args)],
                                     cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True))
        if second == "export":  # the export starts while the separation is under way
            deadline = time.monotonic() + 60
            while not (cache_dir.exists() and any(cache_dir.iterdir())) \
                    and time.monotonic() < deadline:
                time.sleep(0.05)
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (out, err) in zip(runs, outputs):
        assert run.returncode == 0, err
        assert "Traceback" not in err
    # one of them said, in one line, that it followed the other
    assert sum("another Woodshed is separating it" in err for _, err in outputs) == 1, outputs
    folders = {out.strip() for out, _ in outputs[:1 if second == "export" else 2]}
    assert len(folders) == 1
    song = cache.open_song(Path(folders.pop()))
    if second == "export":  # the backing track is the finished stems' mix, drums left out
        backing, _ = sf.read(tmp_path / "backing.wav", dtype="float32", always_2d=True)
        stems = stems_of(song)
        without_drums = sum(stems[name] for name in stems if name != "drums")
        assert backing.shape[0] == song.manifest.frames
        assert sdr_db(without_drums, backing.T) >= 40
    assert song.manifest.complete
    expected = reference_stems(model_repo, "test6s", audio)
    ours = stems_of(song)
    for name in expected:
        assert sdr_db(expected[name], ours[name]) >= 40, name


HOLD_A_SONG = """
    import sys, time
    from woodshed.player.song_source import open_song_argument
    song = open_song_argument(sys.argv[1])   # as `woodshed play` and `export` open a SONG
    print("ready", flush=True)
    time.sleep(600)
"""


def test_eviction_never_removes_a_song_another_process_is_using(cache_dir, monkeypatch):
    playing = stem_songs.tone_song(2.0, key=stem_songs.key_for("playing"))
    idle = stem_songs.tone_song(2.0, key=stem_songs.key_for("idle"))
    os.utime(idle.dir / "manifest.json", (time.time() + 60,) * 2)  # 'playing' is the older
    holder = python_child(HOLD_A_SONG, playing.dir)
    try:
        wait_for_line(holder, "ready")
        monkeypatch.setenv("WOODSHED_CACHE_LIMIT", "1KB")
        removed = cache.evict()
        assert [s.key for s in removed] == [idle.key]
        assert playing.dir.is_dir() and not idle.dir.exists()
        assert_one_line_error(woodshed("cache", "remove", playing.dir), "in use")
        assert playing.dir.is_dir()
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        assert [s.key for s in cache.evict()] == [playing.key]  # free again once it is closed
    finally:
        holder.kill()
        holder.wait()


def test_least_recently_used_means_last_played_or_exported_in_the_terminal(cache_dir, tmp_path,
                                                                           monkeypatch):
    old = stem_songs.tone_song(2.0, key=stem_songs.key_for("old"))
    new = stem_songs.tone_song(2.0, key=stem_songs.key_for("new"))
    past = time.time() - 3600
    os.utime(old.dir / "manifest.json", (past, past))  # 'old' was last used an hour ago
    out = woodshed("export", old.dir, "-o", tmp_path / "backing.wav")
    assert out.returncode == 0, out.stderr
    size = old.size_bytes()
    monkeypatch.setenv("WOODSHED_CACHE_LIMIT", f"{int(size * 1.5 / 1000)}KB")
    removed = cache.evict()
    assert [s.key for s in removed] == [new.key]  # exporting 'old' made it the most recent

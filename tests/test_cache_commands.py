"""`woodshed cache clear / remove / limit / list` touch only song folders Woodshed made, say
only what they really did, and ask before a lower limit removes songs."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import stem_songs
from test_cli_engine import woodshed, _assert_one_line_error
from woodshed.separation import cache

KEYS = ["a" * 24, "b" * 24, "c" * 24]


@pytest.fixture
def three_songs(cache_dir):
    made = [stem_songs.tone_song(seconds=1.0, key=key) for key in KEYS]
    for age_s, song in zip((300, 200, 100), made):  # the first is the least recently used
        t = song.last_used_s() - age_s
        os.utime(song.dir / "manifest.json", (t, t))
    return made


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_clear_removes_only_what_woodshed_made(three_songs, cache_dir, capsys):
    band = cache_dir / "My Band Stems"  # the musician keeps their own stems here too
    band.mkdir()
    (band / "bass.wav").write_bytes(b"RIFF")
    (band / "manifest.json").write_text("{}")  # even one with a file of that name
    lookalike = cache_dir / "notes"
    lookalike.mkdir()
    (lookalike / "manifest.json").write_text(three_songs[0].manifest.to_json())
    (cache_dir / "todo.txt").write_text("practise")
    killed = cache_dir / f".tmp-{'d' * 24}-{_dead_pid()}-abc123"
    killed.mkdir()
    (killed / "mix.wav").write_bytes(b"x" * 1000)
    running = cache_dir / f".tmp-{'e' * 24}-{os.getpid()}-abc123"
    running.mkdir()
    assert woodshed("cache", "clear") == 0
    assert capsys.readouterr().out.startswith("removed 3 songs")
    assert sorted(p.name for p in cache_dir.iterdir()) == sorted(
        [".locks", "My Band Stems", "notes", "todo.txt", running.name])
    assert (band / "bass.wav").read_bytes() == b"RIFF"


def test_list_counts_builds_in_progress_and_cleans_killed_ones(three_songs, cache_dir, capsys):
    killed = cache_dir / f".tmp-{'d' * 24}-{_dead_pid()}-abc123"
    killed.mkdir()
    (killed / "mix.wav").write_bytes(b"x" * 10**6)
    running = cache_dir / f".tmp-{'e' * 24}-{os.getpid()}-abc123"
    running.mkdir()
    (running / "mix.wav").write_bytes(b"x" * 3 * 10**7)
    assert woodshed("cache", "list") == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("3 songs") and "(of which 30.0 MB being built)" in last
    assert not killed.exists() and running.exists()


def test_on_a_read_only_cache_nothing_claims_success(tmp_path, monkeypatch, capsys):
    from test_separate_cli import tmpfs

    with tmpfs(tmp_path / "disk", "size=8m") as disk:
        monkeypatch.setenv("WOODSHED_CACHE_DIR", str(disk))
        monkeypatch.delenv("WOODSHED_CACHE_LIMIT", raising=False)
        made = [stem_songs.tone_song(seconds=1.0, key=key) for key in KEYS[:2]]
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        line = _assert_one_line_error(capsys, woodshed("cache", "clear"))
        assert "removed 0 of 2 songs" in line and "read-only" in line
        line = _assert_one_line_error(capsys, woodshed("cache", "remove", str(made[0].dir)))
        assert "cannot remove" in line and "read-only" in line
        line = _assert_one_line_error(capsys, woodshed("cache", "limit", "1MB", "--yes"))
        assert "read-only" in line
        assert all(song.dir.is_dir() for song in made)
        assert woodshed("cache", "list") == 0  # reading a read-only cache is fine
        assert "2 songs" in capsys.readouterr().out


@pytest.mark.parametrize("size", ["20", "0", "1.5"])
def test_a_limit_needs_a_unit(three_songs, cache_dir, capsys, size):
    line = _assert_one_line_error(capsys, woodshed("cache", "limit", size))
    assert "needs a unit" in line and f"{size}GB" in line
    assert all(song.dir.is_dir() for song in three_songs)
    assert cache.size_limit_bytes(cache_dir) == cache.DEFAULT_LIMIT_BYTES


def test_a_limit_below_what_is_stored_says_what_it_would_remove_and_asks(three_songs, cache_dir,
                                                                          capsys):
    one_song = three_songs[0].size_bytes()
    limit = f"{int(one_song * 2.5)}B"
    # Not a terminal (pytest's stdin, a script): refused without --yes, nothing touched.
    line = _assert_one_line_error(capsys, woodshed("cache", "limit", limit))
    assert "would remove 1 songs" in line and "--yes" in line
    assert all(song.dir.is_dir() for song in three_songs)
    assert cache.size_limit_bytes(cache_dir) == cache.DEFAULT_LIMIT_BYTES
    assert woodshed("cache", "limit", limit, "--yes") == 0
    out = capsys.readouterr().out
    assert f"removed {three_songs[0].dir}" in out  # the least recently used
    assert [song.dir.is_dir() for song in three_songs] == [False, True, True]
    assert cache.size_limit_bytes(cache_dir) == int(one_song * 2.5)


def test_a_lower_limit_asks_on_a_terminal(three_songs, cache_dir):
    import pty
    import select
    import sys

    one_song = three_songs[0].size_bytes()
    for answer, code in ((b"n\n", 1), (b"y\n", 0)):
        leader, terminal = pty.openpty()  # the musician's terminal on stdin
        proc = subprocess.Popen([sys.executable, "-m", "woodshed.player", "cache", "limit",
                                 f"{int(one_song * 1.5)}B"], stdin=terminal, stdout=terminal,
                                stderr=terminal)
        os.close(terminal)
        said = b""
        while b"[y/N]" not in said and select.select([leader], [], [], 30)[0]:
            said += os.read(leader, 1024)
        assert b"would remove 2 songs" in said
        os.write(leader, answer)
        assert proc.wait(timeout=60) == code
        os.close(leader)
        if answer == b"n\n":
            assert [song.dir.is_dir() for song in three_songs] == [True, True, True]
    assert [song.dir.is_dir() for song in three_songs] == [False, False, True]

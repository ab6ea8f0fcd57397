"""Messages say what happened in words: a full disk is "the disk is full", a killed worker
says how it ended, an error never ends up on the progress bar's line, and a title with control
characters prints as text."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import songs
import stem_songs
from test_cli_engine import woodshed, _assert_one_line_error
from test_separate_cli import ROOT, tmpfs


def test_an_export_to_a_full_disk_says_the_disk_is_full(cache_dir, tmp_path, capsys):
    song = stem_songs.tone_song(3.0, key=stem_songs.key_for("full"))
    with tmpfs(tmp_path / "small", "size=200k") as small:
        line = _assert_one_line_error(capsys, woodshed("export", str(song.dir), "-o",
                                                       str(small / "backing.wav")))
        assert "the disk is full" in line and "System error" not in line
        assert list(small.iterdir()) == []  # no half file, no .part


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_a_killed_worker_is_said_in_words_on_a_line_of_its_own(tmp_path, cache_dir, model_repo):
    song = songs.write(tmp_path / "long.wav", songs.music(60.0))
    proc = subprocess.Popen([sys.executable, "-m", "woodshed.player", "separate", str(song),
                             "--model", "test6s", "--model-repo", str(model_repo)], cwd=ROOT,
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "80"})
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the bar is up once the first block is done
            manifests = list(cache_dir.glob("*/manifest.json"))
            if manifests and '"blocks_done": "' in manifests[0].read_text() and \
                    "1" in manifests[0].read_text().split('"blocks_done": "')[1][:50]:
                break
            time.sleep(0.2)
        workers = _children(proc.pid)
        assert workers, "no separation process"
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 2
    last = err.rstrip("\n").split("\n")[-1]
    assert last == "woodshed: error: the separation process was stopped by SIGKILL (out of memory?)", err
    assert "exit None" not in err and "Traceback" not in err


def test_a_title_with_control_characters_prints_as_text(cache_dir, capsys):
    song = stem_songs.tone_song(1.0, key=stem_songs.key_for("ansi"))
    song.manifest.title = "\x1b[2J\x1b[31mRed\x07 Song"
    song.manifest.save(song.dir)
    assert woodshed("cache", "list") == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J\\x1b[31mRed\\x07 Song" in out


@pytest.mark.parametrize("where", ["output", "song", "cache path"])
def test_a_name_the_os_refuses_is_one_line(cache_dir, tmp_path, capsys, where):
    song = stem_songs.tone_song(1.0, key=stem_songs.key_for("names"))
    too_long = str(tmp_path / ("x" * 300 + ".wav"))
    argv = {"output": ["export", str(song.dir), "-o", too_long],
            "song": ["export", too_long, "-o", str(tmp_path / "o.wav")],
            "cache path": ["cache", "path", too_long]}[where]
    line = _assert_one_line_error(capsys, woodshed(*argv))
    assert "the name is too long for this file system" in line and len(line) < 200

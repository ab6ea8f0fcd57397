"""Least recently used means last opened in the window too, and the window's song is never
evicted while it is open (the terminal's side: test_one_writer.py)."""
from __future__ import annotations

import os
import time

import pytest

import stem_songs
from test_gui_helpers import close_window, data_dir, open_quiet  # noqa: F401 (fixture)
from woodshed.separation import cache

pytest.importorskip("pytestqt")


def test_a_song_opened_in_the_window_is_the_most_recent_and_is_never_evicted_while_open(
        qtbot, cache_dir, monkeypatch):
    old = stem_songs.tone_song(2.0, key=stem_songs.key_for("old"))
    new = stem_songs.tone_song(2.0, key=stem_songs.key_for("new"))
    past = time.time() - 3600
    os.utime(old.dir / "manifest.json", (past, past))  # 'old' was last used an hour ago
    window = open_quiet(qtbot, cache.open_song(old.dir))
    size = old.size_bytes()
    # Room for none of them: only what no Woodshed holds can go, and 'old' is open.
    monkeypatch.setenv("WOODSHED_CACHE_LIMIT", f"{int(size * 0.5 / 1000)}KB")
    assert [s.key for s in cache.evict()] == [new.key]
    assert (old.dir / "manifest.json").is_file()
    close_window(window)


def test_opening_in_the_window_makes_a_song_the_most_recently_used(qtbot, cache_dir):
    old = stem_songs.tone_song(2.0, key=stem_songs.key_for("old"))
    past = time.time() - 3600
    os.utime(old.dir / "manifest.json", (past, past))  # 'old' was last used an hour ago
    opened_s = time.time()
    window = open_quiet(qtbot, cache.open_song(old.dir))
    close_window(window)
    # what eviction orders by (the terminal's test shows the order it makes)
    assert cache.open_song(old.dir).last_used_s() >= opened_s - 1

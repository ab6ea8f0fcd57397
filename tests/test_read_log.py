"""The renderer's read log: one record of where each output frame came from, appended by the
producer while the UI thread reads it, in a preallocated ring (no allocation per entry)."""
from __future__ import annotations

import threading
import tracemalloc

import pytest

from woodshed.player.engine.read_log import ReadLog


def fill(log: ReadLog, entries: int, start: int = 0) -> None:
    for k in range(start, start + entries):
        # entry k: output frames from 100k play source frames from 7 * 100k at speed k % 3
        log.append(100.0 * k, 700.0 * k, 0.5 * (k % 3), k // 10, k // 20 - 1, 0.5 * (k % 3), k // 5)


def test_entry_in_force_at_a_frame():
    log = ReadLog(capacity=512)
    assert log.entry_at(0.0) is None
    fill(log, 50)
    entry = log.entry_at(1234.5)                       # inside entry 12
    assert entry.post_frame == 1200.0 and entry.source_frame == 8400.0
    assert entry.source_at(1234.5) == pytest.approx(8400.0 + 34.5 * entry.source_per_post)
    assert (entry.loop_pass, entry.trainer_pass, entry.seek_serial) == (1, -1, 2)
    assert log.entry_at(10**9).post_frame == 4900.0     # past the newest: the newest
    assert log.newest() == log.entry_at(4900.0)
    assert [e.post_frame for e in log.since(48)] == [4800.0, 4900.0]


def test_old_entries_give_way_and_the_oldest_kept_answers():
    log = ReadLog(capacity=512)
    fill(log, 2000)
    assert log.entry_at(199_950.0).post_frame == 199_900.0
    oldest = log.entry_at(0.0)                          # long gone: the oldest still kept
    assert 2000 - 512 <= oldest.post_frame / 100 < 2000


def test_appending_allocates_nothing_that_stays():
    log = ReadLog()
    fill(log, 10)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    fill(log, 20_000, start=10)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename")
                if "read_log" in str(stat.traceback))
    assert grown < 1024


def test_a_reader_never_sees_a_torn_entry_while_the_producer_appends():
    log = ReadLog(capacity=1024)
    done = threading.Event()
    problems = []

    def reader():
        while not done.is_set():
            newest = log.newest()
            if newest is None:
                continue
            for post in (newest.post_frame, newest.post_frame - 3000.0, newest.post_frame - 50.0):
                e = log.entry_at(post)
                if e is None:
                    continue
                k = round(e.post_frame / 100)
                if (e.source_frame, e.loop_pass, e.seek_serial) != (700.0 * k, k // 10, k // 5):
                    problems.append((post, e))             # half old, half new: torn

    thread = threading.Thread(target=reader)
    thread.start()
    fill(log, 200_000)
    done.set()
    thread.join()
    assert not problems, problems[:3]

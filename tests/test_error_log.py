"""A bug still says one line; its traceback goes to the rotating log in the data folder."""
from __future__ import annotations

import subprocess
import sys

import pytest

from test_gui_helpers import data_dir  # noqa: F401 (fixture)


BUG = """
import sys
from woodshed.player.cli import main as m
from woodshed.separation import commands
def broken(args):
    raise ZeroDivisionError("a bug in a command")
commands.run_cache_list = broken
sys.exit(m.main(["cache", "list"]))
"""


def test_a_bug_is_one_line_and_its_traceback_is_in_the_log(data_dir, cache_dir):
    result = subprocess.run([sys.executable, "-c", BUG], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    log = data_dir / "logs" / "woodshed.log"
    assert lines[0].startswith("woodshed: error: something went wrong inside Woodshed (a bug): "
                               "ZeroDivisionError: a bug in a command")
    assert str(log) in lines[0]
    text = log.read_text()
    assert "Traceback" in text and "ZeroDivisionError: a bug in a command" in text


def test_the_window_says_where_the_log_is_and_its_tasks_log_their_bugs(qtbot, data_dir,
                                                                      cache_dir):
    from woodshed.player.log_file import setup_logging
    from woodshed.player.ui.main_window import MainWindow
    from woodshed.player.ui.tasks import describe_error

    path = setup_logging()
    window = MainWindow(device="no such sound card")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    next(a for a in help_menu.actions() if a.text().startswith("Where is the error log")).trigger()
    assert str(path) in window.banner.message
    failed = []
    window.tasks.run(lambda: 1 / 0, None, failed.append, "sum")
    qtbot.waitUntil(lambda: bool(failed), timeout=5000)
    assert f"details in {path}" in describe_error(failed[0])
    for handler in __import__("logging").getLogger().handlers:
        handler.flush()
    assert "task sum failed" in path.read_text() and "ZeroDivisionError" in path.read_text()


def test_a_bug_in_the_producer_thread_is_one_line_and_its_traceback_is_in_the_log(
        jack_server, data_dir, cache_dir):
    """The producer thread renders on its own; a bug there used to end playback as
    "playback stopped: …" with the traceback lost with the thread."""
    import logging
    import time

    import stem_songs
    from woodshed.player.engine.engine import Engine
    from woodshed.player.log_file import setup_logging

    path = setup_logging()
    song = stem_songs.tone_song(seconds=4.0)
    with Engine(song, device=jack_server.portaudio_device) as engine:
        engine.play()
        deadline = time.monotonic() + 5.0
        while engine.position_s < 0.2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert engine.error is None

        def broken_render(frames):  # a bug in the mixing code, as the producer meets it
            return {}["no such stem"]
        engine._renderer.render = broken_render
        deadline = time.monotonic() + 5.0
        while engine.error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        line = engine.error
        assert not engine.playing
    assert line is not None and "\n" not in line
    assert line.startswith("playback stopped by a bug in Woodshed: KeyError: 'no such stem'")
    assert line.endswith(f"details in {path}")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert "the producer thread stopped" in text and "Traceback" in text
    assert "broken_render" in text and "KeyError: 'no such stem'" in text

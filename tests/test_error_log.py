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

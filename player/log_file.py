"""Where what went wrong is kept: a rotating log file in the data folder.

A musician sees one line for any error; a bug's traceback goes here, for a bug report. One
setup, called by the `woodshed` entry point and by the window; every module logs through
``logging.getLogger(__name__)``.
"""
from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_BYTES = 1_000_000  # per file; three old files kept beside it
LOG_BACKUPS = 3
_handler: logging.Handler | None = None


def log_path() -> Path:
    from woodshed.player.ui.session import data_dir  # plain data, no Qt

    return data_dir() / "logs" / "woodshed.log"


def setup_logging() -> Path | None:
    """Send warnings and errors (with tracebacks) of every module to the rotating log file;
    returns its path, or None when the data folder cannot be written (then nothing is kept,
    and nothing fails because of it). Calling it again changes nothing."""
    global _handler
    if _handler is not None:
        return Path(_handler.baseFilename)
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES,
                                                       backupCount=LOG_BACKUPS, encoding="utf-8",
                                                       delay=True)
    except OSError:
        return None
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(threadName)s "
                                           "%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    _handler = handler
    return path


def where_details_are() -> str:
    """'details in /…/woodshed.log' for a one-line error message ('' if there is no log)."""
    return f"details in {_handler.baseFilename}" if _handler is not None else ""

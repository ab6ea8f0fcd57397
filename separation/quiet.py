"""Silence C libraries that print to the process's stderr (libmpg123 warns about every
damaged frame), so a musician sees our one-line error and not the decoder's chatter."""
from __future__ import annotations

import contextlib
import os
import sys
import threading

_lock = threading.Lock()


@contextlib.contextmanager
def c_stderr_silenced():
    """Point file descriptor 2 at the null device for the duration (Python's own
    sys.stderr writes are flushed first and go on working afterwards)."""
    try:
        fd = sys.__stderr__.fileno() if sys.__stderr__ else 2
    except (AttributeError, ValueError, OSError):
        yield  # no real stderr (e.g. a windowed app): nothing to silence
        return
    with _lock:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        saved = os.dup(fd)
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, fd)
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            os.close(null)

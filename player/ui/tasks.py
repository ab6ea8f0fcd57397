"""Run slow work (file I/O, engine start-up, export) off the UI thread; results come back as signals.

A task is a plain function; its result or its error is delivered to callbacks on the UI
thread through a queued Qt signal, so the window never waits and never sees a traceback.
"""
from __future__ import annotations

import logging
import threading
import traceback
from typing import Any, Callable

from PyQt6.QtCore import QObject, pyqtSignal

from woodshed.separation.errors import UserError

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = pyqtSignal(object)
    failed = pyqtSignal(object)


class Tasks(QObject):
    """Keeps running tasks alive until they finish; one daemon thread per task."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._running: set[_Relay] = set()

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, name: str = "task") -> threading.Thread:
        relay = _Relay()  # created on the UI thread: its slots run there
        self._running.add(relay)

        def finish(ok, value):
            self._running.discard(relay)
            try:
                if ok and on_done:
                    on_done(value)
                elif not ok and on_error:
                    on_error(value)
            except Exception as exc:  # a bug showing the result: still a message, not a crash
                if on_error is None:
                    raise
                on_error(exc)

        relay.done.connect(lambda v: finish(True, v))
        relay.failed.connect(lambda e: finish(False, e))

        def work():
            try:
                value = fn()
            except BaseException as exc:  # reported in the window, never raised on the UI thread
                if not isinstance(exc, (UserError, OSError)):  # a bug: its traceback to the log
                    log.error("task %s failed:\n%s", name, traceback.format_exc())
                relay.failed.emit(exc)
            else:
                relay.done.emit(value)

        thread = threading.Thread(target=work, name=f"woodshed-{name}", daemon=True)
        thread.start()
        return thread

    @property
    def busy(self) -> bool:
        return bool(self._running)


def describe_error(exc: BaseException) -> str:
    """One line a musician can read, for any error a task raised."""
    from woodshed.separation.errors import UserError, describe_os_error

    if isinstance(exc, UserError):
        return exc.message
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    from woodshed.player.log_file import where_details_are

    details = where_details_are()
    text = " ".join(f"something went wrong inside Woodshed (a bug): {type(exc).__name__}: {exc}"
                    .split())
    return f"{text}; {details}" if details else text

"""The window's one audio engine at a time: opened, switched and closed one after another.

Two engines open at once in one process break PortAudio: its JACK host API names every
stream's ports alike, so the second stream fails ("cannot open output device … Insufficient
memory"), and PortAudio is not thread-safe, so an open on one thread while another closes
can abort the process on an assertion. Both happened when a double-click in the Library
opened a song twice while the demo played. So every engine the window starts goes through
its AudioSlot: opening one first closes the one before (whatever song it belonged to), under
one lock, on whichever background thread asks.

Threads: open() and switch() run on background threads (tasks); close_later() is called from
the UI thread and closes on a thread of its own; wait_idle() (quitting) waits for all of it.
"""
from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class AudioSlot:
    def __init__(self):
        self._lock = threading.Lock()
        self._engine = None  # the engine this slot opened last and has not closed
        self._closers: list[threading.Thread] = []

    def open(self, song, device=None, blocksize_frames: int | None = None,
             still_wanted=lambda: True):
        """(engine, None) or (None, why not), after closing the slot's previous engine; its
        output in blocks of ``blocksize_frames`` (None: the engine's default).
        (None, None) when still_wanted() says, once the slot is free, that nobody waits
        for it any more (the musician opened another song meanwhile)."""
        from .loading import start_engine

        with self._lock:
            if not still_wanted():  # (and the engine of the song that is wanted stays open)
                return None, None
            self._close_current()
            engine, error = start_engine(song, device, blocksize_frames)
            self._engine = engine
            return engine, error

    def switch(self, engine, device) -> None:
        """Move ``engine`` to another device (Engine.switch_device), after closing any other
        engine this slot opened."""
        with self._lock:
            if self._engine is not engine:
                self._close_current()
                self._engine = engine
            engine.switch_device(device)

    def close_later(self, engine) -> None:
        """Close ``engine`` off the UI thread (a device can take a moment to let go)."""
        if engine is None:
            return
        closer = threading.Thread(target=self._close, args=(engine,), name="woodshed-audio-close",
                                  daemon=True)
        self._closers = [t for t in self._closers if t.is_alive()] + [closer]
        closer.start()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait for closes in flight (quitting: PortAudio must not terminate under them)."""
        for closer in list(self._closers):
            closer.join(timeout_s)
        acquired = self._lock.acquire(timeout=timeout_s)
        if acquired:
            self._lock.release()
        return acquired and not any(t.is_alive() for t in self._closers)

    def _close(self, engine) -> None:
        with self._lock:
            if engine is self._engine:
                self._engine = None
            _close_quietly(engine)

    def _close_current(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            _close_quietly(engine)


def _close_quietly(engine) -> None:
    try:
        engine.close()
    except Exception:  # a vanished device may fail to close; it is gone either way
        log.warning("closing the audio engine failed", exc_info=True)

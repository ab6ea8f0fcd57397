"""OS file locks on a song of the cache: one writer per song, and no eviction of a song in use.

Two locks per song, as files of their own in ``<cache>/.locks/`` (outside the song folder, so
removing a song never removes a lock someone holds or waits on; they are a few bytes each
and never deleted, which is what keeps a lock file one and the same for every process):

- ``<key>.write``, exclusive: the one process separating (or importing) the song. A second
  separation of the same song waits for it, then finds the song done or resumes it.
- ``<key>.beats``, exclusive: the one process finding the song's beats (beats/analyse.py).
- ``<key>.use``, shared by every process that has the song open (playing, exporting,
  separating); exclusive for removing it, which is only ever tried, never waited for: the
  evictor skips a song in use, ``cache remove`` says it is in use.

The OS releases a lock when its process ends, however it ends (a kill, a crash), so a
stale lock never blocks anyone. Within one process each Lock is its own open file, so two
holders in the same process exclude each other the same way two processes do.
- Linux, macOS: ``flock`` (whole-file, shared or exclusive).
- Windows: ``LockFileEx`` on the first byte (shared or exclusive); the documented call,
  not tested on the build machine.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_FOLDER = ".locks"
WAIT_POLL_S = 0.2


class Lock:
    """One lock file, held shared or exclusive by this object until release() (or the
    process's end)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self, shared: bool = False) -> bool:
        """Take the lock if nobody holds it in a conflicting way; never waits."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            taken = _lock(fd, shared)
        except BaseException:
            os.close(fd)
            raise
        if not taken:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def acquire(self, shared: bool = False, timeout_s: float | None = None,
                keep_waiting=lambda: True) -> bool:
        """Wait for the lock (polling, so a waiter can still be cancelled: keep_waiting()
        False stops it). False if not had within timeout_s or when told to stop."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while not self.try_acquire(shared):
            if not keep_waiting() or (deadline is not None and time.monotonic() > deadline):
                return False
            time.sleep(WAIT_POLL_S)
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the file releases the lock, on every OS

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()

    def __del__(self):
        self.release()


def lock_folder(root: Path) -> Path:
    return Path(root) / LOCK_FOLDER


def write_lock(root: Path, key: str) -> Lock:
    """The song's one-writer lock (take it exclusive)."""
    return Lock(lock_folder(root) / f"{key}.write")


def beats_lock(root: Path, key: str) -> Lock:
    """The song's one-beat-analysis lock (exclusive): separation, import and the window may
    each start the analysis; the second waits for the first and then finds the grid made."""
    return Lock(lock_folder(root) / f"{key}.beats")


def use_lock(root: Path, key: str) -> Lock:
    """The song's in-use lock: shared to use the song, exclusive to remove it."""
    return Lock(lock_folder(root) / f"{key}.use")


if sys.platform == "win32":
    import ctypes
    import msvcrt
    from ctypes import wintypes

    _LOCKFILE_FAIL_IMMEDIATELY = 0x1
    _LOCKFILE_EXCLUSIVE_LOCK = 0x2
    _ERROR_LOCK_VIOLATION = 33

    class _Overlapped(ctypes.Structure):
        _fields_ = [("Internal", ctypes.c_void_p), ("InternalHigh", ctypes.c_void_p),
                    ("Offset", wintypes.DWORD), ("OffsetHigh", wintypes.DWORD),
                    ("hEvent", wintypes.HANDLE)]

    def _lock(fd: int, shared: bool) -> bool:
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        flags = _LOCKFILE_FAIL_IMMEDIATELY | (0 if shared else _LOCKFILE_EXCLUSIVE_LOCK)
        handle = wintypes.HANDLE(msvcrt.get_osfhandle(fd))
        if kernel32.LockFileEx(handle, flags, 0, 1, 0, ctypes.byref(_Overlapped())):
            return True
        error = ctypes.get_last_error()
        if error == _ERROR_LOCK_VIOLATION:
            return False
        raise ctypes.WinError(error)
else:
    import errno
    import fcntl

    def _lock(fd: int, shared: bool) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

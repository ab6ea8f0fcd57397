"""Is a process still running? Used to tell a killed run's leftovers from a live run's work."""
from __future__ import annotations

import os
import sys


def process_alive(pid: int) -> bool:
    """True if a process with this id runs now (on any OS); a pid reused since is 'alive'
    too, which only delays a cleanup, never removes live work."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        import ctypes

        query_limited_information, still_active = 0x1000, 259
        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(query_limited_information, False, pid)
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and \
                code.value == still_active
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True

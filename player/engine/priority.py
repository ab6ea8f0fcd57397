"""Ask the OS to run the audio producer ahead of ordinary work.

The producer thread must refill the output ring within its length (tens of milliseconds)
however busy the machine is: separation on every core, a browser, a compiler. Each OS has
its own way to say so for one thread, and each may refuse; when refused, nothing changes
and playback relies on the ring alone.

- Linux: a real-time policy, allowed to root or to users with RLIMIT_RTPRIO (the ``audio``
  group on audio distributions); JACK and PipeWire do the same for their own threads.
- Windows: THREAD_PRIORITY_TIME_CRITICAL, within the process's normal priority class.
- macOS: the user-interactive quality-of-service class.
Only the Linux path runs on the build machine; the other two are the documented calls,
not tested here.
"""
from __future__ import annotations

import ctypes
import os
import sys

# The lowest real-time priority: above every ordinary thread, below the audio system's own
# (jackd's at 10, its clients' process threads, where PortAudio's callback runs, at 5: at an
# equal priority our producer would hold the device's thread up while it renders).
PRODUCER_PRIORITY = 1
_WINDOWS_TIME_CRITICAL = 15
_MACOS_QOS_USER_INTERACTIVE = 0x21


def make_current_thread_realtime(priority: int = PRODUCER_PRIORITY) -> bool:
    """Schedule the calling thread ahead of ordinary work; False when not allowed."""
    try:
        if sys.platform == "win32":
            kernel32 = ctypes.windll.kernel32
            return bool(kernel32.SetThreadPriority(kernel32.GetCurrentThread(),
                                                   _WINDOWS_TIME_CRITICAL))
        if sys.platform == "darwin":
            libc = ctypes.CDLL("/usr/lib/libSystem.dylib")
            return libc.pthread_set_qos_class_self_np(_MACOS_QOS_USER_INTERACTIVE, 0) == 0
        lo = os.sched_get_priority_min(os.SCHED_RR)
        hi = os.sched_get_priority_max(os.SCHED_RR)
        # pid 0 is the calling thread on Linux: the rest of the process is left alone
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(min(hi, max(lo, priority))))
    except (OSError, AttributeError):
        return False
    return True

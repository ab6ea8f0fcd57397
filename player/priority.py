"""Ask the OS to run the audio producer ahead of ordinary work.

The producer thread must refill the output ring within its length (tens of milliseconds)
however busy the machine is: separation on every core, a browser, a compiler. On Linux a
thread may take a real-time policy when the user is allowed to (root, or the ``audio``
group's RLIMIT_RTPRIO that audio distributions set up); JACK and PipeWire do the same for
their own threads. Elsewhere, or when refused, nothing changes and playback relies on the
ring alone.
"""
from __future__ import annotations

import os

# The lowest real-time priority: above every ordinary thread, below the audio system's own
# (jackd's at 10, its clients' process threads, where PortAudio's callback runs, at 5: at an
# equal priority our producer would hold the device's thread up while it renders).
PRODUCER_PRIORITY = 1


def make_current_thread_realtime(priority: int = PRODUCER_PRIORITY) -> bool:
    """Round-robin real-time scheduling for the calling thread; False when not allowed."""
    if not hasattr(os, "sched_setscheduler"):  # Windows, macOS
        return False
    try:
        lo = os.sched_get_priority_min(os.SCHED_RR)
        hi = os.sched_get_priority_max(os.SCHED_RR)
        # pid 0 is the calling thread on Linux: the rest of the process is left alone
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(min(hi, max(lo, priority))))
    except (OSError, AttributeError):
        return False
    return True

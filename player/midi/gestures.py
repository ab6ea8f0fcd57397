"""Presses -> taps and double taps, in the MIDI thread's own time (no timers, no Qt).

A control with a double-tap binding waits ``DOUBLE_TAP_S`` after a first press: a second press
within it is a double tap, otherwise the first was a tap (fired when the wait ends, by
``due``). A control without one fires its tap at once: binding a double tap is what costs the
tap its delay, nothing else does.
"""
from __future__ import annotations

DOUBLE_TAP_S = 0.35


class TapDetector:
    """Not thread-safe: called on the MIDI thread only (or a test's)."""

    def __init__(self, double_tap_s: float = DOUBLE_TAP_S):
        self.double_tap_s = double_tap_s
        self._pending: dict[object, float] = {}   # key -> deadline of its first press

    def press(self, key, time_s: float, waits_for_double: bool) -> str | None:
        """A press of ``key``: "tap", "double_tap", or None (decided later by ``due``)."""
        first = self._pending.pop(key, None)
        if first is not None and time_s <= first:
            return "double_tap"
        if not waits_for_double:
            return "tap"
        self._pending[key] = time_s + self.double_tap_s
        return None

    def due(self, time_s: float) -> list:
        """Keys whose wait for a second press has ended by ``time_s``: each was a tap."""
        taps = [key for key, deadline in self._pending.items() if time_s > deadline]
        for key in taps:
            del self._pending[key]
        return taps

    def wait_s(self, time_s: float) -> float | None:
        """How long until the next ``due`` has something, or None."""
        if not self._pending:
            return None
        return max(0.0, min(self._pending.values()) - time_s) + 0.001

    def forget(self) -> None:
        self._pending.clear()

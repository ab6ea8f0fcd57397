"""Raw MIDI bytes as a backend delivers them -> mido messages, forgiving what devices send.

mido's parser does the parsing; this adds what it leaves out: running status (a channel
message whose status byte the device left out because it repeats the last one). SysEx, clock
and active sensing are dropped here as well as in the backend: a controller's SysEx flood or
a clock's 24 ticks a beat never reach the bindings.
"""
from __future__ import annotations

import logging

import mido

log = logging.getLogger(__name__)

IGNORED_TYPES = frozenset({"sysex", "clock", "active_sensing", "start", "stop", "continue",
                           "songpos", "song_select", "tune_request", "quarter_frame", "reset"})


def _data_bytes(status: int) -> int:
    """Data bytes after a channel-message status byte."""
    return 1 if 0xC0 <= status <= 0xDF else 2


class Decoder:
    """One per input port (running status is per port). Not thread-safe: the MIDI thread's."""

    def __init__(self):
        self._parser = mido.Parser()
        self._running = 0       # the last channel-message status byte, 0 if none
        self._remaining = 0     # data bytes the current message still needs
        self._in_sysex = False

    def decode(self, data) -> list[mido.Message]:
        """Every complete message in ``data`` (bytes of one or more messages, or a tail)."""
        fixed = bytearray()
        for byte in data:
            byte = int(byte) & 0xFF
            if byte >= 0xF8:            # real-time: may sit anywhere, changes nothing
                fixed.append(byte)
                continue
            if byte >= 0x80:
                self._in_sysex = byte == 0xF0
                if byte < 0xF0:
                    self._running, self._remaining = byte, _data_bytes(byte)
                else:                   # system messages cancel running status
                    self._running, self._remaining = 0, 0
                fixed.append(byte)
                continue
            if not self._in_sysex and self._remaining == 0 and self._running:
                fixed.append(self._running)  # running status: the status byte left out
                self._remaining = _data_bytes(self._running)
            if self._remaining:
                self._remaining -= 1
            fixed.append(byte)
        self._parser.feed(bytes(fixed))
        messages = []
        for message in self._parser:
            if message.type not in IGNORED_TYPES:
                messages.append(message)
        return messages

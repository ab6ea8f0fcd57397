"""Single key presses from the terminal, without Enter: termios on POSIX, msvcrt on Windows.

``Keys`` is a context manager; ``read(timeout_s)`` returns the keys pressed meanwhile as
names: ``"space"``, ``"left"``, ``"right"``, ``"up"``, ``"down"`` or the character itself.
"""
from __future__ import annotations

import os
import sys
import time

_ESCAPES = {"[D": "left", "[C": "right", "[A": "up", "[B": "down",
            "OD": "left", "OC": "right", "OA": "up", "OB": "down"}
_WINDOWS_ARROWS = {"K": "left", "M": "right", "H": "up", "P": "down"}


def interactive() -> bool:
    """Keys only make sense when a person is at a terminal."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


class Keys:
    def __enter__(self) -> "Keys":
        self._saved = None
        if os.name != "nt":
            import termios
            import tty

            self._fd = sys.stdin.fileno()
            self._saved = termios.tcgetattr(self._fd)
            tty.setcbreak(self._fd)  # keys arrive one by one; Ctrl-C still interrupts
        return self

    def __exit__(self, *exc) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)

    def read(self, timeout_s: float) -> list[str]:
        return self._read_windows(timeout_s) if os.name == "nt" else self._read_posix(timeout_s)

    def _read_posix(self, timeout_s: float) -> list[str]:
        import select

        ready, _, _ = select.select([self._fd], [], [], timeout_s)
        if not ready:
            return []
        text = os.read(self._fd, 64).decode(errors="replace")
        return parse_keys(text)

    @staticmethod
    def _read_windows(timeout_s: float) -> list[str]:
        import msvcrt

        deadline = time.monotonic() + timeout_s
        keys: list[str] = []
        while not keys and time.monotonic() < deadline:
            while msvcrt.kbhit():
                ch = msvcrt.getwch()
                if ch in ("\x00", "\xe0"):  # arrows come as a prefix and a code
                    keys.append(_WINDOWS_ARROWS.get(msvcrt.getwch(), ""))
                else:
                    keys.append("space" if ch == " " else ch)
            time.sleep(0.02)
        return [k for k in keys if k]


def parse_keys(text: str) -> list[str]:
    """Split what the terminal sent into key names (arrow keys are escape sequences)."""
    keys, i = [], 0
    while i < len(text):
        if text[i] == "\x1b" and text[i + 1:i + 3] in _ESCAPES:
            keys.append(_ESCAPES[text[i + 1:i + 3]])
            i += 3
            continue
        keys.append("space" if text[i] == " " else text[i])
        i += 1
    return keys

"""Which note or CC does what, per device, saved as versioned JSON in the data folder.

A control is a note, a CC or a program change on one channel. A binding ties a control to an
action with a gesture ("tap" or "double_tap") and says how the pedal behaves:
- "momentary": a press is a note-on, or a CC going from below 64 to 64 or above (a sustain
  pedal: 127 down, 0 up); releasing does nothing.
- "toggle": a latching pedal sends 127 on one press and 0 on the next: every change across 64
  is a press.
- "continuous": an expression pedal; every value 0-127 drives the action.

Bindings are kept per device name; ``ANY_DEVICE`` holds those for devices with none of their
own (the defaults suit a keyboard's sustain, sostenuto and soft pedals).
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from woodshed.separation.atomic import set_aside, write_text_atomic


log = logging.getLogger(__name__)

BINDINGS_VERSION = 1
BINDINGS_FILE = "midi-bindings.json"
ANY_DEVICE = "*"
KINDS = ("note", "cc", "program")
GESTURES = ("tap", "double_tap")
PEDALS = ("momentary", "toggle", "continuous")
# Any action id of the window's registry can be bound ("loop.zoom"): the engine's own are
# done on the MIDI thread, the others passed on to whoever listens (the window).
ACTION_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")


@dataclass(frozen=True)
class Control:
    kind: str        # "note", "cc" or "program"
    channel: int     # 0-15 (shown as 1-16)
    number: int      # note number, controller number or program number

    @classmethod
    def of(cls, message) -> "Control | None":
        """The control a mido message comes from, or None for messages we do not bind."""
        if message.type in ("note_on", "note_off"):
            return cls("note", message.channel, message.note)
        if message.type == "control_change":
            return cls("cc", message.channel, message.control)
        if message.type == "program_change":
            return cls("program", message.channel, message.program)
        return None

    def __str__(self) -> str:
        kind = {"note": "note", "cc": "CC", "program": "program"}[self.kind]
        return f"{kind} {self.number} (channel {self.channel + 1})"


@dataclass(frozen=True)
class Binding:
    control: Control
    action: str
    gesture: str = "tap"
    pedal: str = "momentary"

    def to_json(self) -> dict:
        return {"kind": self.control.kind, "channel": self.control.channel,
                "number": self.control.number, "action": self.action,
                "gesture": self.gesture, "pedal": self.pedal}

    @classmethod
    def from_json(cls, data: dict) -> "Binding":
        control = Control(str(data["kind"]), int(data["channel"]), int(data["number"]))
        binding = cls(control, str(data["action"]), str(data.get("gesture", "tap")),
                      str(data.get("pedal", "momentary")))
        if (control.kind not in KINDS or not 0 <= control.channel <= 15
                or not 0 <= control.number <= 127 or not ACTION_ID.fullmatch(binding.action)
                or binding.gesture not in GESTURES or binding.pedal not in PEDALS):
            raise ValueError(f"not a binding: {data}")
        return binding


def default_bindings() -> dict[str, list[Binding]]:
    """For any device without bindings of its own: a keyboard's three pedals."""
    return {ANY_DEVICE: [
        Binding(Control("cc", 0, 64), "play.toggle"),        # sustain
        Binding(Control("cc", 0, 66), "loop.toggle"),        # sostenuto
        Binding(Control("cc", 0, 67), "play.restart_loop"),  # soft
    ]}


def to_json(table: dict[str, list[Binding]]) -> str:
    return json.dumps({"version": BINDINGS_VERSION,
                       "devices": {device: [b.to_json() for b in bindings]
                                   for device, bindings in table.items()}}, indent=1)


def from_json(text: str) -> dict[str, list[Binding]]:
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("version") != BINDINGS_VERSION:
        raise ValueError(f"unknown version {data.get('version') if isinstance(data, dict) else data!r}")
    return {str(device): [Binding.from_json(b) for b in bindings]
            for device, bindings in data["devices"].items()}


def bindings_path() -> Path:
    from woodshed.player.ui.session import data_dir  # plain functions, no Qt

    return data_dir() / BINDINGS_FILE


def load_bindings(path: Path | None = None) -> tuple[dict[str, list[Binding]], str | None]:
    """The saved bindings (defaults if there are none), and a one-line warning if the file
    could not be used."""
    path = Path(path) if path is not None else bindings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default_bindings(), None
    except OSError as exc:
        return default_bindings(), f"cannot read the MIDI bindings {path}: {exc.strerror}; using the defaults"
    try:
        return from_json(text), None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("MIDI bindings %s unusable", path, exc_info=True)
        return default_bindings(), (f"the MIDI bindings file {path} is damaged ({exc}); "
                                    f"using the defaults")


def save_bindings(table: dict[str, list[Binding]], path: Path | None = None) -> None:
    """Write the bindings; a file there that this Woodshed could not read (a newer one's, a
    damaged one) is first set aside beside it, never written over."""
    path = Path(path) if path is not None else bindings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError):
        log.warning("MIDI bindings %s unreadable: kept as %s", path, set_aside(path))
    write_text_atomic(path, to_json(table))

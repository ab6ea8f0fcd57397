"""MIDI messages -> bindings -> actions on the engine, plus MIDI learn.

``MidiController.handle(device, message, time_s)`` is the whole mapping, callable from a test
with mido messages; ``listen()`` feeds it from every MIDI input (``inputs.MidiInputs``) on the
MIDI thread. Engine actions are carried out right there, on the engine's controls (not through
the UI thread); then ``on_action(action_id, value)`` tells whoever shows them (the window turns
it into a Qt signal; window-only actions such as saved loops are carried out there).

Threads: ``handle``, ``due`` and the callbacks run on the MIDI thread; ``set_engine``,
``learn``, ``bind``, ``unbind`` and ``save`` on the caller's (the UI thread), under a lock.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable

from woodshed.separation.errors import UserError

from . import bindings as b
from .actions import ACTIONS, EngineActions, is_continuous, name_of
from .gestures import TapDetector

log = logging.getLogger(__name__)

PRESS_THRESHOLD = 64   # CC values at or above count as "down" (MIDI's own switch convention)


class MidiController:
    def __init__(self, engine=None, bindings_path: Path | None = None,
                 on_action: Callable[[str, int | None], None] | None = None,
                 on_status: Callable[[str], None] | None = None,
                 on_learned: Callable[[str, "b.Binding"], None] | None = None,
                 on_message: Callable[[str, object], None] | None = None):
        self.on_action = on_action or (lambda action_id, value: None)
        self.on_status = on_status or (lambda line: None)
        self.on_learned = on_learned or (lambda device, binding: None)
        self.on_message = on_message or (lambda device, message: None)
        self.bindings_path = bindings_path
        self.table, warning = b.load_bindings(bindings_path)
        self.warning = warning          # one line for the window/terminal, or None
        self._lock = threading.Lock()
        self._engine = engine   # an Engine, None, or a function that returns the current one
        self._taps = TapDetector()
        self._cc_down: dict[tuple, bool] = {}     # (device, control) -> pedal down?
        self._learning: tuple[str, str] | None = None   # (action id, gesture)
        self._inputs = None

    # --- caller's thread -----------------------------------------------------------------
    def set_engine(self, engine) -> None:
        with self._lock:
            self._engine = engine   # an Engine, None, or a function that returns the current one

    def learn(self, action_id: str, gesture: str = "tap") -> None:
        """The next control pressed on any device is bound to ``action_id``."""
        if not b.ACTION_ID.fullmatch(action_id) or gesture not in b.GESTURES:
            raise ValueError(f"cannot learn {action_id!r} ({gesture})")
        with self._lock:
            self._learning = (action_id, gesture)

    def cancel_learn(self) -> None:
        with self._lock:
            self._learning = None

    @property
    def learning(self) -> tuple[str, str] | None:
        return self._learning

    def bindings_for(self, device: str) -> list[b.Binding]:
        with self._lock:
            return list(self.table.get(device, self.table.get(b.ANY_DEVICE, [])))

    def bind(self, device: str, binding: b.Binding, save: bool = True) -> None:
        """Add a binding for a device; one control and gesture does one thing (replaces)."""
        with self._lock:
            if device not in self.table:  # a device's own bindings start from the defaults
                self.table[device] = list(self.table.get(b.ANY_DEVICE, []))
            self.table[device] = [x for x in self.table[device]
                                  if not (x.control == binding.control and x.gesture == binding.gesture)
                                  and not (x.action == binding.action and x.gesture == binding.gesture)]
            self.table[device].append(binding)
        if save:
            self.save()

    def set_pedal(self, device: str, action_id: str, pedal: str, save: bool = True) -> int:
        """Momentary or toggle (latching) for the device's bindings of an action's taps;
        returns how many changed."""
        if pedal not in ("momentary", "toggle"):
            raise ValueError(pedal)
        import dataclasses

        with self._lock:
            if device not in self.table:
                self.table[device] = list(self.table.get(b.ANY_DEVICE, []))
            changed = 0
            for i, x in enumerate(self.table[device]):
                if x.action == action_id and x.pedal != "continuous" and x.pedal != pedal:
                    self.table[device][i] = dataclasses.replace(x, pedal=pedal)
                    changed += 1
        if save and changed:
            self.save()
        return changed

    def unbind(self, device: str, action_id: str, save: bool = True) -> None:
        with self._lock:
            if device not in self.table:
                self.table[device] = list(self.table.get(b.ANY_DEVICE, []))
            self.table[device] = [x for x in self.table[device] if x.action != action_id]
        if save:
            self.save()

    def save(self) -> None:
        with self._lock:
            table = {device: list(bindings) for device, bindings in self.table.items()}
        b.save_bindings(table, self.bindings_path)

    def listen(self, **inputs_options) -> "MidiController":
        """Open every MIDI input now and as they appear; messages come to ``handle``."""
        from .inputs import MidiInputs

        self._inputs = MidiInputs(
            on_message=lambda port, message, time_s: self.handle(port.device, message, time_s),
            on_change=self.on_status, wake=lambda: self._taps.wait_s(time.monotonic()),
            on_wake=lambda: self.due(time.monotonic()), **inputs_options).start()
        return self

    def stop(self) -> None:
        if self._inputs is not None:
            self._inputs.stop()
            self._inputs = None

    @property
    def inputs(self):
        return self._inputs

    # --- MIDI thread -----------------------------------------------------------------------
    def handle(self, device: str, message, time_s: float | None = None) -> None:
        """One message from ``device``: learn it, or carry out what it is bound to."""
        time_s = time.monotonic() if time_s is None else time_s
        self.due(time_s)
        self.on_message(device, message)
        control = b.Control.of(message)
        if control is None:
            return
        value = self._value(message)
        if self._learning is not None:
            self._learn(device, control, value)
            return
        bindings = [x for x in self.bindings_for(device) if x.control == control]
        if not bindings:
            return
        for binding in bindings:
            if binding.pedal == "continuous" and control.kind == "cc":
                self._run(binding.action, value)
        pressed = self._pressed(device, control, value, bindings)
        if not pressed:
            return
        taps = [x for x in bindings if x.pedal != "continuous"]
        if not taps:
            return
        waits = any(x.gesture == "double_tap" for x in taps)
        gesture = self._taps.press((device, control), time_s, waits)
        if gesture is not None:
            self._fire(device, control, gesture)

    def due(self, time_s: float) -> None:
        """Fire the taps of controls whose wait for a double tap has ended."""
        for device, control in self._taps.due(time_s):
            self._fire(device, control, "tap")

    def _fire(self, device: str, control: b.Control, gesture: str) -> None:
        for binding in self.bindings_for(device):
            if binding.control == control and binding.gesture == gesture \
                    and binding.pedal != "continuous":
                self._run(binding.action, None)

    @staticmethod
    def _value(message) -> int:
        if message.type == "note_on":
            return message.velocity
        if message.type == "note_off":
            return 0
        if message.type == "control_change":
            return message.value
        return 127  # a program change is a press

    def _pressed(self, device: str, control: b.Control, value: int, bindings) -> bool:
        """Whether this message is a press, for momentary and toggle pedals."""
        if control.kind != "cc":
            return value > 0   # note-on (velocity 0 is a note-off), program change
        key = (device, control)
        down = value >= PRESS_THRESHOLD
        was_down = self._cc_down.get(key)
        self._cc_down[key] = down
        if any(x.pedal == "toggle" for x in bindings):
            return was_down is None or down != was_down  # a latching pedal: each change
        return down and not was_down

    def _learn(self, device: str, control: b.Control, value: int) -> None:
        with self._lock:
            learning, self._learning = self._learning, None
        if learning is None:
            return
        action_id, gesture = learning
        if control.kind == "cc" and value < PRESS_THRESHOLD and not is_continuous(action_id):
            with self._lock:
                self._learning = learning  # a pedal's release: wait for its press
            return
        pedal = "continuous" if is_continuous(action_id) else "momentary"
        if pedal == "continuous" and control.kind != "cc":
            self.on_status(f"{name_of(action_id)} needs a CC (an expression pedal), "
                           f"not {control}")
            return
        binding = b.Binding(control, action_id, gesture, pedal)
        if control.kind == "cc":
            self._cc_down[(device, control)] = value >= PRESS_THRESHOLD
        try:
            self.bind(device, binding)
        except OSError as exc:
            self.on_status(f"cannot save the MIDI bindings: {exc}")
        self.on_learned(device, binding)

    def _run(self, action_id: str, value: int | None) -> None:
        engine = self._engine() if callable(self._engine) else self._engine
        try:
            if (engine is not None and action_id in ACTIONS
                    and not EngineActions(engine).run(action_id, value)
                    and action_id.startswith(("mix.", "midi."))):
                return  # stem N of a song with fewer stems
        except UserError as exc:
            self.on_status(exc.message)
            return
        except Exception as exc:
            log.exception("MIDI action %s failed", action_id)
            self.on_status(f"{name_of(action_id)} failed: {exc}")
            return
        self.on_action(action_id, value)

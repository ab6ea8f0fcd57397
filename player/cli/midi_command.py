"""`woodshed midi`: list the MIDI inputs of every backend, then print what they send, one
message a line, until Ctrl-C (to check a pedal before binding it)."""
from __future__ import annotations

import sys
import time


def add_parser(sub) -> None:
    p = sub.add_parser("midi", help="list MIDI inputs and print what they send (check a pedal)",
                       description="List the MIDI inputs of every backend (ALSA, JACK, CoreMIDI, "
                                   "Windows MM), open them all, and print each message as it "
                                   "arrives, one a line, until Ctrl-C. Devices plugged in later "
                                   "are opened too.")
    p.set_defaults(func=run_midi)


def describe(message) -> str:
    """A message as bindings name it ("CC 64 (channel 1) = 127"), else as mido does."""
    from woodshed.player.midi.bindings import Control

    control = Control.of(message)
    if control is None:
        return str(message.copy(time=0)).replace(" time=0", "")
    if message.type == "program_change":
        return str(control)
    value = {"note_on": message.velocity if message.type == "note_on" else 0,
             "note_off": 0}.get(message.type, getattr(message, "value", 0))
    state = ("on" if value else "off") if control.kind == "note" else "="
    return f"{control} {state} {value}" if control.kind == "cc" else f"{control} {state} ({value})"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()  # one line at once, even into a pipe


def run_midi(args) -> int:
    from woodshed.player.midi.inputs import MidiInputs, list_inputs

    ports, notes = list_inputs()
    for port in ports:
        say(f"  {port.backend:<10} {port.device}")
    for note in notes:
        say(f"  ({note})")
    if not ports:
        say("no MIDI input yet: plug one in, it is picked up while this runs")
    inputs = MidiInputs(on_message=lambda port, message, time_s: say(f"{port.device}: {describe(message)}"),
                        on_change=say)
    try:
        inputs.start()
        say("listening; Ctrl-C to stop")
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0  # Ctrl-C is how this ends
    finally:
        inputs.stop()

"""MIDI controllers and foot pedals: inputs of every backend python-rtmidi offers, bindings of
notes and CCs to actions (tap, double tap, momentary, toggle, continuous), saved per device.

Nothing here imports Qt or touches the audio path: MIDI arrives on its own thread
(``inputs.MidiInputs``) and actions go straight to the engine's controls (``actions``).
"""

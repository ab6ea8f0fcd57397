"""The practice window (PyQt6 + pyqtgraph): widgets that drive engine.engine.Engine.

One module a part: waveform lanes, stem strips, transport, saved loops, session memory,
background tasks. The window (main_window.py) wires them to the engine; none of them reads
audio samples: waveforms come from the manifest's peaks.
"""

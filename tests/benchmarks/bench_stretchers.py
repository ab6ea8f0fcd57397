"""Stretcher candidates side by side, streamed as the engine streams them (README, "Stretcher").

    python tests/benchmarks/bench_stretchers.py [--seconds 10]

For each candidate: pitch error on steady tones (41-440 Hz) at 0.5x and at +3 semitones,
note-to-noise on bass-like notes with ten harmonics (how much of the output is the note's
partials rather than noise between them), CPU per second of audio at 0.5x + 3 st,
and its own latency at 0.5x, 0.75x, 1.25x and 0.5x + 3 st: from the block in which a sound
starts at its input (a gain change, as the engine applies one) to the first output sample
that has it, in output frames the engine has already produced meanwhile. The engine's ring
(8 blocks of 256 = 46 ms while stretching) and the device (6 ms) come on top: the figure
"gain change heard" adds those 52 ms to compare with the goal of 100 ms.

Candidates:
- rubberband-r3: Woodshed's stretcher (our ctypes binding of Rubber Band's C API, R3).
- rubberband-r3-short: the same with R3's short window (OptionWindowShort).
- pylibrb-r3: the stretcher before (pylibrb), if pylibrb is installed.
(The README's figures for Signalsmith Stretch through a binding of our own were measured once,
with the library's headers from outside the package registries; that build is not kept here.)
- python-stretch: Signalsmith through the python-stretch wrapper, fed 256-frame input
  blocks as a player would, if python_stretch is importable.
The machine is shared and noisy: CPU is the median of 3 runs. Prints a table, then JSON.
"""
from __future__ import annotations

import argparse
import ctypes
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RATE = 44100
BLOCK = 256
TONES_HZ = (41.2, 55.0, 82.41, 110.0, 440.0)
RING_AND_DEVICE_MS = 1000 * (8 * BLOCK + BLOCK) / RATE
_FP = ctypes.POINTER(ctypes.c_float)


# --- candidates: start(tempo, semitones), then step(source) -> output block or None ------
class RubberBandCandidate:
    def __init__(self, short_window: bool = False):
        from woodshed.player.engine import rubberband, stretch

        self.name = "rubberband-r3-short" if short_window else "rubberband-r3"
        self._options = stretch.OPTIONS | (rubberband.WINDOW_SHORT if short_window else 0)
        self._stretch = stretch

    def start(self, tempo: float, semitones: float) -> None:
        stretch = self._stretch
        old, stretch.OPTIONS = stretch.OPTIONS, self._options
        try:
            self._st = stretch.Stretcher(RATE, 2)
        finally:
            stretch.OPTIONS = old
        # tempo and pitch before the restart, as the renderer does: the start delay the
        # restart drops is the pitch's (restarted at 0 st, +3 st kept 0 st's delay)
        self._st.set(tempo, semitones)
        self._st.restart()

    def step(self, source) -> np.ndarray | None:
        self._st.feed(source(max(self._st.frames_wanted(), 128)))  # as the renderer feeds
        return self._st.take()


class PylibrbCandidate(RubberBandCandidate):
    """The stretcher before this change: its module as it was, on pylibrb."""
    name = "pylibrb-r3"
    OLD_COMMIT = "e9d500d"

    def __init__(self):
        code = subprocess.run(["git", "show", f"{self.OLD_COMMIT}:player/engine/stretch.py"],
                              cwd=HERE, capture_output=True, text=True, check=True).stdout
        module = type(sys)("pylibrb_stretch")
        exec(compile(code, "pylibrb_stretch.py", "exec"), module.__dict__)
        self._module = module

    def start(self, tempo: float, semitones: float) -> None:
        self._st = self._module.Stretcher(RATE, 2)
        self._st.set(tempo, semitones)
        self._st.restart()


class PythonStretchCandidate:
    """python-stretch as a player would use it: 256-frame input blocks, its own time factor."""
    name = "python-stretch 0.3.1 (256-frame input blocks)"

    def __init__(self):
        import python_stretch

        self._module = python_stretch

    def start(self, tempo: float, semitones: float) -> None:
        self._st = self._module.Signalsmith.Stretch()
        self._st.preset(2, RATE)
        self._st.setTimeFactor(tempo)
        self._st.setTransposeSemitones(semitones)

    def step(self, source) -> np.ndarray:
        return self._st.process(np.ascontiguousarray(source(BLOCK)))


# --- measures -----------------------------------------------------------------------------
class Source:
    """The mix stream: ``audio``, then silence; ``gain`` applies from the next call on."""

    def __init__(self, audio: np.ndarray, gain: float = 1.0):
        self.audio, self.pos, self.gain = audio, 0, gain

    def __call__(self, n: int) -> np.ndarray:
        block = np.zeros((2, n), np.float32)
        part = self.audio[:, self.pos:self.pos + n]
        block[:, :part.shape[1]] = part * self.gain
        self.pos += n
        return block


def tone(freq_hz: float, seconds: float, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.repeat((amp * np.sin(2 * np.pi * freq_hz * t))[None], 2, 0).astype(np.float32)


def run(candidate, source: Source, out_frames: int) -> np.ndarray:
    out, got = [], 0
    while got < out_frames:
        block = candidate.step(source)
        if block is not None and block.shape[1]:
            out.append(block)
            got += block.shape[1]
    return np.concatenate(out, axis=1)[:, :out_frames]


def bass_note(freq_hz: float, seconds: float, amp: float = 0.3) -> np.ndarray:
    """A note with ten harmonics (1/k), as a bass string has: partials freq_hz apart, which
    a stretcher's window must resolve (a pure sine hides a window too short for 41 Hz)."""
    t = np.arange(int(seconds * RATE)) / RATE
    x = sum(np.sin(2 * np.pi * k * freq_hz * t + k) / k for k in range(1, 11))
    return np.repeat((amp * x / np.abs(x).max())[None], 2, 0).astype(np.float32)


def _steady_spectrum(candidate, audio: np.ndarray, tempo: float, semitones: float):
    candidate.start(tempo, semitones)
    out = run(candidate, Source(audio), int(audio.shape[1] / tempo))[0]
    steady = out[len(out) // 4: 3 * len(out) // 4]
    x = steady * np.hanning(len(steady))
    spectrum = np.abs(np.fft.rfft(x, 16 * len(x)))
    return spectrum, np.arange(len(spectrum)) * RATE / (16 * len(x))


def pitch_and_purity(candidate, freq_hz: float, tempo: float, semitones: float):
    """Cents off the expected note (a steady sine), and how much of a bass-like note with
    harmonics comes out as its harmonics rather than noise between them (dB)."""
    seconds = 3.0
    spectrum, freqs = _steady_spectrum(candidate, tone(freq_hz, seconds), tempo, semitones)
    k = int(np.argmax(spectrum))
    a, b, c = np.log(spectrum[k - 1:k + 2] + 1e-30)
    found = (k + 0.5 * (a - c) / (a - 2 * b + c)) * (freqs[1] - freqs[0])
    wanted = freq_hz * 2 ** (semitones / 12)
    spectrum, freqs = _steady_spectrum(candidate, bass_note(freq_hz, seconds), tempo, semitones)
    power = spectrum ** 2
    near = np.zeros(len(power), bool)
    for h in range(1, 11):
        near |= (freqs > h * wanted * 0.985) & (freqs < h * wanted * 1.015)
    purity = 10 * np.log10(power[near].sum() / max(power[~near].sum(), 1e-30))
    return 1200 * np.log2(found / wanted), purity


def cpu_percent(candidate, seconds: float) -> float:
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal((2, int(seconds * RATE)))).astype(np.float32)
    audio += tone(110.0, seconds)
    candidate.start(0.5, 3.0)
    source = Source(audio)
    run(candidate, source, RATE)  # warm up
    out_frames = int(seconds * RATE)
    t0 = time.process_time()
    run(candidate, source, out_frames)
    return 100 * (time.process_time() - t0) / seconds


def latency_ms(candidate, tempo: float, semitones: float) -> float:
    """A sound starting at the input (a gain change) -> first output sample that has it,
    counted from the output the candidate had given when the sound went in."""
    candidate.start(tempo, semitones)
    source = Source(tone(440.0, 4.0), gain=0.0)
    produced = 0
    while produced < RATE // 2:  # settle on silence
        block = candidate.step(source)
        produced += 0 if block is None else block.shape[1]
    source.gain, changed_at, out = 1.0, produced, []
    while produced < changed_at + RATE:
        block = candidate.step(source)
        if block is not None and block.shape[1]:
            out.append(block)
            produced += block.shape[1]
    heard = np.flatnonzero(np.abs(np.concatenate(out, axis=1)[0]) > 0.03)  # -20 dB
    return 1000 * heard[0] / RATE if len(heard) else float("nan")


def measure(candidate, cpu_seconds: float) -> dict:
    row = {"name": candidate.name}
    for label, (tempo, semis) in {"0.5x": (0.5, 0.0), "+3st": (1.0, 3.0)}.items():
        results = {f: pitch_and_purity(candidate, f, tempo, semis) for f in TONES_HZ}
        row[f"bass_cents_{label}"] = max(abs(results[f][0]) for f in TONES_HZ if f <= 110)
        row[f"cents_440_{label}"] = abs(results[440.0][0])
        row[f"bass_purity_db_{label}"] = min(results[f][1] for f in TONES_HZ if f <= 110)
    row["cpu_pct"] = statistics.median(cpu_percent(candidate, cpu_seconds) for _ in range(3))
    for label, (tempo, semis) in {"0.5x": (0.5, 0.0), "0.75x": (0.75, 0.0),
                                  "1.25x": (1.25, 0.0), "0.5x+3st": (0.5, 3.0)}.items():
        row[f"latency_ms_{label}"] = latency_ms(candidate, tempo, semis)
    row["gain_change_heard_ms_0.5x+3st"] = row["latency_ms_0.5x+3st"] + RING_AND_DEVICE_MS
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="audio per CPU run")
    args = parser.parse_args()
    candidates = [RubberBandCandidate(), RubberBandCandidate(short_window=True)]
    if importlib.util.find_spec("pylibrb"):
        candidates.append(PylibrbCandidate())
    if importlib.util.find_spec("python_stretch"):
        candidates.append(PythonStretchCandidate())
    rows = [measure(c, args.seconds) for c in candidates]
    print(f"{'candidate':<46} {'bass cents 0.5x/+3st':>21} {'440 Hz':>13} {'bass purity dB':>15}"
          f" {'CPU %':>6} {'latency ms 0.5/0.75/1.25/0.5+3st':>34} {'heard ms':>9}")
    for r in rows:
        print(f"{r['name']:<46} {r['bass_cents_0.5x']:>10.1f}/{r['bass_cents_+3st']:<10.1f}"
              f" {r['cents_440_0.5x']:>6.1f}/{r['cents_440_+3st']:<6.1f}"
              f" {r['bass_purity_db_0.5x']:>7.0f}/{r['bass_purity_db_+3st']:<7.0f}"
              f" {r['cpu_pct']:>6.1f} {r['latency_ms_0.5x']:>10.0f}/{r['latency_ms_0.75x']:.0f}/"
              f"{r['latency_ms_1.25x']:.0f}/{r['latency_ms_0.5x+3st']:<10.0f}"
              f" {r['gain_change_heard_ms_0.5x+3st']:>9.0f}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()

"""Regenerate Woodshed's demo song: four stems synthesised with plain numpy, no sound fonts.

    python resources/make_demo.py            # writes resources/demo/*.ogg (the stems that ship)

"Woodshed Groove": 12 bars at 100 BPM in A minor (Am - F - C - G, three times), 28.8 s.
Drums from noise and sine sweeps, a Karplus-Strong plucked bass, piano-ish chords from
decaying harmonics, and a lead melody with vibrato. Deterministic (fixed random seed).
Licence of the generated audio and this script: CC0 1.0 (public domain dedication).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 44100
BPM = 100
BEAT_S = 60 / BPM
BAR_S = 4 * BEAT_S
BARS = 12
DURATION_S = BARS * BAR_S
OUT_DIR = Path(__file__).resolve().parent / "demo"

# The progression, one chord a bar: root (MIDI) and chord tones (MIDI).
PROGRESSION = [
    (45, [57, 60, 64]),  # Am
    (41, [57, 60, 65]),  # F
    (48, [55, 60, 64]),  # C
    (43, [55, 59, 62]),  # G
]

# Lead melody per 4-bar phrase: (beat offset in the phrase, length in beats, MIDI note).
MELODY_A = [
    (0, 1, 76), (1, 0.5, 74), (1.5, 0.5, 72), (2, 1.5, 69), (3.5, 0.5, 72),
    (4, 1, 72), (5, 1, 74), (6, 2, 76),
    (8, 0.5, 79), (8.5, 0.5, 76), (9, 1, 74), (10, 1, 72), (11, 1, 74),
    (12, 1.5, 71), (13.5, 0.5, 72), (14, 2, 74),
]
MELODY_B = [
    (0, 0.5, 81), (0.5, 0.5, 79), (1, 1, 76), (2, 1, 79), (3, 1, 76),
    (4, 1.5, 77), (5.5, 0.5, 76), (6, 1, 74), (7, 1, 72),
    (8, 1, 76), (9, 1, 79), (10, 1.5, 84), (11.5, 0.5, 83),
    (12, 1, 83), (13, 1, 79), (14, 2, 81),
]


def hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def frames(seconds: float) -> int:
    return int(round(seconds * RATE))


def add(track: np.ndarray, start_s: float, sound: np.ndarray) -> None:
    """Mix a mono sound into a mono track at start_s, cut at the track's end."""
    i = frames(start_s)
    n = min(len(sound), len(track) - i)
    if n > 0:
        track[i:i + n] += sound[:n]


def envelope(n: int, attack_s: float, decay_s: float) -> np.ndarray:
    t = np.arange(n) / RATE
    return np.minimum(1.0, t / max(attack_s, 1e-4)) * np.exp(-t / decay_s)


def one_pole_lowpass(x: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """Cheap first-order low-pass; enough to take the fizz off noise and sawtooth."""
    a = np.exp(-2 * np.pi * cutoff_hz / RATE)
    y = np.empty_like(x)
    acc = 0.0
    for i, v in enumerate(x):  # short sounds only: a Python loop is fine offline
        acc = (1 - a) * v + a * acc
        y[i] = acc
    return y


# --- drums -------------------------------------------------------------------
def kick(rng) -> np.ndarray:
    n = frames(0.45)
    t = np.arange(n) / RATE
    freq = 45 + 110 * np.exp(-t / 0.04)  # the sweep is what makes it thump
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    click = rng.standard_normal(n) * np.exp(-t / 0.003) * 0.3
    return (np.sin(phase) * np.exp(-t / 0.16) + click) * 0.9


def snare(rng) -> np.ndarray:
    n = frames(0.3)
    t = np.arange(n) / RATE
    noise = rng.standard_normal(n)
    noise = noise - one_pole_lowpass(noise, 1200)  # high-passed rattle
    body = np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.05)
    return (noise * np.exp(-t / 0.09) * 0.5 + body * 0.5) * 0.8


def hat(rng, open_: bool = False) -> np.ndarray:
    n = frames(0.25 if open_ else 0.06)
    t = np.arange(n) / RATE
    noise = rng.standard_normal(n)
    noise = noise - one_pole_lowpass(noise, 6000)
    return noise * np.exp(-t / (0.08 if open_ else 0.015)) * 0.35


def drums(rng) -> np.ndarray:
    left = np.zeros(frames(DURATION_S))
    right = np.zeros_like(left)
    k, s, h, oh = kick(rng), snare(rng), hat(rng), hat(rng, open_=True)
    for bar in range(BARS):
        t0 = bar * BAR_S
        for beat in (0, 2, 2.5):
            for ch in (left, right):
                add(ch, t0 + beat * BEAT_S, k)
        for beat in (1, 3):
            add(left, t0 + beat * BEAT_S, s * 0.9)
            add(right, t0 + beat * BEAT_S, s)
        for eighth in range(8):
            accent = 1.0 if eighth % 2 == 0 else 0.6
            sound = oh if (eighth == 7 and bar % 4 == 3) else h
            add(left, t0 + eighth * BEAT_S / 2, sound * accent * 0.6)   # hats a little right
            add(right, t0 + eighth * BEAT_S / 2, sound * accent)
        if bar % 4 == 3:  # a snare fill into the next phrase
            for sixteenth in (13, 14, 15):
                add(left, t0 + sixteenth * BEAT_S / 4, s * 0.5)
                add(right, t0 + sixteenth * BEAT_S / 4, s * 0.5)
    return np.stack([left, right])


# --- bass --------------------------------------------------------------------
def pluck(rng, freq_hz: float, length_s: float) -> np.ndarray:
    """Karplus-Strong: a noise burst circulating in a delay line with a damping average."""
    n = frames(length_s)
    period = max(2, int(round(RATE / freq_hz)))
    buf = one_pole_lowpass(rng.uniform(-1, 1, period), 2500)
    out = np.empty(n)
    reps = -(-n // period)
    for r in range(reps):  # one period at a time, vectorised inside
        out[r * period:(r + 1) * period] = buf[: n - r * period]
        buf = 0.996 * 0.5 * (buf + np.roll(buf, -1))
    fade = np.ones(n)
    fade[-frames(0.01):] = np.linspace(1, 0, frames(0.01))
    return out * fade


def bass(rng) -> np.ndarray:
    track = np.zeros(frames(DURATION_S))
    pattern = [(0, 0.75, 0), (1, 0.5, 0), (1.5, 0.5, 12), (2, 0.75, 0), (2.5, 0.5, 7), (3, 0.9, 0),
               (3.5, 0.5, 10)]
    for bar in range(BARS):
        root, _ = PROGRESSION[bar % 4]
        for beat, length, interval in pattern:
            add(track, bar * BAR_S + beat * BEAT_S, pluck(rng, hz(root + interval), length * BEAT_S) * 0.8)
    return np.stack([track, track])


# --- chords ------------------------------------------------------------------
def piano_note(midi: int, length_s: float) -> np.ndarray:
    n = frames(length_s + 0.4)
    t = np.arange(n) / RATE
    f = hz(midi)
    tone = np.zeros(n)
    for k, amp in enumerate((1.0, 0.5, 0.3, 0.18, 0.1, 0.06), start=1):
        stretch = 1 + 0.0004 * k * k  # a hint of string inharmonicity
        tone += amp * np.sin(2 * np.pi * f * k * stretch * t) * np.exp(-t * (1.2 + 0.9 * k))
    release = np.ones(n)
    cut = frames(length_s)
    release[cut:] = np.exp(-np.arange(n - cut) / RATE / 0.08)
    return tone * release * envelope(n, 0.004, 10.0)


def chords(rng) -> np.ndarray:
    left = np.zeros(frames(DURATION_S))
    right = np.zeros_like(left)
    rhythm = [(0, 1.5), (1.5, 1.0), (2.5, 1.5)]  # a little push on the and-of-two
    for bar in range(BARS):
        _, tones = PROGRESSION[bar % 4]
        for beat, length in rhythm:
            for i, note in enumerate(tones):
                sound = piano_note(note, length * BEAT_S) * 0.32
                pan = 0.35 + 0.15 * i  # spread the voicing, left of centre
                add(left, bar * BAR_S + beat * BEAT_S + 0.006 * i, sound * (1 - pan / 2))
                add(right, bar * BAR_S + beat * BEAT_S + 0.006 * i, sound * pan / 2 * 1.2)
    return np.stack([left, right])


# --- lead melody -------------------------------------------------------------
def lead_note(midi: int, length_s: float) -> np.ndarray:
    n = frames(length_s)
    t = np.arange(n) / RATE
    vibrato = 1 + 0.004 * np.sin(2 * np.pi * 5.5 * t) * np.minimum(1, t / 0.3)
    phase = 2 * np.pi * np.cumsum(hz(midi) * vibrato) / RATE
    # A few odd harmonics: a soft, reedy square-ish tone that sits above the chords.
    tone = np.sin(phase) + 0.3 * np.sin(3 * phase) + 0.12 * np.sin(5 * phase) + 0.2 * np.sin(2 * phase)
    env = np.minimum(1, t / 0.02) * np.minimum(1, (length_s - t) / 0.05).clip(0) * (0.8 + 0.2 * np.exp(-t / 0.2))
    return tone * env * 0.22


def melody(rng) -> np.ndarray:
    track = np.zeros(frames(DURATION_S))
    for phrase, notes in enumerate((MELODY_A, MELODY_A, MELODY_B)):
        t0 = phrase * 4 * BAR_S
        for beat, length, note in notes:
            add(track, t0 + beat * BEAT_S, lead_note(note, length * BEAT_S * 0.95))
    echo = np.zeros_like(track)  # a quiet dotted-eighth echo to the right gives it space
    d = frames(0.75 * BEAT_S)
    echo[d:] = track[:-d] * 0.3
    return np.stack([track * 0.95 + echo * 0.2, track * 0.8 + echo])


STEMS = {"drums": drums, "bass": bass, "piano": chords, "lead": melody}


def render() -> dict[str, np.ndarray]:
    """All stems, (2, frames) float32, scaled together so the mix peaks at -1 dBFS."""
    rng = np.random.default_rng(20240607)
    stems = {name: make(rng) for name, make in STEMS.items()}
    peak = np.abs(sum(stems.values())).max()
    scale = 10 ** (-1 / 20) / peak
    return {name: (audio * scale).astype(np.float32) for name, audio in stems.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, audio in render().items():
        path = args.out / f"{name}.ogg"
        sf.write(path, audio.T, RATE, format="OGG", subtype="VORBIS")
        print(f"{path}  {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()

"""The beat grid a rhythm-game chart (Frets on Fire `notes.mid` + `song.ini`) gives a song.

Beat k is at tick k x ticks-per-beat, turned into seconds through the tempo map (set_tempo
events, µs per beat, on any track), plus song.ini's `delay` (ms) when it has one. The
sectoid charts were checked against their audio (bench_beats.py prints the check): the
guitar part's onsets land within -10..+35 ms of the chart's notes, so no offset is applied.
"""
from __future__ import annotations

import configparser
from pathlib import Path

import numpy as np


def chart_beats(song_folder: Path, duration_s: float) -> np.ndarray:
    """Every beat the chart marks up to duration_s, in seconds."""
    import mido

    midi = mido.MidiFile(str(song_folder / "notes.mid"))
    changes = {}
    for track in midi.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                changes[tick] = msg.tempo          # the last one at a tick wins
    changes.setdefault(0, 500000)                  # MIDI's default before any event: 120 BPM
    starts = sorted(changes)
    # seconds at each tempo change
    at_s = [0.0]
    for prev, nxt in zip(starts, starts[1:]):
        at_s.append(at_s[-1] + (nxt - prev) * changes[prev] / 1e6 / midi.ticks_per_beat)
    beats = []
    k = 0
    while True:
        tick = k * midi.ticks_per_beat
        i = int(np.searchsorted(starts, tick, side="right") - 1)
        t = at_s[i] + (tick - starts[i]) * changes[starts[i]] / 1e6 / midi.ticks_per_beat
        if t > duration_s:
            break
        beats.append(t)
        k += 1
    return np.array(beats) + delay_s(song_folder)


def delay_s(song_folder: Path) -> float:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(song_folder / "song.ini", encoding="utf-8")
    return float(ini.get("song", "delay", fallback="0") or 0) / 1000.0


def chart_mix(song_folder: Path) -> tuple[np.ndarray, int]:
    """The whole band as one mono signal: song.ogg (the band) plus guitar.ogg (the lead)."""
    import soundfile as sf

    parts = []
    rate = None
    for name in ("song.ogg", "guitar.ogg"):
        path = song_folder / name
        if path.is_file():
            audio, rate = sf.read(path, dtype="float32", always_2d=True)
            parts.append(audio.mean(axis=1))
    n = max(len(p) for p in parts)
    mono = np.zeros(n, np.float32)
    for p in parts:
        mono[:len(p)] += p
    return mono, rate

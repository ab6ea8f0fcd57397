"""The beat grid a rhythm-game chart (Frets on Fire `notes.mid` + `song.ini`) gives a song.

Beat k is at tick k x ticks-per-beat, turned into seconds through the tempo map (set_tempo
events, µs per beat, on any track), plus song.ini's `delay` (ms) when it has one (none of the
sectoid songs has one; each has one tempo event at tick 0 and 96 ticks per beat).

Checked against the audio (`drum_offset_s`, printed by bench_beats.py): the sectoid drums'
attacks land 22 to 38 ms after the chart's lines, the same all through each song (no drift):
the chart's grid is early by that much. The truth is used as the chart gives it; the
benchmark also scores against the chart moved by each song's measured offset.
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


def drum_offset_s(song_folder: Path, high_hz: float = 3000.0) -> float:
    """How long after the chart's lines the drums' attacks start (seconds, + = audio later),
    from the band's part alone (song.ogg) and the chart's grid, not from any beat tracker:
    the median energy above high_hz (cymbals, snare, hats) around every eighth note of the
    grid, in 1 ms steps from -60 to +120 ms, and where that median rises steepest."""
    import soundfile as sf

    audio, rate = sf.read(song_folder / "song.ogg", dtype="float32", always_2d=True)
    mono = audio.mean(axis=1).astype(np.float64)
    spectrum = np.fft.rfft(mono)
    spectrum[np.fft.rfftfreq(len(mono), 1 / rate) < high_hz] = 0
    high = np.fft.irfft(spectrum, len(mono))
    per_ms = rate / 1000
    starts = (np.arange(int(len(high) / per_ms)) * per_ms).astype(int)
    cum = np.concatenate([[0.0], np.cumsum(high ** 2)])
    energy = cum[np.minimum(starts + int(per_ms), len(high))] - cum[starts]
    beats = chart_beats(song_folder, len(mono) / rate)
    period = float(np.median(np.diff(beats)))
    eighths_ms = np.round(np.sort(np.concatenate([beats, beats + period / 2])) * 1000).astype(int)
    lags = np.arange(-60, 120)
    eighths_ms = eighths_ms[(eighths_ms + lags[0] >= 0) & (eighths_ms + lags[-1] < len(energy))]
    profile = np.log10(np.array([np.median(energy[eighths_ms + lag]) for lag in lags]) + 1e-12)
    rise = np.diff(np.convolve(profile, np.ones(5) / 5, mode="same"))
    inner = slice(5, len(rise) - 5)                 # the smoothing's edges are not rises
    return float(lags[inner][np.argmax(rise[inner])] + 1) / 1000

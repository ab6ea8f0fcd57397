"""What a beat tracker listens to: an onset envelope (how much new sound starts in each
10 ms frame) and a chroma (which pitch classes sound), streamed from a song file in blocks
so that an hour-long song costs no more memory than its envelope.

The envelope is a multi-band spectral flux on a log-compressed, band-summed spectrum, with a
maximum filter across frequency before the difference (SuperFlux, Böck & Widmer 2013): a
vibrato or a slide does not read as a new note, a drum hit or a pick attack does.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

ANALYSIS_RATE = 16000
ATTACK_FRAMES = ANALYSIS_RATE // 1000     # one attack-envelope value a millisecond
HOP_FRAMES = 160                 # 10 ms at ANALYSIS_RATE: 100 envelope frames a second
FRAMES_PER_S = ANALYSIS_RATE / HOP_FRAMES
FFT_FRAMES = 1024                # 64 ms window
_BANDS_PER_OCTAVE = 6
_LOWEST_HZ = 40.0
_LOG_GAIN = 100.0                # log1p(gain * magnitude): compresses loud and quiet alike
_BLOCK_HOPS = 3000               # 30 s of audio per FFT batch
_LEAD_HOPS = 4                   # silence before the song: a hit at 0 s still rises from nothing
START_S = -_LEAD_HOPS * HOP_FRAMES / ANALYSIS_RATE   # the time of envelope frame 0


@dataclass
class Features:
    onset: np.ndarray            # (frames,) float32, >= 0; frame k is at START_S + k / FRAMES_PER_S
    low_onset: np.ndarray        # (frames,) float32: the flux below ~200 Hz (kick, bass)
    chroma: np.ndarray           # (12, frames) float32, each frame summing to 1 (or 0 when silent)
    loudness: np.ndarray         # (frames,) float32, RMS of the frame
    duration_s: float
    # (ms,) float32: log10 of the mean square of the signal's second difference (a +12 dB per
    # octave slope: cymbals, snares and pick attacks stand out) over each millisecond; element
    # j covers j..j+1 ms of the song. Where an attack starts, to the millisecond.
    attack: np.ndarray | None = None

    @property
    def frames(self) -> int:
        return len(self.onset)


def _band_matrix() -> tuple[np.ndarray, np.ndarray]:
    """(bands, bins) triangular filters, log-spaced; and which bands are below ~200 Hz."""
    freqs = np.fft.rfftfreq(FFT_FRAMES, 1 / ANALYSIS_RATE)
    top = ANALYSIS_RATE / 2
    n = int(np.log2(top / _LOWEST_HZ) * _BANDS_PER_OCTAVE)
    centres = _LOWEST_HZ * 2 ** (np.arange(n + 2) / _BANDS_PER_OCTAVE)
    bank = np.zeros((n, len(freqs)), np.float32)
    for b in range(n):
        lo, mid, hi = centres[b], centres[b + 1], centres[b + 2]
        rise = (freqs - lo) / (mid - lo)
        fall = (hi - freqs) / (hi - mid)
        bank[b] = np.clip(np.minimum(rise, fall), 0, None)
        if not bank[b].any():  # a band narrower than a bin at the bottom: take the nearest bin
            bank[b, np.argmin(abs(freqs - mid))] = 1
    return bank, centres[1:-1] < 200


def _chroma_matrix() -> np.ndarray:
    """(12, bins): each bin from 55 Hz to 5 kHz to its pitch class, weighted by closeness."""
    freqs = np.fft.rfftfreq(FFT_FRAMES, 1 / ANALYSIS_RATE)
    m = np.zeros((12, len(freqs)), np.float32)
    ok = (freqs >= 55) & (freqs <= 5000)
    pitch = 12 * np.log2(freqs[ok] / 440.0) + 69
    for pc in range(12):
        d = (pitch - pc + 6) % 12 - 6
        m[pc, ok] = np.exp(-0.5 * (d / 0.5) ** 2)
    return m


class FeatureStream:
    """Feeds mono audio at ANALYSIS_RATE in blocks of any size; collects the features."""

    def __init__(self):
        self._bank, self._low = _band_matrix()
        self._chroma_m = _chroma_matrix()
        self._window = np.hanning(FFT_FRAMES).astype(np.float32)
        # Samples not yet covered by a whole hop; starts with half a window and _LEAD_HOPS of
        # silence, so that envelope frame k is centred on START_S + k / FRAMES_PER_S.
        self._pending = np.zeros(FFT_FRAMES // 2 + _LEAD_HOPS * HOP_FRAMES, np.float32)
        self._prev_bands: np.ndarray | None = None
        self._onset, self._low_onset, self._chroma, self._loud = [], [], [], []
        self._samples = 0
        self._produced = 0
        self._attack: list[np.ndarray] = []
        self._attack_tail = np.zeros(2, np.float32)       # the last two samples fed
        self._attack_pending = np.zeros(0, np.float32)    # second differences not yet a whole ms

    def _feed_attack(self, mono: np.ndarray) -> None:
        x = np.concatenate([self._attack_tail, mono])
        if len(mono) >= 2:
            self._attack_tail = mono[-2:].copy()
        else:
            self._attack_tail = x[-2:].copy()
        d2 = np.concatenate([self._attack_pending, x[2:] - 2 * x[1:-1] + x[:-2]])
        whole = len(d2) // ATTACK_FRAMES * ATTACK_FRAMES
        if whole:
            power = (d2[:whole].reshape(-1, ATTACK_FRAMES) ** 2).mean(axis=1)
            self._attack.append(np.log10(power + 1e-10).astype(np.float32))
        self._attack_pending = d2[whole:]

    def feed(self, mono: np.ndarray, last: bool = False) -> None:
        self._samples += len(mono)
        self._feed_attack(mono.astype(np.float32, copy=False))
        buf = np.concatenate([self._pending, mono.astype(np.float32, copy=False)])
        if last:
            buf = np.concatenate([buf, np.zeros(FFT_FRAMES, np.float32)])
        hops = max(0, (len(buf) - FFT_FRAMES) // HOP_FRAMES + 1)
        if last:  # one envelope frame per started hop of the song, no more
            hops = max(0, min(hops, -(-self._samples // HOP_FRAMES) + _LEAD_HOPS - self._produced))
        self._produced += hops
        for start in range(0, hops, _BLOCK_HOPS):
            n = min(_BLOCK_HOPS, hops - start)
            idx = (start + np.arange(n))[:, None] * HOP_FRAMES + np.arange(FFT_FRAMES)
            self._analyse(buf[idx])
        self._pending = buf[hops * HOP_FRAMES:] if not last else np.zeros(0, np.float32)

    def _analyse(self, frames: np.ndarray) -> None:
        spectrum = np.abs(np.fft.rfft(frames * self._window, axis=1)).astype(np.float32)
        bands = np.log1p(_LOG_GAIN * spectrum @ self._bank.T)           # (n, bands)
        before = self._prev_bands if self._prev_bands is not None else np.zeros_like(bands[:1])
        prev = np.vstack([before, bands[:-1]])   # before the song: silence
        # SuperFlux: compare with the previous frame's maximum over neighbouring bands.
        widened = np.maximum(prev, np.maximum(np.roll(prev, 1, axis=1), np.roll(prev, -1, axis=1)))
        flux = np.clip(bands - widened, 0, None)
        self._prev_bands = bands[-1:]
        self._onset.append(flux.sum(axis=1))
        self._low_onset.append(flux[:, self._low].sum(axis=1))
        c = spectrum @ self._chroma_m.T
        total = c.sum(axis=1, keepdims=True)
        self._chroma.append((c / np.maximum(total, 1e-9)).T)
        self._loud.append(np.sqrt((frames ** 2).mean(axis=1)))

    def result(self) -> Features:
        def cat(parts):
            return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)

        chroma = (np.concatenate(self._chroma, axis=1).astype(np.float32) if self._chroma
                  else np.zeros((12, 0), np.float32))
        return Features(cat(self._onset), cat(self._low_onset), chroma, cat(self._loud),
                        self._samples / ANALYSIS_RATE, cat(self._attack))


def features_of_audio(mono: np.ndarray, sample_rate: int) -> Features:
    """Features of a mono signal already in memory (tests, short songs)."""
    import soxr

    if sample_rate != ANALYSIS_RATE:
        mono = soxr.resample(mono.astype(np.float32), sample_rate, ANALYSIS_RATE, quality="HQ")
    stream = FeatureStream()
    stream.feed(np.asarray(mono, np.float32), last=True)
    return stream.result()


def features_of_file(path: Path, progress=None) -> Features:
    """Features of a song file, decoded and resampled in blocks (memory independent of length)."""
    from woodshed.separation.audio_file import probe, read_blocks

    info = probe(path)
    total = info.frames_at(ANALYSIS_RATE)
    stream = FeatureStream()
    done = 0
    pending = None
    for block in read_blocks(path, ANALYSIS_RATE, 1, info=info):
        if pending is not None:
            stream.feed(pending)
        pending = block[0]
        done += block.shape[1]
        if progress:
            progress(done, total)
    stream.feed(pending if pending is not None else np.zeros(0, np.float32), last=True)
    return stream.result()

"""The model-free beat tracker: works offline on any machine, needs nothing but numpy.

1. Onset envelope (features.py), high-passed and scaled to a 0..1 "beat activation".
2. Global tempo: the envelope's autocorrelation, each candidate period scored together with
   its double and its half (a beat level is supported by the levels around it) and weighted
   by a log-normal prior around 120 BPM; this is what keeps 170 BPM from reading as 85.
3. Tempo curve: Viterbi decoding of a tempo x phase state space (the "bar pointer" model of
   Krebs, Böck & Widmer 2015, at the beat level), restricted to tempi within ±35 % of the
   global one: it follows a tempo that changes, and never jumps an octave. Its phase is not
   trusted: an onset envelope has as many off-beats (snare on the "and", eighth-note hats)
   as beats, and the path slips between them where the off-beats are locally louder. Its
   beats give only the tempo, as pieces of steady tempo (a step where the tempo changes).
4. Beats: dynamic programming over the whole song (Ellis 2007) with that known tempo: each
   beat's score is the activation there plus the best previous beat's, less a penalty on how
   far the beat period strays from the tempo curve. Moving half a beat costs more than any
   stretch of louder off-beats gains, so one phase holds through the song: the one the whole
   song supports best, with the low end weighted up because the kick and bass mark the beat.
5. Downbeats (downbeats.py): where the harmony changes and the low end hits.

Every step is measured on real songs in tests/benchmarks/bench_beats.py.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import FRAMES_PER_S, START_S, Features

NAME = "woodshed-flux"
VERSION = "3"          # 2: beats by dynamic programming on the tempo curve; 3: at the attacks

MIN_BPM, MAX_BPM = 50.0, 220.0
_PRIOR_BPM, _PRIOR_OCTAVES = 120.0, 0.9
_TEMPO_WINDOW = 1.35            # the Viterbi's tempo range around the global tempo
# How unlikely a change of beat period between two beats is. madmom's 100 suits a neural
# network's beat activation; an onset envelope has as many eighths and sixteenths as beats,
# and at 100 the path slips between them. Measured on the Frets on Fire songs (benchmark):
# 30 -> 0.48 mean F-measure, 100 -> 0.58, 300 -> 0.63, 1000 -> 0.60, 3000 -> 0.38.
_TEMPO_CHANGE_LAMBDA = 300.0
_OBS_LAMBDA = 16.0
# The flux peaks while an attack crosses the front half of the 64 ms window, before the sound
# starts being heard: measured on the demo song's drums (exact grid), the peaks come 18.6 ms
# early (median over 48 beats).
ONSET_LAG_S = 0.0186


class NoBeats(Exception):
    """The song is too short or too quiet to find beats in."""


@dataclass
class Beats:
    times_s: np.ndarray          # every beat, seconds from the start of the song
    bpm: float                   # the song's main tempo


def activation(onset: np.ndarray) -> np.ndarray:
    """Onset envelope -> 0..1: minus its local mean (1 s), over its local high level (8 s)."""
    if len(onset) == 0:
        return onset
    x = onset.astype(np.float64)
    x = x - _moving_mean(x, int(FRAMES_PER_S))
    x = np.clip(x, 0, None)
    level = np.sqrt(_moving_mean(x ** 2, int(8 * FRAMES_PER_S)))
    scale = np.maximum(level * 3, 1e-9)
    return np.clip(x / scale, 0, 1)


# The beats' phase is chosen on an activation where the low end (kick, bass) weighs three
# times the whole spectrum's onsets: hats and snares sound on the off-beats as often as on the
# beats, the kick and the bass's notes mostly on them. Measured on the Frets on Fire songs
# (benchmark), with the DP below: 1 -> mean F-measure 0.66 (one song tracked on the off-beats
# throughout), 2 -> 0.71, 3 -> 0.95. The tempo is found on both at equal weight (the hats
# keep it steady; weighted to the low end, the Viterbi lost the tempo in one song's breakdown).
TEMPO_LOW_WEIGHT = 1.0
LOW_WEIGHT = 3.0
# The DP's penalty on a beat period that strays from the tempo curve: tightness x
# log(period / curve)^2 (librosa's default is 100). Measured on the Frets on Fire songs
# (LOW_WEIGHT 3): 300 -> mean F-measure 0.90, 1000 -> 0.95, 3000 -> 0.96; 10000 -> 0.80
# (the curve's own small errors then cost more than beats gain).
_TIGHTNESS = 1000.0
# A new piece of the tempo curve starts where the Viterbi's (median-smoothed) beat period
# moves this far from the piece's own; smaller moves are drift, followed within a piece.
_TEMPO_STEP = 0.04
_SMOOTH_BEATS = 17


def beat_activation(features: Features, low_weight: float = LOW_WEIGHT) -> np.ndarray:
    """The whole spectrum's onsets and the low end's (kick, bass) together: eighth-note hi-hats
    and guitar chugs are as strong between the beats as on them; the low end marks the beat."""
    both = activation(features.onset) + low_weight * activation(features.low_onset)
    return both / (1 + low_weight)


def _moving_mean(x: np.ndarray, width: int) -> np.ndarray:
    width = max(1, min(width, len(x)))
    c = np.concatenate([[0.0], np.cumsum(x)])
    half = width // 2
    lo = np.clip(np.arange(len(x)) - half, 0, len(x))
    hi = np.clip(np.arange(len(x)) + width - half, 0, len(x))
    return (c[hi] - c[lo]) / np.maximum(hi - lo, 1)


def tempo_scores(act: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bpm candidates, score of each): autocorrelation with its metrical neighbours, times a prior."""
    x = act - act.mean()
    n = len(x)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, size)
    acf = np.fft.irfft(spec * np.conj(spec), size)[:n]
    acf = acf / np.maximum(n - np.arange(n), 1)        # unbiased: long lags are not penalised
    acf = acf / max(acf[0], 1e-12)
    lags = np.arange(int(FRAMES_PER_S * 60 / MAX_BPM), int(FRAMES_PER_S * 60 / MIN_BPM) + 1)
    lags = lags[lags * 2 < n]
    if len(lags) == 0:
        raise NoBeats("too short")

    def at(lag):  # interpolated autocorrelation, peak-picked over ±1 frame
        lag = np.asarray(lag, float)
        i = np.clip(lag.astype(int), 1, n - 2)
        return np.maximum.reduce([acf[i - 1], acf[i], acf[i + 1]])

    score = at(lags) + 0.5 * at(lags * 2) + 0.25 * at(lags / 2) + 0.25 * at(lags * 4)
    bpm = 60 * FRAMES_PER_S / lags
    prior = np.exp(-0.5 * (np.log2(bpm / _PRIOR_BPM) / _PRIOR_OCTAVES) ** 2)
    return bpm, np.clip(score, 0, None) * prior


def global_tempo(act: np.ndarray) -> float:
    bpm, score = tempo_scores(act)
    return float(bpm[int(np.argmax(score))])


def viterbi_beats(act: np.ndarray, min_period: int, max_period: int) -> np.ndarray:
    """Beat frames: the best path through (tempo, phase) states given the activation.

    Only the beat states (phase 0) keep back-pointers -- every other state has one way in --
    so memory is (frames x tempi) bytes, not (frames x states)."""
    periods = np.arange(min_period, max_period + 1)
    n_tempi = len(periods)
    offsets = np.concatenate([[0], np.cumsum(periods)])
    n_states = int(offsets[-1])
    beat_states = offsets[:-1]
    last_states = offsets[1:] - 1
    prev = np.arange(n_states) - 1                     # phase p comes from phase p - 1
    ratio = periods[None, :] / periods[:, None]
    trans = -_TEMPO_CHANGE_LAMBDA * np.abs(ratio - 1)  # from tempo j (rows) to tempo i (cols)
    trans -= np.log(np.exp(trans).sum(axis=1, keepdims=True))
    eps = 1e-6
    widened = np.maximum(act, np.maximum(np.roll(act, 1), np.roll(act, -1)))
    log_beat = np.log(widened + eps)
    log_off = np.log((1 - act) / (_OBS_LAMBDA - 1) + eps)
    frames = len(act)
    back = np.zeros((frames, n_tempi), np.uint8 if n_tempi < 256 else np.uint16)
    delta = np.full(n_states, -np.log(n_states)) + log_off[0]
    delta[beat_states] += log_beat[0] - log_off[0]
    for t in range(1, frames):
        into_beat = delta[last_states][:, None] + trans          # (from j, to i)
        best_from = np.argmax(into_beat, axis=0)
        new = delta[prev]
        new[beat_states] = into_beat[best_from, np.arange(n_tempi)]
        back[t] = best_from
        new += log_off[t]
        new[beat_states] += log_beat[t] - log_off[t]
        delta = new - new.max()                                   # keeps the numbers small
    state = int(np.argmax(delta))
    tempo = int(np.searchsorted(offsets, state, side="right") - 1)
    phase = state - int(offsets[tempo])
    t = frames - 1
    beats = []
    while t - phase >= 0:
        t -= phase
        beats.append(t)
        if t == 0:
            break
        tempo = int(back[t, tempo])
        t -= 1
        phase = int(periods[tempo]) - 1
    return np.array(beats[::-1], dtype=np.int64)


def tempo_curve(beat_frames: np.ndarray, frames: int) -> np.ndarray:
    """The beat period (frames, float) at each frame, in pieces of steady tempo, from the
    Viterbi's beats. Each piece's period is the mean of its intervals near its median, so a
    slip of the Viterbi's phase (a few intervals off by 5-50 %) does not bend the tempo."""
    intervals = np.diff(beat_frames).astype(float)
    if len(intervals) == 0:
        return np.full(frames, float(max(frames, 1)))
    half = _SMOOTH_BEATS // 2
    padded = np.concatenate([np.full(half, intervals[0]), intervals, np.full(half, intervals[-1])])
    smooth = np.median(np.lib.stride_tricks.sliding_window_view(padded, _SMOOTH_BEATS), axis=1)
    starts = [0]
    for i in range(1, len(smooth)):
        piece = np.median(smooth[starts[-1]:i])
        if abs(smooth[i] / piece - 1) > _TEMPO_STEP:
            starts.append(i)
    period = np.empty(len(intervals))
    for lo, hi in zip(starts, starts[1:] + [len(intervals)]):
        mine = intervals[lo:hi]
        typical = np.median(mine)
        steady = mine[np.abs(mine / typical - 1) < 0.1]
        period[lo:hi] = steady.mean() if len(steady) else typical
    # interval i (from beat i to beat i + 1) covers the frames after beat i up to beat i + 1
    which = np.searchsorted(beat_frames[1:], np.arange(frames), side="left")
    return period[np.clip(which, 0, len(period) - 1)]


def dp_beats(act: np.ndarray, curve: np.ndarray, tightness: float = _TIGHTNESS) -> np.ndarray:
    """Beat frames: the path through the song that best sums the activation at its beats,
    less tightness x log(interval / curve)^2 per beat (Ellis 2007). A beat may follow a virtual
    one before the song starts (the first beat is free); the last beat is within the last
    period. Frames are processed a minimum period at a time: none of them depends on another."""
    frames = len(act)
    lo = np.floor(curve * 0.75).astype(int).clip(1)
    hi = np.ceil(curve * 1.33).astype(int)
    taus = np.arange(lo.min(), hi.max() + 1)
    score = np.zeros(frames)
    back = np.full(frames, -1, np.int64)
    step = int(lo.min())
    for t0 in range(0, frames, step):
        t = np.arange(t0, min(frames, t0 + step))
        prev = t[:, None] - taus[None, :]
        allowed = (taus[None, :] >= lo[t][:, None]) & (taus[None, :] <= hi[t][:, None])
        before = np.where(prev >= 0, score[prev.clip(0)], 0.0)
        stray = np.log(taus[None, :] / curve[t][:, None])
        cand = np.where(allowed, before - tightness * stray ** 2, -np.inf)
        best = np.argmax(cand, axis=1)
        rows = np.arange(len(t))
        score[t] = act[t] + cand[rows, best]
        back[t] = prev[rows, best]
    tail = min(frames, int(np.ceil(curve[-1])))
    t = frames - tail + int(np.argmax(score[frames - tail:]))
    beats = []
    while t >= 0:
        beats.append(t)
        t = int(back[t])
    return np.array(beats[::-1], dtype=np.int64)


def track(features: Features) -> Beats:
    """Beats of a song from its features; NoBeats when there is nothing to find."""
    if features.duration_s < 4.0:
        raise NoBeats(f"the song is {features.duration_s:.1f} s long: too short to find beats in "
                      "(4 s at least)")
    loud = features.loudness
    if len(loud) == 0 or np.percentile(loud, 95) < 10 ** (-60 / 20):
        raise NoBeats("the song is silent or nearly so (quieter than -60 dBFS): no beats to find")
    tempo_act = beat_activation(features, TEMPO_LOW_WEIGHT)
    if tempo_act.max() <= 0:
        raise NoBeats("nothing in the song starts or changes: no beats to find")
    bpm = global_tempo(tempo_act)
    period = 60 * FRAMES_PER_S / bpm
    min_period = max(2, int(np.floor(period / _TEMPO_WINDOW)))
    max_period = int(np.ceil(period * _TEMPO_WINDOW))
    curve = tempo_curve(viterbi_beats(tempo_act, min_period, max_period), len(tempo_act))
    frames = dp_beats(beat_activation(features), curve)
    peaks_s = START_S + _refine(frames, features.onset) / FRAMES_PER_S
    times = at_attacks(peaks_s, features.attack) if features.attack is not None else peaks_s + ONSET_LAG_S
    times = _steady(times[times >= -0.005].clip(0, None)).clip(0, None)
    if len(times) >= 2:
        bpm = float(60 / np.median(np.diff(times)))
    return Beats(times, bpm)


# Where an envelope peak's attack is searched, and how steep a rise counts as one.
_ATTACK_SEARCH_S = 0.025
_ATTACK_RISE_MS = 4
_ATTACK_MIN_RISE = 0.1           # log10 power units over _ATTACK_RISE_MS: 1 dB


def at_attacks(peaks_s: np.ndarray, attack: np.ndarray) -> np.ndarray:
    """Each beat moved to where its attack starts: the steepest rise of the attack envelope
    (features.Features.attack) within ±25 ms of the onset envelope's peak. The 64 ms window's
    peak wanders with the sound around it: measured 18.6 ms before the attack on the demo
    song's isolated drum hits, ~1 ms after it in the Frets on Fire songs' dense mixes (against
    their drum attacks on the charts' grid): no single lag suits both. Where nothing rises
    (a soft entry), the peak plus the demo song's lag."""
    if len(attack) <= _ATTACK_RISE_MS or len(peaks_s) == 0:
        return peaks_s + ONSET_LAG_S
    search_ms, rise_ms = int(_ATTACK_SEARCH_S * 1000), _ATTACK_RISE_MS
    # only the milliseconds around each beat: an hour's envelope is never copied
    span = np.arange(-search_ms - rise_ms - 1, search_ms + 1)
    centre = np.round(peaks_s * 1000).astype(int)
    values = attack[np.clip(centre[:, None] + span, 0, len(attack) - 1)].astype(np.float64)
    smooth = (values[:, :-2] + values[:, 1:-1] + values[:, 2:]) / 3      # at span[1:-1]
    rise = smooth[:, rise_ms:] - smooth[:, :-rise_ms]                   # ending at -search..search-1
    best = np.argmax(rise, axis=1)
    steepest = rise[np.arange(len(rise)), best]
    end_ms = centre + best - search_ms
    # the rise ends at element end_ms (end_ms..end_ms+1 ms); it is centred half its length before
    attack_s = (end_ms - rise_ms / 2) / 1000
    return np.where(steepest >= _ATTACK_MIN_RISE, attack_s, peaks_s + ONSET_LAG_S)


def _refine(frames: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """Sub-frame beat positions: the envelope's peak within ±2 frames of each beat frame,
    through a parabola."""
    near = np.clip(frames[:, None] + np.arange(-2, 3), 0, len(onset) - 1)
    frames = near[np.arange(len(frames)), np.argmax(onset[near], axis=1)]
    f = frames.astype(float)
    i = np.clip(frames, 1, len(onset) - 2)
    a, b, c = onset[i - 1], onset[i], onset[i + 1]
    denom = a - 2 * b + c
    shift = np.where((b >= a) & (b >= c) & (denom < 0), 0.5 * (a - c) / np.where(denom == 0, 1, denom), 0)
    return f + np.clip(shift, -0.5, 0.5)


def _steady(times: np.ndarray, span: int = 4, max_rms_s: float = 0.02) -> np.ndarray:
    """Each beat moved onto the straight line through its neighbours: played beats are even,
    an envelope's peaks jitter by a few ms (a chord ringing into a snare). Of the windows of
    span + 1 beats holding the beat (before it, around it, after it), the most even one is
    used, so a beat next to a tempo change is fitted from its own side of the change; a
    window that is not even at all (rubato) leaves the beat where it was found."""
    n = len(times)
    if n < span + 1:
        return times
    out = times.copy()
    for i in range(n):
        best = None
        for lo in (i - span, i - span // 2, i):
            hi = lo + span
            if lo < 0 or hi >= n:
                continue
            k = np.arange(lo, hi + 1)
            slope, icept = np.polyfit(k, times[lo:hi + 1], 1)
            rms = float(np.sqrt(np.mean((slope * k + icept - times[lo:hi + 1]) ** 2)))
            if best is None or rms < best[0]:
                best = (rms, slope * i + icept)
        if best is not None and best[0] < max_rms_s:
            out[i] = best[1]
    return out

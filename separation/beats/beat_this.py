"""The neural tracker: Beat This! (Foscarin, Schlüter & Widmer, ISMIR 2024; CPJKU, MIT
licence, code and weights). State of the art for beats and downbeats without any
post-processing (a peak picker), trained on 16 datasets.

Its model code is vendored (beat_this_model/, unchanged but for two imports): the package
itself imports torchaudio, which does not load with the torch we use. This module does what
the package's inference did with torchaudio: the same log-mel spectrogram (22.05 kHz, 1024-
point FFT, 441 hop = 50 frames/s, 128 Slaney mel bands 30 Hz-11 kHz, magnitude normalised by
the window, log1p(1000 x)), the same 1500-frame chunks with 6-frame borders, and the same
minimal peak picking (local maxima within ±70 ms with probability over 0.5).

Checkpoints: a local file (`WOODSHED_BEAT_MODEL=/path/to/final0.ckpt`: offline), or a name of
the published ones ("final0", "small0"...), downloaded once into torch's hub cache like the
demucs weights. The checkpoint is loaded with `weights_only=True`: data only, no code.
"""
from __future__ import annotations

import inspect
import logging
import os
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

NAME = "beat_this"
MODEL_CODE_VERSION = "1.1.0"     # the beat-this release the model code comes from
MODEL_ENV = "WOODSHED_BEAT_MODEL"
SAMPLE_RATE = 22050
HOP = 441
FPS = SAMPLE_RATE / HOP           # 50 frames a second
N_FFT = 1024
N_MELS = 128
F_MIN, F_MAX = 30.0, 11000.0
CHUNK_FRAMES, BORDER_FRAMES = 1500, 6
# Where the authors publish their checkpoints (beat_this/inference.py: CHECKPOINT_URL).
CHECKPOINT_URL = "https://cloud.cp.jku.at/public.php/dav/files/7ik4RrBKTS273gp"


class ModelUnavailable(Exception):
    """No checkpoint could be had (offline, or a path that is not one)."""


def configured_model() -> str | None:
    """The checkpoint the musician asked for (a path or a published name), or None."""
    value = os.environ.get(MODEL_ENV, "").strip()
    return value or None


# --- the spectrogram, as torchaudio's MelSpectrogram made it ----------------------------
def _hz_to_mel(f):
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, float)
    logstep = np.log(6.4) / 27.0
    return np.where(f < 1000, f * 3 / 200, 15 + np.log(np.maximum(f, 1e-9) / 1000) / logstep)


def _mel_to_hz(m):
    m = np.asarray(m, float)
    logstep = np.log(6.4) / 27.0
    return np.where(m < 15, m * 200 / 3, 1000 * np.exp(logstep * (m - 15)))


def mel_filterbank() -> np.ndarray:
    """(n_freqs, N_MELS) triangular filters, unnormalised (torchaudio's melscale_fbanks with
    mel_scale='slaney', norm=None)."""
    freqs = np.linspace(0, SAMPLE_RATE // 2, N_FFT // 2 + 1)
    f_pts = _mel_to_hz(np.linspace(_hz_to_mel(F_MIN), _hz_to_mel(F_MAX), N_MELS + 2))
    f_diff = np.diff(f_pts)
    slopes = f_pts[None, :] - freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return np.maximum(0, np.minimum(down, up)).astype(np.float32)


def log_mel_spectrogram(mono_22k: np.ndarray):
    """(frames, 128) torch tensor: the model's input for a mono signal at 22.05 kHz."""
    import torch

    signal = torch.as_tensor(np.ascontiguousarray(mono_22k, np.float32))
    window = torch.hann_window(N_FFT)
    spec = torch.stft(signal, N_FFT, HOP, window=window, center=True, pad_mode="reflect",
                      return_complex=True).abs()
    spec = spec / window.pow(2).sum().sqrt()                 # normalized="frame_length"
    mel = torch.from_numpy(mel_filterbank()).T @ spec         # (128, frames)
    return torch.log1p(1000 * mel.T)


# --- the model ----------------------------------------------------------------------
def load_model(checkpoint: str):
    """A BeatThis model from a checkpoint file or a published name; ModelUnavailable if
    it cannot be had."""
    import torch

    from .beat_this_model.beat_tracker import BeatThis
    from .beat_this_model.state_dict import replace_state_dict_key

    path = Path(checkpoint).expanduser()
    try:
        if path.is_file():
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
        elif os.sep in checkpoint or checkpoint.endswith(".ckpt"):
            raise ModelUnavailable(f"no beat model at {path}")
        else:
            ckpt = torch.hub.load_state_dict_from_url(
                f"{CHECKPOINT_URL}/{checkpoint}.ckpt", file_name=f"beat_this-{checkpoint}.ckpt",
                map_location="cpu", weights_only=True, progress=False)
    except ModelUnavailable:
        raise
    except Exception as exc:  # offline, a damaged file, an unknown name: all the same to us
        raise ModelUnavailable(f"beat model {checkpoint!r} could not be loaded "
                               f"({type(exc).__name__}: {exc})") from None
    try:
        wanted = set(inspect.signature(BeatThis).parameters)
        hparams = {k: v for k, v in ckpt["hyper_parameters"].items() if k in wanted}
        model = BeatThis(**hparams)
        model.load_state_dict(replace_state_dict_key(dict(ckpt["state_dict"]), "model.", ""))
    except (KeyError, TypeError, RuntimeError) as exc:
        raise ModelUnavailable(f"{checkpoint!r} is not a Beat This! checkpoint ({exc})") from None
    return model.eval()


def frame_logits(model, spect) -> tuple[np.ndarray, np.ndarray]:
    """Beat and downbeat logits per frame, the piece run in overlapping chunks
    (beat_this.inference.split_predict_aggregate, 'keep_first')."""
    import torch
    import torch.nn.functional as F

    n = spect.shape[0]
    starts = np.arange(-BORDER_FRAMES, n - BORDER_FRAMES, CHUNK_FRAMES - 2 * BORDER_FRAMES)
    if n > CHUNK_FRAMES - 2 * BORDER_FRAMES:
        starts[-1] = n - (CHUNK_FRAMES - BORDER_FRAMES)
    beat = torch.full((n,), -1000.0)
    down = torch.full((n,), -1000.0)
    with torch.inference_mode():
        for start in reversed(starts.tolist()):   # earlier chunks overwrite later ones
            chunk = spect[max(start, 0):min(start + CHUNK_FRAMES, n)]
            chunk = F.pad(chunk, (0, 0, max(0, -start),
                                  max(0, min(BORDER_FRAMES, start + CHUNK_FRAMES - n))))
            out = model(chunk.unsqueeze(0))
            lo, hi = start + BORDER_FRAMES, start + CHUNK_FRAMES - BORDER_FRAMES
            keep = slice(BORDER_FRAMES, BORDER_FRAMES + len(beat[lo:hi]))
            beat[lo:hi] = out["beat"][0][keep]
            down[lo:hi] = out["downbeat"][0][keep]
    return beat.numpy(), down.numpy()


def pick_peaks(logits: np.ndarray) -> np.ndarray:
    """Frames of local maxima within ±3 frames (±60 ms) over probability 0.5, neighbours merged."""
    padded = np.pad(logits, 3, constant_values=-1000)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 7)
    peaks = np.flatnonzero((logits == windows.max(axis=1)) & (logits > 0))
    merged, group = [], []
    for p in peaks:
        if group and p - group[-1] > 1:
            merged.append(np.mean(group))
            group = []
        group.append(p)
    if group:
        merged.append(np.mean(group))
    return np.array(merged, float)


def track(mono: np.ndarray, sample_rate: int, model) -> tuple[np.ndarray, np.ndarray]:
    """(beat times, downbeat times) in seconds, each downbeat moved onto its nearest beat."""
    import soxr

    if sample_rate != SAMPLE_RATE:
        mono = soxr.resample(mono.astype(np.float32), sample_rate, SAMPLE_RATE)
    beat_logits, down_logits = frame_logits(model, log_mel_spectrogram(mono))
    beats = pick_peaks(beat_logits) / FPS
    downs = pick_peaks(down_logits) / FPS
    if len(beats):
        downs = np.unique(beats[np.argmin(np.abs(beats[None, :] - downs[:, None]), axis=1)]) \
            if len(downs) else downs
    return beats, downs


def bars_from_downbeats(beats_s: np.ndarray, downbeats_s: np.ndarray) -> tuple[int, int]:
    """(beats per bar, index of the first downbeat) from the model's downbeats: the most common
    count of beats between them."""
    if len(beats_s) < 2 or len(downbeats_s) == 0:
        return 4, 0
    index = np.searchsorted(beats_s, downbeats_s)
    gaps = np.diff(index)
    gaps = gaps[(gaps >= 2) & (gaps <= 12)]
    per_bar = int(np.bincount(gaps).argmax()) if len(gaps) else 4
    return per_bar, int(index[0] % per_bar)

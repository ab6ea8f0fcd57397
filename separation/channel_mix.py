"""Channel conversion: any channel count in, the count the model or player wants out.

Arrays are (channels, frames) float32. Levels are not normalised after a downmix: samples
are float, so nothing clips, and demucs normalises its input anyway.
"""
from __future__ import annotations

import numpy as np

_MINUS_3_DB = 0.7071068

# Speaker (FFmpeg's channel names) -> (gain into left, gain into right): the ITU-R BS.775
# downmix, L = FL + .707 C + .707 SL, R = FR + .707 C + .707 SR. The LFE is dropped, as ITU
# does: it repeats the low end of the other channels.
_STEREO_GAINS = {
    "FL": (1.0, 0.0), "FR": (0.0, 1.0), "FC": (_MINUS_3_DB, _MINUS_3_DB), "LFE": (0.0, 0.0),
    "BL": (_MINUS_3_DB, 0.0), "BR": (0.0, _MINUS_3_DB),
    "SL": (_MINUS_3_DB, 0.0), "SR": (0.0, _MINUS_3_DB),
    "BC": (0.5, 0.5), "FLC": (1.0, 0.0), "FRC": (0.0, 1.0),
}

# Speakers in files that do not say (WAV read through libsndfile, raw PCM): the orders
# FLAC defines and WAV's usual channel masks share.
DEFAULT_LAYOUTS = {
    3: ("FL", "FR", "FC"),
    4: ("FL", "FR", "BL", "BR"),
    5: ("FL", "FR", "FC", "BL", "BR"),
    6: ("FL", "FR", "FC", "LFE", "BL", "BR"),
    7: ("FL", "FR", "FC", "LFE", "BC", "SL", "SR"),
    8: ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"),
}


def to_stereo(audio: np.ndarray, channel_names: tuple[str, ...] | None = None) -> np.ndarray:
    in_channels = audio.shape[0]
    if in_channels == 2:
        return audio
    if in_channels == 1:
        return np.concatenate([audio, audio])
    names = channel_names or DEFAULT_LAYOUTS.get(in_channels)
    if names is not None and len(names) == in_channels and all(n in _STEREO_GAINS for n in names):
        gains = np.array([_STEREO_GAINS[n] for n in names], dtype=np.float32)
        return (gains.T @ audio).astype(np.float32, copy=False)
    # No known speakers: multichannel files without a layout are most often left/right pairs
    # (stereo stems interleaved), so even channels go left, odd ones right. Averaging keeps
    # the level of each side and drops nothing.
    left = audio[0::2].mean(axis=0, dtype=np.float32)
    right = audio[1::2].mean(axis=0, dtype=np.float32)
    return np.stack([left, right])


def to_channels(audio: np.ndarray, channels: int,
                channel_names: tuple[str, ...] | None = None) -> np.ndarray:
    """Convert (in_channels, frames) float32 to (channels, frames); channels is 1 or 2.

    channel_names: the file's speakers in FFmpeg's names ('FL', 'FC', 'LFE'...), if known.
    """
    if audio.shape[0] == channels:
        return audio
    if channels == 2:
        return to_stereo(audio, channel_names)
    if channels == 1:
        return to_stereo(audio, channel_names).mean(axis=0, keepdims=True, dtype=np.float32)
    raise ValueError(f"cannot convert {audio.shape[0]} channels to {channels}")

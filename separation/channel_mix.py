"""Channel conversion: any channel count in, the count the model or player wants out.

Arrays are (channels, frames) float32. Levels are not normalised after a downmix: samples
are float, so nothing clips, and demucs normalises its input anyway.
"""
from __future__ import annotations

import numpy as np

# ITU-R BS.775 downmix gain for centre and surround channels (-3 dB).
_MINUS_3_DB = np.float32(0.7071068)

# Source channel index -> (gain into left, gain into right), in the order WAV, FLAC and FFmpeg
# share: FL FR FC LFE (BL|SL) (BR|SR) [SL SR]. The LFE channel is dropped, as ITU does.
_SURROUND_TO_STEREO = {
    6: np.array([[1, 0], [0, 1], [_MINUS_3_DB, _MINUS_3_DB], [0, 0],
                 [_MINUS_3_DB, 0], [0, _MINUS_3_DB]], dtype=np.float32),
    8: np.array([[1, 0], [0, 1], [_MINUS_3_DB, _MINUS_3_DB], [0, 0],
                 [_MINUS_3_DB, 0], [0, _MINUS_3_DB], [_MINUS_3_DB, 0], [0, _MINUS_3_DB]],
                dtype=np.float32),
}


def to_stereo(audio: np.ndarray) -> np.ndarray:
    in_channels = audio.shape[0]
    if in_channels == 2:
        return audio
    if in_channels == 1:
        return np.concatenate([audio, audio])
    gains = _SURROUND_TO_STEREO.get(in_channels)
    if gains is not None:
        return (gains.T @ audio).astype(np.float32, copy=False)
    # No standard layout for this count: multichannel files without one are most often
    # left/right pairs (stereo stems interleaved), so even channels go left, odd ones right.
    # Averaging keeps the level of each side and drops nothing.
    left = audio[0::2].mean(axis=0, dtype=np.float32)
    right = audio[1::2].mean(axis=0, dtype=np.float32)
    return np.stack([left, right])


def to_channels(audio: np.ndarray, channels: int) -> np.ndarray:
    """Convert (in_channels, frames) float32 to (channels, frames); channels is 1 or 2."""
    if audio.shape[0] == channels:
        return audio
    if channels == 2:
        return to_stereo(audio)
    if channels == 1:
        return to_stereo(audio).mean(axis=0, keepdims=True, dtype=np.float32)
    raise ValueError(f"cannot convert {audio.shape[0]} channels to {channels}")

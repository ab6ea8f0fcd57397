"""Stem files: standard 32-bit float WAV, written in place segment by segment, read memory-mapped.

Float samples mean a stem never clips, whatever the separation produced; any DAW opens them.
Arrays are shaped (channels, frames) in the API, as in demucs and pedalboard; on disk WAV
interleaves, so memory maps are (frames, channels).
"""
from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import soundfile as sf

_ZERO_CHUNK_FRAMES = 1 << 16


def wav_format_for(frames: int, channels: int) -> str:
    # Plain WAV holds at most 4 GiB of data; RF64 is WAV's own extension beyond that.
    return "WAV" if frames * channels * 4 < (1 << 32) - 1024 else "RF64"


def create_silent(path: Path, frames: int, channels: int, sample_rate: int) -> None:
    """Write a float32 WAV of ``frames`` frames of silence, to be filled in later."""
    zeros = np.zeros((min(frames, _ZERO_CHUNK_FRAMES), channels), dtype=np.float32)
    with sf.SoundFile(path, "w", samplerate=sample_rate, channels=channels,
                      subtype="FLOAT", format=wav_format_for(frames, channels)) as out:
        remaining = frames
        while remaining > 0:
            n = min(remaining, len(zeros))
            out.write(zeros[:n])
            remaining -= n


def write_frames(path: Path, start_frame: int, audio: np.ndarray) -> None:
    """Overwrite frames of an existing float WAV from ``start_frame``; audio is (channels, frames)."""
    with sf.SoundFile(path, "r+") as f:
        f.seek(start_frame)
        f.write(np.ascontiguousarray(audio.T, dtype=np.float32))
        f.flush()


def write_whole(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """Write a complete float WAV; audio is (channels, frames)."""
    channels, frames = audio.shape
    sf.write(path, np.ascontiguousarray(audio.T, dtype=np.float32), sample_rate,
             subtype="FLOAT", format=wav_format_for(frames, channels))


def read_frames(path: Path, start_frame: int, end_frame: int) -> np.ndarray:
    """Frames [start_frame, end_frame) of an audio file as (channels, frames) float32."""
    audio, _ = sf.read(str(path), start=start_frame, stop=end_frame, dtype="float32",
                       always_2d=True)
    return np.ascontiguousarray(audio.T)


def _data_offset(path: Path) -> int:
    """Byte offset of the sample data in a WAV/RF64 file (after the 'data' chunk header)."""
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
            raise ValueError(f"{path} is not a WAV file")
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                raise ValueError(f"{path} has no data chunk")
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"data":
                return f.tell()
            f.seek(size + (size & 1), os.SEEK_CUR)


def open_memmap(path: Path) -> np.memmap:
    """Read-only memory map of a float32 WAV, shaped (frames, channels).

    Opening costs nothing that grows with the song: pages are read when touched.
    """
    info = sf.info(str(path))
    if info.subtype != "FLOAT":
        raise ValueError(f"{path} is not a 32-bit float WAV")
    return np.memmap(path, dtype="<f4", mode="r", offset=_data_offset(path),
                     shape=(info.frames, info.channels))
